"""Hypothesis strategies for the schema's scalars, aimed at the edges a client can reach.

Ids are sometimes real (seeded rows of every node type), sometimes of the wrong type, out of
any integer column's range, empty or junk; strings sometimes sit exactly at, or one past, a
column's `max_length`; numbers and dates reach past what the columns and `date` hold.
"""

import base64
from datetime import UTC
from typing import Any

import graphql
from hypothesis import strategies as st
from hypothesis_graphql import nodes

NODE_TYPES = ["Customer", "Loan", "Application", "Interaction", "User", "Payment", "Task",
              "ProcessInstance", "ProcessDefinition", "Board", "Campaign", "Message"]  # fmt: skip
BIG = ["0", "-1", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
       "1" * 40, "1e3", " 1", "1_000", "٣", "²"]  # fmt: skip


def _global(type_name: str, pk: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def ids() -> st.SearchStrategy[graphql.ValueNode]:
    """Real-looking ids of every node type (small pks resolve), broken ones, raw numbers."""
    real = st.builds(_global, st.sampled_from(NODE_TYPES), st.integers(1, 6).map(str))
    edge = st.builds(_global, st.sampled_from([*NODE_TYPES, "", "Nope"]), st.sampled_from(BIG))
    junk = st.sampled_from(["", " ", "=", "Q3VzdG9tZXI6", "Q3VzdG9tZXI6MQ", "::", "%%", "1", "-1",
                            "99999999999999999999", "\x00"])  # fmt: skip
    text = st.one_of(real, real, edge, junk, st.text(max_size=12))
    return st.one_of(text.map(nodes.String), st.integers(-(2**31), 2**31 - 1).map(nodes.Int))


def column_lengths() -> list[int]:
    """Every distinct `max_length` of a column in the models (the fuzzer's string sizes)."""
    import importlib

    from tortoise.models import Model

    from domain.db import MODEL_MODULES

    found: set[int] = set()
    for name in MODEL_MODULES:
        models = [v for v in vars(importlib.import_module(name)).values()
                  if isinstance(v, type) and issubclass(v, Model) and v is not Model]  # fmt: skip
        for model in models:
            for field in model._meta.fields_map.values():
                length = getattr(field, "max_length", None)
                if isinstance(length, int):
                    found.add(length)
    return sorted(found)


def strings(lengths: list[int]) -> st.SearchStrategy[graphql.ValueNode]:
    """Short text (NULs and all), or text exactly at or one past a column's length."""
    sized = st.sampled_from(lengths).flatmap(
        lambda n: st.sampled_from([n, n + 1]).flatmap(
            lambda k: st.sampled_from(["x", "é", "王"]).map(lambda c: c * k)
        )
    )
    return st.one_of(st.text(max_size=20), st.text(max_size=20), sized).map(nodes.String)


def decimals() -> st.SearchStrategy[graphql.ValueNode]:
    """Money-ish strings, huge and tiny ones, NaN and infinities, junk, and bare numbers."""
    plain = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
    wild = st.sampled_from(
        [
            "NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "1E-400",
            "-0",
            "9" * 30,
            "0." + "9" * 30,
            "1" * 17 + ".00",
            "",
            " 1",
            "1,5",
            "0x10",
        ]
    )
    number = st.one_of(
        st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    )
    return st.one_of(plain.map(nodes.String), wild.map(nodes.String), number)


def dates() -> st.SearchStrategy[graphql.ValueNode]:
    """Any date `date` holds (0001 to 9999), or a string that is not one."""
    junk = st.sampled_from(["", "2026-02-30", "2026-13-01", "10000-01-01", "0000-01-01", "today"])
    return st.one_of(st.dates().map(lambda d: d.isoformat()), junk).map(nodes.String)


def datetimes() -> st.SearchStrategy[graphql.ValueNode]:
    """Naive and UTC datetimes over the whole range, or strings that are not ones."""
    when = st.datetimes(timezones=st.sampled_from([None, UTC])).map(lambda d: d.isoformat())
    junk = st.sampled_from(["", "2026-06-15", "2026-06-15T25:00:00", "9999-12-31T23:59:59+00:00"])
    return st.one_of(when, junk).map(nodes.String)


def _json_node(value: Any) -> graphql.ValueNode:
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k),
                                                 value=_json_node(v)) for k, v in value.items()])  # fmt: skip


def json_values() -> st.SearchStrategy[graphql.ValueNode]:
    """JSON values: scalars, small objects and lists, and deeply nested ones."""
    names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=20),
        st.floats(allow_nan=False, allow_infinity=False),
    )  # fmt: skip
    tree = st.recursive(
        scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(names, kids, max_size=4),
        max_leaves=12,
    )  # fmt: skip
    deep = st.integers(30, 120).map(lambda n: _nest(n))
    return st.one_of(tree, tree, deep).map(_json_node)


def _nest(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


def scalars() -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies for every scalar of the schema that hypothesis-graphql cannot draw itself."""
    return {
        "ID": ids(),
        "String": strings(column_lengths()),
        "Decimal": decimals(),
        "Date": dates(),
        "DateTime": datetimes(),
        "JSON": json_values(),
    }
