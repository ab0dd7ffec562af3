"""Moving running instances to a new version: offered when safe, refused with the reason."""

from __future__ import annotations

from bpmn import deployments, instance_migration, runner
from bpmn.deployments import BUNDLED, deploy_bundled
from domain.process.models import ProcessDefinition, ProcessInstance
from tests import factories
from tests.bpmn.test_waits import _review_waiting

APPROVAL = (BUNDLED / "credit_approval.bpmn").read_text()
TABLE = (BUNDLED / "risk_lane.dmn").read_bytes()


async def _version(xml: str) -> ProcessDefinition:
    deployed = await deployments.deploy(xml.encode(), [TABLE], deployed_by="analyst")
    return deployed.definition


async def test_a_change_ahead_of_the_instance_moves_it_and_it_runs_on(db: str) -> None:
    view = await _review_waiting()  # waiting at review_application, on version 1
    ahead = await _version(
        APPROVAL.replace("amount &gt; second_approval_above", "amount &gt;= second_approval_above")
    )
    assert ahead.version == 2
    dry = await instance_migration.migrate(view.id, ahead, dry_run=True)
    assert (dry.migrated, dry.problems) == (False, [])
    unmoved = await ProcessInstance.get(id=view.id).prefetch_related("definition")
    assert unmoved.definition.version == 1
    moved = await instance_migration.migrate(view.id, ahead)
    assert (moved.migrated, moved.from_version, moved.to_version) == (True, 1, 2)
    instance = await ProcessInstance.get(id=view.id).prefetch_related("definition")
    assert instance.definition.version == 2
    officer = await factories.user("ro", ["risk_officer"])
    [review] = view.open_tasks
    done = await runner.complete_task(review.id, {"decision": "DECLINED"}, user_id=officer.id)
    assert (done.status, done.version) == ("COMPLETED", 2)


async def test_a_change_to_a_reached_element_is_refused_with_the_reason(db: str) -> None:
    view = await _review_waiting()
    renamed = await _version(
        APPROVAL.replace('name="Review application"', 'name="Review the application"')
    )
    refused = await instance_migration.migrate(view.id, renamed)
    assert refused.migrated is False
    assert refused.problems == [
        "review_application (Review application) changed and is already reached"
    ]
    instance = await ProcessInstance.get(id=view.id).prefetch_related("definition")
    assert instance.definition.version == 1  # left where it was


async def test_a_waiting_timer_that_changed_is_refused(db: str) -> None:
    view = await _review_waiting()
    renamed_timer = APPROVAL.replace("review_sla", "review_deadline")
    refused = await instance_migration.migrate(view.id, await _version(renamed_timer))
    assert refused.problems == [
        "review_sla (Review SLA (2 days)) changed and is already reached"
    ], refused.problems


async def test_finished_instances_and_other_processes_are_not_moved(db: str) -> None:
    view = await _review_waiting()
    await deploy_bundled()
    collections = await ProcessDefinition.get(process_id="collections")
    other = await instance_migration.migrate(view.id, collections)
    assert other.problems == ["instance runs credit_approval, not collections"]
    current = await ProcessDefinition.get(process_id="credit_approval", version=1)
    same = await instance_migration.migrate(view.id, current)
    assert same.problems and "already runs version 1" in same.problems[0]
