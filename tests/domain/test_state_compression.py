"""PostgreSQL stores the values every process step writes or reads compressed with lz4.

An instance's state is written at every step and a definition's diagram read by every step;
with pglz (PostgreSQL's default) compressing a state costs PostgreSQL about three times the CPU
(migration 0035).
"""

import importlib

import pytest
from tortoise import connections

from domain import sqltext
from domain.process.models import ProcessDefinition, ProcessInstance

MIGRATION = importlib.import_module("domain.migrations.0035_state_compression")

# an engine state's shape: long, repetitive JSON (beyond the 2 KB PostgreSQL compresses from)
STATE = {
    "engine": "".join(f'{{"id": "task-{n}", "state": 64, "data": {{}}}}, ' for n in range(200)),
    "services": {},
}


async def _compression(table: str, column: str, pk: int) -> str | None:
    _, rows = await connections.get("default").execute_query(
        f'SELECT pg_column_compression("{column}") AS method FROM "{table}" WHERE id = $1', [pk]
    )
    return rows[0]["method"]


async def test_states_and_diagrams_are_stored_with_lz4(shipped_processes: str) -> None:
    if not sqltext.postgres():
        pytest.skip("SQLite stores values as they are")
    _, offered = await connections.get("default").execute_query(MIGRATION.LZ4_OFFERED)
    if not offered[0]["offered"]:
        pytest.skip("this PostgreSQL was built without lz4: migration 0035 leaves pglz")
    # given a deployed process (its diagram stored by the deployment) and an instance of it
    definition = await ProcessDefinition.filter(process_id="credit_approval").first()
    assert definition is not None
    instance = await ProcessInstance.create(
        definition_id=definition.id, business_key="application:1", state=STATE
    )
    # then the diagram and the state are compressed by lz4, and read back whole
    assert await _compression("process_definition", "bpmn_xml", definition.id) == "lz4"
    assert await _compression("process_instance", "state", instance.id) == "lz4"
    instance.state = {**STATE, "services": {"credit.score": {"score": 790}}}
    await instance.save(update_fields=["state"])  # a step's update compresses the same way
    assert await _compression("process_instance", "state", instance.id) == "lz4"
    assert (await ProcessInstance.get(id=instance.id)).state == instance.state
