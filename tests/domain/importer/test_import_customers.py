"""Importing customers: create, re-run, update, bad rows, all-or-nothing, custom fields."""

import io
from decimal import Decimal

import pytest

from domain.customer import service
from domain.customer.models import Customer, CustomerExternalRef
from domain.customfield import service as custom_fields
from domain.customfield.models import CustomFieldValue, FieldType
from domain.enums import Channel
from domain.importer import ImportKind, ProblemCode, import_stream
from domain.user.models import User
from tests.domain.importer.support import CSV, CUSTOMERS_CSV, JSONL, counts, problems, run, snapshot

K = ImportKind.CUSTOMERS
VALID_ID = "11010519491231002X"


async def test_import_creates_customers_with_their_references(db: str) -> None:
    # when
    report = await run(K, CUSTOMERS_CSV)
    # then
    assert counts(report) == (2, 2, 0, 0, 0)
    assert not report.refused and report.problems == []
    ref = await CustomerExternalRef.get(source="core", external_id="C1").prefetch_related(
        "customer"
    )
    assert ref.customer.name == "张三"
    assert ref.customer.monthly_income == Decimal("8000.00")
    assert ref.customer.consent_phone is True  # no column: the model default
    assert await Customer.all().count() == 2


async def test_rerun_changes_nothing(db: str) -> None:
    # given
    await run(K, CUSTOMERS_CSV)
    before = await snapshot()
    # when
    report = await run(K, CUSTOMERS_CSV)
    # then
    assert counts(report) == (2, 0, 0, 2, 0)
    assert await snapshot() == before


async def test_changed_row_updates_only_that_customer(db: str) -> None:
    # given
    await run(K, CUSTOMERS_CSV)
    untouched = await Customer.get(external_refs__external_id="C2")
    changed_csv = CUSTOMERS_CSV.replace("张三,13800000001,8000", "张三丰,138-0000-0009,9000.5")
    # when
    report = await run(K, changed_csv)
    # then
    assert counts(report) == (2, 0, 1, 1, 0)
    first = await Customer.get(external_refs__external_id="C1")
    assert (first.name, first.phone, first.monthly_income) == (
        "张三丰", "13800000009", Decimal("9000.50"),
    )  # fmt: skip
    assert (await Customer.get(id=untouched.id)).updated_at == untouched.updated_at


async def test_bad_rows_are_reported_and_good_rows_load(db: str) -> None:
    # given
    text = (
        "source,external_id,name,phone,email,preferred_channel\n"
        "core,C1,好人,13800000001,a@b.cn,SMS\n"
        "core,C2,,12345,nope,FAX\n"
        "core,,无号,,,\n"
        "core,C4,too,many,values,here,x\n"
        "core,C5,好人二,,,EMAIL\n"
    )
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (5, 2, 0, 0, 3)
    assert problems(report) == [
        (3, "name", "is required"),
        (3, "phone", "must be a mainland mobile number or +country number"),
        (3, "email", "'nope' is not an email address"),
        (3, "preferred_channel", "'FAX' is not one of SMS, APP_PUSH, EMAIL, PHONE"),
        (4, "external_id", "is required"),
        (5, "", "has 7 values but the header has 6 columns"),
    ]
    names = await Customer.all().order_by("id").values_list("name", "preferred_channel")
    assert names == [("好人", Channel.SMS), ("好人二", Channel.EMAIL)]


async def test_unknown_column_refuses_the_file_once_at_its_header(db: str) -> None:
    # when
    report = await run(K, "source,external_id,name,nmae\ncore,C1,甲,x\ncore,C2,乙,y\n")
    # then
    assert problems(report) == [
        (
            1,
            "nmae",
            "is not a column of customers imports: map it to a column or ignore unknown columns",
        ),
    ]
    assert report.problems[0].code == ProblemCode.UNKNOWN_COLUMNS
    assert report.refused and counts(report) == (0, 0, 0, 0, 0)
    assert await Customer.all().count() == 0


async def test_all_or_nothing_refuses_a_file_with_one_bad_row(db: str) -> None:
    # given
    text = CUSTOMERS_CSV + "core,C3,,13800000003,\n"
    # when
    report = await run(K, text, all_or_nothing=True)
    # then
    assert report.refused
    assert counts(report) == (3, 0, 0, 0, 1)
    assert problems(report) == [(4, "name", "is required")]
    assert await Customer.all().count() == 0
    assert await CustomerExternalRef.all().count() == 0


async def test_all_or_nothing_writes_a_clean_file(db: str) -> None:
    # when
    report = await run(K, CUSTOMERS_CSV, all_or_nothing=True, batch_size=1)
    # then
    assert not report.refused
    assert counts(report) == (2, 2, 0, 0, 0)
    assert await Customer.all().count() == 2


async def test_custom_fields_and_account_manager(db: str) -> None:
    # given
    await User.create(username="wang")
    await User.create(username="gone", is_active=False)
    await custom_fields.define(
        name="occupation", field_type=FieldType.CHOICE, allowed_values=["teacher", "farmer"]
    )
    await custom_fields.define(name="children", field_type=FieldType.INTEGER)
    text = (
        "source,external_id,name,id_number,account_manager,custom.occupation,custom.children\n"
        f"core,C1,甲,{VALID_ID},wang,teacher,2\n"
        "core,C2,乙,,gone,pilot,1.5\n"
        "core,C3,丙,110105194912310021,nobody,,\n"
    )
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (3, 1, 0, 0, 2)
    assert problems(report) == [
        (3, "custom.occupation", "'pilot' is not one of teacher, farmer"),
        (3, "custom.children", "'1.5' is not a whole number"),
        (3, "account_manager", "user 'gone' is not active"),
        (4, "id_number", "is not a valid 18-character resident ID"),
        (4, "account_manager", "no user 'nobody'"),
    ]
    customer = await Customer.get(external_refs__external_id="C1")
    assert customer.account_manager_id == (await User.get(username="wang")).id  # type: ignore[attr-defined]
    stored = await CustomFieldValue.filter(customer_id=customer.id).order_by("field__name")
    assert [(v.value_text, v.value_number) for v in stored] == [
        ("2", Decimal(2)),
        ("teacher", None),
    ]
    # when the same file comes again, and then with a changed and a cleared custom value
    again = await run(K, text)
    changed = await run(K, text.replace("teacher,2", "farmer,"))
    # then
    assert (again.unchanged, again.updated) == (1, 0)
    assert (changed.unchanged, changed.updated) == (0, 1)
    stored = await CustomFieldValue.filter(customer_id=customer.id)
    assert [v.value_text for v in stored] == ["farmer"]


async def test_a_manager_who_left_since_does_not_fail_a_rerun(db: str) -> None:
    # given
    wang = await User.create(username="wang")
    text = "source,external_id,name,account_manager\ncore,C1,甲,wang\ncore,C2,乙,\n"
    await run(K, text)
    wang.is_active = False
    await wang.save()
    # when
    again = await run(K, text)
    moved = await run(K, text.replace("乙,", "乙,wang"))
    # then
    assert counts(again) == (2, 0, 0, 2, 0)
    assert problems(moved) == [(3, "account_manager", "user 'wang' is not active")]


async def test_jsonl_update_is_partial_and_keeps_other_attributes(db: str) -> None:
    # given
    await run(K, CUSTOMERS_CSV)
    # when
    text = (
        '{"source": "core", "external_id": "C1", "branch": "BJ01"}\n'
        '{"source": "core", "external_id": "C2", "name": "李四", "email": "LS@Example.cn"}\n'
    )
    report = await run(K, text, JSONL)
    # then
    assert counts(report) == (2, 0, 2, 0, 0)
    first = await Customer.get(external_refs__external_id="C1")
    assert (first.name, first.phone, first.branch) == ("张三", "13800000001", "BJ01")
    second = await Customer.get(external_refs__external_id="C2")
    assert (second.name, second.email, second.branch) == ("李四", "ls@example.cn", None)


async def test_a_key_repeated_in_the_file_applies_in_order(db: str) -> None:
    # given
    text = CUSTOMERS_CSV + "core,C1,张三二,13800000001,8000\n"
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (3, 2, 1, 0, 0)
    assert await Customer.all().count() == 2
    assert (await Customer.get(external_refs__external_id="C1")).name == "张三二"


async def test_ids_stay_usable_for_later_creates(db: str) -> None:
    # given
    await run(K, CUSTOMERS_CSV, batch_size=1)
    imported = set(await Customer.all().values_list("id", flat=True))
    # when
    created = await service.create(data={"name": "later"})
    # then the sequence moved past the ids the import chose
    assert len(imported) == 2
    assert created.id > max(imported)  # type: ignore[type-var]


async def test_progress_is_told_after_each_batch(db: str) -> None:
    # given
    seen: list[int] = []
    text = "source,external_id,name\n" + "".join(f"core,C{i},n{i}\n" for i in range(5))
    # when
    await run(K, text, batch_size=2, progress=seen.append)
    # then
    assert seen == [2, 4, 5]


class CrashingStream(io.StringIO):
    """A file whose reading fails after some lines, like a process killed mid-import."""

    def __init__(self, text: str, fail_after: int) -> None:
        super().__init__(text)
        self.left = fail_after

    def __next__(self) -> str:  # type: ignore[override]
        if self.left == 0:
            raise ConnectionResetError("gone")
        self.left -= 1
        return super().__next__()


async def test_a_crash_leaves_whole_batches_and_a_rerun_finishes(db: str) -> None:
    # given: 7 rows in batches of 3; reading fails on the 6th data row
    text = "source,external_id,name\n" + "".join(f"core,C{i},n{i}\n" for i in range(7))
    # when
    with pytest.raises(ConnectionResetError):
        await import_stream(K, CrashingStream(text, fail_after=6), CSV, batch_size=3)
    # then
    assert await Customer.all().count() == 3
    # when
    report = await run(K, text, batch_size=3)
    # then
    assert counts(report) == (7, 4, 0, 3, 0)
    assert await Customer.all().count() == 7
