"""Message texts by purpose, segment and tone, in Jinja2's sandbox, editable by administrators.

A template is chosen by its key (the purpose, e.g. ``reminder.pre_due``), the customer's RFM
segment and the tone (``gentle`` for valuable low-risk customers, ``standard`` otherwise). The
most specific variant wins: (key, segment, tone), (key, segment), (key, tone), (key). Texts
saved by administrators (``message_template`` rows) replace the built-in ones below.

Templates fill values in; they cannot run code. Besides the sandbox, a template may only use
the known fields, ``if`` blocks, comparisons and a few text filters; loops, calls, attribute
access and everything else are refused when it is saved, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from domain.errors import Problems, ValidationError
from domain.outreach.models import MessageTemplate
from domain.profile.rfm import SEGMENTS, VALUABLE

GENTLE, STANDARD = "gentle", "standard"
TONES = (GENTLE, STANDARD)
MAX_LENGTH = 2000
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
FIELDS = {
    "name": "the customer's name",
    "amount_due": "amount due, formatted 1,234.56",
    "days_past_due": "days past due",
    "due_date": "due date, YYYY-MM-DD",
    "days_before": "days until the due date",
    "product": "the product's name",
    "holiday": "the holiday's name",
    "campaign": "the campaign's name",
    "link": "the campaign link that records the response",
    "manager": "the account manager's name",
}
_DEBT = frozenset({"name", "amount_due", "days_past_due", "due_date", "manager"})
PURPOSE_FIELDS: dict[str, frozenset[str]] = {  # what each sender fills in
    "reminder.pre_due": frozenset({"name", "due_date", "amount_due", "days_before"}),
    "care.birthday": frozenset({"name"}),
    "care.holiday": frozenset({"name", "holiday"}),
    "offer.limit_increase": frozenset({"name"}),
    "campaign.invitation": frozenset({"name", "campaign", "product", "link"}),
    "collection.gentle": _DEBT, "collection.standard": _DEBT, "collection.firm": _DEBT,
    "collection.final_notice": _DEBT,
}  # fmt: skip
FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default", "truncate"})
SAMPLE = {
    "name": "张伟", "amount_due": Decimal("1234.56"), "days_past_due": 3,
    "due_date": date(2026, 6, 22), "days_before": 3, "product": "消费贷", "holiday": "春节",
    "campaign": "春季提额", "link": "https://example.invalid/c/token", "manager": "李娜",
}  # fmt: skip

BUILT_IN: dict[tuple[str, str | None, str | None], str] = {
    (
        "care.birthday",
        None,
        None,
    ): "{{ name }}，生日快乐！感谢您一路以来的信任，祝您新的一岁顺心如意。",
    ("care.holiday", None, None): "{{ name }}，{{ holiday }}快乐！祝您和家人节日愉快。",
    ("offer.limit_increase", None, None): (
        "{{ name }}，您好：感谢您一直按时还款，您可以申请提高借款额度，您的客户经理会与您联系。"
    ),
    ("campaign.invitation", None, None): (
        "{{ name }}，您好：{{ campaign }}，{{ product }}诚邀您了解，详情请点击 {{ link }}"
    ),
    ("reminder.pre_due", None, None): (
        "{{ name }}，您好：您的借款将于 {{ due_date }} 到期，应还 {{ amount_due }} 元"
        "（还有 {{ days_before }} 天）。请确保还款账户余额充足，感谢您的按时还款。"
    ),
    ("reminder.pre_due", None, GENTLE): (
        "{{ name }}，您好：温馨提示，您的借款将于 {{ due_date }} 到期，应还 {{ amount_due }} 元"
        "（还有 {{ days_before }} 天）。感谢您一直以来的信任与支持。"
    ),
    ("collection.gentle", None, None): (
        "{{ name }}，您好：您的借款有一期 {{ amount_due }} 元已于 {{ due_date }} 到期，"
        "可能是一时疏忽。方便时请在 App 内还款，如需帮助，您的客户经理随时为您服务。"
    ),
    ("collection.standard", None, None): (
        "{{ name }}，您好：您的借款已逾期 {{ days_past_due }} 天，应还 {{ amount_due }} 元。"
        "请尽快还款，以免影响您的信用记录。"
    ),
    ("collection.firm", None, None): (
        "{{ name }}：您的借款已逾期 {{ days_past_due }} 天，应还 {{ amount_due }} 元。"
        "请于三日内还款或联系我们商定还款安排。"
    ),
    ("collection.final_notice", None, None): (
        "{{ name }}：您的借款已逾期 {{ days_past_due }} 天，应还 {{ amount_due }} 元。"
        "我们将安排上门拜访并进入法务评估，请立即联系我们。"
    ),
}
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not,
    nodes.Filter, nodes.Concat, nodes.Keyword,
)  # fmt: skip


class _Environment(SandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False  # templates read plain values only


_ENV = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def tone_for(rfm_segment: str | None, risk_rating: str | None) -> str:
    """Gentle for valuable low-risk customers, standard for everyone else."""
    return GENTLE if rfm_segment in VALUABLE and risk_rating == "LOW" else STANDARD


def check(key: str, segment: str | None, tone: str | None, body: str) -> None:
    """Refuse a template that is malformed, uses unknown fields or anything but plain text."""
    problems = Problems()
    if not KEY.match(key) or len(key) > 64:
        problems.add("key", "must look like purpose.name (lower case, dots between parts)")
    if segment is not None and segment not in {name for name, _, _ in SEGMENTS}:
        problems.add("segment", f"unknown RFM segment {segment!r}")
    if tone is not None and tone not in TONES:
        problems.add("tone", f"must be one of {', '.join(TONES)}")
    if not body.strip():
        problems.add("body", "is empty")
    elif len(body) > MAX_LENGTH:
        problems.add("body", f"is {len(body)} characters, at most {MAX_LENGTH}")
    else:
        for message in _body_problems(body, PURPOSE_FIELDS.get(key, frozenset(FIELDS))):
            problems.add("body", message)
    problems.raise_if_any()


def _body_problems(body: str, known: frozenset[str]) -> list[str]:
    try:
        tree = _ENV.parse(body)
    except TemplateSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.message}"]
    found = []
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            found.append(f"line {node.lineno}: {type(node).__name__} is not allowed in a message")
        elif isinstance(node, nodes.Filter) and node.name not in FILTERS:
            found.append(f"line {node.lineno}: filter {node.name!r} is not allowed "
                         f"(use {', '.join(sorted(FILTERS))})")  # fmt: skip
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        found.append(f"unknown field(s) {', '.join(unknown)}; this message has "
                     f"{', '.join(f for f in FIELDS if f in known)}")  # fmt: skip
    if not found:
        try:
            _render(body, SAMPLE)
        except (UndefinedError, SecurityError, TypeError, ValueError) as exc:
            found.append(f"does not render with sample values: {exc}")
    return sorted(set(found))


@lru_cache(maxsize=256)
def _compiled(body: str) -> Any:
    return _ENV.from_string(body)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _render(body: str, values: dict[str, Any]) -> str:
    text = str(_compiled(body).render({k: _plain(v) for k, v in values.items()}))
    return text[: MAX_LENGTH * 2]


@dataclass(frozen=True)
class Library:
    """The templates in force: built-in texts with administrators' rows over them."""

    texts: dict[tuple[str, str | None, str | None], str]

    def choose(self, key: str, segment: str | None = None, tone: str | None = None) -> str:
        """The most specific text for ``key``; an unknown key is refused."""
        for variant in ((key, segment, tone), (key, segment, None), (key, None, tone),
                        (key, None, None)):  # fmt: skip
            if variant in self.texts:
                return self.texts[variant]
        raise ValidationError.single("template", f"no template {key!r}")

    def render(
        self, key: str, values: dict[str, Any], segment: str | None = None,
        tone: str | None = None,
    ) -> str:  # fmt: skip
        """The text of ``key`` for this segment and tone, with its fields filled."""
        body = self.choose(key, segment, tone)
        try:
            return _render(body, values)
        except UndefinedError as exc:
            raise ValidationError.single("template", f"{key}: {exc.message}") from None
        except (SecurityError, TemplateSyntaxError) as exc:  # a row that bypassed ``check``
            raise ValidationError.single("template", f"{key} is refused: {exc}") from None

    def purposes(self) -> list[str]:
        """Every template key known."""
        return sorted({k for k, _, _ in self.texts})


async def load() -> Library:
    """The built-in texts overlaid with the saved ones (one query)."""
    texts = dict(BUILT_IN)
    for row in await MessageTemplate.all().values("key", "segment", "tone", "body"):
        texts[(row["key"], row["segment"] or None, row["tone"] or None)] = row["body"]
    return Library(texts)


async def save(
    key: str, segment: str | None, tone: str | None, body: str, *, by: str
) -> MessageTemplate:
    """Create or replace one variant; returns the row. The text is checked first."""
    segment, tone = segment or None, tone or None
    check(key, segment, tone, body)
    seg, ton = segment or "", tone or ""  # "" is "any"
    row = await MessageTemplate.get_or_none(key=key, segment=seg, tone=ton)
    if row is None:
        return await MessageTemplate.create(key=key, segment=seg, tone=ton, body=body,
                                            updated_by=by)  # fmt: skip
    row.body, row.updated_by, row.version = body, by, row.version + 1
    await row.save(update_fields=["body", "updated_by", "version", "updated_at"])
    return row


def preview(body: str) -> str:
    """The text filled with sample values (the body must have passed ``check``)."""
    return _render(body, SAMPLE)
