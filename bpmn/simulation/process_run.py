"""A whole-process simulation made ready: the draft's diagram and the baseline's, each with
its key (:mod:`.process_key`) and its runs (:mod:`.process_cases`)."""

from __future__ import annotations

from dataclasses import dataclass

from bpmn import definitions, engine
from bpmn.simulation import tables
from bpmn.simulation.process_cases import ProcessSide
from bpmn.simulation.process_key import ProcessKey
from bpmn.simulation.process_report import ProcessTally
from domain.errors import ValidationError
from domain.process.models import ProcessDefinition
from domain.simulation.models import PopulationKind


@dataclass
class ProcessSides:
    """The two diagrams a whole-process simulation runs."""

    old: ProcessSide
    new: ProcessSide

    def tally(self) -> ProcessTally:
        """A fresh tally of both sides (their runs kept across tallies)."""
        return ProcessTally(self.old, self.new)


def sides(
    kind: PopulationKind,
    baseline: ProcessDefinition,
    draft: ProcessDefinition,
    parsed: engine.ParsedBundle | None = None,
) -> ProcessSides:
    """Both diagrams ready to run (ValidationError when the population is not applications).

    The deployed version is parsed once per content (:mod:`bpmn.definitions` keeps it); a
    draft is parsed for this simulation alone (``parsed``, when the caller's check parsed it
    already), so drafts tried one after another in the designer do not pile up in the API
    process.
    """
    if kind is not PopulationKind.APPLICATIONS:
        raise ValidationError.single(
            "scope", "a whole process is simulated on past applications only"
        )
    old = _side("old", baseline, definitions.bundle(baseline), definitions.task_specs(baseline))
    bpmn_xml = draft.bpmn_xml.encode("utf-8")
    if parsed is None:
        parsed = engine.parse(bpmn_xml, [d.encode("utf-8") for d in draft.dmn_xmls])
    return ProcessSides(old, _side("new", draft, parsed, definitions.read_task_specs(bpmn_xml)))


def _side(
    label: str,
    definition: ProcessDefinition,
    bundle: engine.ParsedBundle,
    specs: dict[str, definitions.TaskSpec],
) -> ProcessSide:
    bpmn_xml = definition.bpmn_xml.encode("utf-8")
    dmn_xmls = [d.encode("utf-8") for d in definition.dmn_xmls]
    loaded: list[tables.Table] | None = []
    for decision_id in engine.called_decisions(bpmn_xml):
        try:
            loaded.append(tables.load(decision_id, dmn_xmls))  # type: ignore[union-attr]
        except ValidationError:
            loaded = None  # not a table read alone: every value counts in the key
            break
    key = ProcessKey(bpmn_xml, loaded)
    return ProcessSide(label, definition.process_id, bundle, specs, key)


def draft_definition(
    process_id: str, bpmn_xml: bytes, dmn_xmls: list[bytes], digest: str
) -> ProcessDefinition:
    """The draft as a definition that is never saved: read like a deployed one."""
    return ProcessDefinition(
        process_id=process_id, version=0, content_hash=digest,
        bpmn_xml=bpmn_xml.decode("utf-8"), dmn_xmls=[d.decode("utf-8") for d in dmn_xmls],
    )  # fmt: skip
