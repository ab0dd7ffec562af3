"""Every query and mutation of the schema, fuzzed as an administrator and as a read-only auditor.

Whatever a client sends, the answer is never a server error: no 5xx, no INTERNAL_SERVER_ERROR,
no masked unexpected error. Bad input is a typed UserError (mutations) or a top-level error
with a domain code such as VALIDATION (queries). The root fields are read from the schema, so
operations added later are fuzzed too. `LENDGRAPH_FUZZ_EXAMPLES` sets the examples per
operation and role (`make fuzz` raises it); the seed is fixed, so a run is repeatable.
"""

import os
from dataclasses import replace
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from api.schema import schema
from tests.fuzz.conftest import Server
from tests.fuzz.strategies import scalars

EXAMPLES = int(os.environ.get("LENDGRAPH_FUZZ_EXAMPLES", "4"))
SCHEMA: graphql.GraphQLSchema = schema._schema
ROLES = {"auditor": "auditor1", "admin": "admin"}  # the read-only role first: admin mutates
SCALARS = scalars()
TOKENS: dict[str, str] = {}
BUILT_IN = {"Int", "Float", "String", "Boolean", "ID"}


def _root_fields() -> list[tuple[str, str]]:
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    return [("query", f) for f in SCHEMA.query_type.fields] + [
        ("mutation", f) for f in SCHEMA.mutation_type.fields
    ]


OPERATIONS = [(role, kind, name) for role in ROLES for kind, name in _root_fields()]


def _violable(args: Any) -> bool:
    """Whether hypothesis-graphql can break a rule of one of these root-field arguments."""
    for arg in args:
        named = graphql.get_named_type(arg.type)
        if (
            isinstance(arg.type, graphql.GraphQLNonNull)
            or isinstance(named, graphql.GraphQLEnumType)
            or (named.name in BUILT_IN and named.name not in SCALARS)
            or (isinstance(named, graphql.GraphQLInputObjectType)
                and any(graphql.is_required_input_field(f) for f in named.fields.values()))
        ):  # fmt: skip
            return True
    return False


def problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of a response that reveal a server fault rather than a bad request."""
    return [
        error
        for error in body.get("errors") or []
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
        or "errorId" in (error.get("extensions") or {})
        or str(error.get("message", "")).startswith("Unexpected error")
    ]


def as_variables(document: str, root: graphql.GraphQLObjectType) -> tuple[str, dict[str, Any]]:
    """The same operation with the root field's arguments sent as variables (a second path:
    variable coercion instead of literal validation). Unchanged when it has no such form."""
    try:
        tree = graphql.parse(document)
        [operation] = tree.definitions
        assert isinstance(operation, graphql.OperationDefinitionNode)
        [field] = operation.selection_set.selections
        assert isinstance(field, graphql.FieldNode)
        definitions, values, arguments = [], {}, []
        for arg in field.arguments or ():
            name = arg.name.value
            kind = graphql.parse_type(str(root.fields[field.name.value].args[name].type))
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(graphql.VariableDefinitionNode(variable=variable, type=kind))
            values[name] = graphql.value_from_ast_untyped(arg.value)
            arguments.append(graphql.ArgumentNode(name=arg.name, value=variable))
    except (graphql.GraphQLError, AssertionError, KeyError, ValueError):
        return document, {}
    field = replace(field, arguments=tuple(arguments))
    operation = replace(operation, variable_definitions=tuple(definitions),
                        selection_set=replace(operation.selection_set, selections=(field,)))  # fmt: skip
    return graphql.print_ast(replace(tree, definitions=(operation,))), values


def _check(server: Server, token: str, document: str, variables: dict[str, Any]) -> None:
    body = server.post(document, token, variables=variables)
    bad = problems(body)
    if bad:
        error_id = (bad[0].get("extensions") or {}).get("errorId")
        pytest.fail(
            f"{document}\n{variables}\n→ {bad}\n--- server log ---\n{server.log_tail(error_id)}"
        )


def _token(server: Server, role: str) -> str:
    if role not in TOKENS:
        TOKENS[role] = server.token(ROLES[role])
    return TOKENS[role]


@pytest.mark.parametrize(("role", "kind", "field"), OPERATIONS,
                         ids=[f"{r}-{k}-{f}" for r, k, f in OPERATIONS])  # fmt: skip
def test_no_server_error(fuzz_server: Server, role: str, kind: str, field: str) -> None:
    """One root field, a few generated documents (valid ones and ones breaking one rule)."""
    token = _token(fuzz_server, role)
    build = queries if kind == "query" else mutations
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    assert root is not None
    documents = build(SCHEMA, fields=[field], custom_scalars=SCALARS)
    if _violable(root.fields[field].args.values()):  # one in four breaks a schema rule
        broken = build(SCHEMA, fields=[field], custom_scalars=SCALARS, mode=Mode.NEGATIVE)
        documents = st.one_of(documents, documents, documents, broken)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(document=documents, by_variables=st.booleans())
    def run(document: str, by_variables: bool) -> None:
        variables: dict[str, Any] = {}
        if by_variables:
            document, variables = as_variables(document, root)
        _check(fuzz_server, token, document, variables)

    run()


def test_every_scalar_of_the_schema_has_a_strategy() -> None:
    """A scalar added to the schema must get a strategy here, or its operations go unfuzzed."""
    custom = {name for name, t in SCHEMA.type_map.items()
              if isinstance(t, graphql.GraphQLScalarType) and not name.startswith("__")
              and name not in BUILT_IN}  # fmt: skip
    assert custom <= set(SCALARS), sorted(custom - set(SCALARS))
    assert {"Date", "DateTime", "Decimal", "JSON"} <= custom
