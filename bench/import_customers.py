"""Import benchmark: N generated customers from a CSV file into a fresh database, then again.

    python bench/import_customers.py [--customers 100000] [--database-url postgres://…/db]

Prints rows per second for the first load (all created) and the re-run (all unchanged).
"""

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from tortoise import Tortoise

from domain import migrate
from domain.customer.validation import resident_id_check_digit
from domain.db import is_postgres, tortoise_config
from domain.importer import ImportKind, import_file

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def _write_csv(path: Path, customers: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write("source,external_id,name,id_type,id_number,phone,email,birth_date,"
                  "branch,monthly_income,preferred_channel\n")  # fmt: skip
        for n in range(customers):
            born = f"{rng.randint(1960, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            first17 = f"110105{born}{n % 1000:03d}"
            id_number = first17 + resident_id_check_digit(first17)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            out.write(
                f"bench,B{n:07d},{name},RESIDENT_ID,{id_number},1{rng.randint(3, 9)}{n:09d},"
                f"b{n}@example.com,{born[:4]}-{born[4:6]}-{born[6:]},Shanghai-Pudong,"
                f"{rng.randint(3000, 50000)}.00,SMS\n"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite://{folder / 'import.db'}"
    csv = folder / "customers.csv"
    _write_csv(csv, args.customers)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await migrate.apply(url)
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    print(f"import of {args.customers:,} customers from CSV, {backend}")
    print("| run | seconds | rows/s | created | unchanged | failed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label in ("first load", "re-run of the same file"):
        started = time.perf_counter()
        report = await import_file(ImportKind.CUSTOMERS, csv)
        seconds = time.perf_counter() - started
        print(f"| {label} | {seconds:.1f} | {report.rows / seconds:,.0f} | {report.created:,} "
              f"| {report.unchanged:,} | {report.failed} |")  # fmt: skip
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
