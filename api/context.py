"""What every resolver of one request can reach."""

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
    _today: date | None = None

    async def today(self) -> date:
        """The business date, read once per request."""
        if self._today is None:
            self._today = await clock.get()
        return self._today


Info = StrawberryInfo[Context, None]
