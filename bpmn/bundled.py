"""The processes shipped in bpmn/processes, and what ``lendgraph migrate`` does with them.

A database with none of a shipped process gets it, origin ``bundled``. When a release ships a
changed file, it is deployed as a new version only while the institution has not taken the
process over: the version in force and the newest version are both bundled. Otherwise the
institution's version stays in force; a retired process stays retired; unchanged content
deploys nothing. :func:`plan` decides from what is stored (pure); :func:`install` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from bpmn import deployments
from bpmn.deployments import when
from domain.access import audit
from domain.process.models import DefinitionOrigin, ProcessDefinition

DEPLOYED_BY = "lendgraph migrate"


class Verdict(StrEnum):
    """Where a process stands against the shipped file, and so what migrate does."""

    NEW = "new"  # shipped, never deployed: migrate deploys it
    UPDATE = "update"  # the shipped file changed and the bundled version is in force: deployed
    CURRENT = "current"  # the shipped content is in force
    THEIRS = "theirs"  # the institution's own version is in force (or newer): left alone
    RETIRED = "retired"  # every version retired: not redeployed
    NOT_SHIPPED = "not_shipped"  # the institution's own process


@dataclass(frozen=True, slots=True)
class Shipped:
    """A process file shipped with lendgraph, with the tables it calls."""

    process_id: str
    bpmn_xml: bytes
    dmn_xmls: tuple[bytes, ...]
    content_hash: str


@dataclass(frozen=True, slots=True)
class Version:
    """What the plan needs of a stored version."""

    version: int
    content_hash: str
    origin: str
    deployed_by: str
    deployed_at: datetime
    retired_at: datetime | None = None
    retired_by: str | None = None

    @property
    def described(self) -> str:
        """`v3 (bundled, deployed by … on …)`."""
        at = when(self.deployed_at)
        return f"v{self.version} ({self.origin}, deployed by {self.deployed_by} on {at})"


@dataclass(frozen=True, slots=True)
class Entry:
    """One process: the shipped file, what is stored, the verdict, and what migrate deployed."""

    process_id: str
    verdict: Verdict
    shipped: Shipped | None = None
    in_force: Version | None = None
    newest: Version | None = None
    retired: Version | None = None  # the version whose mark says when and by whom
    stored_as: int | None = None  # the version that holds the shipped content, if any
    deployed: Version | None = None  # set by install when it deployed the shipped file

    @property
    def deploys(self) -> bool:
        """Whether migrate deploys the shipped file."""
        return self.verdict in (Verdict.NEW, Verdict.UPDATE)

    @property
    def differs(self) -> bool | None:
        """Whether the shipped file differs from the version in force; None when not shipped."""
        if self.shipped is None:
            return None
        return self.in_force is None or self.in_force.content_hash != self.shipped.content_hash

    def action(self) -> str:
        """What migrate will do, or did."""
        if self.deployed is not None:
            update = " (shipped update)" if self.verdict == Verdict.UPDATE else ""
            return f"deployed v{self.deployed.version}{update}"
        if self.verdict == Verdict.NEW:
            return "not deployed yet; migrate will deploy it"
        if self.verdict == Verdict.UPDATE:
            return "migrate will deploy the shipped update"
        if self.verdict == Verdict.CURRENT:
            return "up to date"
        if self.verdict == Verdict.RETIRED:
            assert self.retired is not None and self.retired.retired_at is not None
            said = f"retired on {when(self.retired.retired_at)} by {self.retired.retired_by}"
            return f"{said}; not redeployed" if self.shipped is not None else said
        if self.verdict == Verdict.NOT_SHIPPED:
            return "your own process"
        return self._theirs()

    def _theirs(self) -> str:
        assert self.in_force is not None and self.newest is not None
        if self.in_force.origin != DefinitionOrigin.BUNDLED:
            head = f"your v{self.in_force.version} is in force"
        else:  # they went back to a bundled version after their own newer one
            head = f"v{self.in_force.version} is in force after your v{self.newest.version}"
        if self.stored_as is not None:
            return f"{head}; the shipped file is v{self.stored_as}, not redeployed"
        return f"{head}; the shipped update is not deployed"

    def line(self) -> str:
        """The one line `lendgraph migrate` and `lendgraph processes status` print."""
        force = f"{self.in_force.described} in force" if self.in_force else "nothing in force"
        shipped = {None: "not shipped", True: "shipped file: differs", False: "shipped file: same"}
        return f"{self.process_id}: {force}; {shipped[self.differs]}; {self.action()}"


def shipped(directory: Path | None = None) -> list[Shipped]:
    """The processes shipped in a directory (bpmn/processes by default), by name."""
    return [
        Shipped(stem, xml, tuple(dmns), deployments.content_hash(xml, dmns))
        for stem, xml, dmns in deployments.bundle_files(directory or deployments.BUNDLED)
    ]


def _decide(process_id: str, item: Shipped | None, versions: Sequence[Version]) -> Entry:
    ordered = sorted(versions, key=lambda v: v.version, reverse=True)
    newest = ordered[0] if ordered else None
    in_force = next((v for v in ordered if v.retired_at is None), None)
    retired = None
    if ordered and in_force is None:
        retired = max(ordered, key=lambda v: (v.retired_at or v.deployed_at, v.version))
    stored_as = None
    if item is not None:
        stored_as = next((v.version for v in ordered if v.content_hash == item.content_hash), None)
    if retired is not None:
        verdict = Verdict.RETIRED
    elif item is None:
        verdict = Verdict.NOT_SHIPPED
    elif in_force is None or newest is None:
        verdict = Verdict.NEW
    elif in_force.content_hash == item.content_hash:
        verdict = Verdict.CURRENT
    elif in_force.origin == newest.origin == DefinitionOrigin.BUNDLED:
        verdict = Verdict.UPDATE
    else:
        verdict = Verdict.THEIRS
    return Entry(process_id, verdict, item, in_force, newest, retired, stored_as)


def plan(items: Sequence[Shipped], stored: Mapping[str, Sequence[Version]]) -> list[Entry]:
    """Per shipped or stored process, by name: where it stands and whether migrate deploys."""
    by_id = {item.process_id: item for item in items}
    return [
        _decide(pid, by_id.get(pid), stored.get(pid, ()))
        for pid in sorted(set(by_id) | set(stored))
    ]


async def stored() -> dict[str, list[Version]]:
    """Every stored version by process, without its XML."""
    found: dict[str, list[Version]] = {}
    rows = await ProcessDefinition.all().values(
        "process_id", "version", "content_hash", "origin", "deployed_by", "deployed_at",
        "retired_at", "retired_by",
    )  # fmt: skip
    for row in rows:
        pid = row.pop("process_id")
        found.setdefault(str(pid), []).append(Version(**row))
    return found


async def status(directory: Path | None = None) -> list[Entry]:
    """Where every shipped and deployed process stands, and what migrate would do."""
    return plan(shipped(directory), await stored())


async def install(directory: Path | None = None, *, deployed_by: str = DEPLOYED_BY) -> list[Entry]:
    """Deploy the shipped files the plan says to (each with its audit entry); the entries after."""
    actor = audit.Actor(user_id=None, username=deployed_by, via="cli")
    made: dict[str, tuple[Verdict, Version]] = {}
    for entry in await status(directory):
        if not entry.deploys:
            continue
        assert entry.shipped is not None
        async with in_transaction():
            done = await deployments.deploy(
                entry.shipped.bpmn_xml, list(entry.shipped.dmn_xmls), deployed_by=deployed_by,
                origin=DefinitionOrigin.BUNDLED,
            )  # fmt: skip
            row = done.definition
            after: dict[str, Any] = {
                "process_id": row.process_id, "version": row.version, "origin": row.origin,
                "content_hash": row.content_hash, "created": done.created,
                "withdrawn": list(done.withdrawn),
            }  # fmt: skip
            await audit.record(
                actor, action="process.deploy", object_type="process", object_id=row.id,
                after=after,
            )  # fmt: skip
        made[entry.process_id] = (entry.verdict, _version(row))
    out = []
    for entry in await status(directory):
        if entry.process_id in made:
            verdict, version = made[entry.process_id]
            entry = replace(entry, verdict=verdict, deployed=version)
        out.append(entry)
    return out


def _version(row: ProcessDefinition) -> Version:
    return Version(
        row.version, row.content_hash, row.origin, row.deployed_by, row.deployed_at,
        row.retired_at, row.retired_by,
    )  # fmt: skip
