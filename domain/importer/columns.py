"""What a file's columns mean: a kind's known columns, the column map, the header's layout.

A header is judged once, before any row is read: columns renamed by the map, unknown ones
refused (one problem naming them all, at the header's line) or left out when asked.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from domain.errors import FieldProblem, ValidationError
from domain.importer import normalise
from domain.importer.model import ProblemCode, RowProblem


@dataclass(frozen=True)
class Columns:
    """The columns one kind of import knows."""

    kind: str
    known: frozenset[str]
    prefix: str | None = None  # columns starting with it are accepted too (custom fields)

    def knows(self, name: str) -> bool:
        """Whether a column (after the map) is one of this kind's."""
        return name in self.known or bool(
            self.prefix and name.startswith(self.prefix) and len(name) > len(self.prefix)
        )


def check_map(pairs: Sequence[tuple[str, str]], columns: Columns) -> dict[str, str]:
    """The column map as {file column: our column}, or a ValidationError naming each fault."""
    mapped: dict[str, str] = {}
    sources: dict[str, str] = {}  # our column -> the file column mapped to it
    problems: list[FieldProblem] = []

    def refuse(message: str) -> None:
        problems.append(FieldProblem("column_map", message))

    for raw_source, raw_target in pairs:
        source, target = normalise.text(raw_source), normalise.text(raw_target)
        if not source or not target:
            refuse(f"'{raw_source}={raw_target}' needs a column on both sides of '='")
        elif not columns.knows(target):
            refuse(
                f"'{source}={target}': {target} is not a column of {columns.kind} imports "
                f"({', '.join(sorted(columns.known))})"
            )
        elif source in mapped and mapped[source] != target:
            refuse(f"'{source}' is mapped to both {mapped[source]} and {target}")
        elif target in sources and sources[target] != source:
            refuse(f"'{sources[target]}' and '{source}' are both mapped to {target}")
        else:
            mapped[source], sources[target] = target, source
    if problems:
        raise ValidationError(problems)
    return mapped


@dataclass(frozen=True)
class Layout:
    """What each position of a header holds: our column, or None when left out."""

    names: tuple[str | None, ...]
    ignored: tuple[str, ...]
    file_names: Mapping[str, str]  # our column -> the file's name for it, where they differ

    @cached_property
    def kept(self) -> tuple[tuple[int, str], ...]:
        """(position, our column) of the positions that are read."""
        return tuple((i, name) for i, name in enumerate(self.names) if name is not None)


def _plural(names: Sequence[str], one: str, many: str) -> str:
    return one if len(names) == 1 else many


def layout(
    header: Sequence[str],
    lines: Sequence[int],
    columns: Columns,
    mapping: Mapping[str, str],
    *,
    ignore_unknown: bool,
) -> Layout | list[RowProblem]:
    """The layout of a header (names with the line each was found on), or why it is refused."""
    names: list[str | None] = []
    ignored: list[str] = []
    unknown: list[tuple[int, str]] = []
    problems: list[RowProblem] = []
    holder: dict[str, str] = {}  # our column -> the file column giving it
    for position, (raw, line) in enumerate(zip(header, lines, strict=True), start=1):
        name = normalise.text(raw)
        target: str | None = mapping.get(name, name)
        if not name:
            reason = f"header column {position} has no name"
            problems.append(RowProblem(line, "", reason, ProblemCode.BAD_HEADER))
            target = None
        elif target is None or not columns.knows(target):
            unknown.append((line, name))
            ignored.append(name)
            target = None
        elif target in holder:
            reason = (
                "appears more than once in the header"
                if holder[target] == name
                else f"is mapped to {target}, which '{holder[target]}' already gives"
            )
            problems.append(RowProblem(line, name, reason, ProblemCode.BAD_HEADER))
        else:
            holder[target] = name
        names.append(target)
    if unknown and not ignore_unknown:
        listed = [name for _, name in unknown]
        reason = _plural(listed, "is not a column", "are not columns") + (
            f" of {columns.kind} imports: map {_plural(listed, 'it', 'them')} to a column or "
            "ignore unknown columns"
        )
        first = min(line for line, _ in unknown)
        problems.append(RowProblem(first, ", ".join(listed), reason, ProblemCode.UNKNOWN_COLUMNS))
    if problems:
        return sorted(problems, key=lambda problem: problem.line)
    file_names = {target: name for target, name in holder.items() if target != name}
    return Layout(tuple(names), tuple(ignored), file_names)
