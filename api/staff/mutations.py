"""Administrators manage staff accounts: create, change, disable, enable, reset, hand over."""

from datetime import UTC, datetime
from typing import Any

import strawberry

from api.access import require, subject_of
from api.context import Info
from api.errors import returns_user_errors
from api.process.tasks import Task
from api.relay import expect_id, optional_id
from api.staff.inputs import (
    CreateUserInput,
    DisableUserInput,
    EnableUserInput,
    ReassignCustomersInput,
    ResetPasswordInput,
    UpdateUserInput,
)
from api.staff.types import (
    CreateUserResult,
    CreateUserSuccess,
    DisableUserResult,
    DisableUserSuccess,
    EnableUserResult,
    EnableUserSuccess,
    ReassignCustomersResult,
    ReassignCustomersSuccess,
    ResetPasswordResult,
    ResetPasswordSuccess,
    UpdateUserResult,
    UpdateUserSuccess,
)
from api.system.types import User
from authz import scoping
from domain.access import accounts, credentials
from domain.user import handover, service


def _manager(value: strawberry.ID | None) -> int | None:
    return optional_id(value, "User", "managerId")


@strawberry.type
class StaffMutations:
    @strawberry.mutation(description="Create a staff account with a provisional password (admin).")
    @returns_user_errors
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserResult:
        require(info, "user", "create")
        details = {"full_name": input.full_name, "email": input.email, "branch": input.branch,
                   "team": input.team, "manager_id": _manager(input.manager_id)}  # fmt: skip
        row, temporary = await service.create(
            username=input.username, roles=input.roles, password=input.password,
            known_roles=info.context.authorizer.known_roles, now=datetime.now(UTC),
            details=details, actor=info.context.actor(),
        )  # fmt: skip
        expires = credentials.expires_at(row)
        assert expires is not None  # accounts made here are always provisional
        return CreateUserSuccess(
            user=User.from_model(row), temporary_password=temporary, password_expires_at=expires
        )

    @strawberry.mutation(description="Change a staff account's name, email, branch, team, manager.")
    @returns_user_errors
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserResult:
        require(info, "user", "update")
        user_id = expect_id(input.user_id, "User", "userId")
        changes: dict[str, Any] = {
            name: getattr(input, name)
            for name in ("full_name", "email", "branch", "team")
            if getattr(input, name) is not strawberry.UNSET
        }
        if input.manager_id is not strawberry.UNSET:
            changes["manager_id"] = _manager(input.manager_id)
        row = await service.update(user_id, changes, actor=info.context.actor())
        return UpdateUserSuccess(user=User.from_model(row))

    @strawberry.mutation(
        description="Disable an account: its tokens and API keys stop working at their next "
        "request; its open tasks and customers are listed, not reassigned."
    )
    @returns_user_errors
    async def disable_user(self, info: Info, input: DisableUserInput) -> DisableUserResult:
        require(info, "user", "disable")
        user_id = expect_id(input.user_id, "User", "userId")
        revoked = await accounts.set_active(
            user_id, False, now=datetime.now(UTC), actor=info.context.actor()
        )
        work = await handover.open_work(user_id)
        return DisableUserSuccess(
            user=User.from_model(await service.get_or_raise(user_id)), revoked_api_keys=revoked,
            open_tasks=[Task.from_model(t) for t in work.claimed_tasks],
            managed_customer_count=work.managed_customers,
            collected_loan_count=work.collected_loans,
        )  # fmt: skip

    @strawberry.mutation(description="Enable a disabled account again.")
    @returns_user_errors
    async def enable_user(self, info: Info, input: EnableUserInput) -> EnableUserResult:
        require(info, "user", "disable")
        user_id = expect_id(input.user_id, "User", "userId")
        await accounts.set_active(user_id, True, now=datetime.now(UTC), actor=info.context.actor())
        return EnableUserSuccess(user=User.from_model(await service.get_or_raise(user_id)))

    @strawberry.mutation(
        description="Give a user a temporary password, shown once; it signs in once, for a "
        "limited time, only to be changed. Their current sessions end and their API keys are "
        "revoked."
    )
    @returns_user_errors
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:
        require(info, "user", "reset_password")
        user_id = expect_id(input.user_id, "User", "userId")
        temporary, expires = await credentials.reset_password(
            user_id, now=datetime.now(UTC), actor=info.context.actor()
        )
        return ResetPasswordSuccess(
            user=User.from_model(await service.get_or_raise(user_id)),
            temporary_password=temporary,
            expires_at=expires,
        )

    @strawberry.mutation(
        description="Move customers (all, or the given ones) to another account manager."
    )
    @returns_user_errors
    async def reassign_customers(
        self, info: Info, input: ReassignCustomersInput
    ) -> ReassignCustomersResult:
        scopes = require(info, "customer", "assign_manager")
        within = scoping.customer_filter(subject_of(info), scopes)
        source = expect_id(input.from_user, "User", "fromUser")
        target = expect_id(input.to_user, "User", "toUser")
        ids = None
        if input.customer_ids is not None:
            ids = [expect_id(c, "Customer", "customerIds") for c in input.customer_ids]
        moved = await handover.reassign_customers(
            from_user_id=source, to_user_id=target, within=within, customer_ids=ids,
            actor=info.context.actor(),
        )  # fmt: skip
        return ReassignCustomersSuccess(
            moved_count=len(moved),
            remaining_count=await handover.managed_customers(source).count(),
            from_user=User.from_model(await service.get_or_raise(source)),
            to_user=User.from_model(await service.get_or_raise(target)),
        )
