"""SQL text for the portfolio build: literals, hash-based draws and weighted choices.

Every random value is a pure function of a row's index and a salt (`pg_temp.u`, a hash of
the two scaled to [0, 1)), so the same size and seed give the same rows whatever the plan,
the parallelism or the order in which PostgreSQL visits them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

RANDOM_FUNCTIONS = """
CREATE FUNCTION pg_temp.u(k bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(k, salt) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$;
CREATE FUNCTION pg_temp.z(k bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT sqrt(-2 * ln(1 - pg_temp.u(k, salt))) * cos(2 * pi() * pg_temp.u(k, salt + 7919)) $$;
"""


def lit(value: object) -> str:
    """A SQL literal for a str, int, Decimal, bool, date or None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    text = str(value).replace("'", "''")
    return f"'{text}'"


def array(values: Sequence[object]) -> str:
    """A SQL array literal."""
    return "(ARRAY[" + ", ".join(lit(v) for v in values) + "])"


class Draws:
    """Uniform and normal draws keyed by a row index; each use names its own salt."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def salt(self, n: int) -> int:
        """The salt of draw number `n` under this seed."""
        return self.seed * 1000 + n

    def u(self, key: str, n: int) -> str:
        """A uniform draw in [0, 1) for the row whose index is `key`."""
        return f"pg_temp.u(({key})::bigint, {self.salt(n)})"

    def z(self, key: str, n: int) -> str:
        """A standard normal draw for the row whose index is `key`."""
        return f"pg_temp.z(({key})::bigint, {self.salt(n)})"

    def below(self, key: str, n: int, count: int) -> str:
        """An integer in 0 .. count-1."""
        return f"floor({self.u(key, n)} * {count})::int"

    def between(self, key: str, n: int, low: int, high: int) -> str:
        """An integer in low .. high, both included."""
        return f"({low} + {self.below(key, n, high - low + 1)})"

    def pick(
        self, key: str, n: int, choices: Sequence[tuple[object, float]], slots: int = 1000
    ) -> str:
        """One of the values, drawn with the given weights (an expanded array, one index)."""
        total = sum(w for _, w in choices)
        expanded: list[object] = []
        for value, weight in choices:
            expanded += [value] * max(1, round(weight / total * slots))
        return f"({array(expanded)})[1 + {self.below(key, n, len(expanded))}]"

    def one_of(self, key: str, n: int, values: Sequence[object]) -> str:
        """One of the values, each as likely."""
        return f"({array(values)})[1 + {self.below(key, n, len(values))}]"


def local_time(day: str, seconds: str, zone: str) -> str:
    """The UTC moment `seconds` after local midnight of `day` in a time zone (an expression)."""
    return f"(({day})::timestamp + make_interval(secs => {seconds})) AT TIME ZONE {zone}"


def bucket_for_sql(dpd: str, buckets: Sequence[tuple[str, int, int | None]]) -> str:
    """The name of the delinquency bucket holding `dpd` (buckets are configuration)."""
    arms = []
    for name, low, high in buckets:
        test = f"{dpd} >= {low}" if high is None else f"{dpd} BETWEEN {low} AND {high}"
        arms.append(f"WHEN {test} THEN {lit(name)}")
    return "CASE " + " ".join(arms) + " END"
