"""Classes read from the rating table: every input gets the decision its class's member gets."""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import Any

import pytest

from bpmn import decision_classes, engine
from bpmn.errors import BpmnError
from tests.bpmn.ratings_tables import BPMN, DMN, READABLE, READABLE_CUTS, SCRIPTED, UNREADABLE

PROCESS_ID = "customer_risk_rating"
GRID: dict[str, list[Any]] = {
    "current_dpd": [0, 1, 2, 29, 30, 31, 45, 60, 61, 90],
    "worst_dpd_12m": [0, 1, 29, 30, 31, 44, 45, 46, 50, 51, 59, 60, 61, 120],
    "debt_to_income": [None, 0.0, 0.2, 0.3499, 0.35, 0.3501, 0.4, 0.45, 0.5, 0.5001, 0.75, 2.5],
    "bureau_score": [None, 300, 599, 600, 601, 650, 699, 700, 701, 750, 750.5, 751, 850],
}
BASE = {"current_dpd": 0, "worst_dpd_12m": 0, "debt_to_income": 0.1, "bureau_score": 800}


def _outcome(bundle: engine.ParsedBundle, values: dict[str, Any]) -> Any:
    try:
        data = engine.evaluate(bundle, PROCESS_ID, values)
    except BpmnError as exc:
        return ("failed", type(exc).__name__)
    return (data.get("risk_rating"), data.get("reason"))


def _sample(count: int) -> list[dict[str, Any]]:
    """Values on and around every threshold, and as many drawn as a portfolio has them."""
    rng = random.Random(14)
    picks = [{name: rng.choice(values) for name, values in GRID.items()} for _ in range(count)]
    picks += [
        {"current_dpd": rng.choice([0, 0, 0, rng.randrange(120)]),
         "worst_dpd_12m": rng.choice([0, 0, rng.randrange(120)]),
         "debt_to_income": rng.choice([None, round(rng.uniform(0, 1.2), 4)]),
         "bureau_score": rng.choice([None, rng.randrange(350, 900)])}
        for _ in range(count)
    ]  # fmt: skip
    for name, values in GRID.items():  # every grid value at least once
        picks += [{**picks[i], name: value} for i, value in enumerate(values)]
    return picks


def _distinct(sample: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {tuple((k, type(v), v) for k, v in values.items()) for values in sample}


def _check_alike(bundle: engine.ParsedBundle, sample: list[dict[str, Any]]) -> int:
    """Each input's own decision equals its class member's; returns the number of classes."""
    classes = decision_classes.of(bundle, PROCESS_ID)
    members: dict[Hashable, dict[str, Any]] = {}
    for values in sample:
        member = members.setdefault(classes.key(values), values)
        assert _outcome(bundle, values) == _outcome(bundle, member), (values, member)
    return len(members)


def test_the_shipped_table_is_read_into_its_thresholds() -> None:
    classes = decision_classes.of(engine.parse(BPMN, [DMN]), PROCESS_ID)
    assert classes.cuts == {
        "current_dpd": (0, 30), "worst_dpd_12m": (0, 30, 60),
        "debt_to_income": (0.35, 0.5), "bureau_score": (600, 700),
    }  # fmt: skip
    on, above = classes.key(dict(BASE, current_dpd=30)), classes.key(dict(BASE, current_dpd=31))
    assert on != above
    assert classes.key(dict(BASE, current_dpd=31)) == classes.key(dict(BASE, current_dpd=90))


def test_the_shipped_table_answers_every_class_member_alike() -> None:
    sample = _sample(300)
    assert _check_alike(engine.parse(BPMN, [DMN]), sample) < len(_distinct(sample)) // 2


def test_an_edited_table_moves_the_classes_and_still_answers_alike() -> None:
    bundle = engine.parse(BPMN, [READABLE])
    assert decision_classes.of(bundle, PROCESS_ID).cuts == READABLE_CUTS
    sample = _sample(300)
    assert _check_alike(bundle, sample) < len(_distinct(sample))


@pytest.mark.parametrize("edit", sorted(UNREADABLE))
def test_an_unreadable_table_makes_every_combination_its_own_class(edit: str) -> None:
    bundle = engine.parse(BPMN, [UNREADABLE[edit]])
    classes = decision_classes.of(bundle, PROCESS_ID)
    assert not classes.analysed
    sample = _sample(40)
    assert _check_alike(bundle, sample) == len(_distinct(sample))


def test_a_process_doing_more_than_the_table_is_not_read() -> None:
    bundle = engine.parse(SCRIPTED, [DMN])
    assert engine.sole_decision(bundle, PROCESS_ID) is None
    assert not decision_classes.of(bundle, PROCESS_ID).analysed
    low, lower = (
        _outcome(bundle, dict(BASE, bureau_score=599)),
        _outcome(bundle, dict(BASE, bureau_score=598)),
    )
    assert low == ("HIGH", "bureau score below 600 (score 599)")
    assert lower == ("HIGH", "bureau score below 600 (score 598)")


def test_values_the_classes_do_not_cover_are_their_own_class() -> None:
    classes = decision_classes.of(engine.parse(BPMN, [DMN]), PROCESS_ID)
    base = dict(BASE)
    odd: list[Any] = [True, float("nan"), float("inf"), "800", 2**70]
    keys = {classes.key({**base, "bureau_score": value}) for value in odd}
    assert len(keys) == len(odd)
    assert classes.key({**base, "bureau_score": 801}) == classes.key(base)
    assert classes.key({**base, "missing": None}) == classes.key(base)  # the table reads no such
