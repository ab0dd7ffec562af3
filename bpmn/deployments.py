"""Deploying processes: checked, then stored once per content as an immutable version.

The version in force of a process, the one new instances start on, is its newest version
not retired. Deploying content puts it in force: new content becomes a new version; content
already stored brings its version back (its retirement mark cleared) and retires the versions
newer than it, so redeploying an older diagram is a rollback. Retiring a process marks every
version; running instances go on, no new one starts until the process is deployed again.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bpmn import definitions
from bpmn.errors import DeployError, ProcessNotDeployedError
from bpmn.validation import deploy_check
from domain import byhand, sqltext
from domain.clock import service as clock
from domain.errors import ConflictError, NotFoundError
from domain.process.models import (
    DefinitionOrigin,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from domain.transactions import savepoint

BUNDLED = Path(__file__).resolve().parent / "processes"


@dataclass(frozen=True, slots=True)
class Deployed:
    """The stored version, whether this call created it, and the newer versions it retired."""

    definition: ProcessDefinition
    created: bool
    withdrawn: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DefinitionSummary:
    """A deployed version, how many instances still run on it, and whether it is in force."""

    definition: ProcessDefinition
    running: int
    in_force: bool = False


@dataclass(frozen=True, slots=True)
class Retired:
    """A retired process: when, by whom, and the versions that carry the mark."""

    process_id: str
    at: datetime
    by: str
    versions: list[ProcessDefinition]


def content_hash(bpmn_xml: bytes, dmn_xmls: list[bytes]) -> str:
    """The identity of a deployment: SHA-256 over the diagram and its tables, order-free."""
    digest = hashlib.sha256(hashlib.sha256(bpmn_xml).digest())
    for table in sorted(hashlib.sha256(d).digest() for d in dmn_xmls):
        digest.update(table)
    return digest.hexdigest()


def when(moment: datetime) -> str:
    """A stored time as people read it in messages: minutes, UTC."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


async def in_force(process_id: str) -> ProcessDefinition | None:
    """The version new instances of a process start on: the newest not retired."""
    found = await _in_force_at(process_id)
    return found[0] if found is not None else None


async def _in_force_at(process_id: str) -> tuple[ProcessDefinition, datetime] | None:
    _, found = await sqltext.execute(_in_force_sql(), {"process_id": process_id})
    if not found:
        return None
    return await definitions.hydrate(found[0]), clock.moment_of(found[0])


@cache
def _in_force_sql() -> str:
    return (
        f"SELECT {definitions.select_list('pd')}, {clock.COLUMNS} FROM "  # noqa: S608
        f"{ProcessDefinition._meta.db_table} pd WHERE pd.process_id = :process_id "
        "AND pd.retired_at IS NULL ORDER BY pd.version DESC LIMIT 1"
    )


async def require_in_force(process_id: str) -> ProcessDefinition:
    """The version in force, or ProcessNotDeployedError saying why there is none and the fix."""
    return (await require_in_force_at(process_id))[0]


async def in_force_with(
    process_id: str, instance: ProcessInstance
) -> tuple[ProcessDefinition, datetime]:
    """`require_in_force_at`, and on PostgreSQL `instance` (made, not saved; its definition
    left out) inserted for that version by the same statement, its key set; on SQLite inserted
    by a second. Nothing is inserted when no version is in force."""
    if not sqltext.postgres():
        definition, moment = await require_in_force_at(process_id)
        instance.definition_id = definition.id
        await byhand.create(instance)
        return definition, moment
    insert, values = byhand.inserting_from(instance, "d", definition_id="d.id")
    _, found = await sqltext.execute(
        _in_force_with_sql(insert), {**values, "process_id": process_id}
    )
    if not found:
        raise await _not_in_force(process_id)
    row = found[0]
    instance.definition_id = row["id"]
    instance.pk = row["lg_instance"]
    instance._saved_in_db = True
    return await definitions.hydrate(row), clock.moment_of(row)


@cache
def _in_force_with_sql(insert: str) -> str:
    return (
        f'WITH d AS ({_in_force_sql()}), lg_new AS ({insert} RETURNING "id") '  # noqa: S608
        'SELECT d.*, (SELECT "id" FROM lg_new) AS lg_instance FROM d'
    )


async def require_in_force_at(process_id: str) -> tuple[ProcessDefinition, datetime]:
    """`require_in_force`, and the business moment (`clock.now()`) read by the same statement."""
    found = await _in_force_at(process_id)
    if found is not None:
        return found
    raise await _not_in_force(process_id)


async def _not_in_force(process_id: str) -> ProcessNotDeployedError:
    """Why no version of the process is in force, and the fix."""
    retired = await retirement(process_id)
    if retired is None:
        migrate = " or run `lendgraph migrate`" if (BUNDLED / f"{process_id}.bpmn").exists() else ""
        return ProcessNotDeployedError(
            process_id, f"process {process_id} is not deployed: deploy it in the designer{migrate}"
        )
    return ProcessNotDeployedError(
        process_id,
        f"process {process_id} was retired on {when(retired.at)} by {retired.by}: "
        "deploy it again in the designer to bring it back (`lendgraph migrate` does not "
        "redeploy a retired process)",
    )


async def retirement(process_id: str) -> Retired | None:
    """When and by whom a process was retired; None while a version is in force (or none)."""
    versions = await ProcessDefinition.filter(process_id=process_id).order_by("-version")
    if not versions or any(v.retired_at is None for v in versions):
        return None
    last = max(versions, key=lambda v: (v.retired_at, v.version))
    assert last.retired_at is not None
    return Retired(process_id, last.retired_at, last.retired_by or "", versions)


async def retire(process_id: str, *, retired_by: str) -> Retired:
    """Mark every version of a process retired: running instances go on, none starts anew."""
    async with in_transaction():
        rows = ProcessDefinition.filter(process_id=process_id)
        if not await rows.select_for_update().values_list("id", flat=True):
            raise NotFoundError("process", process_id)
        done = await retirement(process_id)
        if done is not None:
            raise ConflictError(
                f"process {process_id} is already retired (on {when(done.at)} by {done.by})"
            )
        await rows.filter(retired_at__isnull=True).update(
            retired_at=datetime.now(UTC), retired_by=retired_by[:64]
        )
        found = await retirement(process_id)
    assert found is not None
    return found


async def _bring_into_force(row: ProcessDefinition, *, by: str) -> tuple[int, ...]:
    """Put a stored version in force again: clear its mark, retire the versions newer than it."""
    async with in_transaction():
        if row.retired_at is not None:
            await ProcessDefinition.filter(id=row.id).update(retired_at=None, retired_by=None)
            row.retired_at, row.retired_by = None, None
        newer = ProcessDefinition.filter(
            process_id=row.process_id, version__gt=row.version, retired_at__isnull=True
        )
        versions = await newer.values_list("version", flat=True)
        withdrawn = tuple(sorted(int(v) for v in versions))  # type: ignore[call-overload]
        if withdrawn:
            await newer.update(retired_at=datetime.now(UTC), retired_by=by[:64])
    return withdrawn


async def deploy(
    bpmn_xml: bytes,
    dmn_xmls: list[bytes],
    *,
    deployed_by: str,
    origin: DefinitionOrigin = DefinitionOrigin.DEPLOYED,
) -> Deployed:
    """Check a diagram (every problem named by element id), then store it and put it in force.

    Deploying content that is already stored puts that version in force again (see the module
    docstring) and stores nothing: deployments are keyed by content, so running instances keep
    the exact version they started with.
    """
    bundle = deploy_check(bpmn_xml, dmn_xmls)
    if len(bundle.process_ids) != 1:
        raise DeployError(
            [(None, f"a deployment holds one executable process, found {bundle.process_ids}")]
        )
    digest = content_hash(bpmn_xml, dmn_xmls)
    found = await ProcessDefinition.get_or_none(content_hash=digest)
    if found is not None:
        definitions.remember(found)
        return Deployed(found, False, await _bring_into_force(found, by=deployed_by))
    process_id = bundle.process_ids[0]
    for _ in range(5):  # two deployers may pick the same next version: the unique key decides
        latest = await ProcessDefinition.filter(process_id=process_id).order_by("-version").first()
        try:
            # a savepoint: a lost race must not abort the caller's transaction (PostgreSQL
            # refuses every statement after an error until the transaction rolls back)
            async with in_transaction(), savepoint():
                row = await ProcessDefinition.create(
                    process_id=process_id,
                    version=(latest.version if latest else 0) + 1,
                    content_hash=digest,
                    bpmn_xml=bpmn_xml.decode("utf-8"),
                    dmn_xmls=[d.decode("utf-8") for d in dmn_xmls],
                    deployed_at=datetime.now(UTC),
                    deployed_by=deployed_by,
                    origin=origin.value,
                )
            definitions.remember(row)
            return Deployed(row, created=True)
        except IntegrityError:
            again = await ProcessDefinition.get_or_none(content_hash=digest)
            if again is not None:  # the same content was deployed meanwhile
                return Deployed(again, False, await _bring_into_force(again, by=deployed_by))
    raise DeployError([(process_id, "could not pick a version: too many concurrent deploys")])


async def summaries() -> list[DefinitionSummary]:
    """Every deployed version, newest first per process, with its running-instance count."""
    rows = await ProcessDefinition.all().order_by("process_id", "-version")
    current: dict[str, int] = {}
    for row in rows:
        if row.retired_at is None:
            current.setdefault(row.process_id, row.id)
    counts = dict(
        await ProcessInstance.filter(status=InstanceStatus.RUNNING)
        .annotate(n=Count("id"))
        .group_by("definition_id")
        .values_list("definition_id", "n")
    )
    return [
        DefinitionSummary(row, int(counts.get(row.id, 0)), current.get(row.process_id) == row.id)
        for row in rows
    ]


def bundle_files(directory: Path = BUNDLED) -> list[tuple[str, bytes, list[bytes]]]:
    """The processes in a directory: (file stem, diagram, the tables it calls), by name."""
    tables = {path.stem: path.read_bytes() for path in sorted(directory.glob("*.dmn"))}
    out = []
    for diagram in sorted(directory.glob("*.bpmn")):
        xml = diagram.read_bytes()
        called = re.findall(rb"calledDecisionId>\s*([A-Za-z_][\w-]*)\s*<", xml)
        dmns = [tables[name.decode()] for name in dict.fromkeys(called) if name.decode() in tables]
        out.append((diagram.stem, xml, dmns))
    return out


async def deploy_bundled(*, deployed_by: str = "lendgraph") -> list[Deployed]:
    """Deploy every shipped process as it is, unconditionally (tests and benchmarks).

    ``lendgraph migrate`` goes through :mod:`bpmn.bundled` instead, which leaves the
    institution's own versions and retirements alone.
    """
    return [
        await deploy(xml, dmns, deployed_by=deployed_by, origin=DefinitionOrigin.BUNDLED)
        for _, xml, dmns in bundle_files()
    ]
