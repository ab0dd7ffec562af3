"""Reading DMN files: every version's namespace, and malformed or hostile models refused."""

import pytest

from bpmn.dmn import DmnErrorCode, DmnModelError, load_models
from bpmn.dmn.model import Decision, DecisionTable, LiteralExpression
from bpmn.dmn.reader import read_definitions

from .models import decision, definitions, input_data, literal, table

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" namespace="urn:x">'
    b"<decision id='d' name='d'><literalExpression><text>&x;</text></literalExpression>"
    b"</decision></definitions>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><definitions>&lol9;</definitions>"
)


@pytest.mark.parametrize(
    ("namespace", "version"),
    [
        ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "1.1"),
        ("http://www.omg.org/spec/DMN/20180521/MODEL/", "1.2"),
        ("https://www.omg.org/spec/DMN/20191111/MODEL/", "1.3"),
        ("https://www.omg.org/spec/DMN/20230324/MODEL/", "1.5"),
    ],
)
def test_every_dmn_version_is_read(namespace: str, version: str) -> None:
    xml = (
        f'<definitions xmlns="{namespace}" xmlns:feel="http://www.omg.org/spec/FEEL/20140401" '
        f'namespace="urn:v" name="v"><decision id="d1" name="Greeting">'
        f'<variable name="Greeting" typeRef="feel:string"/>{literal("1 + 1")}</decision>'
        "</definitions>"
    ).encode()
    model = read_definitions(xml)
    found = model.elements["d1"]
    assert model.version == version
    assert isinstance(found, Decision)
    assert found.type_ref == "string"
    assert found.expression == LiteralExpression("d1", "1 + 1", None)


def test_a_table_keeps_its_rules_in_order() -> None:
    body = decision(
        "Band",
        table("FIRST", ["Score"], [(None, None)], [([">= 700"], ['"A"']), (["-"], ['"B"'])]),
        inputs=("i_Score",),
    )
    model = read_definitions(definitions(input_data("Score", "number") + body))
    logic = model.elements["d_Band"].expression  # type: ignore[union-attr]
    assert isinstance(logic, DecisionTable)
    assert [rule.id for rule in logic.rules] == ["r1", "r2"]
    assert logic.rules[0].inputs == (">= 700",)


@pytest.mark.parametrize("hostile", [XXE, LAUGHS])
def test_entity_declarations_are_refused(hostile: bytes) -> None:
    with pytest.raises(DmnModelError, match="DOCTYPE"):
        load_models([hostile])


def test_a_huge_file_is_refused_before_parsing() -> None:
    padding = "<!--" + "x" * 2_100_000 + "-->"
    with pytest.raises(DmnModelError, match="limit"):
        load_models([definitions(padding)])


def test_expressions_nested_too_deep_are_refused() -> None:
    inner = literal("1")
    for _ in range(300):
        inner = f'<context><contextEntry><variable name="a"/>{inner}</contextEntry></context>'
    with pytest.raises(DmnModelError, match="depth"):
        load_models([definitions(decision("D", inner))])


def test_a_file_that_is_not_dmn_is_refused() -> None:
    with pytest.raises(DmnModelError, match="not a DMN model"):
        load_models([b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'])
    with pytest.raises(DmnModelError, match="malformed XML"):
        load_models([b"<definitions"])


def test_a_reference_to_a_missing_element_names_the_referring_decision() -> None:
    xml = definitions(decision("Offer", literal("1"), decisions=("d_Missing",)))
    with pytest.raises(DmnModelError) as caught:
        load_models([xml])
    assert caught.value.element_id == "d_Offer"
    assert caught.value.code is DmnErrorCode.UNKNOWN_REFERENCE


def test_decisions_requiring_each_other_are_refused() -> None:
    xml = definitions(
        decision("A", literal("B"), decisions=("d_B",))
        + decision("B", literal("A"), decisions=("d_A",))
    )
    with pytest.raises(DmnModelError) as caught:
        load_models([xml])
    assert caught.value.code is DmnErrorCode.CYCLE


def test_duplicate_ids_unknown_hit_policies_and_short_rules_are_refused() -> None:
    twice = definitions(input_data("X", ident="same") + input_data("Y", ident="same"))
    with pytest.raises(DmnModelError, match="duplicate id") as caught:
        load_models([twice])
    assert caught.value.element_id == "same"
    bad_policy = definitions(decision("T", table("SOMETIMES", [], [(None, None)], [])))
    with pytest.raises(DmnModelError, match="unknown hit policy"):
        load_models([bad_policy])
    short = definitions(decision("T", table("UNIQUE", ["1"], [(None, None)], [([], ["1"])])))
    with pytest.raises(DmnModelError) as caught:
        load_models([short])
    assert caught.value.element_id == "r1"


@pytest.mark.parametrize("language", ["juel", "javascript", "python"])
def test_expressions_in_another_language_than_feel_are_refused(language: str) -> None:
    script = (
        f'<literalExpression id="le1" expressionLanguage="{language}">'
        "<text>__import__('os')</text></literalExpression>"
    )
    with pytest.raises(DmnModelError) as caught:
        load_models([definitions(decision("D", script))])
    assert caught.value.code is DmnErrorCode.UNSUPPORTED
    assert caught.value.element_id == "le1"
    everywhere = definitions(decision("D", literal("1")), extra=f'expressionLanguage="{language}"')
    with pytest.raises(DmnModelError, match="only FEEL"):
        load_models([everywhere])


def test_an_import_of_a_model_not_given_is_refused() -> None:
    xml = definitions(
        '<import name="rates" namespace="urn:rates" '
        'importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>'
    )
    with pytest.raises(DmnModelError, match="urn:rates was not given"):
        load_models([xml])
