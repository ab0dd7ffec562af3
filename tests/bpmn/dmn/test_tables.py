"""Decision tables: each hit policy and aggregation with exact results, and what fired."""

from decimal import Decimal

import pytest

from bpmn.dmn import DmnErrorCode, DmnEvaluationError, DmnModels, load_models

from .models import decision, definitions, input_data, table

# Four rules over an applicant's score; rules 1, 2 and 3 all match a score of 720.
RULES = [
    ([">= 700"], ['"LOW"', "10"]),
    ([">= 650"], ['"MEDIUM"', "25"]),
    (["> 600"], ['"HIGH"', "40"]),
    (["< 500"], ['"DECLINE"', "0"]),
]


def risk_model(hit_policy: str, outputs: int = 1, aggregation: str | None = None) -> DmnModels:
    if outputs == 1:
        clauses = [(None, '"HIGH","MEDIUM","LOW","DECLINE"')]
        rules = [(tests, results[:1]) for tests, results in RULES]
    else:
        clauses = [("Risk", '"HIGH","MEDIUM","LOW","DECLINE"'), ("Rate", None)]
        rules = RULES
    logic = table(hit_policy, ["Score"], clauses, rules, aggregation)
    body = input_data("Score", "number") + decision("Risk", logic, inputs=("i_Score",))
    return load_models([definitions(body)])


def rate_model(aggregation: str | None) -> DmnModels:
    rules = [(tests, results[1:]) for tests, results in RULES]
    logic = table("COLLECT", ["Score"], [(None, None)], rules, aggregation)
    body = input_data("Score", "number") + decision("Rate", logic, inputs=("i_Score",))
    return load_models([definitions(body)])


def score(value: int) -> dict[str, Decimal]:
    return {"Score": Decimal(value)}


def test_first_gives_the_first_matching_rule() -> None:
    assert risk_model("FIRST").evaluate("Risk", score(720)) == "LOW"
    assert risk_model("FIRST").evaluate("Risk", score(620)) == "HIGH"


def test_unique_gives_the_one_match_and_refuses_several() -> None:
    models = risk_model("UNIQUE")
    assert models.evaluate("Risk", score(450)) == "DECLINE"
    assert models.evaluate("Risk", score(720)) is None
    with pytest.raises(DmnEvaluationError) as caught:
        models.evaluate_decision("Risk", score(720))
    assert caught.value.code is DmnErrorCode.HIT_POLICY
    assert "rules 1, 2, 3" in caught.value.reason


def test_any_accepts_equal_outputs_only() -> None:
    logic = table(
        "ANY", ["Score"], [(None, None)], [([">= 700"], ['"ok"']), ([">= 650"], ['"ok"'])]
    )
    models = load_models(
        [definitions(input_data("Score", "number") + decision("R", logic, inputs=("i_Score",)))]
    )
    assert models.evaluate("R", score(720)) == "ok"
    assert risk_model("ANY").evaluate("Risk", score(720)) is None


def test_priority_follows_the_output_values_order() -> None:
    assert risk_model("PRIORITY").evaluate("Risk", score(720)) == "HIGH"
    assert risk_model("PRIORITY").evaluate("Risk", score(660)) == "HIGH"


def test_output_order_sorts_by_priority_and_rule_order_keeps_the_rules() -> None:
    assert risk_model("OUTPUT ORDER").evaluate("Risk", score(720)) == ["HIGH", "MEDIUM", "LOW"]
    assert risk_model("RULE ORDER").evaluate("Risk", score(720)) == ["LOW", "MEDIUM", "HIGH"]
    assert risk_model("COLLECT").evaluate("Risk", score(660)) == ["MEDIUM", "HIGH"]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("SUM", Decimal(75)), ("MIN", Decimal(10)), ("MAX", Decimal(40)), ("COUNT", Decimal(3))],
)
def test_collect_aggregations(aggregation: str, expected: Decimal) -> None:
    assert rate_model(aggregation).evaluate("Rate", score(720)) == expected


def test_collect_with_no_match() -> None:
    assert rate_model(None).evaluate("Rate", score(550)) == []
    assert rate_model("COUNT").evaluate("Rate", score(550)) == Decimal(0)
    assert rate_model("SUM").evaluate("Rate", score(550)) is None


def test_several_outputs_give_a_context_per_rule() -> None:
    models = risk_model("RULE ORDER", outputs=2)
    assert models.evaluate("Risk", score(660)) == [
        {"Risk": "MEDIUM", "Rate": Decimal(25)},
        {"Risk": "HIGH", "Rate": Decimal(40)},
    ]
    assert risk_model("FIRST", outputs=2).evaluate("Risk", score(450)) == {
        "Risk": "DECLINE",
        "Rate": Decimal(0),
    }


def test_default_output_entries_apply_when_no_rule_matches() -> None:
    logic = table("FIRST", ["Score"], [(None, None)], [([">= 700"], ['"LOW"'])]).replace(
        '<output id="out0">',
        '<output id="out0"><defaultOutputEntry><text>"REVIEW"</text></defaultOutputEntry>',
    )
    models = load_models(
        [definitions(input_data("Score", "number") + decision("R", logic, inputs=("i_Score",)))]
    )
    assert models.evaluate("R", score(720)) == "LOW"
    assert models.evaluate("R", score(300)) == "REVIEW"


def test_an_output_outside_its_output_values_makes_the_table_null() -> None:
    logic = table("FIRST", ["Score"], [(None, '"A","B"')], [(["-"], ['"C"'])])
    models = load_models(
        [definitions(input_data("Score", "number") + decision("R", logic, inputs=("i_Score",)))]
    )
    outcome = models.evaluate_decision("R", score(1), strict=False)
    assert outcome.value is None
    assert outcome.messages[0].code is DmnErrorCode.CONSTRAINT


def test_the_explanation_carries_the_annotations_of_the_rules_that_fired() -> None:
    logic = table("FIRST", ["Score"], [(None, None)], [(["< 500"], ['"DECLINE"'])]).replace(
        "</outputEntry></rule>",
        "</outputEntry><annotationEntry><text>score below policy minimum</text>"
        "</annotationEntry></rule>",
    )
    models = load_models(
        [definitions(input_data("Score", "number") + decision("R", logic, inputs=("i_Score",)))]
    )
    [(_, explanation)] = models.evaluate_decision("R", score(420)).explanations
    assert explanation.annotations == (("score below policy minimum",),)


def test_the_explanation_names_the_rules_that_fired() -> None:
    outcome = risk_model("PRIORITY").evaluate_decision("Risk", score(660))
    assert outcome.value == "HIGH"
    [(decision_id, explanation)] = outcome.explanations
    assert decision_id == "d_Risk"
    assert explanation.matched == (2, 3)
    assert explanation.rule_ids == ("r2", "r3")
    assert explanation.inputs == (Decimal(660),)
    assert explanation.hit_policy == "PRIORITY"
