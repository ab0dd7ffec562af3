"""Tag rules that administrators write: a tag name, a description and a condition.

The condition is checked by the caller's evaluator (the process layer's safe expressions)
before anything is stored; a rule may not take over a system tag or a tag staff set by hand.
Disabling a rule removes its tag from everyone at the next daily run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.customer.models import Tag
from domain.errors import ConflictError, Problems
from domain.profile.models import TagRule
from domain.profile.tags import SYSTEM_TAGS

NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")


async def save(
    name: str, description: str, condition: str, enabled: bool, *, by: str,
    check: Callable[[str], str | None],
) -> TagRule:  # fmt: skip
    """Create or change the rule for tag ``name``; ``check`` returns a condition's problem."""
    problems = Problems()
    if not NAME.match(name):
        problems.add("name", "must be 2..64 capital letters, digits or '_', starting with a letter")
    elif name in SYSTEM_TAGS:
        problems.add("name", f"{name} is a built-in tag")
    if len(description) > 400:
        problems.add("description", "must be at most 400 characters")
    if not condition.strip():
        problems.add("condition", "is empty")
    elif len(condition) > 500:
        problems.add("condition", "must be at most 500 characters")
    else:
        reason = check(condition)
        if reason:
            problems.add("condition", reason)
    problems.raise_if_any()
    row = await TagRule.get_or_none(name=name)
    if row is None:
        if await Tag.exists(name=name):
            raise ConflictError(f"the tag {name} is set by hand; give the rule another name")
        row = await TagRule.create(name=name, description=description, condition=condition,
                                   enabled=enabled, updated_by=by)  # fmt: skip
        await Tag.create(name=name, description=description or condition[:400])
        return row
    row.description, row.condition, row.enabled = description, condition, enabled
    row.updated_by, row.version = by, row.version + 1
    await row.save()
    await Tag.filter(name=name).update(description=description or condition[:400])
    return row
