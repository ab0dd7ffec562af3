"""What every resolver of one request can reach."""

import asyncio
from dataclasses import dataclass, field
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from api.loaders import Loaders
from domain.clock import service as clock


@dataclass
class Context:
    """Per-request state: the request, its loaders and the business date."""

    request: Request | None = None
    response: Response | None = None
    loaders: Loaders = field(default_factory=Loaders)
    _today: "asyncio.Future[date] | None" = None

    async def today(self) -> date:
        """The business date, read once per request (concurrent callers share the read)."""
        if self._today is None:
            self._today = asyncio.ensure_future(clock.get())
        return await self._today


Info = StrawberryInfo[Context, None]
