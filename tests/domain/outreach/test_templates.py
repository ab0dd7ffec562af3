"""Message templates: chosen by purpose, segment and tone; edited safely; no code runs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bpmn import reminders
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import ValidationError
from domain.loan.models import Installment
from domain.outreach import templates
from domain.outreach.models import MessageTemplate, OutboxMessage
from tests import factories
from tests.conftest import TODAY


async def _due_in_three_days(name: str, segment: str | None, rating: str | None) -> Customer:
    owner = await factories.customer(name, phone=f"1360000{abs(hash(name)) % 10000:04d}",
                                     preferred_channel=Channel.SMS, consent_sms=True)  # fmt: skip
    loan = await factories.loan(owner, disbursed_on=TODAY + timedelta(days=3 - 31))
    assert (await Installment.get(loan_id=loan.id, seq=1)).due_date == date(2026, 6, 18)
    await Customer.filter(id=owner.id).update(rfm_segment=segment, risk_rating=rating)
    return owner


async def test_reminders_speak_gently_to_valuable_low_risk_customers(
    shipped_processes: str,
) -> None:
    valued = await _due_in_three_days("贵宾", "CHAMPIONS", "LOW")
    plain = await _due_in_three_days("普通", "CHAMPIONS", "HIGH")
    assert await reminders.run(TODAY) == {"queued": 2, "already_queued": 0}
    bodies = {m.customer_id: m.body for m in await OutboxMessage.all()}  # type: ignore[attr-defined]
    assert bodies[valued.id].startswith("贵宾，您好：温馨提示，您的借款将于 2026-06-18 到期")
    assert bodies[plain.id].startswith("普通，您好：您的借款将于 2026-06-18 到期")
    assert "请确保还款账户余额充足" in bodies[plain.id]


async def test_an_administrators_text_for_a_segment_wins_over_the_built_in_one(
    shipped_processes: str,
) -> None:
    loyal = await _due_in_three_days("忠诚", "LOYAL", "MEDIUM")
    other = await _due_in_three_days("其他", "NEW_CUSTOMERS", "MEDIUM")
    row = await templates.save(
        "reminder.pre_due", "LOYAL", None,
        "{{ name }}，老朋友您好：{{ due_date }} 应还 {{ amount_due }} 元"
        "{% if days_before <= 3 %}，就快到了{% endif %}。",
        by="admin",
    )  # fmt: skip
    assert (row.key, row.segment, row.tone, row.version) == ("reminder.pre_due", "LOYAL", "", 1)
    await reminders.run(TODAY)
    bodies = {m.customer_id: m.body for m in await OutboxMessage.all()}  # type: ignore[attr-defined]
    due = (await Installment.get(loan__customer_id=loyal.id, seq=1)).principal_due
    amount = due + (await Installment.get(loan__customer_id=loyal.id, seq=1)).interest_due
    assert bodies[loyal.id] == f"忠诚，老朋友您好：2026-06-18 应还 {amount:,.2f} 元，就快到了。"
    assert bodies[other.id].startswith("其他，您好：您的借款将于")
    again = await templates.save("reminder.pre_due", "LOYAL", None, "{{ name }}", by="admin2")
    assert (again.id, again.version, again.updated_by) == (row.id, 2, "admin2")
    assert await MessageTemplate.all().count() == 1


def test_the_most_specific_variant_is_chosen() -> None:
    library = templates.Library({
        ("k.x", None, None): "any", ("k.x", None, "gentle"): "gentle",
        ("k.x", "LOYAL", None): "loyal", ("k.x", "LOYAL", "gentle"): "loyal gentle",
    })  # fmt: skip
    assert library.choose("k.x", "LOYAL", "gentle") == "loyal gentle"
    assert library.choose("k.x", "LOYAL", "standard") == "loyal"
    assert library.choose("k.x", "CHAMPIONS", "gentle") == "gentle"
    assert library.choose("k.x", None, None) == "any"
    with pytest.raises(ValidationError, match=r"no template .k\.y."):
        library.choose("k.y")


def test_money_and_dates_are_written_for_people() -> None:
    library = templates.Library(dict(templates.BUILT_IN))
    text = library.render("collection.standard", {"name": "王芳", "days_past_due": 12,
                                                  "amount_due": Decimal("12345.6")})  # fmt: skip
    assert (
        text
        == "王芳，您好：您的借款已逾期 12 天，应还 12,345.60 元。请尽快还款，以免影响您的信用记录。"
    )
    with pytest.raises(
        ValidationError, match=r"collection\.standard: .days_past_due. is undefined"
    ):
        library.render("collection.standard", {"name": "王芳", "amount_due": Decimal("1")})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{ name.__class__.__mro__ }}", "Getattr is not allowed"),
        ("{{ name['__class__'] }}", "Getitem is not allowed"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
         "For is not allowed"),
        ("{{ lipsum() }}", "Call is not allowed"),
        ("{{ cycler.__init__.__globals__ }}", "Getattr is not allowed"),
        ("{% set x = 1 %}{{ x }}", "Assign is not allowed"),
        ("{{ name|attr('upper') }}", "filter 'attr' is not allowed"),
        ("{% include 'secrets.txt' %}", "Include is not allowed"),
        ("{{ salary }}", "unknown field(s) salary"),
        ("{{ link }}", "unknown field(s) link; this message has name, amount_due, due_date, "
                       "days_before"),
        ("hello {{ name", "line 1: unexpected end of template"),
        ("x" * 2001, "is 2001 characters, at most 2000"),
    ],
)  # fmt: skip
def test_templates_that_are_more_than_text_are_refused(body: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        templates.check("reminder.pre_due", None, None, body)
    assert any(reason in p.message for p in caught.value.problems), caught.value.problems


def test_keys_segments_and_tones_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        templates.check("Reminder", "GOLD", "stern", "{{ name }}")
    assert {p.field for p in caught.value.problems} == {"key", "segment", "tone"}


async def test_a_row_written_around_the_checks_still_runs_no_code(db: str) -> None:
    await MessageTemplate.create(key="care.birthday", body="{{ name.__class__.__base__ }}",
                                 updated_by="intruder")  # fmt: skip
    library = await templates.load()
    with pytest.raises(ValidationError, match=r"care\.birthday is refused"):
        library.render("care.birthday", {"name": "王芳"})
