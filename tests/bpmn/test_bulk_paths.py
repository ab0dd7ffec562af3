"""Shared paths: one engine run stands for many instances only when the diagram merely
carries their own ids along."""

from __future__ import annotations

from datetime import UTC, datetime

from bpmn import bulk_paths, copies, engine
from tests.bpmn.diagrams import gateway, linear, script_task

MOMENT = datetime(2026, 6, 15, 2, tzinfo=UTC)
OPAQUE = ("loan_id", "customer_id")


def _outcome(xml: bytes, data: dict[str, object]) -> bulk_paths.Outcome:
    bundle = engine.parse(xml)
    shape = bulk_paths.Shape(()).add(data, OPAQUE)
    return bulk_paths.run_node(bundle, "p1", MOMENT, shape.key, shape.values)


def test_a_diagram_that_carries_ids_along_is_shared_and_filled_per_instance() -> None:
    xml = linear(script_task("s", 'ref = loan_id\nlabel = "loan " + str(loan_id)'),
                 '<bpmn:userTask id="call" name="Call"/>')  # fmt: skip
    finish = _outcome(xml, {"loan_id": 1, "customer_id": 2, "bucket": "M1"})
    assert isinstance(finish, bulk_paths.Finish)
    assert [t.element_id for t in finish.human] == ["call"]
    for loan, customer in ((41, 7), (1234567, 8)):
        shape = bulk_paths.Shape(()).add(
            {"loan_id": loan, "customer_id": customer, "bucket": "M1"}, OPAQUE
        )
        ids: dict[str, str] = {}
        data = bulk_paths.loads(finish.data.fill(ids, shape.tokens))
        assert (data["ref"], data["label"], data["customer_id"]) == (loan, f"loan {loan}", customer)
        state = finish.state.fill(ids, shape.tokens)
        handle = engine.deserialize(engine.parse(xml), state)
        [task] = handle.ready_human_tasks()
        assert task.task_id == ids[finish.human[0].task_id]  # the instance's own task ids
        assert not copies.TEMPLATE_ID.search(state) and not copies.SENTINEL.search(state)


def test_a_diagram_that_computes_with_an_id_is_not_shared() -> None:
    computed = linear(script_task("s", "ref = loan_id + 1"), '<bpmn:userTask id="u"/>')
    decided = gateway("loan_id > 5")
    for xml in (computed, decided):
        outcome = _outcome(xml, {"loan_id": 3, "customer_id": 2})
        assert isinstance(outcome, bulk_paths.Unshared), xml


def test_instances_that_differ_in_what_the_diagram_weighs_take_different_nodes() -> None:
    one = bulk_paths.Shape(()).add({"loan_id": 1, "bucket": "M1"}, OPAQUE)
    other = bulk_paths.Shape(()).add({"loan_id": 2, "bucket": "M1"}, OPAQUE)
    third = bulk_paths.Shape(()).add({"loan_id": 1, "bucket": "M2"}, OPAQUE)
    nothing = bulk_paths.Shape(()).add({"loan_id": None, "bucket": "M1"}, OPAQUE)
    assert one.key == other.key != third.key
    assert nothing.key != one.key  # a missing id is not an id: the diagram may test for it
