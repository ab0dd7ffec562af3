"""Deployed definitions as the runner reads them: parsed once per content, with the human
tasks' candidate roles and forms from the diagram's metadata; their diagrams and tables read
from the database once per content too (a step's statement leaves them out: `hydrate`)."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from bpmn import engine
from domain import byhand, sqltext
from domain.errors import NotFoundError
from domain.process.models import ProcessDefinition

HUMAN_TASK_TAGS = ("userTask", "manualTask")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """Who a human task is offered to, and the form it takes."""

    candidate_role: str | None
    form: dict[str, Any] | None


_BUNDLES: dict[str, engine.ParsedBundle] = {}
_TASK_SPECS: dict[str, dict[str, TaskSpec]] = {}
# a definition's diagram and tables by content hash, once this process has read them: the
# statements of a step read the definition without them (26 KB and more, on every step)
_DIAGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {}
_HEAVY = ("bpmn_xml", "dmn_xmls")


def select_list(alias: str, prefix: str = "") -> str:
    """A definition's columns but its diagram and tables, for a statement `hydrate` reads."""
    return byhand.select_list(ProcessDefinition, alias, prefix, _HEAVY)


async def hydrate(row: Mapping[str, Any], prefix: str = "") -> ProcessDefinition:
    """The definition of a row read with `select_list`, whole: its diagram and tables as read
    before (definitions are immutable, the hash names their content), else read now."""
    content = row[prefix + "content_hash"]
    found = _DIAGRAMS.get(content)
    if found is None:
        _, rows = await sqltext.execute(_diagrams_sql(), {"id": row[prefix + "id"]})
        if not rows:  # (a version is never deleted while an instance or a step reads it)
            raise NotFoundError("process definition", row[prefix + "id"])
        fields = ProcessDefinition._meta.fields_map
        xml, tables = (fields[c].to_python_value(rows[0][c]) for c in _HEAVY)
        found = _DIAGRAMS[content] = (xml, tuple(tables))
    return byhand.hydrate(
        ProcessDefinition, row, prefix, bpmn_xml=found[0], dmn_xmls=list(found[1])
    )


def remember(definition: ProcessDefinition) -> None:
    """Keep a whole definition's diagram and tables (deployed, or read whole) for `hydrate`."""
    _DIAGRAMS[definition.content_hash] = (definition.bpmn_xml, tuple(definition.dmn_xmls))


@cache
def _diagrams_sql() -> str:
    return (
        f"SELECT {', '.join(f'd.{c}' for c in _HEAVY)} FROM "  # noqa: S608
        f"{ProcessDefinition._meta.db_table} d WHERE d.id = :id"
    )


def bundle(definition: ProcessDefinition) -> engine.ParsedBundle:
    """Parsed once per content: definitions are immutable, their hash names them."""
    found = _BUNDLES.get(definition.content_hash)
    if found is None:
        dmns = [d.encode("utf-8") for d in definition.dmn_xmls]
        found = engine.parse(definition.bpmn_xml.encode("utf-8"), dmns)
        _BUNDLES[definition.content_hash] = found
    return found


def task_specs(definition: ProcessDefinition) -> dict[str, TaskSpec]:
    """candidate_role and form_fields of each human task, read from the diagram's metadata."""
    found = _TASK_SPECS.get(definition.content_hash)
    if found is not None:
        return found
    specs = read_task_specs(definition.bpmn_xml.encode("utf-8"))
    _TASK_SPECS[definition.content_hash] = specs
    return specs


def read_task_specs(bpmn_xml: bytes) -> dict[str, TaskSpec]:
    """candidate_role and form_fields of each human task of a diagram (a role or a form that
    cannot be read is None)."""
    root = engine.secure_xml(bpmn_xml)
    specs: dict[str, TaskSpec] = {}
    for tag in HUMAN_TASK_TAGS:
        for node in root.iter(f"{{*}}{tag}"):
            meta = {m.get("name"): m.get("value") for m in node.iter("{*}taskMetadataValue")}
            role = None
            if meta.get("candidate_role"):
                try:
                    role = str(ast.literal_eval(meta["candidate_role"]))
                except (ValueError, SyntaxError):
                    role = None
            try:
                form = json.loads(meta["form_fields"]) if meta.get("form_fields") else None
            except ValueError:
                form = None
            specs[str(node.get("id"))] = TaskSpec(role, form)
    return specs
