"""An HTTP client talking to the real ASGI application over the session database."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from domain.access.accounts import hash_password
from domain.user.models import User

PASSWORD = "correct horse battery staple"
_HASH: dict[str, str] = {}


def password_hash() -> str:
    """One argon2 hash of the test password, computed once per session."""
    if not _HASH:
        _HASH["value"] = hash_password(PASSWORD)
    return _HASH["value"]


class GraphQLClient:
    """Posts GraphQL documents as one signed-in user and returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.headers: dict[str, str] = {}

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = await self(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def login(self, username: str, password: str = PASSWORD) -> User:
        """Sign in (creating nothing); later calls carry the token."""
        self.headers = {}
        result = await self.data(
            """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
                __typename ... on LoginSuccess { token } ... on LoginError { message } } }""",
            u=username,
            p=password,
        )
        assert result["login"]["__typename"] == "LoginSuccess", result
        self.headers = {"Authorization": f"Bearer {result['login']['token']}"}
        return await User.get(username=username)

    async def as_user(self, username: str, roles: list[str], **fields: Any) -> User:
        """Create a staff user with the test password and sign in as them."""
        await User.create(username=username, roles=roles, password_hash=password_hash(), **fields)
        return await self.login(username)


@pytest.fixture
async def anonymous(db: str) -> AsyncIterator[GraphQLClient]:
    """A client that has not signed in."""
    app = create_app(db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def gql(anonymous: GraphQLClient) -> GraphQLClient:
    """A client signed in as an administrator, over a fresh database."""
    await anonymous.as_user("root", ["admin"])
    return anonymous
