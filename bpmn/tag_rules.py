"""Administrators' tag rules, evaluated over every customer's facts with the safe evaluator.

A condition is a boolean expression over the names in ``domain.profile.facts.FACTS``, e.g.
``max_dpd == 0 and paid_on_time >= 12 and risk_rating in ("LOW", "MEDIUM")``. The same
whitelisting evaluator as the diagrams' conditions runs it: no calls but the safe functions,
no attributes, bounded time. Each holder's explanation names the rule and the values of the
facts the condition uses.
"""

from __future__ import annotations

import ast
from datetime import date
from typing import Any

from bpmn.errors import ExpressionError
from bpmn.expressions import SafeEvaluator
from domain.profile import facts
from domain.profile import service as profiles
from domain.profile.models import TagRule
from domain.profile.reading import Reading

_EVALUATOR = SafeEvaluator()


def used_names(condition: str) -> list[str]:
    """The fact names a condition reads, in order of first use."""
    seen: dict[str, None] = {}
    for node in ast.walk(ast.parse(condition, mode="eval")):
        if isinstance(node, ast.Name) and node.id in facts.FACTS:
            seen[node.id] = None
    return list(seen)


def check(condition: str) -> str | None:
    """None when the condition is a usable rule, else what is wrong with it."""
    reason = _EVALUATOR.parse_check(condition)
    if reason:
        return reason
    names = {n.id for n in ast.walk(ast.parse(condition, mode="eval")) if isinstance(n, ast.Name)}
    unknown = sorted(names - set(facts.FACTS) - set(_EVALUATOR.functions) - {"True", "False"})
    if unknown:
        return f"unknown name(s) {', '.join(unknown)}; facts are {', '.join(facts.FACTS)}"
    try:
        result = _EVALUATOR.evaluate(condition, facts.SAMPLE)
    except ExpressionError as exc:
        return f"does not evaluate on a sample customer: {exc.reason}"
    if not isinstance(result, bool):
        return f"must be true or false, gives {type(result).__name__} on a sample customer"
    return None


def _explain(rule: TagRule, names: list[str], values: dict[str, Any]) -> str:
    shown = ", ".join(f"{n}={values[n]}" for n in names)
    return f"rule {rule.name} v{rule.version}: {rule.condition} ({shown})"


async def apply(
    day: date, *, lo: int | None = None, hi: int | None = None, reading: Reading | None = None
) -> dict[str, Any]:
    """Evaluate every rule for the customers with ``lo <= id < hi`` and bring their tags up to date.

    Their loans, installments and contacts come from ``reading`` when given (of the same range
    and date); labels and tags are read as they are now.

    A rule that fails on a customer (division by zero, say) leaves that customer's tag as it
    was and names the customer in ``failed``; the other customers follow the rule, so the
    result does not depend on how the population is cut into ranges.
    """
    rules = await TagRule.all().order_by("name")
    if not rules:
        return {"rules": 0, "tag_changes": 0}
    everyone: dict[int, dict[str, Any]] = {}
    if any(r.enabled for r in rules):  # rules' own tags as before today's changes
        everyone = await facts.gather(day, lo=lo, hi=hi, as_before={r.name for r in rules},
                                      reading=reading)  # fmt: skip
    tagged: dict[str, dict[int, str]] = {}
    kept: dict[str, set[int]] = {}
    failures: dict[str, str] = {}
    for rule in rules:
        holders: dict[int, str] = {}
        if rule.enabled:
            names = used_names(rule.condition)
            for cid, values in everyone.items():
                own = {**values, "tags": [t for t in values["tags"] if t != rule.name]}
                try:
                    hit = _EVALUATOR.evaluate(rule.condition, own) is True
                except ExpressionError as exc:
                    kept.setdefault(rule.name, set()).add(cid)
                    failures.setdefault(rule.name, f"customer {cid}: {exc.reason}")
                    continue
                if hit:
                    holders[cid] = _explain(rule, names, own)
        tagged[rule.name] = holders
    descriptions = {r.name: r.description or r.condition[:400] for r in rules}
    changed = await profiles.sync_tags(day, tagged, descriptions, lo=lo, hi=hi, keep=kept)
    out: dict[str, Any] = {"rules": len(rules), "tag_changes": changed}
    if failures:
        out["failed"] = failures
    return out
