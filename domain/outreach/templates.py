"""Message texts by template key, filled from a fixed set of values (no code in templates).

These are the built-in texts; each is chosen by the process or job that sends it, with a
tone that matches the customer (``gentle`` for valuable low-risk customers).
"""

from __future__ import annotations

from decimal import Decimal
from string import Formatter
from typing import Any

from domain.errors import ValidationError

TEMPLATES: dict[str, str] = {
    "care.birthday": "{name}，生日快乐！感谢您一路以来的信任，祝您新的一岁顺心如意。",
    "care.holiday": "{name}，{holiday}快乐！祝您和家人节日愉快。",
    "offer.limit_increase": (
        "{name}，您好：感谢您一直按时还款，您可以申请提高借款额度，您的客户经理会与您联系。"
    ),
    "reminder.pre_due": (
        "{name}，您好：您的借款将于 {due_date} 到期，应还 {amount_due} 元"
        "（还有 {days_before} 天）。请确保还款账户余额充足，感谢您的按时还款。"
    ),
    "collection.gentle": (
        "{name}，您好：您的借款有一期 {amount_due} 元已于 {due_date} 到期，可能是一时疏忽。"
        "方便时请在 App 内还款，如需帮助，您的客户经理随时为您服务。"
    ),
    "collection.standard": (
        "{name}，您好：您的借款已逾期 {days_past_due} 天，应还 {amount_due} 元。"
        "请尽快还款，以免影响您的信用记录。"
    ),
    "collection.firm": (
        "{name}：您的借款已逾期 {days_past_due} 天，应还 {amount_due} 元。"
        "请于三日内还款或联系我们商定还款安排。"
    ),
    "collection.final_notice": (
        "{name}：您的借款已逾期 {days_past_due} 天，应还 {amount_due} 元。"
        "我们将安排上门拜访并进入法务评估，请立即联系我们。"
    ),
}
FIELDS = frozenset(
    {"name", "amount_due", "days_past_due", "due_date", "product", "days_before", "holiday"}
)


def render(key: str, values: dict[str, Any]) -> str:
    """The text of template ``key`` with its fields filled; unknown keys are refused."""
    text = TEMPLATES.get(key)
    if text is None:
        raise ValidationError.single("template", f"no template {key!r}")
    used = {field for _, field, _, _ in Formatter().parse(text) if field}
    missing = used - set(values)
    if missing:
        raise ValidationError.single("template", f"{key} needs {', '.join(sorted(missing))}")
    plain = {k: (f"{v:,.2f}" if isinstance(v, Decimal) else str(v)) for k, v in values.items()}
    return text.format_map({k: plain[k] for k in used})
