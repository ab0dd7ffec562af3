"""Authentication failures: a ForbiddenError, so an unmapped one still fails closed."""

from domain.errors import ForbiddenError


class AuthenticationError(ForbiddenError):
    """The caller could not be identified. The API answers UNAUTHENTICATED (HTTP 401).

    `message` is safe to show. `reason` is for server logs only: it tells apart causes that
    the message deliberately does not (unknown user, wrong password, locked, disabled).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


LOGIN_FAILED = "invalid username or password"


def login_failed(reason: str) -> AuthenticationError:
    """The one error every failed sign-in raises, whatever the cause."""
    return AuthenticationError(LOGIN_FAILED, reason=reason)
