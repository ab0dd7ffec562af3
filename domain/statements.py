"""Counting the SQL statements Tortoise sends, for tests and benchmarks."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_LOGGER = logging.getLogger("tortoise.db_client")
_NOT_STATEMENTS = ("Created connection pool", "Closed connection pool")


@dataclass
class StatementLog(logging.Handler):
    """Collects every statement logged while it is attached."""

    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if not text.startswith(_NOT_STATEMENTS):
            self.statements.append(text)

    def __hash__(self) -> int:
        return id(self)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementLog]:
    """Attach a statement log to Tortoise's client logger for the duration of a block."""
    log = StatementLog()
    previous = _LOGGER.level
    _LOGGER.setLevel(logging.DEBUG)
    _LOGGER.addHandler(log)
    try:
        yield log
    finally:
        _LOGGER.removeHandler(log)
        _LOGGER.setLevel(previous)
