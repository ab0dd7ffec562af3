"""The ASGI application: GraphQL at /graphql, health at /healthz, behind `api.limits`."""

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.execution import ExecutionResult
from strawberry.types.unset import UnsetType
from tortoise import Tortoise

from api import compiled, graphql_http
from api.access import anonymous_loaders, scoped_loaders
from api.auth import authenticate_connection, authenticate_request
from api.context import Context
from api.graphql_http import is_text
from api.health import DatabaseProbe, healthz
from api.limits import Backpressure, Gate, Limits
from api.schema import build_schema
from authz.enforcer import Authorizer
from bpmn.work import worker_round
from domain import migrate, pgclient
from domain.access import passwords
from domain.access.accounts import LoginPolicy
from domain.access.errors import AuthenticationError
from domain.campaign import service as campaigns
from domain.credit import bureau
from domain.db import database_url, planner_settings, statement_timeout_ms, tortoise_config
from domain.errors import NotFoundError
from domain.settings import settings

logger = logging.getLogger("lendgraph")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view: authenticates each request, scopes its loaders, answers in orjson."""

    def __init__(self, *args: Any, authorizer: Authorizer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authorizer = authorizer

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(
            authorizer=self.authorizer,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
        )
        if context.request is None:
            await self.authorizer.ensure_current()  # a policy change elsewhere applies now
        else:
            context.request.state.sub_response = response  # process_result sets the status
            # the policy is brought up to date on the way (with the caller's row, for a token)
            caller = await authenticate_request(context.request, self.authorizer)
            context.subject, context.caller, context.auth_error = (
                caller.subject,
                caller.user,
                caller.error,
            )
        context.loaders = (
            scoped_loaders(self.authorizer, context.subject)
            if context.subject is not None
            else anonymous_loaders()
        )
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Websockets sign in with their connection_init payload: Authorization or X-API-Key."""
        try:
            subject = await authenticate_connection(context.connection_params)
        except AuthenticationError as exc:
            raise ConnectionRejectionError({"message": exc.message}) from exc
        if subject is None:
            raise ConnectionRejectionError({"message": "authentication required"})
        context.subject = subject
        context.loaders = scoped_loaders(self.authorizer, subject)
        return UnsetType()

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """The response body; for clients of application/graphql-response+json, its status.

        A result that failed because the database did not answer is no result: the request
        answers 503 with Retry-After instead (see `api.limits`), unless one of its transactions
        had committed: then the answer stands, its failed fields coded DATABASE_UNAVAILABLE.
        """
        record = pgclient.record.get()
        outage = record.failures if record and not record.commits else []
        if outage and result.errors and isinstance(request, Request):
            raise outage[0]
        body = await super().process_result(request, result)  # type: ignore[arg-type]
        status = graphql_http.request_error_status(result)
        if status is not None:
            body = graphql_http.coded(body)  # type: ignore[assignment]
        if not isinstance(request, Request):
            return body
        if not graphql_http.prefers_graphql_response(request.headers.get("accept")):
            return body  # application/json: 200 for every GraphQL result
        sub_response: Response = request.state.sub_response
        sub_response.headers["content-type"] = f"{graphql_http.GRAPHQL_RESPONSE}; charset=utf-8"
        if status is None:
            return body
        sub_response.status_code = status
        if status == 401:
            sub_response.headers["www-authenticate"] = "Bearer"
        return graphql_http.without_data(body)  # type: ignore[return-value]

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The JSON response, in the media type `process_result` chose."""
        media = sub_response.headers.get("content-type")
        if media is not None:
            del sub_response.headers["content-type"]  # set once below, not twice
        response = super().create_response(response_data, sub_response)
        if media is not None:
            response.headers["content-type"] = media
        return response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # the standard decoder keeps integers exact (orjson would turn those beyond 64 bits into
        # floats) but lets `"\ud800"` through: an unpaired surrogate is not text, and would
        # crash argon2 and the database drivers, so the body is refused as bad JSON (400)
        value = json.loads(data)
        if not is_text(data, value):
            text = data.decode(errors="replace") if isinstance(data, bytes) else data
            raise json.JSONDecodeError("a string holds an unpaired surrogate", text, 0)
        return value


async def simulated_bureau(request: Request) -> Response:
    """A credit bureau for the demo (``POST /simulated-bureau/reports``), never in production."""
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    id_number = body.get("id_number") if isinstance(body, dict) else None
    if not isinstance(id_number, str) or not id_number:
        return JSONResponse({"error": "id_number is required"}, status_code=400)
    return JSONResponse(bureau.report_json(bureau.simulated_report(id_number)))


DESIGNER = Path(
    os.environ.get("LENDGRAPH_DESIGNER_DIR")
    or Path(__file__).resolve().parents[1] / "designer" / "dist"
)


async def designer_missing(_: Request) -> Response:
    """Where the designer would be, before `make designer` has built it."""
    return PlainTextResponse(
        "The designer, dashboard and segments pages are not built: run `make designer` "
        "(npm ci && npm run build in designer/).",
        status_code=503,
    )


async def dashboard(_: Request) -> Response:
    """The dashboard page (built with the designer; its assets are under /designer/assets)."""
    return FileResponse(DESIGNER / "dashboard.html", headers={"Cache-Control": "no-cache"})


async def segments_page(_: Request) -> Response:
    """The segments page (built with the designer; its assets are under /designer/assets)."""
    return FileResponse(DESIGNER / "segments.html", headers={"Cache-Control": "no-cache"})


PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)  # a transparent 1x1 GIF


async def campaign_link(request: Request) -> Response:
    """A campaign link was opened: record the response, then go to the landing page."""
    token = request.path_params["token"]
    try:
        await campaigns.opened(token, clicked=True)
    except NotFoundError:
        return PlainTextResponse("This link is not valid.", status_code=404)
    landing = os.environ.get("LENDGRAPH_CAMPAIGN_LANDING", "/")
    return RedirectResponse(landing, status_code=303)


async def campaign_pixel(request: Request) -> Response:
    """An e-mail invitation was displayed (its image loaded): record it as opened."""
    with contextlib.suppress(NotFoundError):
        await campaigns.opened(request.path_params["token"], clicked=False)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


async def _embedded_worker(interval: float = 5.0) -> None:
    """Demo only: the worker's rounds from inside the server (timers, collections, outbox)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await worker_round()
        except Exception:  # keep serving; the next round tries again
            logger.exception("embedded worker round failed")


def create_app(
    url: str | None = None, *, debug: bool | None = None, graphiql: bool | None = None
) -> Starlette:
    """The application for a database; refuses to start on an unmigrated one.

    Settings read per request (the password policy, sign-in limits) are checked here, so a bad
    value stops the server at start instead of failing requests later.
    """
    url = database_url(url)
    passwords.check_configuration()
    LoginPolicy.from_env()
    limits = Limits.from_env()
    planner_settings()  # a bad value names its variable now, not at the first connection
    compiled.setting()
    timeout = statement_timeout_ms()
    if debug is None:
        debug = os.environ.get("LENDGRAPH_DEBUG", "") == "1"
    if graphiql is None:
        graphiql = os.environ.get("LENDGRAPH_GRAPHIQL", "1") == "1"

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(url, statement_timeout=timeout)
        await Tortoise.init(config=config, _enable_global_fallback=True)
        embedded: asyncio.Task[None] | None = None
        watching = asyncio.create_task(gate.watch())
        try:
            await migrate.check(url)
            if settings().mode == "demo":  # the demo needs no separate `lendgraph worker`
                embedded = asyncio.create_task(_embedded_worker())
            yield
        finally:
            watching.cancel()
            if embedded is not None:
                embedded.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await embedded
            await Tortoise.close_connections()

    gate = Gate(limits.slots, limits.max_loop_lag)
    graphql = GraphQLApp(
        build_schema(debug=debug, introspection=graphiql),
        graphql_ide="graphiql" if graphiql else None,
        authorizer=Authorizer(),
    )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
        Route("/healthz", healthz),
        Route("/c/{token:str}", campaign_link),
        Route("/c/{token:str}/open.gif", campaign_pixel),
    ]
    if settings().mode in ("demo", "test"):
        routes.append(Route("/simulated-bureau/reports", simulated_bureau, methods=["POST"]))
    if (DESIGNER / "index.html").exists():
        routes.append(Route("/dashboard", dashboard))  # the same web app's second page
        routes.append(Route("/segments", segments_page))  # and its third
        routes.append(Mount("/designer", StaticFiles(directory=DESIGNER, html=True)))
    else:
        routes.append(Route("/dashboard", designer_missing))
        routes.append(Route("/segments", designer_missing))
        routes.append(Route("/designer/{rest:path}", designer_missing))
    origins = [
        o.strip() for o in os.environ.get("LENDGRAPH_CORS_ORIGINS", "").split(",") if o.strip()
    ]
    middleware = [
        # bearer tokens, not cookies: no credentials, so no CSRF surface
        Middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                   allow_headers=["Authorization", "Content-Type", "X-API-Key"],
                   expose_headers=["Retry-After"]),
        Middleware(Backpressure, limits=limits, gate=gate),  # inside CORS: refusals carry it
    ]  # fmt: skip
    application = Starlette(debug=debug, routes=routes, middleware=middleware, lifespan=lifespan)
    application.state.gate = gate
    application.state.health = DatabaseProbe()
    return application
