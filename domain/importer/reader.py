"""Streaming rows out of CSV and JSON Lines files, with their physical line numbers."""

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from domain.importer.model import ImportFormat, RowProblem

Item = tuple[int, dict[str, Any]] | RowProblem

_EXTENSIONS = {
    ".csv": ImportFormat.CSV,
    ".jsonl": ImportFormat.JSONL,
    ".ndjson": ImportFormat.JSONL,
}


def detect_format(path: str) -> ImportFormat:
    """The format a file name's extension announces (.csv, .jsonl, .ndjson), else ValueError."""
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of '{path}' from its extension: use .csv, .jsonl or .ndjson"
        ) from None


def read_rows(stream: TextIO, fmt: ImportFormat) -> Iterator[Item]:
    """Yield (line, row) for each data row, or a RowProblem for a row that cannot be read."""
    if fmt == ImportFormat.CSV:
        return _csv_rows(stream)
    if fmt == ImportFormat.JSONL:
        return _jsonl_rows(stream)
    raise ValueError(f"unknown import format {fmt!r}")


def _decodable(*texts: str) -> bool:
    """False when text carries undecodable bytes (as errors="surrogateescape" escapes them)."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_NOT_UTF8 = "contains bytes that are not valid UTF-8"


def _header(names: list[str], line: int) -> tuple[list[str], list[RowProblem]]:
    header = [name.strip() for name in names]
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(RowProblem(line, "", f"header column {position} has no name"))
        elif name in seen:
            problems.append(RowProblem(line, name, "appears more than once in the header"))
        seen.add(name)
    return header, problems


def _csv_rows(stream: TextIO) -> Iterator[Item]:
    reader = csv.reader(stream)
    header: list[str] | None = None
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
            yield RowProblem(start, "", f"cannot be read as CSV: {exc}")
            if header is None:
                return
            continue
        start, last = last + 1, reader.line_num
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # blank line
        if not _decodable(*values):
            yield RowProblem(start, "", _NOT_UTF8)
            if header is None:
                return
            continue
        if header is None:
            header, problems = _header(values, start)
            if problems:
                yield from problems
                return
            continue
        if len(values) != len(header):
            yield RowProblem(
                start, "", f"has {len(values)} values but the header has {len(header)} columns"
            )
            continue
        yield start, dict(zip(header, values, strict=True))


def _undecodable(line: int, exc: UnicodeDecodeError) -> RowProblem:
    return RowProblem(
        line, "", f"cannot be decoded ({exc.reason}) here or soon after; reading stopped"
    )


def _jsonl_rows(stream: TextIO) -> Iterator[Item]:
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
            yield RowProblem(line, "", _NOT_UTF8)
            continue
        try:
            value = json.loads(text.rstrip("\r\n"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield RowProblem(line, "", f"is not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(value, dict):
            yield RowProblem(line, "", "is not a JSON object")
            continue
        yield line, value
