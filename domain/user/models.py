"""Staff users: account managers, risk officers, collectors, administrators."""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A member of staff who signs in to lendgraph."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    full_name = fields.CharField(max_length=128, default="")
    email = fields.CharField(max_length=254, null=True)
    branch = fields.CharField(max_length=64, null=True, db_index=True)
    team = fields.CharField(max_length=64, null=True, db_index=True)
    roles: fields.Field[list[str]] = fields.JSONField(default=list)
    password_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # sign-in accounting (wall clock, UTC): consecutive failures, lock, last success
    failed_logins = fields.IntField(default=0, db_default=0)
    locked_until = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)
    # bumped to invalidate every token issued before (disable, "log out everywhere")
    token_version = fields.IntField(default=0, db_default=0)
    tokens_revoked_at = fields.DatetimeField(null=True)
    # set by an administrator's reset: the temporary password only lets its holder change it
    must_change_password = fields.BooleanField(default=False, db_default=False)
    password_changed_at = fields.DatetimeField(null=True)
    manager: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User", null=True, related_name="reports", on_delete=fields.SET_NULL
    )

    class Meta:
        table = "app_user"
