"""Column maps as people write them: `手机号=phone,客户编号=external_id`, or a small file.

A map file is either CSV (two columns: the other system's header, then ours; an optional
first row `from,to`) or JSON (an object {"手机号": "phone"} or a list of {"from", "to"}). It
may be UTF-8 or GB18030, like the files it describes.
"""

import csv
import json
from pathlib import Path
from typing import Any

from domain.errors import ValidationError
from domain.importer import encoding, normalise

Pair = tuple[str, str]


def _refuse(message: str) -> ValidationError:
    return ValidationError.single("column_map", message)


def parse_pairs(spec: str) -> list[Pair]:
    """Pairs of `SOURCE=COLUMN`, comma-separated (full-width ＝ and ， are read as = and ,)."""
    pairs: list[Pair] = []
    for part in normalise.text(spec).split(","):
        if not part.strip():
            continue
        source, equals, target = part.partition("=")
        if not equals or not source.strip() or not target.strip():
            raise _refuse(f"'{part.strip()}' is not SOURCE=COLUMN (e.g. 手机号=phone)")
        pairs.append((source.strip(), target.strip()))
    return pairs


def _json_pairs(value: Any, name: str) -> list[Pair]:
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list) and all(
        isinstance(item, dict)
        and isinstance(item.get("from"), str)
        and isinstance(item.get("to"), str)
        for item in value
    ):
        return [(item["from"], item["to"]) for item in value]
    raise _refuse(
        f'{name} must hold an object of column names ({{"手机号": "phone"}}) '
        'or a list of {"from": …, "to": …}'
    )


def _csv_pairs(text: str, name: str) -> list[Pair]:
    pairs: list[Pair] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [normalise.text(cell) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(cells) != 2 or not all(cells):
            raise _refuse(f"{name} line {number}: needs two columns, the file's and ours")
        if not pairs and [cell.lower() for cell in cells] == ["from", "to"]:
            continue  # a header row
        pairs.append((cells[0], cells[1]))
    return pairs


def read_map_file(path: Path) -> list[Pair]:
    """The pairs of a .csv or .json map file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise _refuse(f"{path.name}: a map file is .csv or .json")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(f"{path.name} cannot be read ({exc.strerror})") from exc
    stream, _ = encoding.decode(data, None)
    text = stream.read().removeprefix("\ufeff")
    if suffix == ".csv":
        return _csv_pairs(text, path.name)
    try:
        return _json_pairs(json.loads(text), path.name)
    except json.JSONDecodeError as exc:
        raise _refuse(f"{path.name} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
