"""Every mutation's result union can carry every failure a resolver may raise.

A resolver that raises a domain error gets it back as the union member of its kind; when the
union lacks that member, the client sees INTERNAL_SERVER_ERROR instead. So every union holds
ValidationError, NotFoundError, ForbiddenError and ConflictError, and every member other than
the success type implements UserError. Read from the schema, so new mutations are covered.
"""

import graphql
import pytest

from api.schema import schema

SCHEMA: graphql.GraphQLSchema = schema._schema
FOUR = {"ValidationError", "NotFoundError", "ForbiddenError", "ConflictError"}
# login answers one LoginError for every failure, so it never tells which usernames exist
ONE_ERROR_FOR_ALL = {"login": {"LoginError"}}


def _results() -> list[tuple[str, graphql.GraphQLUnionType]]:
    assert SCHEMA.mutation_type is not None
    out = []
    for name, field in SCHEMA.mutation_type.fields.items():
        result = graphql.get_named_type(field.type)
        assert isinstance(result, graphql.GraphQLUnionType), f"{name} returns {result}, not a union"
        out.append((name, result))
    return out


RESULTS = _results()


@pytest.mark.parametrize(("mutation", "union"), RESULTS, ids=[m for m, _ in RESULTS])
def test_every_error_member_implements_user_error(
    mutation: str, union: graphql.GraphQLUnionType
) -> None:
    user_error = SCHEMA.get_type("UserError")
    errors = [t for t in union.types if not t.name.endswith(("Success", "Result"))]
    successes = [t for t in union.types if t not in errors]
    assert len(successes) == 1, f"{union.name} has success types {successes}"
    for member in errors:
        assert user_error in member.interfaces, f"{union.name}: {member.name} is no UserError"


@pytest.mark.parametrize(("mutation", "union"), RESULTS, ids=[m for m, _ in RESULTS])
def test_every_result_holds_the_four_errors(mutation: str, union: graphql.GraphQLUnionType) -> None:
    members = {t.name for t in union.types}
    needed = ONE_ERROR_FOR_ALL.get(mutation, FOUR)
    assert needed <= members, f"{union.name} lacks {sorted(needed - members)}"


def test_the_test_sees_the_mutations_it_guards() -> None:
    names = {m for m, _ in RESULTS}
    assert {"login", "deleteBoard", "claimTask", "retryProcessInstance", "saveTagRule"} <= names
