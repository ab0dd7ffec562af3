"""Results of the staff-account operations."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.access import require_read
from api.context import Info
from api.customer.types import Customer
from api.errors import UserErrors
from api.process.tasks import Task
from api.relay import Connection, paged
from api.system.types import User
from domain.user import handover


@strawberry.type(description="The account is created.")
class CreateUserSuccess:
    user: User
    temporary_password: str | None = strawberry.field(
        description="The temporary password when none was given: shown here once, never again."
    )
    password_expires_at: datetime = strawberry.field(
        description="Until when the initial password can sign in (once, to change it)."
    )


@strawberry.type(description="The account as it is now.")
class UpdateUserSuccess:
    user: User


@strawberry.type(
    description="The account is disabled and its tokens and API keys no longer work. Nothing "
    "was reassigned: its open work is listed here, for reassignCustomers and unclaimTask."
)
class DisableUserSuccess:
    user: User
    revoked_api_keys: int = strawberry.field(description="API keys this revoked.")
    open_tasks: list[Task] = strawberry.field(
        description="Tasks they claimed and have not completed, oldest first."
    )
    managed_customer_count: int = strawberry.field(description="Customers they still manage.")
    collected_loan_count: int = strawberry.field(
        description="Active loans they are still the collector of."
    )

    @strawberry.field(description="The customers they still manage, in a stable order.")
    async def managed_customers(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Customer]:
        visible = require_read(info, "customer")
        query = handover.managed_customers(self.user.pk).filter(visible)
        return await paged(query, first, after, Customer.from_model)

    @strawberry.field(description="How many tasks they claimed and have not completed.")
    def open_task_count(self) -> int:
        return len(self.open_tasks)


@strawberry.type(description="The account can sign in again (with new tokens and API keys).")
class EnableUserSuccess:
    user: User


@strawberry.type(description="A temporary password, shown here once; it must be changed.")
class ResetPasswordSuccess:
    user: User
    temporary_password: str = strawberry.field(
        description="Signs in once, before expiresAt, and only to change it."
    )
    expires_at: datetime = strawberry.field(description="When it stops working.")


@strawberry.type(description="Password changed: earlier tokens no longer work, use this one.")
class ChangePasswordSuccess:
    token: str = strawberry.field(description="A bearer token with your full roles.")
    expires_at: datetime = strawberry.field(description="When the token expires.")
    user: User


@strawberry.type(description="The customers have their new account manager.")
class ReassignCustomersSuccess:
    moved_count: int = strawberry.field(description="How many customers moved.")
    remaining_count: int = strawberry.field(
        description="Customers the previous manager still has (outside your scope, or not given)."
    )
    from_user: User
    to_user: User


CreateUserResult = Annotated[CreateUserSuccess | UserErrors, strawberry.union("CreateUserResult")]
UpdateUserResult = Annotated[UpdateUserSuccess | UserErrors, strawberry.union("UpdateUserResult")]
DisableUserResult = Annotated[
    DisableUserSuccess | UserErrors, strawberry.union("DisableUserResult")
]
EnableUserResult = Annotated[EnableUserSuccess | UserErrors, strawberry.union("EnableUserResult")]
ResetPasswordResult = Annotated[
    ResetPasswordSuccess | UserErrors, strawberry.union("ResetPasswordResult")
]
ChangePasswordResult = Annotated[
    ChangePasswordSuccess | UserErrors, strawberry.union("ChangePasswordResult")
]
ReassignCustomersResult = Annotated[
    ReassignCustomersSuccess | UserErrors, strawberry.union("ReassignCustomersResult")
]
