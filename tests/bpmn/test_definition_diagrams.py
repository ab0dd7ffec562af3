"""A step reads its definition whole, and its diagram from the database once per content.

Every step of every instance reads its definition (26 KB of diagram and more of tables for
credit approval) with the instance it locks; definitions are immutable and their content hash
names them, so a process keeps what it read and the step's statement leaves them out.
"""

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from bpmn import definitions, deployments, runner
from bpmn.locks import locked_instance_at
from domain.clock import service as clock
from domain.process.models import ProcessDefinition, ProcessInstance
from domain.statements import count_statements
from tests.bpmn.test_waits import _review_waiting
from tests.conftest import TODAY


def _same(mine: ProcessDefinition, theirs: ProcessDefinition) -> None:
    for name in ProcessDefinition._meta.db_fields:
        assert (getattr(mine, name), type(getattr(mine, name))) == (
            getattr(theirs, name), type(getattr(theirs, name)),
        ), name  # fmt: skip


async def test_a_step_reads_the_diagram_once_per_content(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an instance of a deployed process, in a server process that has read nothing yet
    monkeypatch.setattr(definitions, "_DIAGRAMS", {}, raising=False)
    stored = await ProcessDefinition.get(process_id="credit_approval", retired_at=None)
    instance = await ProcessInstance.create(definition_id=stored.id, business_key="application:7")
    # when a step locks it, twice
    async with in_transaction():
        with count_statements() as first:
            found, _ = await locked_instance_at(instance.id)
        with count_statements() as again:
            found_again, _ = await locked_instance_at(instance.id)
    # then the first read the diagram and tables by a second statement, the next did not
    assert first.count == 2 and again.count == 1, (first.statements, again.statements)
    assert not any("bpmn_xml" in s for s in again.statements)
    # and both steps have the definition whole, as Tortoise reads it
    _same(found.definition, stored)
    _same(found_again.definition, stored)
    # each its own list of tables: a change to one is not the next step's
    found.definition.dmn_xmls.append("<changed/>")
    again_found, _ = await locked_instance_at(instance.id)
    _same(again_found.definition, stored)


async def test_a_new_instance_reads_the_version_in_force_without_its_diagram(
    shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a process this server deployed (it kept what it stored)
    monkeypatch.setattr(definitions, "_DIAGRAMS", {}, raising=False)
    [deployed, *_] = await deployments.deploy_bundled()
    definition = deployed.definition
    # when the version in force is read for a new instance
    with count_statements() as log:
        found, _ = await deployments.require_in_force_at(definition.process_id)
    # then one statement, without the diagram, gives it whole
    assert log.count == 1 and "bpmn_xml" not in log.statements[0], log.statements
    _same(found, await ProcessDefinition.get(id=definition.id))


async def test_a_timer_fires_without_reading_the_diagram(db: str) -> None:
    # given an application waiting for a risk officer, its timer armed by this process
    view = await _review_waiting()
    await clock.set_(TODAY + timedelta(days=3))
    # when a worker fires the due timer
    with count_statements() as log:
        assert await runner.run_due() == 1
    # then no statement of its step carried the diagram or the tables
    assert not [s for s in log.statements if "bpmn_xml" in s or "dmn_xmls" in s], log.statements
    assert (await ProcessInstance.get(id=view.id)).revision > 1
