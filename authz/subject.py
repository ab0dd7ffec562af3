"""Who is asking: the identity every authorization decision and row filter is made for."""

from dataclasses import dataclass
from typing import Literal

from domain.access.audit import Actor

Via = Literal["password", "jwt", "api_key"]


@dataclass(frozen=True, slots=True)
class Subject:
    """An authenticated user with the roles that count for this request."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    branch: str | None
    team: str | None
    via: Via
    # signed in with a provisional password: no roles, and only changing it is allowed
    must_change_password: bool = False

    def actor(
        self,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        request_id: str | None = None,
    ) -> Actor:
        """This subject as the actor of audit entries, with the request's origin."""
        return Actor(
            user_id=self.user_id,
            username=self.username,
            via=self.via,
            ip=ip,
            user_agent=user_agent,
            request_id=request_id,
        )
