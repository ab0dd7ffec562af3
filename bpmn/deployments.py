"""Deploying processes: checked, then stored once per content as an immutable version."""

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from bpmn.errors import DeployError
from bpmn.validation import deploy_check
from domain.process.models import InstanceStatus, ProcessDefinition, ProcessInstance


@dataclass(frozen=True, slots=True)
class Deployed:
    """The stored version, and whether this call created it."""

    definition: ProcessDefinition
    created: bool


@dataclass(frozen=True, slots=True)
class DefinitionSummary:
    """A deployed version and how many instances still run on it."""

    definition: ProcessDefinition
    running: int


def content_hash(bpmn_xml: bytes, dmn_xmls: list[bytes]) -> str:
    """The identity of a deployment: SHA-256 over the diagram and its tables, order-free."""
    digest = hashlib.sha256(hashlib.sha256(bpmn_xml).digest())
    for table in sorted(hashlib.sha256(d).digest() for d in dmn_xmls):
        digest.update(table)
    return digest.hexdigest()


async def deploy(bpmn_xml: bytes, dmn_xmls: list[bytes], *, deployed_by: str) -> Deployed:
    """Check a diagram (every problem named by element id), then store it as a new version.

    Deploying content that is already stored returns that version: deployments are keyed by
    content, so running instances keep the exact version they started with.
    """
    bundle = deploy_check(bpmn_xml, dmn_xmls)
    if len(bundle.process_ids) != 1:
        raise DeployError(
            [(None, f"a deployment holds one executable process, found {bundle.process_ids}")]
        )
    digest = content_hash(bpmn_xml, dmn_xmls)
    found = await ProcessDefinition.get_or_none(content_hash=digest)
    if found is not None:
        return Deployed(found, created=False)
    process_id = bundle.process_ids[0]
    for _ in range(5):  # two deployers may pick the same next version: the unique key decides
        latest = await ProcessDefinition.filter(process_id=process_id).order_by("-version").first()
        try:
            row = await ProcessDefinition.create(
                process_id=process_id,
                version=(latest.version if latest else 0) + 1,
                content_hash=digest,
                bpmn_xml=bpmn_xml.decode("utf-8"),
                dmn_xmls=[d.decode("utf-8") for d in dmn_xmls],
                deployed_at=datetime.now(UTC),
                deployed_by=deployed_by,
            )
            return Deployed(row, created=True)
        except IntegrityError:
            again = await ProcessDefinition.get_or_none(content_hash=digest)
            if again is not None:  # the same content was deployed meanwhile
                return Deployed(again, created=False)
    raise DeployError([(process_id, "could not pick a version: too many concurrent deploys")])


async def summaries() -> list[DefinitionSummary]:
    """Every deployed version, newest first per process, with its running-instance count."""
    rows = await ProcessDefinition.all().order_by("process_id", "-version")
    counts = dict(
        await ProcessInstance.filter(status=InstanceStatus.RUNNING)
        .annotate(n=Count("id"))
        .group_by("definition_id")
        .values_list("definition_id", "n")
    )
    return [DefinitionSummary(row, int(counts.get(row.id, 0))) for row in rows]


BUNDLED = Path(__file__).resolve().parent / "processes"


async def deploy_bundled(*, deployed_by: str = "lendgraph") -> list[Deployed]:
    """Deploy the processes shipped in bpmn/processes, each with the tables it calls."""
    tables = {path.stem: path.read_bytes() for path in sorted(BUNDLED.glob("*.dmn"))}
    out = []
    for diagram in sorted(BUNDLED.glob("*.bpmn")):
        xml = diagram.read_bytes()
        called = re.findall(rb"calledDecisionId>\s*([A-Za-z_][\w-]*)\s*<", xml)
        dmns = [tables[name.decode()] for name in dict.fromkeys(called) if name.decode() in tables]
        out.append(await deploy(xml, dmns, deployed_by=deployed_by))
    return out
