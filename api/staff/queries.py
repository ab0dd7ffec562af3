"""The staff directory: accounts by role, branch, team, state or name."""

import strawberry

from api.access import require_read
from api.context import Info
from api.relay import Connection, paged
from api.staff.inputs import UserFilter
from api.system.types import User
from domain.user import service


def to_domain_filter(flt: UserFilter | None) -> service.UserFilter | None:
    """The domain filter for a GraphQL filter input."""
    if flt is None:
        return None
    return service.UserFilter(
        role=flt.role, branch=flt.branch, team=flt.team, active=flt.active, search=flt.search
    )


@strawberry.type
class StaffQueries:
    @strawberry.field(description="Staff accounts matching a filter, in a stable order.")
    async def users(
        self, info: Info, filter: UserFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[User]:  # fmt: skip
        visible = require_read(info, "user")
        query = (await service.filtered(to_domain_filter(filter))).filter(visible)
        return await paged(query, first, after, User.from_model)
