"""Administrators' tag rules over GraphQL: conditions over customer facts, checked on save."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.access import Audited, require, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from bpmn import tag_rules
from domain.profile import facts
from domain.profile import tag_rules as rules
from domain.profile.models import TagRule as TagRuleModel


@strawberry.type(description="A tag that the daily run gives every customer whose facts match.")
class TagRule:
    name: str
    description: str
    condition: str
    enabled: bool
    version: int
    updated_by: str
    updated_at: datetime

    @classmethod
    def from_model(cls, row: TagRuleModel) -> "TagRule":
        """The GraphQL view of a rule."""
        return cls(name=row.name, description=row.description, condition=row.condition,
                   enabled=row.enabled, version=row.version, updated_by=row.updated_by,
                   updated_at=row.updated_at)  # fmt: skip


@strawberry.type(description="A fact a tag rule's condition may use.")
class CustomerFact:
    name: str
    description: str


@strawberry.input(description="A tag rule, e.g. condition: max_dpd == 0 and paid_on_time >= 12.")
class SaveTagRuleInput:
    name: str
    condition: str
    description: str = ""
    enabled: bool = True


@strawberry.type(description="The rule is saved; the daily run applies it.")
class SaveTagRuleSuccess:
    rule: TagRule


SaveTagRuleResult = Annotated[
    SaveTagRuleSuccess | UserErrors, strawberry.union("SaveTagRuleResult")
]


@strawberry.type
class TagRuleQueries:
    @strawberry.field(description="Administrators' tag rules.")
    async def tag_rules(self, info: Info) -> list[TagRule]:
        require(info, "tag_rule", "read")
        return [TagRule.from_model(r) for r in await TagRuleModel.all().order_by("name")]

    @strawberry.field(description="The facts tag rules may use.")
    def customer_facts(self, info: Info) -> list[CustomerFact]:
        require(info, "tag_rule", "read")
        return [CustomerFact(name=k, description=v) for k, v in facts.FACTS.items()]


@strawberry.type
class TagRuleMutations:
    @strawberry.mutation(description="Create or change a tag rule (disable it to remove the tag).")
    @returns_user_errors
    async def save_tag_rule(self, info: Info, input: SaveTagRuleInput) -> SaveTagRuleResult:
        require(info, "tag_rule", "define")
        async with Audited(info, "tag_rule.save", "tag_rule") as change:
            row = await rules.save(input.name, input.description, input.condition,
                                   input.enabled, by=subject_of(info).username,
                                   check=tag_rules.check)  # fmt: skip
            change.object_id = row.id
            change.after = {"name": row.name, "condition": row.condition,
                            "enabled": row.enabled, "version": row.version}  # fmt: skip
        return SaveTagRuleSuccess(rule=TagRule.from_model(row))
