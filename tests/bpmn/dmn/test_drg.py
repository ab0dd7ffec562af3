"""The DRG: required decisions evaluated once, BKMs, decision services, imports, item
definitions and the boxed expressions."""

from decimal import Decimal

import pytest

from bpmn.dmn import DmnErrorCode, DmnEvaluationError, load_models

from .models import decision, definitions, input_data, literal, table

BKM = (
    '<businessKnowledgeModel id="b_Instalment" name="Instalment">'
    '<variable name="Instalment"/><encapsulatedLogic>'
    '<formalParameter name="amount" typeRef="number"/>'
    '<formalParameter name="months" typeRef="number"/>'
    f"{literal('decimal(amount / months, 2)')}</encapsulatedLogic></businessKnowledgeModel>"
)
INVOCATION = (
    "<invocation><literalExpression><text>Instalment</text></literalExpression>"
    '<binding><parameter name="amount"/>'
    f"{literal('Loan.amount')}</binding>"
    '<binding><parameter name="months"/>'
    f"{literal('Loan.months')}</binding></invocation>"
)
ITEMS = (
    '<itemDefinition name="tScore"><typeRef>number</typeRef>'
    "<allowedValues><text>[300..850]</text></allowedValues></itemDefinition>"
    '<itemDefinition name="tLoan">'
    '<itemComponent name="amount"><typeRef>number</typeRef></itemComponent>'
    '<itemComponent name="months"><typeRef>number</typeRef></itemComponent></itemDefinition>'
    '<itemDefinition name="tNames" isCollection="true"><typeRef>string</typeRef></itemDefinition>'
)
BAND = table(
    "UNIQUE", ["Score"], [(None, None)], [([">= 700"], ['"prime"']), (["< 700"], ['"near"'])]
)
LENDING = definitions(
    ITEMS
    + input_data("Score", "tScore")
    + input_data("Loan", "tLoan")
    + input_data("Names", "tNames")
    + BKM
    + decision("Band", BAND, inputs=("i_Score",), type_ref="string")
    + decision("Monthly", INVOCATION, inputs=("i_Loan",), knowledge=("b_Instalment",))
    + decision(
        "Offer",
        literal('Band + " at " + string(Monthly) + " a month"'),
        decisions=("d_Band", "d_Monthly"),
    )
    + decision("Label", literal('"band " + Band'), decisions=("d_Band",))
    + decision("Summary", literal("[Offer, Label]"), decisions=("d_Offer", "d_Label"))
    + decision("Names Count", literal("count(Names)"), inputs=("i_Names",))
    + '<decisionService id="s_Quote" name="Quote"><variable name="Quote"/>'
    '<outputDecision href="#d_Offer"/><encapsulatedDecision href="#d_Monthly"/>'
    '<inputDecision href="#d_Band"/><inputData href="#i_Loan"/></decisionService>'
    + decision(
        "Quoted", literal('Quote({amount: 1200, months: 12}, "sub")'), knowledge=("s_Quote",)
    )
)
APPLICANT = {
    "Score": Decimal(720),
    "Loan": {"amount": Decimal(12000), "months": Decimal(36)},
    "Names": ["Ana", "Li"],
}


def test_required_decisions_and_a_bkm() -> None:
    models = load_models([LENDING])
    assert models.evaluate("Monthly", APPLICANT) == Decimal("333.33")
    assert models.evaluate("Offer", APPLICANT) == "prime at 333.33 a month"


def test_a_required_decision_is_evaluated_once() -> None:
    outcome = load_models([LENDING]).evaluate_decision("Summary", APPLICANT)
    assert outcome.value == ["prime at 333.33 a month", "band prime"]
    # Band feeds Offer and Label, yet its table ran once
    assert [decision_id for decision_id, _ in outcome.explanations] == ["d_Band"]
    assert outcome.results["Band"] == "prime"


def test_python_numbers_are_taken_as_feel_numbers() -> None:
    loan = {"amount": 1200, "months": 12.0}
    assert load_models([LENDING]).evaluate("Monthly", {"Loan": loan}) == Decimal(100)


def test_evaluate_all_gives_every_decision() -> None:
    results = load_models([LENDING]).evaluate_all(APPLICANT)
    assert results["Band"] == "prime"
    assert results["Names Count"] == Decimal(2)
    assert set(results) == {"Band", "Monthly", "Offer", "Label", "Summary", "Names Count", "Quoted"}


def test_item_definitions_turn_values_that_do_not_conform_into_null() -> None:
    models = load_models([LENDING])
    outcome = models.evaluate_decision("Band", {**APPLICANT, "Score": Decimal(900)}, strict=False)
    assert outcome.value is None
    assert outcome.messages[0].element_id == "i_Score"
    assert outcome.messages[0].code is DmnErrorCode.CONSTRAINT
    assert models.evaluate("Monthly", {"Loan": {"amount": "lots", "months": Decimal(2)}}) is None
    # a single string given for a collection of strings becomes a list of one
    assert models.evaluate("Names Count", {"Names": "Ana"}) == Decimal(1)
    # a one-item list given for a number is unwrapped
    assert models.evaluate("Band", {"Score": [Decimal(650)]}) == "near"


def test_inline_types_of_dmn_1_5() -> None:
    xml = definitions(
        input_data("Terms", "context<rate: number, months: number>")
        + input_data("Rates", "list<number>")
        + decision("Months", literal("Terms.months"), inputs=("i_Terms",))
        + decision("Top", literal("max(Rates)"), inputs=("i_Rates",))
    )
    models = load_models([xml])
    terms = {"rate": Decimal("0.05"), "months": Decimal(12)}
    assert models.evaluate("Months", {"Terms": terms}) == Decimal(12)
    assert models.evaluate("Months", {"Terms": {"rate": "5%", "months": Decimal(12)}}) is None
    assert models.evaluate("Top", {"Rates": [Decimal(1), Decimal(3)]}) == Decimal(3)
    assert models.evaluate("Top", {"Rates": [Decimal(1), "3"]}) is None


def test_a_type_constraint_limits_the_list_itself() -> None:
    xml = definitions(
        '<itemDefinition name="tGuarantors" isCollection="true"><typeRef>string</typeRef>'
        '<allowedValues><text>not("")</text></allowedValues>'
        "<typeConstraint><text>count(?) &lt;= 2</text></typeConstraint></itemDefinition>"
        + input_data("Guarantors", "tGuarantors")
        + decision("Count", literal("count(Guarantors)"), inputs=("i_Guarantors",))
    )
    models = load_models([xml])
    assert models.evaluate("Count", {"Guarantors": ["Ana", "Li"]}) == Decimal(2)
    assert models.evaluate("Count", {"Guarantors": ["Ana", "Li", "Bo"]}) is None
    assert models.evaluate("Count", {"Guarantors": ["Ana", ""]}) is None


def test_a_decision_service_invoked_from_feel_and_directly() -> None:
    models = load_models([LENDING])
    # parameters are the input data, then the input decisions: Loan, then Band
    assert models.evaluate("Quoted", {}) == "sub at 100 a month"
    outcome = models.invoke_service(
        "Quote", {"Loan": {"amount": Decimal(600), "months": Decimal(6)}, "Band": "x"}
    )
    assert outcome.value == "x at 100 a month"
    assert outcome.results == {"Offer": "x at 100 a month"}


def test_imported_models_are_reached_through_the_import_name() -> None:
    rates = definitions(
        input_data("Base", "number") + decision("Rate", literal("Base + 1"), inputs=("i_Base",)),
        namespace="urn:rates",
        name="rates",
    )
    main = definitions(
        '<import name="rates" namespace="urn:rates" '
        'importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
        '<decision id="d_Price" name="Price"><variable name="Price"/>'
        '<informationRequirement><requiredDecision href="urn:rates#d_Rate"/>'
        f"</informationRequirement>{literal('rates.Rate * 2')}</decision>"
    )
    models = load_models([main, rates])
    assert models.evaluate("Price", {"rates": {"Base": Decimal(4)}}) == Decimal(10)
    assert models.evaluate("Price", {}, imported_inputs={"urn:rates": {"Base": Decimal(1)}}) == 4


YES = literal('"yes"')
NO = literal('"no"')
BOXED = definitions(
    decision(
        "Ctx",
        "<context>"
        f'<contextEntry><variable name="a"/>{literal("2")}</contextEntry>'
        f'<contextEntry><variable name="b"/>{literal("a * 3")}</contextEntry>'
        "</context>",
    )
    + decision(
        "Final",
        "<context>"
        f'<contextEntry><variable name="a"/>{literal("2")}</contextEntry>'
        f"<contextEntry>{literal('a + 40')}</contextEntry></context>",
    )
    + decision(
        "Rel",
        '<relation><column name="n"/><column name="sq"/>'
        f"<row>{literal('1')}{literal('1')}</row><row>{literal('2')}{literal('4')}</row>"
        "</relation>",
    )
    + decision("Lst", f"<list>{literal('1')}{literal('1 + 1')}</list>")
    + decision(
        "Fn",
        '<context><contextEntry><variable name="twice"/><functionDefinition>'
        f'<formalParameter name="x" typeRef="number"/>{literal("x * 2")}</functionDefinition>'
        f"</contextEntry><contextEntry>{literal('twice(21)')}</contextEntry></context>",
    )
    + decision(
        "Java",
        '<functionDefinition kind="Java"><formalParameter name="x"/>'
        f"{literal('x')}</functionDefinition>",
    )
    + decision(
        "If",
        f"<conditional><if>{literal('1 > 2')}</if><then>{YES}</then>"
        f"<else>{NO}</else></conditional>",
    )
    + decision(
        "Filtered",
        f"<filter><in>{literal('[1, 5, 9]')}</in><match>{literal('item > 3')}</match></filter>",
    )
    + decision(
        "Doubled",
        f'<for iteratorVariable="x"><in>{literal("[1, 2]")}</in>'
        f"<return>{literal('x * 2')}</return></for>",
    )
    + decision(
        "Some",
        f'<some iteratorVariable="x"><in>{literal("[1, 2]")}</in>'
        f"<satisfies>{literal('x > 1')}</satisfies></some>",
    )
    + decision(
        "Every",
        f'<every iteratorVariable="x"><in>{literal("[1, 2]")}</in>'
        f"<satisfies>{literal('x > 1')}</satisfies></every>",
    )
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ctx", {"a": Decimal(2), "b": Decimal(6)}),
        ("Final", Decimal(42)),
        ("Rel", [{"n": 1, "sq": 1}, {"n": 2, "sq": 4}]),
        ("Lst", [Decimal(1), Decimal(2)]),
        ("Fn", Decimal(42)),
        ("If", "no"),
        ("Filtered", [Decimal(5), Decimal(9)]),
        ("Doubled", [Decimal(2), Decimal(4)]),
        ("Some", True),
        ("Every", False),
    ],
)
def test_boxed_expressions(name: str, expected: object) -> None:
    assert load_models([BOXED]).evaluate(name, {}) == expected


def test_a_java_function_is_refused_with_a_typed_error() -> None:
    with pytest.raises(DmnEvaluationError) as caught:
        load_models([BOXED]).evaluate_decision("Java", {})
    assert caught.value.code is DmnErrorCode.UNSUPPORTED


def test_a_bkm_calling_itself_without_end_is_stopped() -> None:
    looping = definitions(
        '<businessKnowledgeModel id="b_f" name="f"><variable name="f"/><encapsulatedLogic>'
        f'<formalParameter name="n"/>{literal("f(n + 1)")}</encapsulatedLogic>'
        "</businessKnowledgeModel>" + decision("D", literal("f(1)"), knowledge=("b_f",))
    )
    outcome = load_models([looping]).evaluate_decision("D", {}, strict=False)
    assert outcome.value is None
    assert outcome.messages


def test_now_and_today_read_the_clock_given() -> None:
    import datetime as dt

    xml = definitions(decision("Due", literal('today() + duration("P30D")')))
    noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert load_models([xml], clock=lambda: noon).evaluate("Due", {}) == dt.date(2026, 3, 31)


def test_a_long_chain_of_decisions_neither_recurses_nor_refuses() -> None:
    body = decision("D0", literal("1"))
    for i in range(1, 2000):
        body += decision(f"D{i}", literal(f"D{i - 1} + 1"), decisions=(f"d_D{i - 1}",))
    assert load_models([definitions(body)]).evaluate("D1999", {}) == Decimal(2000)


def test_an_invocation_may_call_a_feel_built_in_by_its_parameter_names() -> None:
    call = (
        "<invocation><literalExpression><text>substring</text></literalExpression>"
        f'<binding><parameter name="string"/>{literal(chr(34) + "lendgraph" + chr(34))}</binding>'
        f'<binding><parameter name="start position"/>{literal("5")}</binding>'
        "</invocation>"
    )
    assert load_models([definitions(decision("Tail", call))]).evaluate("Tail", {}) == "graph"
