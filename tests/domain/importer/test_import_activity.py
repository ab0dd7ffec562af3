"""Importing interactions, credit reports and campaign responses."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.campaign.models import Campaign, CampaignResponse
from domain.credit.models import CreditReport
from domain.enums import Channel
from domain.importer import ImportKind
from domain.interaction.models import Interaction, Outcome
from domain.user.models import User
from tests.domain.importer.support import JSONL, counts, problems, run, snapshot

INTERACTIONS_CSV = (
    "source,external_id,customer_external_id,loan_external_id,agent,channel,direction,type,"
    "outcome,promise_amount,promise_date,occurred_at,text\n"
    "core,I1,C1,L1,wang,PHONE,OUTBOUND,CALL,PROMISE_TO_PAY,408.03,2026-06-20,2026-06-10T08:00:00Z,will pay\n"
    "core,I2,C2,,,app,inbound,self_service,,,,2026-06-11T08:00:00Z,\n"
)


async def test_interactions_import_and_rerun(loans: Any, staff: list[User]) -> None:
    # when
    report = await run(ImportKind.INTERACTIONS, INTERACTIONS_CSV)
    before = await snapshot()
    again = await run(ImportKind.INTERACTIONS, INTERACTIONS_CSV)
    # then
    assert counts(report) == (2, 2, 0, 0, 0)
    assert counts(again) == (2, 0, 0, 2, 0)
    assert await snapshot() == before
    first = await Interaction.get(external_id="I1").prefetch_related("loan", "agent", "customer")
    assert (first.loan.external_id, first.agent.username, first.customer.name) == (  # type: ignore[union-attr]
        "L1", "wang", "张三",
    )  # fmt: skip
    assert (first.promise_amount, first.promise_date) == (Decimal("408.03"), date(2026, 6, 20))
    assert first.occurred_at == datetime(2026, 6, 10, 8, tzinfo=UTC)


async def test_changed_interaction_updates(loans: Any, staff: list[User]) -> None:
    # given
    await run(ImportKind.INTERACTIONS, INTERACTIONS_CSV)
    text = INTERACTIONS_CSV.replace("self_service,,", "self_service,RESOLVED,")
    # when
    report = await run(ImportKind.INTERACTIONS, text)
    # then
    assert counts(report) == (2, 0, 1, 1, 0)
    assert (await Interaction.get(external_id="I2")).outcome == Outcome.RESOLVED


async def test_bad_interactions_are_reported(loans: Any, staff: list[User]) -> None:
    # given
    text = (
        "source,external_id,customer_external_id,loan_external_id,agent,channel,direction,type,"
        "outcome,promise_amount,promise_date,occurred_at\n"
        "core,I1,C2,L1,nobody,PHONE,OUTBOUND,CALL,PROMISE_TO_PAY,,2026-06-01,2026-06-10T08:00:00Z\n"
        "core,I2,C2,,,FAX,SIDEWAYS,CALL,RESOLVED,5.00,,\n"
    )
    # when
    report = await run(ImportKind.INTERACTIONS, text)
    # then
    assert counts(report) == (2, 0, 0, 0, 2)
    assert problems(report) == [
        (2, "promise_amount", "a promise to pay needs an amount"),
        (2, "promise_date", "must not be before the day of the interaction"),
        (2, "agent", "no user 'nobody'"),
        (2, "loan_external_id", "is not a loan of this customer"),
        (3, "channel", "'FAX' is not one of PHONE, SMS, EMAIL, APP_PUSH, APP, WEB, BRANCH"),
        (3, "direction", "'SIDEWAYS' is not one of INBOUND, OUTBOUND"),
        (3, "occurred_at", "is required"),
        (3, "promise_amount", "only a PROMISE_TO_PAY outcome carries a promised amount and date"),
    ]


CREDIT_JSONL = (
    '{"source": "efx", "external_id": "R1", "customer_external_id": "C1", "customer_source": "core",'
    ' "bureau": "PBOC", "score": 712, "pulled_at": "2026-05-01T00:00:00Z", "total_debt": 15000.5,'
    ' "open_accounts": 3}\n'
)


async def test_credit_reports_import_rerun_and_update(customers: Any) -> None:
    # when
    report = await run(ImportKind.CREDIT_REPORTS, CREDIT_JSONL, JSONL)
    again = await run(ImportKind.CREDIT_REPORTS, CREDIT_JSONL, JSONL)
    changed = await run(ImportKind.CREDIT_REPORTS, CREDIT_JSONL.replace("712", "705"), JSONL)
    # then
    assert [counts(r) for r in (report, again, changed)] == [
        (1, 1, 0, 0, 0), (1, 0, 0, 1, 0), (1, 0, 1, 0, 0),
    ]  # fmt: skip
    stored = await CreditReport.get(source="efx", external_id="R1")
    assert (stored.score, stored.total_debt, stored.open_accounts, stored.inquiries) == (
        705, Decimal("15000.50"), 3, 0,
    )  # fmt: skip


async def test_bad_credit_reports_are_reported(customers: Any) -> None:
    # given
    text = (
        "source,external_id,customer_external_id,bureau,score,pulled_at,delinquencies\n"
        "core,R1,C1,PBOC,1000,2026-05-01,-1\n"
        "core,R2,C1,PBOC,650,2026-05-01,2\n"
    )
    # when
    report = await run(ImportKind.CREDIT_REPORTS, text)
    # then
    assert counts(report) == (2, 1, 0, 0, 1)
    assert problems(report) == [
        (2, "score", "must be between 300 and 999"),
        (2, "delinquencies", "must be between 0 and 100000"),
    ]


CAMPAIGN_CSV = (
    "source,external_id,customer_external_id,campaign_code,campaign_name,channel,sent_at,"
    "opened_at,clicked_at,converted_at\n"
    "mkt,X1,C1,NOPE,,,2026-03-01T00:00:00Z,,,\n"
    "mkt,X2,C1,SPRING,Spring offer,SMS,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,,\n"
    "mkt,X3,C2,SPRING,,,2026-03-02T00:00:00Z,,,\n"
)


async def test_campaign_responses_create_the_campaign_for_later_rows(customers: Any) -> None:
    # when
    text = CAMPAIGN_CSV.replace("mkt,X", "core,X")
    report = await run(ImportKind.CAMPAIGN_RESPONSES, text, batch_size=1)
    again = await run(ImportKind.CAMPAIGN_RESPONSES, text)
    # then
    assert counts(report) == (3, 2, 0, 0, 1)
    assert problems(report) == [
        (2, "campaign_code", "no campaign 'NOPE' (give campaign_name and channel to create it)")
    ]
    campaign = await Campaign.get(code="SPRING")
    assert (campaign.name, campaign.channel, campaign.starts_on) == (
        "Spring offer", Channel.SMS, date(2026, 3, 1),
    )  # fmt: skip
    assert await CampaignResponse.filter(campaign=campaign).count() == 2
    assert counts(again) == (3, 0, 0, 2, 1)


async def test_campaign_stages_are_checked(customers: Any) -> None:
    # given
    text = (
        "source,external_id,customer_external_id,customer_source,campaign_code,campaign_name,"
        "channel,sent_at,opened_at,clicked_at,converted_at\n"
        "mkt,X1,C1,core,SPRING,Spring,SMS,2026-03-02T00:00:00Z,2026-03-01T00:00:00Z,,\n"
        "mkt,X2,C2,core,SPRING,Spring,SMS,2026-03-02T00:00:00Z,,2026-03-03T00:00:00Z,\n"
        "mkt,X3,C2,core,SPRING,Spring,SMS,2026-03-02T00:00:00Z,,,\n"
        "mkt,X4,C2,core,SPRING,,,2026-03-02T00:00:00Z,,,\n"
    )
    # when
    report = await run(ImportKind.CAMPAIGN_RESPONSES, text)
    # then
    assert counts(report) == (4, 1, 0, 0, 3)
    assert problems(report) == [
        (2, "opened_at", "must not be before sent_at"),
        (3, "clicked_at", "needs opened_at"),
        (5, "customer_external_id",
         "already has a response to campaign 'SPRING' (external_id 'X3', source 'mkt')"),
    ]  # fmt: skip


async def test_all_or_nothing_sees_a_campaign_defined_earlier_in_the_file(customers: Any) -> None:
    # given
    clean = CAMPAIGN_CSV.replace("mkt,X1,C1,NOPE,,,2026-03-01T00:00:00Z,,,\n", "")
    clean = clean.replace("mkt,X", "core,X")
    bad = clean + "core,X4,C404,SPRING,,,2026-03-02T00:00:00Z,,,\n"
    # when
    refused = await run(ImportKind.CAMPAIGN_RESPONSES, bad, all_or_nothing=True)
    # then: the campaign created on the way is rolled back too
    assert refused.refused
    assert problems(refused) == [(4, "customer_external_id", "no customer 'C404' (source 'core')")]
    assert await Campaign.all().count() == 0
    # when
    accepted = await run(ImportKind.CAMPAIGN_RESPONSES, clean, all_or_nothing=True)
    # then
    assert not accepted.refused
    assert counts(accepted) == (2, 2, 0, 0, 0)
    assert await Campaign.all().count() == 1


async def test_changed_campaign_response_updates(customers: Any) -> None:
    # given
    text = CAMPAIGN_CSV.replace("mkt,X", "core,X")
    await run(ImportKind.CAMPAIGN_RESPONSES, text)
    # when
    report = await run(
        ImportKind.CAMPAIGN_RESPONSES,
        text.replace("2026-03-02T00:00:00Z,,,", "2026-03-02T00:00:00Z,2026-03-02T08:00:00Z,,"),
    )
    # then
    assert counts(report) == (3, 0, 1, 1, 1)
    response = await CampaignResponse.get(external_id="X3")
    assert response.opened_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
