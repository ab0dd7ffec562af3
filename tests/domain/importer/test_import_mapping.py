"""A file from another system: its columns mapped to ours, unknown ones refused once or left out."""

import json
from pathlib import Path

import pytest

from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.importer import (
    ImportKind,
    ImportOptions,
    ProblemCode,
    parse_pairs,
    read_map_file,
)
from domain.loan.models import Loan
from tests.domain.importer.support import JSONL, counts, problems, run, snapshot

K = ImportKind.CUSTOMERS
CRM = "客户编号,姓名,手机号,备注\nK001,张三,13800138000,老客户\nK002,李四,13911112222,\n"
CRM_MAP = [("客户编号", "external_id"), ("姓名", "name"), ("手机号", "phone")]


async def test_an_unknown_column_refuses_the_file_before_any_row(db: str) -> None:
    # given: 2,500 rows, more than two batches, and two columns we do not have
    text = "source,external_id,name,备注,nmae\n" + "".join(
        f"crm,K{i},客户{i},x,y\n" for i in range(2500)
    )
    before = await snapshot()
    # when
    report = await run(K, text)
    # then: one problem, at the header, naming both; nothing written
    assert problems(report) == [
        (1, "备注, nmae", "are not columns of customers imports: map them to a column or "
                         "ignore unknown columns"),
    ]  # fmt: skip
    assert report.problems[0].code == ProblemCode.UNKNOWN_COLUMNS
    assert report.refused and counts(report) == (0, 0, 0, 0, 0)
    assert await snapshot() == before


async def test_unknown_columns_can_be_left_out(db: str) -> None:
    # when
    report = await run(K, "source,external_id,name,备注\ncrm,K1,张三,老客户\n",
                       options=ImportOptions(ignore_unknown_columns=True))  # fmt: skip
    # then
    assert counts(report) == (1, 1, 0, 0, 0) and report.problems == []
    assert report.ignored_columns == ["备注"]
    assert await Customer.all().values_list("name", flat=True) == ["张三"]


async def test_a_column_map_imports_the_other_systems_file_as_it_is(db: str) -> None:
    # given
    options = ImportOptions(source="crm", column_map=CRM_MAP, ignore_unknown_columns=True)
    # when
    report = await run(K, CRM, options=options)
    again = await run(K, CRM, options=options)
    # then: created once, unchanged the second time (the same (source, external_id) keys)
    assert counts(report) == (2, 2, 0, 0, 0) and report.ignored_columns == ["备注"]
    assert counts(again) == (2, 0, 0, 2, 0)
    stored = (
        await Customer.filter(external_refs__source="crm")
        .order_by("id")
        .values_list("name", "phone")
    )
    assert stored == [("张三", "13800138000"), ("李四", "13911112222")]


async def test_problems_name_the_files_own_columns(db: str) -> None:
    # when
    text = "客户编号,姓名,手机号\nK1,张三,12345\n"
    report = await run(K, text, options=ImportOptions(source="crm", column_map=CRM_MAP))
    # then
    assert problems(report) == [
        (2, "手机号", "must be a mainland mobile number or +country number")
    ]


async def test_a_row_keeps_its_own_source_over_the_default(db: str) -> None:
    # when
    text = "source,external_id,name\ncore,C1,甲\n,C2,乙\n"
    await run(K, text, options=ImportOptions(source="crm"))
    # then
    keys = (
        await Customer.all()
        .order_by("id")
        .values_list("external_refs__source", "external_refs__external_id")
    )
    assert keys == [("core", "C1"), ("crm", "C2")]


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("手机号", "phon")], "'手机号=phon': phon is not a column of customers imports"),
        ([("手机", "phone"), ("电话", "phone")], "'手机' and '电话' are both mapped to phone"),
        ([("手机", "phone"), ("手机", "email")], "'手机' is mapped to both phone and email"),
    ],
)
async def test_a_bad_map_is_refused_before_anything_is_read(
    db: str, pairs: list[tuple[str, str]], message: str
) -> None:
    # when
    with pytest.raises(ValidationError) as refused:
        await run(K, CRM, options=ImportOptions(column_map=pairs))
    # then
    assert [p.field for p in refused.value.problems] == ["column_map"]
    assert refused.value.problems[0].message.startswith(message)
    assert await Customer.all().count() == 0


async def test_a_map_may_name_custom_fields_but_only_of_customers(db: str) -> None:
    with pytest.raises(ValidationError, match=r"custom\.x is not a column of loans imports"):
        await run(ImportKind.LOANS, "x\n", options=ImportOptions(column_map=[("职业", "custom.x")]))
    assert await Loan.all().count() == 0


async def test_a_mapped_column_and_ours_side_by_side_refuse_the_header(db: str) -> None:
    # when
    text = "source,external_id,phone,手机号\ncrm,K1,13800138000,13911112222\n"
    report = await run(K, text, options=ImportOptions(column_map=[("手机号", "phone")]))
    # then
    assert problems(report) == [(1, "手机号", "is mapped to phone, which 'phone' already gives")]
    assert report.problems[0].code == ProblemCode.BAD_HEADER and report.refused
    assert await Customer.all().count() == 0


async def test_json_lines_keys_are_judged_before_any_row(db: str) -> None:
    # given: the unknown key appears only on the third line
    text = (
        '{"source": "crm", "客户编号": "K1", "name": "甲"}\n'
        '{"source": "crm", "客户编号": "K2", "name": "乙"}\n'
        '{"source": "crm", "客户编号": "K3", "name": "丙", "备注": "x"}\n'
    )
    mapped = ImportOptions(column_map=[("客户编号", "external_id")])
    # when
    refused = await run(K, text, JSONL, options=mapped)
    loaded = await run(K, text, JSONL, options=ImportOptions(
        column_map=mapped.column_map, ignore_unknown_columns=True))  # fmt: skip
    # then
    assert problems(refused) == [
        (3, "备注", "is not a column of customers imports: map it to a column or ignore "
                   "unknown columns"),
    ]  # fmt: skip
    assert counts(loaded) == (3, 3, 0, 0, 0) and loaded.ignored_columns == ["备注"]


def test_map_specs_are_pairs_and_full_width_punctuation_is_read() -> None:
    assert parse_pairs("手机号=phone，客户编号＝external_id, ") == [
        ("手机号", "phone"),
        ("客户编号", "external_id"),
    ]
    with pytest.raises(ValidationError, match="'手机号' is not SOURCE=COLUMN"):
        parse_pairs("手机号")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("map.csv", "from,to\n手机号,phone\n客户编号,external_id\n"),
        ("map.csv", "手机号,phone\n\n客户编号,external_id,\n"),
        ("map.json", json.dumps({"手机号": "phone", "客户编号": "external_id"})),
        ("map.json", json.dumps([{"from": "手机号", "to": "phone"},
                                 {"from": "客户编号", "to": "external_id"}])),
    ],
)  # fmt: skip
def test_map_files_in_csv_or_json(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("gb18030" if name.endswith(".csv") else "utf-8"))
    assert read_map_file(path) == [("手机号", "phone"), ("客户编号", "external_id")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("map.csv", "手机号\n", "map.csv line 1: needs two columns"),
        ("map.json", '["手机号"]', "map.json must hold an object of column names"),
        ("map.json", "{", "map.json is not valid JSON"),
        ("map.txt", "", "a map file is .csv or .json"),
    ],
)
def test_bad_map_files_are_refused(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        read_map_file(path)
