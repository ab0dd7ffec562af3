"""Access control data: policy rules, the policy version, API keys and the audit log."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.user.models import User


class PolicyRule(Model):
    """One Casbin rule: ptype p (role, object, action, scope) or g (role, parent role)."""

    id = fields.IntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=64, default="")
    v1 = fields.CharField(max_length=64, default="")
    v2 = fields.CharField(max_length=64, default="")
    v3 = fields.CharField(max_length=64, default="")
    v4 = fields.CharField(max_length=64, default="")
    v5 = fields.CharField(max_length=64, default="")

    class Meta:
        table = "casbin_rule"
        unique_together = (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),)


class PolicyVersion(Model):
    """The single row counting policy changes, so every process knows when to reload."""

    id = fields.IntField(primary_key=True)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy_version"


class ApiKey(Model):
    """A key an integration signs in with, acting as one user in one role. Only its hash is kept."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User", related_name="api_keys", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=128)
    role = fields.CharField(max_length=64)
    prefix = fields.CharField(max_length=16)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class AuditEntry(Model):
    """An append-only record of a change or of an unmasked read of sensitive data."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    # no foreign key: entries outlive users, and ON DELETE SET NULL would have to update them
    user_id = fields.IntField(null=True, db_index=True)
    username = fields.CharField(max_length=64, default="")
    via = fields.CharField(max_length=16, default="")
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=32)
    object_id = fields.CharField(max_length=64, null=True)
    fields_read: fields.Field[list[str] | None] = fields.JSONField(null=True)
    before: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=400, null=True)
    request_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("object_type", "object_id"),)
