"""Templates, tag rules and campaigns over GraphQL: who may change them, who sees which figures."""

from domain.campaign.models import CampaignResponse
from domain.customer.models import Customer
from domain.outreach import service as outbox
from domain.outreach.models import OutboxMessage
from domain.profile import segments
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash
from tests.conftest import TODAY

SAVE_TEMPLATE = """mutation ($key: String!, $body: String!, $segment: String, $tone: String) {
  saveMessageTemplate(input: {key: $key, body: $body, segment: $segment, tone: $tone}) {
    __typename ... on SaveMessageTemplateSuccess { template { key segment tone version preview } }
    ... on ValidationError { fields { field message } } } }"""
TEMPLATES = "{ messageTemplates { key segment tone builtIn body } templateFields { name } }"


async def test_administrators_edit_templates_and_others_may_not(gql: GraphQLClient) -> None:
    saved = (await gql.data(SAVE_TEMPLATE, key="care.birthday", body="{{ name }}，生日快乐！",
                            tone="gentle"))["saveMessageTemplate"]  # fmt: skip
    assert saved["__typename"] == "SaveMessageTemplateSuccess"
    assert saved["template"] == {"key": "care.birthday", "segment": None, "tone": "gentle",
                                 "version": 1, "preview": "张伟，生日快乐！"}  # fmt: skip
    bad = (await gql.data(SAVE_TEMPLATE, key="care.birthday",
                          body="{{ name.__class__ }}"))["saveMessageTemplate"]  # fmt: skip
    assert bad["__typename"] == "ValidationError"
    assert bad["fields"] == [{"field": "body",
                              "message": "line 1: Getattr is not allowed in a message"}]  # fmt: skip
    listed = await gql.data(TEMPLATES)
    mine = [t for t in listed["messageTemplates"] if t["key"] == "care.birthday"]
    assert [(t["tone"], t["builtIn"]) for t in mine] == [(None, True), ("gentle", False)]
    assert "link" in {f["name"] for f in listed["templateFields"]}
    await gql.as_user("risk1", ["risk_officer"])
    denied = await gql.data(SAVE_TEMPLATE, key="care.birthday", body="{{ name }}")
    assert denied["saveMessageTemplate"]["__typename"] == "ForbiddenError"
    assert "errors" in await gql(TEMPLATES)


SAVE_RULE = """mutation ($name: String!, $condition: String!) {
  saveTagRule(input: {name: $name, condition: $condition}) { __typename
    ... on SaveTagRuleSuccess { rule { name version enabled } }
    ... on ValidationError { fields { field message } } } }"""


async def test_tag_rules_are_saved_by_administrators_only(gql: GraphQLClient) -> None:
    ok = (await gql.data(SAVE_RULE, name="NO_DEBT", condition="active_loans == 0"))["saveTagRule"]
    assert ok == {"__typename": "SaveTagRuleSuccess",
                  "rule": {"name": "NO_DEBT", "version": 1, "enabled": True}}  # fmt: skip
    bad = (await gql.data(SAVE_RULE, name="X1", condition="income > 3"))["saveTagRule"]
    assert bad["fields"][0]["field"] == "condition"
    listed = await gql.data("{ tagRules { name condition } customerFacts { name } }")
    assert listed["tagRules"] == [{"name": "NO_DEBT", "condition": "active_loans == 0"}]
    await gql.as_user("am_rules", ["account_manager"])
    denied = (await gql.data(SAVE_RULE, name="MINE", condition="age > 30"))["saveTagRule"]
    assert denied["__typename"] == "ForbiddenError"


LAUNCH = """mutation ($code: String!) { launchCampaign(input: {code: $code, name: "开春提额",
  productCode: "CONSUMER", segment: "low_risk", channel: SMS}) { __typename
  ... on LaunchCampaignSuccess { campaign { code segment productCode figures { invited } } }
  ... on ValidationError { fields { field message } } } }"""
CAMPAIGNS = """{ campaigns { code figures { invited sent blocked opened converted openRate }
  blockedReasons responses { edges { node { customer { name } openedAt } } } } }"""


async def test_campaigns_are_launched_followed_and_seen_under_scope(
    gql: GraphQLClient, anonymous: GraphQLClient
) -> None:
    await factories.product("CONSUMER")
    manager = await factories.user("am_camp", ["account_manager"], password_hash=password_hash())
    mine = await factories.customer("我的客户", phone="13700000001", consent_sms=True,
                                    account_manager_id=manager.id)  # fmt: skip
    theirs = await factories.customer("别人的", phone="13700000002", consent_sms=True)
    silent = await factories.customer("没同意", phone="13700000003")
    await Customer.filter(id__in=[mine.id, theirs.id, silent.id]).update(risk_rating="LOW")
    await segments.define("low_risk", "", {"risk_rating": ["LOW"]}, by="root")
    await segments.refresh(TODAY)

    launched = (await gql.data(LAUNCH, code="SPRING"))["launchCampaign"]
    assert launched["campaign"] == {"code": "SPRING", "segment": "low_risk",
                                    "productCode": "CONSUMER", "figures": {"invited": 3}}  # fmt: skip

    async def send(message: OutboxMessage) -> str:
        return "ok"

    assert await outbox.dispatch_due(send=send) == 2
    token = (await CampaignResponse.get(customer_id=mine.id)).token
    opened = await anonymous.http.get(f"/c/{token}", follow_redirects=False)
    assert opened.status_code == 303
    assert (await anonymous.http.get("/c/not-a-token", follow_redirects=False)).status_code == 404
    pixel = await anonymous.http.get(f"/c/{token}/open.gif")
    assert pixel.headers["content-type"] == "image/gif"

    [everyone] = (await gql.data(CAMPAIGNS))["campaigns"]
    assert everyone["figures"] == {"invited": 3, "sent": 2, "blocked": 1, "opened": 1,
                                   "converted": 0, "openRate": 0.5}  # fmt: skip
    assert everyone["blockedReasons"] == {"no consent to campaign by SMS": 1}
    await gql.login("am_camp")
    [own] = (await gql.data(CAMPAIGNS))["campaigns"]
    assert own["figures"] == {"invited": 1, "sent": 1, "blocked": 0, "opened": 1,
                              "converted": 0, "openRate": 1.0}  # fmt: skip
    assert [e["node"]["customer"]["name"] for e in own["responses"]["edges"]] == ["我的客户"]
    denied = (await gql.data(LAUNCH, code="MINE"))["launchCampaign"]
    assert denied["__typename"] == "ForbiddenError"
    await gql.as_user("analyst1", ["analyst"])
    body = await gql("{ campaigns { figures { invited } } }")
    assert body["data"]["campaigns"] == [{"figures": {"invited": 3}}]
    hidden = await gql("{ campaigns { responses { edges { node { openedAt } } } } }")
    assert "errors" in hidden  # figures yes, the customers behind them no
