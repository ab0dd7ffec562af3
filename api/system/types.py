"""Staff users as GraphQL objects."""

import strawberry

from api.relay import Node, to_global_id
from domain.user.models import User as UserModel


@strawberry.type(description="A member of staff.")
class User(Node):
    id: strawberry.ID
    username: str
    full_name: str
    roles: list[str]
    branch: str | None
    team: str | None

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
        )
