"""Process definitions over GraphQL: deploy a diagram, list the versions, retire a process."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.relay import Node, to_global_id
from bpmn import deployments
from domain.process.models import InstanceStatus, ProcessInstance
from domain.process.models import ProcessDefinition as DefinitionModel
from domain.simulation import service as simulations


@strawberry.type(description="One deployed, immutable version of a process and its tables.")
class ProcessDefinition(Node):
    id: strawberry.ID
    process_id: str
    version: int
    content_hash: str
    deployed_at: datetime
    deployed_by: str
    origin: str = strawberry.field(
        description="bundled (shipped, deployed by `lendgraph migrate`) or deployed (your own)."
    )
    in_force: bool = strawberry.field(
        description="New instances start on this version: the newest one not retired."
    )
    retired_at: datetime | None = strawberry.field(
        description="When it was retired: with its process, or by a deploy of older content."
    )
    retired_by: str | None = strawberry.field(description="Who retired this version.")
    running_instances: int = strawberry.field(description="Instances still running on it.")
    bpmn_xml: str
    dmn_xmls: list[str]
    simulation_id: int | None = strawberry.field(
        default=None, description="The simulation of this content its deploy cited, if any."
    )

    @classmethod
    def from_model(
        cls, row: DefinitionModel, running: int, in_force: bool, simulation_id: int | None = None
    ) -> "ProcessDefinition":
        """The GraphQL view of a definition row."""
        return cls(
            id=to_global_id("ProcessDefinition", row.id), process_id=row.process_id,
            version=row.version, content_hash=row.content_hash, deployed_at=row.deployed_at,
            deployed_by=row.deployed_by, origin=row.origin, in_force=in_force,
            retired_at=row.retired_at, retired_by=row.retired_by, running_instances=running,
            bpmn_xml=row.bpmn_xml, dmn_xmls=list(row.dmn_xmls), simulation_id=simulation_id,
        )  # fmt: skip


@strawberry.input(description="A BPMN diagram and the DMN tables it uses.")
class DeployProcessInput:
    bpmn_xml: str
    dmn_xmls: list[str] = strawberry.field(default_factory=list)
    simulation_id: int | None = strawberry.field(
        default=None, description="The simulation of this same draft the deploy is based on."
    )


@strawberry.type(description="The diagram is deployed and in force (or was stored already).")
class DeployProcessSuccess:
    definition: ProcessDefinition
    created: bool = strawberry.field(description="False when this exact content was deployed.")
    withdrawn_versions: list[int] = strawberry.field(
        description="Newer versions retired because older content was deployed again."
    )


DeployProcessResult = Annotated[
    DeployProcessSuccess | UserErrors,
    strawberry.union("DeployProcessResult"),
]


@strawberry.input(description="The process to retire.")
class RetireProcessInput:
    process_id: str


@strawberry.type(description="Every version is retired: running instances go on, none starts.")
class RetireProcessSuccess:
    process_id: str
    retired_at: datetime
    retired_by: str
    versions: list[ProcessDefinition] = strawberry.field(description="Its versions, newest first.")


RetireProcessResult = Annotated[
    RetireProcessSuccess | UserErrors,
    strawberry.union("RetireProcessResult"),
]


async def _running(definition_ids: list[int]) -> dict[int, int]:
    """Running-instance counts of some versions."""
    rows = ProcessInstance.filter(definition_id__in=definition_ids, status=InstanceStatus.RUNNING)
    counts: dict[int, int] = {}
    for pk in await rows.values_list("definition_id", flat=True):
        counts[int(pk)] = counts.get(int(pk), 0) + 1  # type: ignore[call-overload]
    return counts


@strawberry.type
class ProcessQueries:
    @strawberry.field(
        description="Deployed process versions, newest first, with their running-instance counts."
    )
    async def process_definitions(self, info: Info) -> list[ProcessDefinition]:
        require_read(info, "process")
        found = await deployments.summaries()
        cited = await simulations.cited_by_definitions(s.definition.id for s in found)
        return [
            ProcessDefinition.from_model(
                s.definition, s.running, s.in_force, cited.get(s.definition.id)
            )
            for s in found
        ]


@strawberry.type
class ProcessMutations:
    @strawberry.mutation(
        description="Deploy a process: refused with every problem named by element id."
    )
    @returns_user_errors
    async def deploy_process(self, info: Info, input: DeployProcessInput) -> DeployProcessResult:
        require(info, "process", "deploy")
        bpmn_xml, dmn_xmls = input.bpmn_xml.encode("utf-8"), [d.encode() for d in input.dmn_xmls]
        if input.simulation_id is not None:  # refused before anything is deployed
            await simulations.check_citable(
                input.simulation_id, draft_digest=deployments.content_hash(bpmn_xml, dmn_xmls)
            )
        async with Audited(info, "process.deploy", "process") as change:
            deployed = await deployments.deploy(
                bpmn_xml, dmn_xmls, deployed_by=subject_of(info).username
            )
            row = deployed.definition
            if input.simulation_id is not None:
                await simulations.cite(
                    definition_id=row.id, simulation_id=input.simulation_id,
                    cited_by=subject_of(info).username,
                )  # fmt: skip
            change.object_id = row.id
            change.after = {
                "process_id": row.process_id, "version": row.version, "origin": row.origin,
                "content_hash": row.content_hash, "created": deployed.created,
                "withdrawn": list(deployed.withdrawn), "simulation_id": input.simulation_id,
            }  # fmt: skip
        running = (await _running([row.id])).get(row.id, 0)
        cited = (await simulations.cited_by_definitions([row.id])).get(row.id)
        return DeployProcessSuccess(
            definition=ProcessDefinition.from_model(row, running, True, cited),
            created=deployed.created, withdrawn_versions=list(deployed.withdrawn),
        )  # fmt: skip

    @strawberry.mutation(
        description="Retire a process: no new instance starts on it until it is deployed again."
    )
    @returns_user_errors
    async def retire_process(self, info: Info, input: RetireProcessInput) -> RetireProcessResult:
        require(info, "process", "deploy")
        current = await deployments.in_force(input.process_id)
        before = {"in_force": current.version if current else None}
        async with Audited(info, "process.retire", "process", before) as change:
            retired = await deployments.retire(
                input.process_id, retired_by=subject_of(info).username
            )
            change.object_id = input.process_id
            change.after = {
                "retired_at": retired.at,
                "versions": [v.version for v in retired.versions],
            }
        running = await _running([v.id for v in retired.versions])
        return RetireProcessSuccess(
            process_id=retired.process_id, retired_at=retired.at, retired_by=retired.by,
            versions=[ProcessDefinition.from_model(v, running.get(v.id, 0), False)
                      for v in retired.versions],
        )  # fmt: skip
