"""Compiled root fields: the resolver checks and builds the query, then hands this over.

A root resolver that can be compiled returns a `CompiledRoot` instead of its objects. The
executor (`api.compiled.execution`) walks the field's selection; when every field in it has a
compiled form, one SQL statement answers the whole subtree as JSON text, which goes into the
response untouched (`orjson.Fragment`). Otherwise the resolver's own path (`fallback`) answers,
as it would have without the compiler.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

import orjson
from tortoise import connections
from tortoise.models import Model
from tortoise.queryset import QuerySet

from api import compiled
from api.compiled import graph
from api.compiled.dialect import dialect_for, prepare
from api.compiled.plan import NotCompiled, Selected
from api.context import Context
from domain import pgclient
from domain.access import audit
from domain.access.models import AuditEntry
from domain.clock import service as clock
from domain.customer.models import Customer as CustomerModel
from domain.loan.models import Loan as LoanModel

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
COMPILED_HEADER = "x-lendgraph-compiled"
MAX_KEPT_TEXT = 4096  # a statement whose text values are longer is built again, not kept


def digest(text: str) -> bytes:
    """A key for text of any length that no other text will have (16 bytes of BLAKE2b)."""
    return hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=16).digest()


@dataclass
class CompiledRoot:
    """A root field's answer, to be compiled when its selection allows."""

    compile: Callable[[Selected], Awaitable[orjson.Fragment]]
    fallback: Callable[[], Awaitable[Any]]
    runtime: str | None = None  # the object type, when the field's type is an interface


def _reading(context: Context) -> graph.Reading:
    assert context.subject is not None
    scoped = ("customer", "loan", "payment", "interaction")
    subject, authorizer = context.subject, context.authorizer
    return graph.Reading(
        dialect_for(), {obj: context.loaders.scope(obj) for obj in scoped},
        {obj: authorizer.scopes(subject, obj) for obj in scoped},
        sensitive=authorizer.may_read_sensitive(subject), audited=set(),
    )  # fmt: skip


# a root field's common table expressions, its SELECT of the document, and the FROM … WHERE of
# the customers it shows
Build = Callable[[graph.Reading, Selected], tuple[list[str], str, str]]


@dataclass(frozen=True)
class Statement:
    """A root field's statement: its SQL and values, and the columns of the audit entries it
    writes itself (PostgreSQL), whose values the request adds after `values`, in that order."""

    sql: str
    values: list[Any]
    audit_columns: tuple[str, ...] = ()


class Kept(Generic[K, V]):
    """The latest `size` entries by key, the least recently used dropped first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.kept: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self.kept.get(key)
        if found is not None:
            self.kept.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self.kept[key] = value
        if len(self.kept) > self.size:
            self.kept.popitem(last=False)


# the statements built lately, by what decides their text and values: the root field and its
# arguments, the selection, the caller and the policy version, the calendar date
STATEMENTS: Kept[Hashable, Statement] = Kept()


def _statement(r: graph.Reading, ctes: list[str], select: str, rows: str) -> Statement:
    """The whole statement: the document (`select`, after the common table expressions), and
    the audit of the customers in `rows` whose sensitive fields it shows unmasked.

    On PostgreSQL the statement writes their audit entries itself (`_audit`): the read and its
    audit commit together, and the document leaves the database only if its audit is written.
    On SQLite (no INSERT in a WITH) it says which customers it showed, with which fields (its
    `audit` column): the request writes their entries at its end, as for the resolvers.

    The statement is marked as a read (`pgclient.READ`): on a lost connection it is sent again on
    a new one. One that audits may be: sent again with the same values, it inserts nothing
    (migration 0029's index and ON CONFLICT DO NOTHING)."""
    names = sorted(r.audited)
    head = f"WITH {', '.join(ctes)} " if ctes else ""
    if names and r.d.postgres:
        columns = audit.sensitive_read_names()
        insert = _audit(r, names, rows, columns)
        return Statement(
            f"{pgclient.READ}WITH {', '.join([*ctes, insert])} {select}", r.d.values, columns
        )
    audit_column = "'[]'"
    if names:
        audit_column = r.d.array(
            r.d.json_text(f"'[' || cu.id || ',' || {_flags(r, names)} || ']'"), rows, "cu.id", "cu"
        )
    return Statement(f"{pgclient.READ}{head}{select}, {audit_column} AS audit", r.d.values)


def _flags(r: graph.Reading, names: list[str]) -> str:
    """The sensitive fields of the customer `cu` shown unmasked (NULL ones are not shown)."""
    return r.d.flags([(f"cu.{n} IS NOT NULL", n) for n in names])


def _audit(r: graph.Reading, names: list[str], rows: str, columns: tuple[str, ...]) -> str:
    """The common table expression that writes one audit entry per customer of `rows` (PostgreSQL)
    with a sensitive field shown, exactly as `audit.record_sensitive_reads` writes it: the
    request's own values (`columns`) are the statement's last parameters."""
    first = len(r.d.values) + 1
    table = AuditEntry._meta.db_table
    marks = [f"${first + i}" for i in range(len(columns))]
    shown = " OR ".join(f"cu.{n} IS NOT NULL" for n in names)
    names_sql = ", ".join(f'"{c}"' for c in (*columns, *audit.READ_VARYING))
    return (
        f'lg_audit AS (INSERT INTO "{table}" ({names_sql}) '
        f"SELECT {', '.join(marks)}, cu.id::text, ({_flags(r, names)})::jsonb {rows} AND ({shown}) "
        "ON CONFLICT DO NOTHING)"
    )


def _compiled(
    context: Context, key: Hashable, build: Build
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    async def run(sel: Selected) -> orjson.Fragment:
        assert context.subject is not None
        calendar = clock.calendar_date()  # the business date's fallback
        named = digest(repr(key)) + sel.fingerprint  # a filter or cursor may be long
        cache_key = (named, context.subject, context.authorizer.version, calendar)
        found = STATEMENTS.get(cache_key)
        if found is None:
            r = _reading(context)
            found = _statement(r, *build(r, sel))
            if sum(len(v) for v in found.values if isinstance(v, str)) <= MAX_KEPT_TEXT:
                STATEMENTS.put(cache_key, found)
        client = connections.get("default")
        await prepare(client)
        values = found.values
        if found.audit_columns:  # written by the statement: the request's actor, the moment
            own = audit.sensitive_read_columns(context.actor(), datetime.now(UTC))
            values = [*values, *(own[c] for c in found.audit_columns)]
        _, rows = await client.execute_query(found.sql, values)
        if not found.audit_columns:
            for pk, names in orjson.loads(rows[0][1]):
                context.sensitive_reads[pk].update(names)
        if context.response is not None:  # which root fields a statement answered, for operators
            context.response.headers.append(COMPILED_HEADER, sel.key)
        return orjson.Fragment(bytes(rows[0][0]))

    return run


def _by_id(
    context: Context, table: str, model: type[Model], node: dict[str, graph.Field], pk: int
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """One row by key as one JSON object, or null outside the caller's scope."""
    alias = "cu" if table == "customer" else "lg_n"

    def build(r: graph.Reading, sel: Selected) -> tuple[list[str], str, str]:
        rows = f"FROM {table} {alias} WHERE {alias}.id = {r.d.param(pk)}"
        rows += r.scoped(model, table, f"{alias}.id")
        found = f"coalesce((SELECT {graph.obj(r, sel, node, alias)} {rows}), 'null')"
        return [], f"SELECT {r.d.utf8(found)} AS doc", rows

    return _compiled(context, (table, pk), build)


def customer(context: Context, pk: int) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """`customer(id:)`."""
    return _by_id(context, "customer", CustomerModel, graph.CUSTOMER, pk)


def _page(
    context: Context, key: Hashable, table: str, node: dict[str, graph.Field],
    query: QuerySet[Any], first: int, after_id: int | None,
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:  # fmt: skip
    """A keyset page of a filtered, scoped query (id order) as a Relay connection, in one
    statement (its customers' rows are `cu`, as the audit of unmasked reads reads them)."""
    alias = "cu" if table == "customer" else "lg_n"
    edge: dict[str, graph.Field] = {
        "cursor": lambda r, _, a: r.d.b64(f"{a}.id || ''"),
        "node": lambda r, s, a: graph.obj(r, s, node, a),
    }

    def build(reading: graph.Reading, sel: Selected) -> tuple[list[str], str, str]:
        d = reading.d
        page_query = query.filter(id__gt=after_id) if after_id is not None else query
        # the page's size written in the statement, not sent: PostgreSQL estimates `LIMIT $n` at
        # a tenth of the rows in a prepared statement's plan for any value, and when that plan
        # costs more than the plans made for the values sent, it plans the statement anew at
        # every execution (the admin's 360° page: 0.6 ms of its 6)
        ordered = d.subquery(page_query.order_by("id").values_list("id", flat=True))
        ids = f"{ordered} LIMIT {first + 1}"
        # the page's ids (lg_page has one more, when there is a next page)
        within = f"(SELECT lg_p.id FROM lg_page lg_p ORDER BY lg_p.id LIMIT {first})"  # noqa: S608
        rows = f"FROM {table} {alias} WHERE {alias}.id IN {within}"
        more = f"(SELECT count(*) FROM lg_page) > {first}"  # noqa: S608
        cursor = d.b64("max(lg_w.id) || ''")
        last = f"(SELECT {cursor} FROM {within} lg_w HAVING count(*) > 0)"  # noqa: S608
        page_fields: dict[str, graph.Field] = {
            "hasNextPage": lambda r, _, a: r.d.boolean(more),
            "endCursor": lambda r, _, a: r.d.nullable(last),
        }

        def edges(r: graph.Reading, e: Selected, _: str) -> str:
            return d.array(graph.obj(r, e, edge, alias), rows, f"{alias}.id", alias)

        fields: dict[str, graph.Field] = {
            "totalCount": lambda r, _, a: f"({d.subquery(query.count())})",
            "edges": edges,
            "pageInfo": lambda r, s, a: graph.obj(r, s, page_fields, a),
        }
        doc = graph.obj(reading, sel, fields, "lg_root")
        return [f"lg_page(id) AS ({ids})"], f"SELECT {d.utf8(doc)} AS doc", rows

    return _compiled(context, (table, key, first, after_id), build)


def customers(
    context: Context, query: QuerySet[Any], first: int, after_id: int | None, key: Hashable
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """The `customers` connection over a filtered, scoped query (`key` names the filter)."""
    return _page(context, key, "customer", graph.CUSTOMER, query, first, after_id)


def loans(
    context: Context, query: QuerySet[Any], first: int, after_id: int | None, key: Hashable
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """The `loans` connection over a filtered, scoped query (`key` names the filter)."""
    return _page(context, key, "loan", graph.LOAN, query, first, after_id)


def loan(context: Context, pk: int) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """`loan(id:)`."""
    return _by_id(context, "loan", LoanModel, graph.LOAN, pk)


async def answer(
    context: Context,
    build: Callable[[], Callable[[Selected], Awaitable[orjson.Fragment]]],
    loaded: Callable[[], Awaitable[T]],
    runtime: str | None = None,
) -> T:
    """A root resolver's answer: compiled when this request compiles (`build` makes the
    statement's builder), else `loaded`, the resolver's own path (also the fallback).
    `runtime` names the object type of a field whose type is an interface."""
    if context.subject is None or not compiled.enabled(context):
        return await loaded()
    return cast(T, CompiledRoot(build(), loaded, runtime))


__all__ = ["CompiledRoot", "NotCompiled", "answer", "customer", "customers", "loan", "loans"]
