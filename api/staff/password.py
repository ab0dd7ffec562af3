"""Changing one's own password: the one thing a provisional sign-in may do."""

from datetime import UTC, datetime

import strawberry

from api.access import subject_of
from api.context import Info
from api.errors import returns_user_errors
from api.staff.inputs import ChangePasswordInput
from api.staff.types import ChangePasswordResult, ChangePasswordSuccess
from api.system.types import User
from authz import tokens
from domain.access import credentials
from domain.errors import ForbiddenError


@strawberry.type
class PasswordMutations:
    @strawberry.mutation(
        description="Change your password (required after a temporary one); earlier tokens "
        "stop working and the answer carries a new one."
    )
    @returns_user_errors
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordResult:
        subject = subject_of(info)
        if subject.via == "api_key":
            raise ForbiddenError("an API key cannot change a password: sign in with it instead")
        now = datetime.now(UTC)
        row = await credentials.change_password(
            subject.user_id, input.old_password, input.new_password, now=now,
            actor=info.context.actor(),
        )  # fmt: skip
        token = tokens.issue_token(row, now=now)
        expires = tokens.verify_token(token, now=now).exp
        return ChangePasswordSuccess(token=token, expires_at=expires, user=User.from_model(row))
