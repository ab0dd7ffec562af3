"""Bulk import over GraphQL: the same importer, problems by line and column, files of other
systems (a column map, unknown columns, GB18030 or .xlsx bytes in base64)."""

import base64
import io
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]

from domain.customer.models import Customer
from tests.api.conftest import GraphQLClient

IMPORT = """
mutation ($input: ImportRecordsInput!) {
  importRecords(input: $input) {
    __typename
    ... on ImportRecordsSuccess { summary { rows created updated unchanged failed refused
                                           encoding ignoredColumns
                                           problems { line column reason code } } }
    ... on ValidationError { fields { field message } }
  }
}
"""
CSV = (
    "source,external_id,name,phone\n"
    "crm,A1,周杰,13911112222\n"
    "crm,A2,,13911113333\n"
    "crm,A3,林青,not-a-phone\n"
)
# another system's export: its own column names, a column we do not have, full-width digits
OTHER = "客户编号,姓名,手机号,备注\nK001,张三,１３８－００１３－８０００,老客户\nK002,李四,+86 13911112222,\n"
OTHER_MAP = [{"from": "客户编号", "to": "external_id"}, {"from": "姓名", "to": "name"},
             {"from": "手机号", "to": "phone"}]  # fmt: skip


async def imported(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql.data(IMPORT, input={"kind": "CUSTOMERS", **fields}))[
        "importRecords"
    ]
    return result


async def phones() -> list[tuple[str, str | None]]:
    rows = await Customer.all().order_by("id").values_list("name", "phone")
    return [(str(name), phone) for name, phone in rows]


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
    assert [(p["line"], p["column"], p["code"]) for p in summary["problems"]] == [
        (3, "name", "INVALID_VALUE"),
        (4, "phone", "INVALID_VALUE"),
    ]
    assert summary["encoding"] is None and summary["ignoredColumns"] == []
    assert again["importRecords"]["summary"]["unchanged"] == 1
    assert again["importRecords"]["summary"]["created"] == 0
    assert found["customers"]["edges"][0]["node"]["name"] == "周杰"


async def test_all_or_nothing_refuses_the_file(gql: GraphQLClient) -> None:
    data = await gql.data(IMPORT, input={"kind": "CUSTOMERS", "format": "CSV", "data": CSV,
                                         "allOrNothing": True})  # fmt: skip
    summary = data["importRecords"]["summary"]
    assert summary["refused"] is True and summary["created"] == 0
    assert (await gql.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 0


async def test_another_systems_file_imports_with_a_map_and_no_edits(gql: GraphQLClient) -> None:
    # when
    result = await imported(gql, format="CSV", data=OTHER, source="crm", columnMap=OTHER_MAP,
                            ignoreUnknownColumns=True)  # fmt: skip
    # then
    summary = result["summary"]
    assert (summary["created"], summary["failed"], summary["ignoredColumns"]) == (2, 0, ["备注"])
    assert await phones() == [("张三", "13800138000"), ("李四", "13911112222")]


async def test_an_unknown_column_is_one_problem_at_the_header(gql: GraphQLClient) -> None:
    # when
    result = await imported(gql, format="CSV", data=OTHER, source="crm", columnMap=OTHER_MAP)
    # then
    assert result["summary"]["refused"] is True
    assert result["summary"]["problems"] == [{
        "line": 1, "column": "备注", "code": "UNKNOWN_COLUMNS",
        "reason": "is not a column of customers imports: map it to a column or ignore unknown "
                  "columns",
    }]  # fmt: skip
    assert await Customer.all().count() == 0


async def test_a_map_to_a_column_we_do_not_have_is_refused(gql: GraphQLClient) -> None:
    # when
    result = await imported(gql, format="CSV", data=OTHER,
                            columnMap=[{"from": "手机号", "to": "mobile"}])  # fmt: skip
    # then
    assert result["__typename"] == "ValidationError"
    assert [f["field"] for f in result["fields"]] == ["columnMap"]
    assert result["fields"][0]["message"].startswith(
        "'手机号=mobile': mobile is not a column of customers imports"
    )


async def test_gb18030_bytes_are_detected_and_said(gql: GraphQLClient) -> None:
    # given
    data = base64.b64encode(OTHER.encode("gb18030")).decode()
    # when
    result = await imported(gql, format="CSV", dataBase64=data, source="crm",
                            columnMap=OTHER_MAP, ignoreUnknownColumns=True)  # fmt: skip
    # then
    assert result["summary"]["encoding"] == "gb18030"
    assert await phones() == [("张三", "13800138000"), ("李四", "13911112222")]


async def test_an_xlsx_sheet_imports_like_the_csv(gql: GraphQLClient) -> None:
    # given: the rows of OTHER in a workbook, the phone as a number cell
    book = Workbook()
    sheet = book.active
    for row in (["客户编号", "姓名", "手机号"], ["K001", "张三", 13800138000.0],
                ["K002", "李四", "+86 13911112222"]):  # fmt: skip
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    await imported(gql, format="CSV", data=OTHER, source="crm", columnMap=OTHER_MAP,
                   ignoreUnknownColumns=True)  # fmt: skip
    # when
    result = await imported(gql, format="XLSX", source="crm", columnMap=OTHER_MAP,
                            dataBase64=base64.b64encode(content.getvalue()).decode())  # fmt: skip
    # then: the same customers, nothing to change
    summary = result["summary"]
    assert (summary["rows"], summary["unchanged"], summary["failed"]) == (2, 2, 0)
    assert await phones() == [("张三", "13800138000"), ("李四", "13911112222")]


async def test_a_declared_date_format(gql: GraphQLClient) -> None:
    text = "source,external_id,name,birth_date\ncrm,K1,张三,05/03/1990\n"
    result = await imported(gql, format="CSV", data=text, dateFormat="%d/%m/%Y")
    assert result["summary"]["created"] == 1
    assert str((await Customer.get(name="张三")).birth_date) == "1990-03-05"


async def test_the_file_comes_one_way_only(gql: GraphQLClient) -> None:
    # when
    both = await imported(gql, format="CSV", data=CSV, dataBase64="")
    neither = await imported(gql, format="CSV")
    xlsx_as_text = await imported(gql, format="XLSX", data=CSV, encoding="gb18030")
    not_base64 = await imported(gql, format="CSV", dataBase64="%%%")
    not_ascii = await imported(gql, format="CSV", dataBase64="\u0080")
    # then
    assert [f["field"] for f in both["fields"]] == ["data"]
    assert [f["field"] for f in neither["fields"]] == ["data"]
    assert [f["field"] for f in xlsx_as_text["fields"]] == ["data", "encoding"]
    assert [f["field"] for f in not_base64["fields"]] == ["dataBase64"]
    assert [f["field"] for f in not_ascii["fields"]] == ["dataBase64"]
    assert await Customer.all().count() == 0
