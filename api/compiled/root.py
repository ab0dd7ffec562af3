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


@dataclass
class CompiledRoot:
    """A root field's answer, to be compiled when its selection allows."""

    compile: Callable[[Selected], Awaitable[orjson.Fragment]]
    fallback: Callable[[], Awaitable[Any]]


EDGE: dict[str, graph.Field] = {
    "cursor": lambda r, _, a: r.d.b64(f"{a}.id || ''"),
    "node": lambda r, s, a: graph.obj(r, s, graph.CUSTOMER, a),
}


def customers(
    context: Context, query: QuerySet[Any], first: int, after_id: int | None
) -> Callable[[Selected], Awaitable[orjson.Fragment]]:
    """The `customers` connection over a filtered, scoped query, as one statement."""

    async def run(sel: Selected) -> orjson.Fragment:
        d = dialect_for()
        assert context.subject is not None
        reading = graph.Reading(
            d, {obj: context.loaders.scope(obj) for obj in ("loan", "payment", "interaction")},
            sensitive=context.authorizer.may_read_sensitive(context.subject),
            audited=set(),
        )  # fmt: skip
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
        audit = "'[]'"
        if reading.audited:
            flags = d.flags([(f"cu.{name} IS NOT NULL", name) for name in sorted(reading.audited)])
            audit = d.array(f"'[' || cu.id || ',' || {flags} || ']'", rows, "cu.id")
        sql = f"WITH lg_page(id) AS ({ids}) SELECT {doc} AS doc, {audit} AS audit"
        await d.prepare()
        _, rows = await connections.get("default").execute_query(sql, d.values)
        text, audited = rows[0][0], rows[0][1]
        for pk, names in orjson.loads(audited):
            if names:
                context.sensitive_reads[pk].update(names)
        return orjson.Fragment(text)

    return run


__all__ = ["CompiledRoot", "NotCompiled", "customers"]
