"""Reading CSV records and JSON Lines objects out of text, with their physical line numbers."""

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from domain.importer.model import ImportFormat, ProblemCode, RowProblem

Item = tuple[int, dict[str, Any]] | RowProblem  # a row (its first line, column -> value)
Record = tuple[int, list[str]] | RowProblem  # a CSV or sheet record (its first line, cells)

NOT_UTF8 = "contains bytes that are not valid UTF-8"
_EXTENSIONS = {
    ".csv": ImportFormat.CSV,
    ".jsonl": ImportFormat.JSONL,
    ".ndjson": ImportFormat.JSONL,
    ".xlsx": ImportFormat.XLSX,
}


def detect_format(path: str) -> ImportFormat:
    """The format a file name's extension announces (.csv, .jsonl, .ndjson, .xlsx)."""
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of '{path}' from its extension: use .csv, .jsonl, "
            ".ndjson or .xlsx"
        ) from None


def _decodable(*texts: str) -> bool:
    """False when text carries undecodable bytes (as errors="surrogateescape" escapes them)."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _undecodable(line: int, exc: UnicodeDecodeError) -> RowProblem:
    reason = f"cannot be decoded ({exc.reason}) here or soon after; reading stopped"
    return RowProblem(line, "", reason, ProblemCode.UNDECODABLE)


def csv_records(stream: TextIO, undecodable: str = NOT_UTF8) -> Iterator[Record]:
    """Each non-blank CSV record (the header too), or a problem for one that cannot be read."""
    reader = csv.reader(stream)
    last = 0  # physical lines consumed so far; a record starts on the line after
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield _undecodable(last + 1, exc)
            return
        except csv.Error as exc:
            start, last = last + 1, reader.line_num
            yield RowProblem(start, "", f"cannot be read as CSV: {exc}", ProblemCode.UNREADABLE)
            continue
        start, last = last + 1, reader.line_num
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # blank line
        if not _decodable(*values):
            yield RowProblem(start, "", undecodable, ProblemCode.UNDECODABLE)
            continue
        yield start, values


def jsonl_objects(stream: TextIO, undecodable: str = NOT_UTF8) -> Iterator[Item]:
    """Each JSON object of a JSON Lines text, or a problem for a line that is not one."""
    lines = iter(stream)
    line = 0
    while True:
        try:
            text = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield _undecodable(line + 1, exc)
            return
        line += 1
        if line == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        if not _decodable(text):
            yield RowProblem(line, "", undecodable, ProblemCode.UNDECODABLE)
            continue
        try:
            value = json.loads(text.rstrip("\r\n"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            reason = f"is not valid JSON: {exc.msg} (column {exc.colno})"
            yield RowProblem(line, "", reason, ProblemCode.UNREADABLE)
            continue
        if not isinstance(value, dict):
            yield RowProblem(line, "", "is not a JSON object", ProblemCode.UNREADABLE)
            continue
        yield line, value
