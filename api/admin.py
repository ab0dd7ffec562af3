"""Administration over GraphQL: the audit log, role policies, API keys."""

from datetime import UTC, datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from api.access import require, require_read, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.relay import Connection, connection, encode_cursor, expect_id, expect_raw_id, id_after
from authz.masking import mask_fields
from domain.access import apikeys, audit
from domain.access.models import ApiKey
from domain.access.models import AuditEntry as AuditEntryModel


@strawberry.type(description="One audit entry: who did or read what, when, from where.")
class AuditEntry:
    at: datetime
    username: str
    via: str
    action: str
    object_type: str
    object_id: str | None
    fields_read: list[str] | None
    before: JSON | None
    after: JSON | None
    ip: str | None
    user_agent: str | None
    request_id: str | None

    @classmethod
    def from_model(cls, row: AuditEntryModel, *, unmasked: bool) -> "AuditEntry":
        """The GraphQL view of an entry; personal data in before/after masked unless allowed."""

        def shown(data: dict[str, object] | None) -> JSON | None:
            if data is None:
                return None
            return cast(JSON, data if unmasked else mask_fields(row.object_type, data))

        return cls(
            at=row.at, username=row.username, via=row.via, action=row.action,
            object_type=row.object_type, object_id=row.object_id, fields_read=row.fields_read,
            before=shown(row.before), after=shown(row.after), ip=row.ip,
            user_agent=row.user_agent, request_id=row.request_id,
        )  # fmt: skip


@strawberry.input(description="Conditions on audit entries; all given ones must hold.")
class AuditFilter:
    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@strawberry.type(description="A grant of a role: an action on an object within a scope.")
class PolicyRule:
    role: str
    object: str
    action: str
    scope: str


@strawberry.input(description="Grant (or with remove, take back) an action on an object.")
class UpdatePolicyInput:
    role: str
    object: str
    action: str
    scope: str = "all"
    remove: bool = False
    new_role: bool = strawberry.field(default=False, description="Allow a role not yet known.")


@strawberry.type(description="The role's grants now.")
class UpdatePolicySuccess:
    rules: list[PolicyRule]


@strawberry.input(description="A key for an integration, acting as a user in one role.")
class CreateApiKeyInput:
    user_id: strawberry.ID
    role: str
    name: str
    expires_at: datetime | None = None


@strawberry.type(description="The key's secret is shown here once; only its hash is kept.")
class CreateApiKeySuccess:
    key_id: strawberry.ID
    secret: str
    prefix: str


@strawberry.input(description="Revoke an API key.")
class RevokeApiKeyInput:
    key_id: strawberry.ID


@strawberry.type(description="The key no longer works.")
class RevokeApiKeySuccess:
    key_id: strawberry.ID


UpdatePolicyResult = Annotated[
    UpdatePolicySuccess | UserErrors, strawberry.union("UpdatePolicyResult")
]
CreateApiKeyResult = Annotated[
    CreateApiKeySuccess | UserErrors, strawberry.union("CreateApiKeyResult")
]
RevokeApiKeyResult = Annotated[
    RevokeApiKeySuccess | UserErrors, strawberry.union("RevokeApiKeyResult")
]


def _rules(info: Info, role: str) -> list[PolicyRule]:
    return [
        PolicyRule(role=role, object=obj, action=act, scope=str(scope))
        for obj, act, scope in info.context.authorizer.permissions(role)
    ]


@strawberry.type
class AdminQueries:
    @strawberry.field(description="The audit log, newest first (admin and auditor).")
    async def audit_log(
        self, info: Info, filter: AuditFilter | None = None, first: int | None = 50,
        after: str | None = None,
    ) -> Connection[AuditEntry]:  # fmt: skip
        require_read(info, "audit")
        flt = None
        if filter is not None:
            flt = audit.AuditFilter(
                username=filter.username, action=filter.action, object_type=filter.object_type,
                object_id=filter.object_id, since=filter.since, until=filter.until,
            )  # fmt: skip
        page = await audit.list_(
            flt, first=50 if first is None else first, before_id=id_after(after, AuditEntryModel)
        )
        unmasked = info.context.authorizer.may_read_sensitive(subject_of(info))
        return connection(
            [AuditEntry.from_model(r, unmasked=unmasked) for r in page.rows],
            [encode_cursor(r.id) for r in page.rows],
            page.has_next,
            lambda: audit.count(flt),
        )

    @strawberry.field(description="What a role may do (admin, senior risk officer, auditor).")
    async def policy(self, info: Info, role: str) -> list[PolicyRule]:
        require_read(info, "policy")
        return _rules(info, role)


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Grant or take back a role's permission; effective at once.")
    @returns_user_errors
    async def update_policy(self, info: Info, input: UpdatePolicyInput) -> UpdatePolicyResult:
        require(info, "policy", "update")
        authorizer, actor = info.context.authorizer, info.context.actor()
        if input.remove:
            await authorizer.remove_policy(
                input.role, input.object, input.action, input.scope, actor=actor
            )
        else:
            await authorizer.add_policy(
                input.role, input.object, input.action, input.scope, actor=actor,
                new_role=input.new_role,
            )  # fmt: skip
        return UpdatePolicySuccess(rules=_rules(info, input.role))

    @strawberry.mutation(description="Create an API key for an integration (admin).")
    @returns_user_errors
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyResult:
        require(info, "user", "update")
        key, secret = await apikeys.create_api_key(
            user_id=expect_id(input.user_id, "User", "userId"), role=input.role,
            name=input.name, now=datetime.now(UTC), expires_at=input.expires_at,
            actor=info.context.actor(),
        )  # fmt: skip
        return CreateApiKeySuccess(
            key_id=strawberry.ID(str(key.id)), secret=secret, prefix=key.prefix
        )

    @strawberry.mutation(description="Revoke an API key (admin).")
    @returns_user_errors
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyResult:
        require(info, "user", "update")
        key = await apikeys.revoke_api_key(
            expect_raw_id(input.key_id, ApiKey, "keyId"), now=datetime.now(UTC),
            actor=info.context.actor(),
        )  # fmt: skip
        return RevokeApiKeySuccess(key_id=strawberry.ID(str(key.id)))
