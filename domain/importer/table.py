"""A file's records as rows: the header judged once, then each record paired with it.

CSV and sheet records have a header; JSON Lines objects do not, so their keys are gathered in
a first pass and judged the same way (at the line each key first appears on). Text values
come out normalised (NFKC, trimmed): see `normalise.text`.
"""

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from domain.importer import normalise
from domain.importer.columns import Columns, Layout, layout
from domain.importer.model import ProblemCode, RowProblem
from domain.importer.reader import NOT_UTF8, Item, Record, jsonl_objects


@dataclass
class Table:
    """Rows ready for the engine, or the problems that refuse the whole file."""

    rows: Iterator[Item]
    refused: list[RowProblem] = field(default_factory=list)
    ignored: tuple[str, ...] = ()
    file_names: Mapping[str, str] = field(default_factory=dict)  # our column -> file's name

    @classmethod
    def refusing(cls, problems: list[RowProblem]) -> "Table":
        """A table whose header refuses the file: no rows."""
        return cls(iter(()), refused=problems)


@dataclass(frozen=True)
class Reading:
    """What judging a header needs: the kind's columns, the map, whether to leave out others."""

    columns: Columns
    mapping: Mapping[str, str]
    ignore_unknown: bool

    def layout(self, names: list[str], lines: list[int]) -> Layout | list[RowProblem]:
        """The header's layout, or why it refuses the file."""
        return layout(names, lines, self.columns, self.mapping, ignore_unknown=self.ignore_unknown)


def _trim_header(names: list[str]) -> list[str]:
    """The header without trailing unnamed columns (spreadsheets often leave some)."""
    end = len(names)
    while end and not normalise.text(names[end - 1]):
        end -= 1
    return names[:end]


def _pair(shape: Layout, line: int, values: list[str], pad: bool) -> Item:
    width = len(shape.names)
    if pad and len(values) < width:
        values = values + [""] * (width - len(values))
    if len(values) < width or (
        len(values) > width and any(normalise.text(v) for v in values[width:])
    ):
        reason = f"has {len(values)} values but the header has {width} columns"
        return RowProblem(line, "", reason, ProblemCode.UNREADABLE)
    if "".join(values).isascii():  # the common case, read without a call per cell
        return line, {name: values[i].strip() for i, name in shape.kept}
    return line, {name: normalise.text(values[i]) for i, name in shape.kept}


def _tabular_rows(shape: Layout, records: Iterator[Record], pad: bool) -> Iterator[Item]:
    for record in records:
        yield record if isinstance(record, RowProblem) else _pair(shape, *record, pad)


def tabular(records: Iterable[Record], reading: Reading, *, pad: bool = False) -> Table:
    """Rows of CSV or sheet records whose first record is the header.

    A record may end with empty values beyond the header; with `pad` (sheets, whose rows stop
    at their last cell) a short record is completed with empty values, else it is refused.
    """
    stream = iter(records)
    first = next(stream, None)
    if first is None:
        return Table(iter(()))
    if isinstance(first, RowProblem):
        return Table.refusing([first])
    line, names = first
    names = _trim_header(names)
    shape = reading.layout(names, [line] * len(names))
    if isinstance(shape, list):
        return Table.refusing(shape)
    rows = _tabular_rows(shape, stream, pad)
    return Table(rows, ignored=shape.ignored, file_names=shape.file_names)


def _clean(value: Any) -> Any:
    """A JSON value with its text normalised, at any depth."""
    if isinstance(value, str):
        return normalise.text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {normalise.text(key): _clean(item) for key, item in value.items()}
    return value


def _object_rows(
    shape: Layout, keys: list[str], stream: TextIO, undecodable: str
) -> Iterator[Item]:
    rename = {key: name for key, name in zip(keys, shape.names, strict=True) if name is not None}
    for item in jsonl_objects(stream, undecodable):
        if isinstance(item, RowProblem):
            yield item
            continue
        line, data = item
        yield (
            line,
            {
                rename[key]: _clean(value)
                for raw, value in data.items()
                if (key := normalise.text(raw)) in rename
            },
        )


def objects(stream: TextIO, reading: Reading, undecodable: str = NOT_UTF8) -> Table:
    """Rows of a JSON Lines text; its keys are judged as a header before any row is read."""
    if not stream.seekable():
        stream = io.StringIO(stream.read(), newline="")
    start = stream.tell()
    first_line: dict[str, int] = {}
    for item in jsonl_objects(stream, undecodable):
        if not isinstance(item, RowProblem):
            for raw in item[1]:
                first_line.setdefault(normalise.text(raw), item[0])
    stream.seek(start)
    keys = list(first_line)
    shape = reading.layout(keys, [first_line[key] for key in keys])
    if isinstance(shape, list):
        return Table.refusing(shape)
    rows = _object_rows(shape, keys, stream, undecodable)
    return Table(rows, ignored=shape.ignored, file_names=shape.file_names)
