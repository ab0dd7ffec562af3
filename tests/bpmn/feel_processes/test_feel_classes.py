"""Classes of a FEEL table's inputs: inputs of one class get the same answer from the table."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bpmn import decision_classes, engine, processes
from tests.bpmn.feel_processes.diagrams import LANE_DMN

FEEL = "https://www.omg.org/spec/DMN/20191111/FEEL/"
RISK_LANE = (
    (Path(processes.__file__).parent / "risk_lane.dmn")
    .read_text()
    .replace('namespace="', f'expressionLanguage="{FEEL}" namespace="', 1)
    .replace("? is None", "null")
    .replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"')
    .encode()
)
BUNDLE = engine.one_table("risk_lane", [RISK_LANE], "lane_alone")
CLASSES = decision_classes.of(BUNDLE, "lane_alone")


def test_the_feel_risk_lane_is_read_into_the_constants_of_its_cells() -> None:
    assert CLASSES.feel and CLASSES.cuts == {
        "amount": (Decimal("50000"), Decimal("300000")),
        "bureau_score": (Decimal("550"), Decimal("620"), Decimal("700")),
        "debt_to_income": (Decimal("0.35"), Decimal("0.6")),
        "worst_dpd_12m": (Decimal("0"), Decimal("60")),
    }


def test_a_table_with_a_call_in_a_cell_is_left_unread() -> None:
    bundle = engine.one_table("lane", [LANE_DMN.encode()], "lane_alone")
    assert decision_classes.of(bundle, "lane_alone").cuts is None  # date("2026-01-01")


def _near(*points: int) -> st.SearchStrategy[Any]:
    ints = st.sampled_from([p + d for p in points for d in (-1, 0, 1)])
    return st.one_of(
        ints,
        ints.map(lambda v: Decimal(v) + Decimal("0.01")),
        st.floats(min_value=-10, max_value=400_000, allow_nan=False),
        st.none(),
    )


INPUTS = st.fixed_dictionaries(
    {
        "amount": _near(50_000, 300_000),
        "bureau_score": _near(550, 620, 700),
        "debt_to_income": st.sampled_from(
            [Decimal("0.35"), Decimal("0.3499"), Decimal("0.6"), Decimal("0.61"), 0.35, 0.2, 1]
        ),
        "worst_dpd_12m": _near(0, 60),
    }
)
SEEN: dict[Any, dict[str, Any]] = {}


@settings(max_examples=300, deadline=None)
@given(INPUTS)
def test_inputs_of_one_class_get_one_answer(values: dict[str, Any]) -> None:
    answer = engine.evaluate(BUNDLE, "lane_alone", values)
    outcome = {"lane": answer.get("lane"), "reason": answer.get("reason")}
    key = CLASSES.key(values)
    assert SEEN.setdefault(key, outcome) == outcome, (key, values)


def test_a_constant_and_each_side_of_it_are_three_classes() -> None:
    base = {"bureau_score": 720, "debt_to_income": Decimal("0.2"), "worst_dpd_12m": 0}
    keys = {CLASSES.key({**base, "amount": amount}) for amount in (49_999, 50_000, 50_000.5)}
    assert len(keys) == 3
    same = {CLASSES.key({**base, "amount": amount}) for amount in (1, 20_000, Decimal("49999.99"))}
    assert len(same) == 1
