"""Bulk import over GraphQL: the same importer, problems by line and column."""

from tests.api.conftest import GraphQLClient

IMPORT = """
mutation ($input: ImportRecordsInput!) {
  importRecords(input: $input) {
    __typename
    ... on ImportRecordsSuccess { summary { rows created updated unchanged failed refused
                                           problems { line column reason } } }
  }
}
"""
CSV = (
    "source,external_id,name,phone\n"
    "crm,A1,周杰,13911112222\n"
    "crm,A2,,13911113333\n"
    "crm,A3,林青,not-a-phone\n"
)


async def test_import_reports_bad_rows_and_loads_good_ones(gql: GraphQLClient) -> None:
    # when
    first = await gql.data(IMPORT, input={"kind": "CUSTOMERS", "format": "CSV", "data": CSV})
    again = await gql.data(IMPORT, input={"kind": "CUSTOMERS", "format": "CSV", "data": CSV})
    found = await gql.data(
        '{ customers(filter: {search: "A1"}) { totalCount edges { node { name } } } }'
    )
    # then
    summary = first["importRecords"]["summary"]
    assert (summary["rows"], summary["created"], summary["failed"]) == (3, 1, 2)
    assert [(p["line"], p["column"]) for p in summary["problems"]] == [(3, "name"), (4, "phone")]
    assert again["importRecords"]["summary"]["unchanged"] == 1
    assert again["importRecords"]["summary"]["created"] == 0
    assert found["customers"]["edges"][0]["node"]["name"] == "周杰"


async def test_all_or_nothing_refuses_the_file(gql: GraphQLClient) -> None:
    data = await gql.data(IMPORT, input={"kind": "CUSTOMERS", "format": "CSV", "data": CSV,
                                         "allOrNothing": True})  # fmt: skip
    summary = data["importRecords"]["summary"]
    assert summary["refused"] is True and summary["created"] == 0
    assert (await gql.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 0
