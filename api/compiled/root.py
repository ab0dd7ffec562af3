"""Compiled root fields: the resolver checks and builds the query, then hands this over.

A root resolver that can be compiled returns a `CompiledRoot` instead of its objects. The
executor (`api.compiled.execution`) walks the field's selection; when every field in it has a
compiled form, one SQL statement answers the whole subtree as JSON text, which goes into the
response untouched (`orjson.Fragment`). Otherwise the resolver's own path (`fallback`) answers,
as it would have without the compiler.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from tortoise import connections
from tortoise.queryset import QuerySet

from api.compiled import graph
from api.compiled.dialect import dialect_for
from api.compiled.plan import NotCompiled, Selected
from api.context import Context
from domain.customer.models import Customer as CustomerModel


@dataclass
class CompiledRoot:
    """A root field's answer, to be compiled when its selection allows."""

    compile: Callable[[Selected], Awaitable[orjson.Fragment]]
    fallback: Callable[[], Awaitable[Any]]


EDGE: dict[str, graph.Field] = {
    "cursor": lambda r, _, a: r.d.b64(f"{a}.id || ''"),
    "node": lambda r, s, a: graph.obj(r, s, graph.CUSTOMER, a),
}


def _reading(context: Context) -> graph.Reading:
    assert context.subject is not None
    scoped = ("customer", "loan", "payment", "interaction")
    return graph.Reading(
        dialect_for(), {obj: context.loaders.scope(obj) for obj in scoped},
        sensitive=context.authorizer.may_read_sensitive(context.subject), audited=set(),
    )  # fmt: skip


async def _answer(context: Context, r: graph.Reading, sql: str, rows: str) -> orjson.Fragment:
    """Run a root field's statement: its JSON, and the audit of the customers in `rows` whose
    sensitive fields it shows unmasked (as the resolvers record them)."""
    audit = "'[]'"
    if r.audited:
        flags = r.d.flags([(f"cu.{name} IS NOT NULL", name) for name in sorted(r.audited)])
        audit = r.d.array(f"'[' || cu.id || ',' || {flags} || ']'", rows, "cu.id")
    await r.d.prepare()
    _, found = await connections.get("default").execute_query(
        f"{sql}, {audit} AS audit", r.d.values
    )
    for pk, names in orjson.loads(found[0][1]):
        if names:
            context.sensitive_reads[pk].update(names)
    return orjson.Fragment(found[0][0])


def customer(context: Context, pk: int) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """`customer(id:)`: the customer as one JSON object, or null outside the caller's scope."""

    async def run(sel: Selected) -> orjson.Fragment:
        r = _reading(context)
        rows = f"FROM customer cu WHERE cu.id = {r.d.param(pk)}"
        rows += r.scoped(CustomerModel, "customer", "cu.id")
        doc = graph.obj(r, sel, graph.CUSTOMER, "cu")
        return await _answer(
            context, r, f"SELECT coalesce((SELECT {doc} {rows}), 'null') AS doc", rows
        )

    return run


def customers(
    context: Context, query: QuerySet[Any], first: int, after_id: int | None
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """The `customers` connection over a filtered, scoped query, as one statement."""

    async def run(sel: Selected) -> orjson.Fragment:
        reading = _reading(context)
        d = reading.d
        page_query = query.filter(id__gt=after_id) if after_id is not None else query
        ids = d.subquery(page_query.order_by("id").limit(first + 1).values_list("id", flat=True))
        # the page's ids (lg_page has one more, when there is a next page)
        within = f"(SELECT lg_p.id FROM lg_page lg_p ORDER BY lg_p.id LIMIT {first})"  # noqa: S608
        rows = f"FROM customer cu WHERE cu.id IN {within}"
        more = f"(SELECT count(*) FROM lg_page) > {first}"  # noqa: S608
        cursor = d.b64("max(lg_w.id) || ''")
        last = f"(SELECT {cursor} FROM {within} lg_w HAVING count(*) > 0)"  # noqa: S608
        page_fields: dict[str, graph.Field] = {
            "hasNextPage": lambda r, _, a: r.d.boolean(more),
            "endCursor": lambda r, _, a: f"coalesce({last}, 'null')",
        }

        def edges(r: graph.Reading, e: Selected, _: str) -> str:
            return d.array(graph.obj(r, e, EDGE, "cu"), rows, "cu.id")

        fields: dict[str, graph.Field] = {
            "totalCount": lambda r, _, a: f"({d.subquery(query.count())})",
            "edges": edges,
            "pageInfo": lambda r, s, a: graph.obj(r, s, page_fields, a),
        }
        doc = graph.obj(reading, sel, fields, "lg_root")
        sql = f"WITH lg_page(id) AS ({ids}) SELECT {doc} AS doc"
        return await _answer(context, reading, sql, rows)

    return run


__all__ = ["CompiledRoot", "NotCompiled", "customer", "customers"]
