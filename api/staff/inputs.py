"""Inputs of the staff-account operations."""

import strawberry


@strawberry.input(description="Conditions on staff accounts; all given ones must hold.")
class UserFilter:
    role: str | None = strawberry.field(default=None, description="Holds this role.")
    branch: str | None = strawberry.field(default=None, description="Works in this branch.")
    team: str | None = strawberry.field(default=None, description="Belongs to this team.")
    active: bool | None = strawberry.field(
        default=None, description="true: enabled accounts only; false: disabled ones only."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the username, full name or email."
    )


@strawberry.input(description="A new staff account (admin).")
class CreateUserInput:
    username: str = strawberry.field(description="2-64 letters, digits or . _ @ -.")
    roles: list[str] = strawberry.field(description="At least one known role.")
    full_name: str = strawberry.field(default="", description="How colleagues see them.")
    email: str | None = strawberry.field(default=None, description="Work email address.")
    branch: str | None = strawberry.field(default=None, description="Their branch.")
    team: str | None = strawberry.field(default=None, description="Their team.")
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="The user they report to."
    )
    password: str | None = strawberry.field(
        default=None,
        description="An initial password under the password policy; without one a temporary "
        "password is made and shown once. Either way it must be changed at first sign-in.",
    )


@strawberry.input(description="Change a staff account; only the given fields change (admin).")
class UpdateUserInput:
    user_id: strawberry.ID = strawberry.field(description="The account to change.")
    full_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="How colleagues see them."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Work email address (null clears it)."
    )
    branch: str | None = strawberry.field(
        default=strawberry.UNSET, description="Their branch (null clears it)."
    )
    team: str | None = strawberry.field(
        default=strawberry.UNSET, description="Their team (null clears it)."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The user they report to (null clears it)."
    )


@strawberry.input(description="The staff account an operation is about.")
class DisableUserInput:
    user_id: strawberry.ID = strawberry.field(description="The account to disable.")


@strawberry.input(description="The staff account to enable again.")
class EnableUserInput:
    user_id: strawberry.ID = strawberry.field(description="The account to enable.")


@strawberry.input(description="Give a user a temporary password (admin).")
class ResetPasswordInput:
    user_id: strawberry.ID = strawberry.field(description="The account whose password to reset.")


@strawberry.input(description="Your current password and the new one.")
class ChangePasswordInput:
    old_password: str = strawberry.field(description="Your current (or temporary) password.")
    new_password: str = strawberry.field(description="The new password, under the policy.")


@strawberry.input(description="Move customers from one account manager to another.")
class ReassignCustomersInput:
    from_user: strawberry.ID = strawberry.field(description="Their account manager now.")
    to_user: strawberry.ID = strawberry.field(description="An active account manager or team lead.")
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Which customers; omitted: all of them you may reassign."
    )
