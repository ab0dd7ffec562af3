"""Administrators' tag rules: checked when saved, applied by the daily run, explained."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bpmn import daily, tag_rules
from bpmn.deployments import deploy_bundled
from domain.customer.models import Customer, CustomerTag, Tag
from domain.errors import ConflictError, ValidationError
from domain.loan.models import Installment
from domain.profile import tag_rules as rules
from domain.profile.models import ProfileChange
from tests import factories
from tests.conftest import TODAY

RELIABLE = "max_dpd == 0 and paid_on_time >= 4 and risk_rating in ('LOW', 'MEDIUM')"


async def _save(name: str, condition: str, enabled: bool = True) -> None:
    await rules.save(name, "", condition, enabled, by="admin", check=tag_rules.check)


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("salary > 10000", "unknown name(s) salary"),
        ("rfm_segment > 3", "does not evaluate on a sample customer"),
        ("outstanding", "must be true or false"),
        ("__import__('os').system('id')", "not allowed"),
        ("branch.__class__", "not allowed"),
        ("max_dpd ==", "syntax"),
    ],
)
def test_conditions_that_are_not_rules_are_refused(condition: str, reason: str) -> None:
    problem = tag_rules.check(condition)
    assert problem is not None and reason in problem, problem


async def test_names_are_checked_and_nobody_elses_tag_is_taken(db: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await _save("HABITUAL_LATE", "max_dpd > 0")
    assert caught.value.problems[0].message == "HABITUAL_LATE is a built-in tag"
    with pytest.raises(ValidationError, match="condition: unknown name"):
        await _save("GOOD", "income > 1")
    await Tag.create(name="STRATEGIC", description="set by managers")
    with pytest.raises(ConflictError, match="set by hand"):
        await _save("STRATEGIC", "max_dpd == 0")


async def test_the_daily_run_tags_holders_explains_and_removes_when_disabled(db: str) -> None:
    await deploy_bundled()
    good = await factories.customer("守信", phone="13100000001")
    loan = await factories.loan(good)
    for row in await Installment.filter(loan_id=loan.id, due_date__lt=TODAY):
        row.paid_on = row.due_date - timedelta(days=1)
        await row.save()
    late = await factories.customer("拖欠", phone="13100000002")
    await factories.loan(late)  # nothing paid: past due
    await _save("RELIABLE", RELIABLE)

    report = await daily.run(TODAY)
    assert report.done, report.failed
    assert report.steps["profiles"]["tag_rules"] == {"rules": 1, "tag_changes": 1}
    [holder] = await CustomerTag.filter(tag__name="RELIABLE")
    assert holder.customer_id == good.id  # type: ignore[attr-defined]
    rating = (await Customer.get(id=good.id)).risk_rating
    assert holder.explanation == (
        f"rule RELIABLE v1: {RELIABLE} (max_dpd=0, paid_on_time=4, risk_rating={rating})"
    )
    [change] = await ProfileChange.filter(label="tag", new="RELIABLE")
    assert change.customer_id == good.id  # type: ignore[attr-defined]

    await _save("RELIABLE", RELIABLE, enabled=False)
    assert await tag_rules.apply(TODAY) == {"rules": 1, "tag_changes": 1}
    assert not await CustomerTag.filter(tag__name="RELIABLE").exists()
    assert await ProfileChange.filter(label="tag", old="RELIABLE").count() == 1


async def test_a_rule_may_read_other_tags(db: str) -> None:
    owner = await factories.customer("标签", phone="13100000003")
    tag = await Tag.create(name="VIP", description="")
    await CustomerTag.create(customer_id=owner.id, tag_id=tag.id, explanation="by hand")
    await _save("VIP_WITHOUT_LOAN", "'VIP' in tags and active_loans == 0")
    assert (await tag_rules.apply(TODAY))["tag_changes"] == 1
    assert await CustomerTag.filter(customer_id=owner.id, tag__name="VIP_WITHOUT_LOAN").exists()
