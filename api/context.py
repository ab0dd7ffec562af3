"""What every resolver of one request can reach: who asks, their loaders, the business date."""

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from api.loaders import Loaders
from authz.enforcer import Authorizer
from authz.subject import Subject
from domain.access.audit import Actor
from domain.access.errors import AuthenticationError
from domain.clock import service as clock
from domain.user.models import User


@dataclass
class Context:
    """Per-request state; `loaders` only ever return rows inside the subject's scope."""

    authorizer: Authorizer
    subject: Subject | None = None
    caller: User | None = None  # the subject's row as authentication read it (bearer tokens)
    auth_error: AuthenticationError | None = None
    request: Request | None = None
    response: Response | None = None
    connection_params: dict[str, object] | None = None  # a websocket's connection_init payload
    loaders: Loaders = field(default_factory=Loaders.unscoped)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    sensitive_reads: defaultdict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    _today: "asyncio.Future[date] | None" = None

    async def today(self) -> date:
        """The business date, read once per request (concurrent callers share the read)."""
        if self._today is None:
            self._today = asyncio.ensure_future(clock.get())
        return await self._today

    def actor(self) -> Actor:
        """The subject as an audit actor, with where the request came from."""
        assert self.subject is not None
        client = self.request.client if self.request else None
        agent = self.request.headers.get("user-agent") if self.request else None
        return self.subject.actor(
            ip=client.host if client else None, user_agent=agent, request_id=self.request_id
        )


Info = StrawberryInfo[Context, None]
