"""Message templates over GraphQL: read by administrators and analysts, edited by admins."""

from datetime import datetime
from typing import Annotated

import strawberry

from api.access import Audited, require, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from domain.outreach import templates
from domain.outreach.models import MessageTemplate as TemplateModel


@strawberry.type(description="A message text in force for a purpose, segment and tone.")
class MessageTemplate:
    key: str = strawberry.field(description="The purpose, e.g. reminder.pre_due.")
    segment: str | None = strawberry.field(description="Only for this RFM segment; null: any.")
    tone: str | None = strawberry.field(description="gentle or standard; null: any.")
    body: str = strawberry.field(description="Jinja2 text over the fields below.")
    built_in: bool = strawberry.field(description="The shipped text, not changed here.")
    version: int
    updated_by: str | None
    updated_at: datetime | None
    preview: str = strawberry.field(description="The text filled with sample values.")


@strawberry.type(description="A field a template may use.")
class TemplateField:
    name: str
    description: str


@strawberry.input(description="A template text; empty segment and tone mean any.")
class SaveMessageTemplateInput:
    key: str
    body: str
    segment: str | None = None
    tone: str | None = None


@strawberry.type(description="The template is saved and used from the next message on.")
class SaveMessageTemplateSuccess:
    template: MessageTemplate


SaveMessageTemplateResult = Annotated[
    SaveMessageTemplateSuccess | UserErrors, strawberry.union("SaveMessageTemplateResult")
]


def _view(
    key: tuple[str, str | None, str | None], body: str, row: TemplateModel | None
) -> MessageTemplate:
    return MessageTemplate(
        key=key[0], segment=key[1], tone=key[2], body=body, built_in=row is None,
        version=row.version if row else 0, updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None, preview=templates.preview(body),
    )  # fmt: skip


@strawberry.type
class TemplateQueries:
    @strawberry.field(description="Every message template in force, by key, segment and tone.")
    async def message_templates(self, info: Info) -> list[MessageTemplate]:
        require(info, "template", "read")
        library = await templates.load()
        rows = {(r.key, r.segment or None, r.tone or None): r for r in await TemplateModel.all()}
        order = sorted(library.texts, key=lambda k: (k[0], k[1] or "", k[2] or ""))
        return [_view(k, library.texts[k], rows.get(k)) for k in order]

    @strawberry.field(description="The fields templates may use.")
    def template_fields(self, info: Info) -> list[TemplateField]:
        require(info, "template", "read")
        return [TemplateField(name=k, description=v) for k, v in templates.FIELDS.items()]


@strawberry.type
class TemplateMutations:
    @strawberry.mutation(description="Save a template text (checked: fields, no code, renders).")
    @returns_user_errors
    async def save_message_template(
        self, info: Info, input: SaveMessageTemplateInput
    ) -> SaveMessageTemplateResult:
        require(info, "template", "update")
        async with Audited(info, "template.save", "template") as change:
            row = await templates.save(input.key, input.segment, input.tone, input.body,
                                       by=subject_of(info).username)  # fmt: skip
            change.object_id = row.id
            change.after = {"key": row.key, "segment": row.segment, "tone": row.tone,
                            "body": row.body, "version": row.version}  # fmt: skip
        key = (row.key, row.segment or None, row.tone or None)
        return SaveMessageTemplateSuccess(template=_view(key, row.body, row))
