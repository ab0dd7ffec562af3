"""Deployed definitions as the runner reads them: parsed once per content, with the human
tasks' candidate roles and forms from the diagram's metadata."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from bpmn import engine
from domain.process.models import ProcessDefinition

HUMAN_TASK_TAGS = ("userTask", "manualTask")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """Who a human task is offered to, and the form it takes."""

    candidate_role: str | None
    form: dict[str, Any] | None


_BUNDLES: dict[str, engine.ParsedBundle] = {}
_TASK_SPECS: dict[str, dict[str, TaskSpec]] = {}


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
