"""Inputs of the same class get the same rules, decimals and floats alike, at every boundary."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from bpmn.simulation import tables
from bpmn.simulation.keys import Keys
from tests.bpmn.simulation import history


def test_inputs_sharing_a_key_get_the_same_rules_at_the_boundaries() -> None:
    # given: risk_lane and values on, beside and between every constant its cells name
    table = tables.load("risk_lane", [history.RISK_LANE.encode()])
    keys = Keys(table.classes)
    amounts = [Decimal("50000"), Decimal("50000.01"), 49999, 50000, Decimal("300000"), 300001]
    scores = [None, 549, 550, 619, 620, 699, 700]
    ratios = [Decimal("0.35"), Decimal("0.3500"), 0.35, Decimal("0.3501"), Decimal("0.6"),
              0.6, Decimal("0.6000001"), Decimal("0.1")]  # fmt: skip
    worst = [0, 1, 60, 61]
    # when
    seen: dict[Any, tuple[str, tuple[str, ...]]] = {}
    classes = set()
    for amount, score, ratio, dpd in itertools.product(amounts, scores, ratios, worst):
        values = {"amount": amount, "bureau_score": score, "debt_to_income": ratio,
                  "worst_dpd_12m": dpd}  # fmt: skip
        decided = table.decide(values)
        key = keys.key(values)
        classes.add(key)
        # then: the first member of a class decided as every other one does
        assert seen.setdefault(key, (decided.outcome, decided.rules)) == (
            decided.outcome, decided.rules), values  # fmt: skip
    # 0.35 and Decimal("0.35") are one class, "on" a cut and not beside it
    assert keys.key({"debt_to_income": 0.35}) == keys.key({"debt_to_income": Decimal("0.35")})
    assert keys.key({"debt_to_income": 0.35}) != keys.key({"debt_to_income": Decimal("0.3501")})
    assert len(classes) < len(amounts) * len(scores) * len(ratios) * len(worst)


def test_texts_and_missing_inputs_are_classes_of_their_own() -> None:
    table = tables.load("risk_lane", [history.RISK_LANE.encode()])
    keys = Keys(table.classes)
    assert keys.key({"bureau_score": None}) != keys.key({})
    assert keys.key({"bureau_score": "700"}) != keys.key({"bureau_score": 700})
    assert keys.key({"bureau_score": True}) != keys.key({"bureau_score": 1})
