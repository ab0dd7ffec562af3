"""Dashboard measures and boards over GraphQL: scoped, drillable, exportable, shareable."""

from datetime import date

from domain.loan.service import refresh_delinquency
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash
from tests.conftest import TODAY

MEASURE = """query ($name: String!, $dimension: String, $filter: ReportFilter) {
  measure(name: $name, dimension: $dimension, filter: $filter) { measure dimension unit
    points { key series value exact count drill } csv } }"""
LOANS = """query ($filter: LoanFilter) { loans(filter: $filter) { totalCount
  edges { node { outstandingPrincipal bucket } } } }"""
BUCKETS = "{ portfolioByBucket { bucket loans outstanding } }"


async def _book() -> int:
    manager = await factories.user("am_board", ["account_manager"], password_hash=password_hash())
    mine = await factories.customer("看板我的", phone="13800000101", branch="BJ01",
                                    account_manager_id=manager.id)  # fmt: skip
    theirs = await factories.customer("看板别人", phone="13800000102", branch="SH01")
    await factories.loan(mine, principal="12000.00", disbursed_on=date(2026, 5, 20))
    await factories.loan(theirs, principal="30000.00", disbursed_on=date(2026, 2, 1))  # past due
    await factories.loan(theirs, principal="5000.00", disbursed_on=date(2026, 6, 1))
    await refresh_delinquency(TODAY)
    return manager.id


async def test_measures_drill_into_the_rows_behind_them_and_export(gql: GraphQLClient) -> None:
    await _book()
    names = {m["name"] for m in (await gql.data("{ measures { name dimensions } }"))["measures"]}
    assert {"portfolio.outstanding", "portfolio.roll_rate", "approvals.funnel"} <= names
    result = (await gql.data(MEASURE, name="portfolio.outstanding", dimension="bucket"))["measure"]
    assert result["unit"] == "money"
    points = {p["key"]: p for p in result["points"]}
    assert set(points) == {"M0", "M4"}
    assert (points["M0"]["exact"], points["M0"]["count"]) == ("17000.00", 2)
    for point in points.values():  # the drill-down list agrees with the bar
        listed = (await gql.data(LOANS, filter=point["drill"]["filter"]))["loans"]
        assert listed["totalCount"] == point["count"]
        assert sum(float(e["node"]["outstandingPrincipal"]) for e in listed["edges"]) == float(
            point["exact"]
        )
    lines = result["csv"].splitlines()
    assert lines[0] == "bucket,series,money,rows"
    assert "M0,,17000.00,2" in lines
    assert (await gql.data(BUCKETS))["portfolioByBucket"] == [
        {"bucket": "M0", "loans": 2, "outstanding": "17000.00"},
        {"bucket": "M4", "loans": 1, "outstanding": "30000.00"},
    ]
    wrong = await gql(MEASURE, name="portfolio.outstanding", dimension="colour")
    assert "broken down by" in wrong["errors"][0]["message"]


async def test_an_account_managers_board_counts_only_their_customers(gql: GraphQLClient) -> None:
    await _book()
    await gql.login("am_board")
    mine = (await gql.data(BUCKETS))["portfolioByBucket"]
    assert mine == [{"bucket": "M0", "loans": 1, "outstanding": "12000.00"}]
    by_branch = (await gql.data(MEASURE, name="customers.count", dimension="branch"))["measure"]
    assert [(p["key"], p["value"]) for p in by_branch["points"]] == [("BJ01", 1.0)]
    boards = (await gql.data("{ boards { name defaultFor tiles } }"))["boards"]
    assert boards[0]["name"] == "My customers" and boards[0]["defaultFor"] == "account_manager"


SAVE = """mutation ($input: SaveBoardInput!) { saveBoard(input: $input) { __typename
  ... on SaveBoardSuccess { board { id name mine sharedWith tiles } }
  ... on ValidationError { fields { field message } } } }"""


async def test_boards_are_saved_shared_with_roles_and_changed_by_their_owner_only(
    gql: GraphQLClient,
) -> None:
    tiles = [{"measure": "portfolio.outstanding", "dimension": "branch", "chart": "pie",
              "filters": {"days": 365}}]  # fmt: skip
    bad = (await gql.data(SAVE, input={"name": "x", "tiles": [{"measure": "nope"}]}))["saveBoard"]
    assert bad["fields"] == [{"field": "tiles[0].measure", "message": "no measure 'nope'"}]
    unknown = await gql.data(SAVE, input={"name": "x", "tiles": tiles, "sharedWith": ["ghost"]})
    assert unknown["saveBoard"]["fields"][0]["field"] == "sharedWith"
    saved = (await gql.data(SAVE, input={"name": "Branches", "tiles": tiles,
                                         "sharedWith": ["risk_officer"]}))["saveBoard"]  # fmt: skip
    board = saved["board"]
    assert board["mine"] and board["tiles"][0]["title"] == "Outstanding balance"
    await gql.as_user("ro_board", ["risk_officer"])
    seen = [b for b in (await gql.data("{ boards { id name mine } }"))["boards"] if b["id"]]
    assert seen == [{"id": board["id"], "name": "Branches", "mine": False}]
    taken = await gql.data(SAVE, input={"id": board["id"], "name": "Mine now", "tiles": tiles})
    assert taken["saveBoard"]["__typename"] == "ForbiddenError"
    await gql.as_user("cs_board", ["customer_service"])
    assert "errors" in await gql("{ boards { name } }")  # no reports for this role


async def test_analysts_see_figures_but_not_the_customers_behind_them(gql: GraphQLClient) -> None:
    await _book()
    await gql.as_user("an_board", ["analyst"])
    result = (await gql.data(MEASURE, name="portfolio.loans", dimension="bucket"))["measure"]
    assert {p["key"]: p["count"] for p in result["points"]} == {"M0": 2, "M4": 1}
    denied = await gql(LOANS, filter=result["points"][0]["drill"]["filter"])
    assert "errors" in denied


APPLICATIONS = """query ($filter: ApplicationFilter) { applications(filter: $filter) { totalCount
  edges { node { status riskLane } } } }"""


async def test_the_funnel_drills_into_its_applications(gql: GraphQLClient) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from domain.application.models import Application, ApplicationChannel

    owner = await factories.customer("漏斗", phone="13800000199")
    product = await factories.product("CONSUMER")
    for status, lane in (("SUBMITTED", None), ("DECLINED", "ENHANCED"), ("DISBURSED", "FAST"),
                         ("CONTRACTED", "FAST"), ("APPROVED", "STANDARD")):  # fmt: skip
        await Application.create(
            customer_id=owner.id, product_id=product.id, channel=ApplicationChannel.APP,
            amount=Decimal("5000"), term_months=12, status=status, risk_lane=lane,
            submitted_at=datetime(2026, 6, 1, tzinfo=UTC),
            decided_at=None if lane is None else datetime(2026, 6, 2, tzinfo=UTC),
        )  # fmt: skip
    for dimension in ("stage", "lane"):
        result = (await gql.data(MEASURE, name="approvals.funnel", dimension=dimension,
                                 filter={"days": 30}))["measure"]  # fmt: skip
        for point in result["points"]:
            if point["key"] == "—":  # no lane yet: nothing to filter by
                assert point["drill"] is None
                continue
            listed = await gql.data(APPLICATIONS, filter=point["drill"]["filter"])
            assert listed["applications"]["totalCount"] == point["value"], point
    hours = (await gql.data(MEASURE, name="approvals.decision_hours", dimension="lane"))["measure"]
    fast = next(p for p in hours["points"] if p["key"] == "FAST")
    listed = (await gql.data(APPLICATIONS, filter=fast["drill"]["filter"]))["applications"]
    assert listed["totalCount"] == fast["count"] == 2
