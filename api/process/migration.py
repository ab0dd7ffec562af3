"""Moving running instances to a newer version of their process, where the engine finds it safe."""

from typing import Annotated

import strawberry

from api.access import Audited, require
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.process.tasks import ProcessInstance
from bpmn import deployments, instance_migration
from domain.errors import ConflictError as DomainConflictError
from domain.errors import NotFoundError as DomainNotFoundError
from domain.process.models import ProcessDefinition
from domain.process.models import ProcessInstance as InstanceModel


@strawberry.input(description="Which process's unfinished instances to move, and to which version.")
class MigrateProcessInstancesInput:
    process_id: str
    to_version: int | None = strawberry.field(
        default=None, description="Default: the version in force."
    )
    dry_run: bool = strawberry.field(default=False, description="Only say what would move.")


@strawberry.type(description="One instance: moved (or movable), or why not.")
class InstanceMigration:
    process_instance: ProcessInstance
    from_version: int
    migrated: bool
    problems: list[str] = strawberry.field(description="Empty when the move is safe.")


@strawberry.type(description="Unfinished instances on older versions, moved where safe.")
class MigrateProcessInstancesSuccess:
    to_version: int
    dry_run: bool
    movable: int = strawberry.field(description="Instances that can move (or moved) safely.")
    refused: int
    instances: list[InstanceMigration]


MigrateProcessInstancesResult = Annotated[
    MigrateProcessInstancesSuccess | UserErrors,
    strawberry.union("MigrateProcessInstancesResult"),
]


@strawberry.type
class MigrationMutations:
    @strawberry.mutation(
        description="Move unfinished instances of older versions to a version, where safe."
    )
    @returns_user_errors
    async def migrate_process_instances(
        self, info: Info, input: MigrateProcessInstancesInput
    ) -> MigrateProcessInstancesResult:
        require(info, "process", "migrate")
        versions = ProcessDefinition.filter(process_id=input.process_id)
        target = await (
            versions.filter(version=input.to_version).first()
            if input.to_version is not None
            else deployments.in_force(input.process_id)
        )
        if target is None:
            raise DomainNotFoundError("process version", f"{input.process_id} {input.to_version}")
        if target.retired_at is not None:
            raise DomainConflictError(
                f"{input.process_id} v{target.version} is retired: deploy it again to move to it"
            )
        older = await InstanceModel.filter(
            definition__process_id=input.process_id, status__in=instance_migration.MIGRATABLE,
            definition__version__lt=target.version,
        ).order_by("id").values_list("id", flat=True)  # fmt: skip
        async with Audited(info, "process.migrate", "process") as change:
            results = [
                await instance_migration.migrate(int(pk), target, dry_run=input.dry_run)  # type: ignore[call-overload]
                for pk in older
            ]
            change.object_id = target.id
            change.after = {
                "to_version": target.version, "dry_run": input.dry_run,
                "migrated": [r.instance_id for r in results if r.migrated],
                "refused": {r.instance_id: r.problems for r in results if r.problems},
            }  # fmt: skip
        rows = {
            r.id: r
            for r in await InstanceModel.filter(id__in=[r.instance_id for r in results])
            .prefetch_related("definition")
        }  # fmt: skip
        return MigrateProcessInstancesSuccess(
            to_version=target.version,
            dry_run=input.dry_run,
            movable=sum(1 for r in results if not r.problems),
            refused=sum(1 for r in results if r.problems),
            instances=[
                InstanceMigration(
                    process_instance=ProcessInstance.from_model(rows[r.instance_id]),
                    from_version=r.from_version,
                    migrated=r.migrated,
                    problems=r.problems,
                )
                for r in results
            ],
        )
