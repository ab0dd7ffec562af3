"""How each database writes the JSON of a compiled read, value by value, exactly as the API does.

Every expression renders a column the way the GraphQL scalar would serialize the Python value
Tortoise makes of it: Decimal as `str` (the column's scale), dates as ISO dates, datetimes as
`datetime.isoformat()` in UTC, global ids and cursors as URL-safe base64, booleans as JSON
booleans, sensitive values through the same masks as `authz.masking`. The equivalence tests
compare the compiled and the loader path byte for byte.

Each method gives a *value* of the JSON being built. On PostgreSQL that is compact JSON text,
concatenated (`json_build_object` writes `{"a" : 1}` and `json_agg` adds line breaks, where
the API answers orjson's compact form). On SQLite it is an SQL value that its JSON1
functions (`json_object`, `json_group_array`, compact already) turn into JSON: text is quoted,
numbers are not, and a JSON function's own result stays JSON. SQLite gets a few
deterministic functions of ours on its connection (base64, masks, microseconds since the
epoch), since it has none of its own.
"""

import base64
import re
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pypika_tortoise.terms import Parameterizer
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import AwaitableQuery

from authz.masking import mask_id_number, mask_phone

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMN = re.compile(r'\w+\.(\w+|"\w+")')  # a column of a table: alias.name


def _b64(text: str | None) -> str | None:
    return None if text is None else base64.urlsafe_b64encode(text.encode()).decode()


def _micros(text: str | None) -> int | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


_SQLITE_FUNCTIONS = (
    ("lg_b64", _b64),
    ("lg_micros", _micros),
    ("lg_mask_phone", mask_phone),
    ("lg_mask_id_number", mask_id_number),
)
_registered: "weakref.WeakSet[Any]" = weakref.WeakSet()


async def prepare(client: BaseDBAsyncClient) -> None:
    """Make a connection ready for the functions compiled SQL uses: ours, on a SQLite
    connection that does not have them yet (PostgreSQL has them from migration 0027)."""
    raw = getattr(client, "_connection", None)
    if client.capabilities.dialect != "sqlite" or raw is None or raw in _registered:
        return
    for name, function in _SQLITE_FUNCTIONS:
        await raw.create_function(name, 1, function, deterministic=True)
    _registered.add(raw)


def _truth(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 'true' WHEN NOT ({condition}) THEN 'false' ELSE 'null' END"


class Dialect:
    """SQL of one database for the JSON of a compiled read."""

    postgres = False

    def __init__(self, client: BaseDBAsyncClient) -> None:
        self.client = client
        self.parameters = Parameterizer(self._placeholder)
        self._context = client.query_class.SQL_CONTEXT.copy(parameterizer=self.parameters)

    @staticmethod
    def _placeholder(n: int) -> str:
        raise NotImplementedError

    def param(self, value: Any) -> str:
        """A placeholder for a value sent beside the statement."""
        return str(self.parameters.create_param(value).get_sql(self._context))

    def subquery(self, query: AwaitableQuery[Any]) -> str:
        """The SQL of a Tortoise query, its values sent as parameters of this statement."""
        query._choose_db_if_not_chosen()
        query._make_query()
        sql, _ = query.query.get_parameterized_sql(self._context)
        return str(sql)

    @property
    def values(self) -> list[Any]:
        """The parameters of the statement, in placeholder order."""
        return list(self.parameters.values)

    def mask_phone(self, sql: str) -> str:
        return f"lg_mask_phone({sql})"

    def mask_id_number(self, sql: str) -> str:
        return f"lg_mask_id_number({sql})"

    # values of the JSON: text, a text needing no escaping (an enum value, a formatted
    # number or date, base64), a number, a decimal (a string of its scale), dates, booleans
    def text(self, sql: str) -> str:
        raise NotImplementedError

    def word(self, sql: str) -> str:
        raise NotImplementedError

    def number(self, sql: str) -> str:
        raise NotImplementedError

    def decimal(self, sql: str, places: int, null: bool = True) -> str:
        """A decimal as the string of its scale (`null`: the value may be NULL)."""
        raise NotImplementedError

    def date(self, sql: str) -> str:
        raise NotImplementedError

    def datetime(self, sql: str) -> str:
        raise NotImplementedError

    def boolean(self, condition: str) -> str:
        raise NotImplementedError

    def b64(self, text_sql: str) -> str:
        """URL-safe base64 of a text, as a string (null for NULL)."""
        raise NotImplementedError

    def literal(self, text: str) -> str:
        """A constant string (a type name: no quote or backslash in it)."""
        raise NotImplementedError

    def nullable(self, sql: str) -> str:
        """A value from a scalar subquery that may find no row (then null)."""
        raise NotImplementedError

    def json_text(self, sql: str) -> str:
        """A value from JSON text."""
        raise NotImplementedError

    # structure
    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        """A JSON object of (key, value) pairs, keys in the given order."""
        raise NotImplementedError

    def maybe(self, condition: str, value: str) -> str:
        """A value when a condition holds, else null."""
        raise NotImplementedError

    def array(self, doc: str, source: str, order: str, alias: str) -> str:
        """A JSON array of `doc` (a JSON object) over `source` (FROM … WHERE …, whose rows are
        `alias`) in `order`; [] when empty."""
        raise NotImplementedError

    def flags(self, items: Sequence[tuple[str, str]]) -> str:
        """A JSON array of the strings whose condition holds, in the given order."""
        raise NotImplementedError

    def micros(self, sql: str) -> str:
        """Microseconds since the epoch of a datetime column, as SQL text."""
        raise NotImplementedError

    def micros_number(self, sql: str) -> str:
        """Microseconds since the epoch of a datetime column, as an integer."""
        raise NotImplementedError

    def utf8(self, value: str) -> str:
        """The statement's JSON as UTF-8 bytes (what the response sends, with no text object
        made in between)."""
        raise NotImplementedError


class Postgres(Dialect):
    """Compact JSON text, concatenated."""

    postgres = True

    @staticmethod
    def _placeholder(n: int) -> str:
        return f"${n}"

    def text(self, sql: str) -> str:
        return f"coalesce(to_json(({sql})::text)::text, 'null')"

    def word(self, sql: str) -> str:
        return f"""coalesce('"' || ({sql}) || '"', 'null')"""

    def number(self, sql: str) -> str:
        return f"coalesce(({sql})::text, 'null')"

    def decimal(self, sql: str, places: int, null: bool = True) -> str:
        # a numeric column (and a sum of them) keeps its scale: `::text` is `str(Decimal)`
        return self.word(f"({sql})::text")

    def date(self, sql: str) -> str:
        return self.word(f"to_char({sql}, 'YYYY-MM-DD')")

    def datetime(self, sql: str) -> str:
        # isoformat() writes the microseconds only when there are some
        stamp = f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return self.word(f"replace({stamp}, '.000000', '') || '+00:00'")

    def boolean(self, condition: str) -> str:
        return _truth(condition)

    def b64(self, text_sql: str) -> str:
        return self.word(
            f"translate(encode(convert_to({text_sql}, 'UTF8'), 'base64'), E'+/\\n', '-_')"
        )

    def literal(self, text: str) -> str:
        return f"""'"{text}"'"""

    def nullable(self, sql: str) -> str:
        return f"coalesce({sql}, 'null')"

    def json_text(self, sql: str) -> str:
        return sql

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        if not pairs:
            return "'{}'"
        body = " || ',' || ".join(f"""'"{k}":' || {v}""" for k, v in pairs)
        return f"('{{' || {body} || '}}')"

    def maybe(self, condition: str, value: str) -> str:
        return f"CASE WHEN {condition} THEN {value} ELSE 'null' END"

    def array(self, doc: str, source: str, order: str, alias: str) -> str:
        joined = f"string_agg({doc}, ',' ORDER BY {order})"
        return f"(SELECT coalesce('[' || {joined} || ']', '[]') {source})"

    def flags(self, items: Sequence[tuple[str, str]]) -> str:
        parts = ", ".join(f"""CASE WHEN {c} THEN '"{s}"' END""" for c, s in items)
        return f"('[' || concat_ws(',', {parts}) || ']')"

    def micros(self, sql: str) -> str:
        return f"({self.micros_number(sql)})::text"

    def micros_number(self, sql: str) -> str:
        return f"(extract(epoch FROM {sql}) * 1000000)::bigint"

    def utf8(self, value: str) -> str:
        return f"convert_to({value}, 'UTF8')"


class Sqlite(Dialect):
    """SQL values turned into JSON by SQLite's JSON1 functions.

    A JSON function's result stays JSON through a scalar subquery and CASE (SQLite's
    subtype), not through a column of a subquery in FROM: `array` makes its objects outside
    the subquery that orders the rows.
    """

    @staticmethod
    def _placeholder(n: int) -> str:
        return f"?{n}"

    def text(self, sql: str) -> str:
        return sql

    def word(self, sql: str) -> str:
        return sql

    def number(self, sql: str) -> str:
        return sql

    def decimal(self, sql: str, places: int, null: bool = True) -> str:
        # A column's text already at its scale (`str` of a quantized Decimal, as Tortoise
        # stores it: digits, a point, `places` digits) is what the API writes: as it is. Any
        # other value, and any expression (a sum of columns is a double), goes through printf,
        # exact for every value of our columns (at most 14 digits: a double holds 15), at
        # about three times the cost of the GLOB (printf was 0.9 ms of the 360° page).
        printf = f"printf('%.{places}f', {sql})"
        cases = [f"WHEN ({sql}) IS NULL THEN NULL"] if null else []
        if places > 0 and _COLUMN.fullmatch(sql):
            cases.append(f"WHEN {sql} GLOB '*.{'[0-9]' * places}' THEN {sql}")
        return f"CASE {' '.join(cases)} ELSE {printf} END" if cases else printf

    def date(self, sql: str) -> str:
        return sql

    def datetime(self, sql: str) -> str:
        return f"(substr({sql}, 1, 10) || 'T' || substr({sql}, 12))"

    def boolean(self, condition: str) -> str:
        return f"json({_truth(condition)})"

    def b64(self, text_sql: str) -> str:
        return f"lg_b64({text_sql})"

    def literal(self, text: str) -> str:
        return f"'{text}'"

    def nullable(self, sql: str) -> str:
        return sql

    def json_text(self, sql: str) -> str:
        return f"json({sql})"

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def maybe(self, condition: str, value: str) -> str:
        return f"CASE WHEN {condition} THEN {value} END"

    def array(self, doc: str, source: str, order: str, alias: str) -> str:
        # the rows are ordered in a subquery and the object is made over them outside it, so
        # each nested object keeps its JSON subtype: made inside and read back from the
        # subquery's column, it would be text that json() parses again at every level. The
        # subquery yields only the columns the object reads: SQLite copies every column it
        # yields for every row (all of an installment's for each of a page's 1,342: 0.2 ms)
        rows = f"(SELECT {_columns(doc, alias)} {source} ORDER BY {order}) {alias}"
        return f"(SELECT json_group_array({doc}) FROM {rows})"  # noqa: S608

    def flags(self, items: Sequence[tuple[str, str]]) -> str:
        parts = " || ".join(f"""CASE WHEN {c} THEN '"{s}",' ELSE '' END""" for c, s in items)
        return f"json('[' || rtrim({parts}, ',') || ']')"

    def micros(self, sql: str) -> str:
        return f"lg_micros({sql})"

    def micros_number(self, sql: str) -> str:
        return f"lg_micros({sql})"

    def utf8(self, value: str) -> str:
        return f"CAST({value} AS BLOB)"


def _columns(sql: str, alias: str) -> str:
    """The columns of `alias` that `sql` reads, as a select list (all of them if it reads
    none): what this module writes, `alias.name` or `alias."name"`, at every depth."""
    pattern = re.compile(rf'(?<![\w."]){re.escape(alias)}\.("?)(\w+)\1')
    names = sorted({m.group(2) for m in pattern.finditer(sql)})
    return ", ".join(f'{alias}."{n}"' for n in names) or f"{alias}.*"


def dialect_for(client: BaseDBAsyncClient | None = None) -> Dialect:
    """The dialect of the default connection (or of a given one)."""
    client = client or connections.get("default")
    return Postgres(client) if client.capabilities.dialect == "postgres" else Sqlite(client)
