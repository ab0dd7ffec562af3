"""Process definitions over GraphQL: deploy a diagram, list the deployed versions."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.errors import ForbiddenError, ValidationError, returns_user_errors
from api.relay import Node, to_global_id
from bpmn import deployments
from domain.process.models import InstanceStatus, ProcessInstance
from domain.process.models import ProcessDefinition as DefinitionModel


@strawberry.type(description="One deployed, immutable version of a process and its tables.")
class ProcessDefinition(Node):
    id: strawberry.ID
    process_id: str
    version: int
    content_hash: str
    deployed_at: datetime
    deployed_by: str
    running_instances: int = strawberry.field(description="Instances still running on it.")
    bpmn_xml: str
    dmn_xmls: list[str]

    @classmethod
    def from_model(cls, row: DefinitionModel, running: int) -> "ProcessDefinition":
        """The GraphQL view of a definition row."""
        return cls(
            id=to_global_id("ProcessDefinition", row.id), process_id=row.process_id,
            version=row.version, content_hash=row.content_hash, deployed_at=row.deployed_at,
            deployed_by=row.deployed_by, running_instances=running, bpmn_xml=row.bpmn_xml,
            dmn_xmls=list(row.dmn_xmls),
        )  # fmt: skip


@strawberry.input(description="A BPMN diagram and the DMN tables it uses.")
class DeployProcessInput:
    bpmn_xml: str
    dmn_xmls: list[str] = strawberry.field(default_factory=list)


@strawberry.type(description="The diagram is deployed (or was already, with this content).")
class DeployProcessSuccess:
    definition: ProcessDefinition
    created: bool = strawberry.field(description="False when this exact content was deployed.")


DeployProcessResult = Annotated[
    DeployProcessSuccess | ValidationError | ForbiddenError,
    strawberry.union("DeployProcessResult"),
]


@strawberry.type
class ProcessQueries:
    @strawberry.field(description="Deployed process versions with their running-instance counts.")
    async def process_definitions(self, info: Info) -> list[ProcessDefinition]:
        require_read(info, "process")
        return [
            ProcessDefinition.from_model(s.definition, s.running)
            for s in await deployments.summaries()
        ]


@strawberry.type
class ProcessMutations:
    @strawberry.mutation(
        description="Deploy a process: refused with every problem named by element id."
    )
    @returns_user_errors
    async def deploy_process(self, info: Info, input: DeployProcessInput) -> DeployProcessResult:
        require(info, "process", "deploy")
        async with Audited(info, "process.deploy", "process") as change:
            deployed = await deployments.deploy(
                input.bpmn_xml.encode("utf-8"),
                [d.encode("utf-8") for d in input.dmn_xmls],
                deployed_by=subject_of(info).username,
            )
            row = deployed.definition
            change.object_id = row.id
            change.after = {
                "process_id": row.process_id, "version": row.version,
                "content_hash": row.content_hash, "created": deployed.created,
            }  # fmt: skip
        running = await ProcessInstance.filter(
            definition_id=row.id, status=InstanceStatus.RUNNING
        ).count()
        return DeployProcessSuccess(
            definition=ProcessDefinition.from_model(row, running), created=deployed.created
        )
