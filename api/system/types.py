"""Staff users as GraphQL objects."""

from datetime import datetime
from typing import Optional

import strawberry

from api.context import Info
from api.relay import Node, to_global_id
from domain.user.models import User as UserModel


def _administers(info: Info, user_pk: int) -> bool:
    """Whether the caller is this user or may administer accounts (sign-in details are theirs)."""
    subject = info.context.subject
    if subject is None:
        return False
    return subject.user_id == user_pk or info.context.authorizer.can(subject, "user", "update")


@strawberry.type(description="A member of staff.")
class User(Node):
    id: strawberry.ID
    username: str = strawberry.field(description="The name they sign in with.")
    full_name: str = strawberry.field(description="Their full name (may be empty).")
    roles: list[str] = strawberry.field(description="Their roles (change with assignRole).")
    branch: str | None = strawberry.field(description="Their branch.")
    team: str | None = strawberry.field(description="Their team.")
    display_name: str = strawberry.field(description="The full name, else the username.")
    email: str | None = strawberry.field(description="Work email address.")
    active: bool = strawberry.field(description="False once disabled: they cannot sign in.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    pk: strawberry.Private[int]
    manager_pk: strawberry.Private[int | None]
    signed_in_at: strawberry.Private[datetime | None]
    provisional: strawberry.Private[bool]

    @classmethod
    def from_model(cls, row: UserModel) -> "User":
        """The GraphQL view of a user row."""
        return cls(
            id=to_global_id("User", row.id),
            username=row.username,
            full_name=row.full_name,
            roles=list(row.roles),
            branch=row.branch,
            team=row.team,
            display_name=row.full_name or row.username,
            email=row.email,
            active=row.is_active,
            created_at=row.created_at,
            pk=row.id,
            manager_pk=row.manager_id,  # type: ignore[attr-defined]
            signed_in_at=row.last_login_at,
            provisional=row.must_change_password,
        )

    @strawberry.field(description="Their manager, if one is set.")
    async def manager(self, info: Info) -> Optional["User"]:
        if self.manager_pk is None:
            return None
        row = await info.context.loaders.user.load(self.manager_pk)
        return User.from_model(row) if row else None

    @strawberry.field(
        description="Their last successful sign-in (shown to themselves and administrators)."
    )
    def last_login_at(self, info: Info) -> datetime | None:
        return self.signed_in_at if _administers(info, self.pk) else None

    @strawberry.field(
        description="Whether their password is provisional and must be changed at sign-in "
        "(shown to themselves and administrators; null for others)."
    )
    def must_change_password(self, info: Info) -> bool | None:
        return self.provisional if _administers(info, self.pk) else None
