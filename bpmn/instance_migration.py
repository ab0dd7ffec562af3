"""Moving unfinished instances to another version of their process, when that is safe."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from bpmn import engine
from bpmn.definitions import bundle
from bpmn.locks import definition_of, locked_instance
from domain.process.models import InstanceStatus, ProcessDefinition


@dataclass(frozen=True, slots=True)
class Migration:
    """Whether an instance moves (or may move) to another version, and why not."""

    instance_id: int
    from_version: int
    to_version: int
    migrated: bool
    problems: list[str]


MIGRATABLE = (InstanceStatus.RUNNING, InstanceStatus.RETRYING, InstanceStatus.FAILED)


async def migrate(instance_id: int, to: ProcessDefinition, *, dry_run: bool = False) -> Migration:
    """Move an unfinished instance to version ``to`` of its process when that is safe.

    The stored state names its tasks by element id and holds no spec, so moving is switching
    the definition it is read with, once the engine finds every reached element unchanged
    (:func:`bpmn.engine.migration_problems`). ``dry_run`` only answers whether it would move.
    """
    async with in_transaction():
        instance = await locked_instance(instance_id)
        current = await definition_of(instance)
        problems: list[str] = []
        if current.process_id != to.process_id:
            problems.append(f"instance runs {current.process_id}, not {to.process_id}")
        elif current.id == to.id:
            problems.append(f"instance already runs version {to.version}")
        elif instance.status not in MIGRATABLE or not instance.state:
            problems.append(f"instance is {instance.status}")
        else:
            old, new, saved = bundle(current), bundle(to), str(instance.state["engine"])
            problems = await asyncio.to_thread(engine.migration_problems, old, new, saved)
        moved = not problems and not dry_run
        if moved:
            instance.definition_id = to.id
            instance.revision += 1
            await instance.save(update_fields=["definition_id", "revision", "updated_at"])
        return Migration(instance.id, current.version, to.version, moved, problems)
