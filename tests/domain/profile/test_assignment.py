"""Valuable customers without a manager get the least loaded one of their branch, once."""

from __future__ import annotations

from domain.customer.models import Customer, CustomerTag, Tag
from domain.profile import assignment
from domain.profile.models import ProfileChange
from tests import factories
from tests.conftest import TODAY


async def test_valuable_customers_get_the_least_loaded_manager_of_their_branch(db: str) -> None:
    busy = await factories.user("am_busy", ["account_manager"], branch="SH")
    free = await factories.user("am_free", ["account_manager"], branch="SH")
    elsewhere = await factories.user("am_bj", ["account_manager"], branch="BJ")
    for n in range(3):
        await factories.customer(f"老客{n}", phone=f"1330000000{n}", account_manager_id=busy.id)
    champion = await factories.customer("冠军", phone="13300001000", branch="SH")
    strategic = await factories.customer("战略", phone="13300001001", branch="SH")
    ordinary = await factories.customer("普通", phone="13300001002", branch="SH")
    await Customer.filter(id=champion.id).update(rfm_segment="CHAMPIONS")
    await Customer.filter(id=ordinary.id).update(rfm_segment="HIBERNATING")
    tag = await Tag.create(name="STRATEGIC")
    await CustomerTag.create(customer_id=strategic.id, tag_id=tag.id, explanation="key account")

    assert await assignment.assign(TODAY) == {"assigned": 2}
    managers = dict(await Customer.filter(id__in=[champion.id, strategic.id, ordinary.id])
                    .values_list("id", "account_manager_id"))  # fmt: skip
    assert managers == {champion.id: free.id, strategic.id: free.id, ordinary.id: None}
    change = await ProfileChange.get(customer_id=champion.id, label="account_manager")
    assert change.new == "am_free"
    assert change.explanation == {"rule": "valuable (CHAMPIONS) without an account manager",
                                  "inputs": {"branch": "SH", "manager_load": 0}}  # fmt: skip
    assert await assignment.assign(TODAY) == {"assigned": 0}  # nothing twice
    assert elsewhere.id
