"""`lendgraph import`: a file from another system, as it is, from the command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook  # type: ignore[import-untyped]

from domain.customer.models import Customer

ROOT = Path(__file__).resolve().parents[2]
# as a branch office's Excel saves it: GB18030, a column we do not have, full-width digits
OTHER = "客户编号,姓名,手机号,备注\r\nK001,张三,１３８００１３８０００,老客户\r\nK002,李四,+86 139 1111 2222,\r\n"


def lendgraph_import(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "LENDGRAPH_MODE": "test"}
    env |= {k: v for k, v in os.environ.items() if k.startswith("LENDGRAPH_")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "import", *args, "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def said(run: subprocess.CompletedProcess[str]) -> str:
    return " ".join((run.stdout + run.stderr).split())  # the console wraps long lines


async def stored() -> list[tuple[str, str | None]]:
    rows = await Customer.all().order_by("id").values_list("name", "phone")
    return [(str(name), phone) for name, phone in rows]


async def test_a_gb18030_file_imports_with_a_map_and_no_edits(db: str, tmp_path: Path) -> None:
    # given
    path = tmp_path / "客户.csv"
    path.write_bytes(OTHER.encode("gb18030"))
    mapped = ["--source", "crm", "--map", "客户编号=external_id,姓名=name", "--map", "手机号=phone"]
    # when: first without saying what to do with 备注, then leaving it out
    refused = lendgraph_import(db, "customers", str(path), *mapped)
    nothing = await stored()
    loaded = lendgraph_import(db, "customers", str(path), *mapped, "--ignore-unknown-columns")
    # then
    assert refused.returncode == 1, said(refused)
    assert "file refused, nothing written" in said(refused)
    assert "│ 1 │ 备注 │ is not a column of customers imports" in said(refused)
    assert nothing == []
    assert loaded.returncode == 0, said(loaded)
    assert "2 rows: 2 created" in said(loaded) and "read as GB18030" in said(loaded)
    assert "ignored columns: 备注" in said(loaded)
    assert await stored() == [("张三", "13800138000"), ("李四", "13911112222")]


async def test_a_sheet_with_a_map_file(db: str, tmp_path: Path) -> None:
    # given: the customers on a sheet after a cover sheet, and a JSON map
    book = Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("客户")
    for row in (["客户编号", "姓名", "手机号"], ["K001", "张三", 13800138000]):
        sheet.append(row)
    workbook = tmp_path / "客户.xlsx"
    book.save(workbook)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"客户编号": "external_id", "姓名": "name", "手机号": "phone"}))
    # when
    run = lendgraph_import(db, "customers", str(workbook), "--sheet", "客户", "--map-file",
                           str(mapping), "--source", "crm")  # fmt: skip
    # then
    assert run.returncode == 0, said(run)
    assert await stored() == [("张三", "13800138000")]


async def test_a_wrong_command_is_refused_with_the_reason(db: str, tmp_path: Path) -> None:
    # given
    path = tmp_path / "c.csv"
    path.write_text(OTHER, encoding="utf-8")
    # when
    bad_target = lendgraph_import(db, "customers", str(path), "--map", "手机号=mobile")
    bad_pair = lendgraph_import(db, "customers", str(path), "--map", "手机号")
    bad_encoding = lendgraph_import(db, "customers", str(path), "--encoding", "klingon")
    bad_date_format = lendgraph_import(db, "customers", str(path), "--date-format", "%d/%m")
    # then
    assert [r.returncode for r in (bad_target, bad_pair, bad_encoding, bad_date_format)] == [2] * 4
    assert "'手机号=mobile': mobile is not a column of customers imports" in said(bad_target)
    assert "'手机号' is not SOURCE=COLUMN" in said(bad_pair)
    assert "'klingon' is not a known encoding" in said(bad_encoding)
    assert "'%d/%m' does not describe a whole date" in said(bad_date_format)
    assert await stored() == []
