"""An HTTP client talking to the real ASGI application over the session database."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app


class GraphQLClient:
    """Posts GraphQL documents and returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = await self(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def gql(db: str) -> AsyncIterator[GraphQLClient]:
    """A GraphQL client over a fresh database (Tortoise is set up by the `orm` fixture)."""
    app = create_app(db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)
