"""The key a whole-process simulation runs a diagram once per: what of a case's start data
the run can tell apart.

A run of the diagram in memory depends only on its start data, the answers its service
tasks get and the human decision it is given. The answers are taken from the start data
(:data:`ANSWERED`) or are canned (the same for every case), so a run is a function of
the start data and the decision. Of the start data, the key keeps:

- exactly, every name an expression of the diagram mentions (scripts, task metadata,
  timers, anything else written in the process), as a word of its text, and every output
  of a called table and result variable (what the run writes);
- for a name a gateway condition only compares with a constant or another name
  (:mod:`.process_atoms`), the answers of those comparisons;
  a service answer's result variable mentioned anywhere makes every name that answer is
  taken from exact too;
- for a bare name handed to a service task that is answered (not called), only whether it is
  missing: the answer does not depend on it, but a missing value fails the call;
- for each called decision table, the class of the inputs it cannot tell apart
  (:class:`bpmn.simulation.keys.Keys`), or every value when the table could not be read so;
- the decision a human is taken to give.

A postScript line that copies an answer's field back to the very name the answer was taken
from (``bureau_score = credit_report["bureau_score"]``, ``annual_rate =
Decimal(str(score_result["annual_rate"]))``) leaves that name as the start data had it, so
it is not counted as a read. Ids are not start data here (every run gets the same stand-in),
so they never split the key.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from bpmn import engine
from bpmn.simulation.keys import Keys, every_value, hashable
from bpmn.simulation.process_atoms import Atom, atoms_of, python_condition
from bpmn.simulation.tables import Table

# the service operations answered from the case's own history: answer field -> start name
ANSWERED: Mapping[str, Mapping[str, str]] = {
    "credit.pull_report": {"bureau_score": "bureau_score", "debt_to_income": "debt_to_income",
                           "worst_dpd_12m": "worst_dpd_12m"},
    "credit.score_application": {"score": "application_score", "band": "score_band",
                                 "annual_rate": "annual_rate"},
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
_COPY = re.compile(
    r"^\s*(\w+)\s*=\s*(?:Decimal\(\s*str\(\s*)?(\w+)\[\s*[\"'](\w+)[\"']\s*\](?:\s*\)\s*\))?\s*$"
)
_MISSING = ("missing",)


class ProcessKey:
    """The key of a case's start data and decision for one diagram and its tables."""

    def __init__(self, bpmn_xml: bytes, tables: list[Table] | None) -> None:
        written = {name for table in tables or () for name in table.outputs}
        self.exact, self.present, self.atoms = read_names(bpmn_xml, written)
        # None: a called table could not be loaded alone, so every value counts
        self._tables = None if tables is None else [Keys(t.classes) for t in tables]

    def key(self, values: Mapping[str, Any], decision: str | None) -> Hashable:
        """Start data of the same key, given the same decision, run the same way."""
        if self._tables is None:
            return ("all", every_value(values), decision)
        exact = tuple(_exact(values, name) for name in self.exact)
        present = tuple(values.get(name) is None for name in self.present)
        classes = tuple(keys.key(values) for keys in self._tables)
        answers = tuple(atom.answer(values) for atom in self.atoms)
        return (exact, present, answers, classes, decision)


def _exact(values: Mapping[str, Any], name: str) -> Hashable:
    if name not in values:
        return _MISSING
    value = values[name]
    return (type(value).__name__, hashable(value))


def read_names(
    bpmn_xml: bytes, written: set[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Atom, ...]]:
    """The words a diagram's processes mention (read exactly, with the names ``written`` by
    its tables), the bare names it only hands to answered service tasks (read for being
    missing) and the comparisons its conditions make."""
    root = engine.secure_xml(bpmn_xml)
    words: set[str] = set(written or ())
    atoms: list[Atom] = []
    handed: set[str] = set()
    results: dict[str, str] = {}  # result variable -> its operation
    for process in root.iter("{*}process"):
        served = set()
        for task in process.iter("{*}serviceTask"):
            operator = task.find(".//{*}serviceTaskOperator")
            if operator is not None:
                _service(task, operator, words, handed, results)
                served.add(task)
        for node in process.iter():
            if not isinstance(node.tag, str) or _within(node, served):
                continue
            read = atoms_of(node.text or "") if _local(node) == "conditionExpression" \
                and python_condition(node) else None  # fmt: skip
            if read is None:
                _words(node, words)
            else:
                atoms.extend(read[0])
                words.update(read[1])
                for value in node.attrib.values():
                    words.update(_WORD.findall(str(value)))
    for variable, operation in results.items():
        if variable in words:  # the answer is read as a whole: its sources count exactly
            words.update(ANSWERED.get(operation, {}).values())
    words.update(results)  # written by their tasks: a start name of theirs is not kept as is
    # a comparison with a name read exactly (perhaps written before it is made) cannot be
    # answered on the start data: its other names are read exactly too
    growing = True
    while growing:
        growing = False
        for atom in atoms:
            names = {side.name for side in (atom.left, atom.right) if side.name is not None}
            if names & words and not names <= words:
                words.update(names)
                growing = True
    return tuple(sorted(words)), tuple(sorted(handed - words)), tuple(atoms)


def _service(
    task: Any, operator: Any, words: set[str], handed: set[str], results: dict[str, str]
) -> None:
    operation = str(operator.get("id") or "")
    fields = ANSWERED.get(operation)
    variable = str(operator.get("resultVariable") or "")
    if variable:
        results[variable] = operation
    for node in task.iter():
        if not isinstance(node.tag, str) or node is operator:
            continue
        name = _local(node)
        if name == "parameter":
            bare = _BARE.match(str(node.get("value") or ""))
            if bare is not None:
                handed.add(bare.group(1))
            else:
                words.update(_WORD.findall(str(node.get("value") or "")))
        elif name == "postScript" and fields is not None:
            for line in (node.text or "").splitlines():
                copy = _COPY.match(line)
                if (
                    copy
                    and copy.group(2) == variable
                    and fields.get(copy.group(3)) == copy.group(1)
                ):
                    continue  # the answer's field back under the name it was taken from
                words.update(_WORD.findall(line))
        elif name not in ("parameters", "extensionElements"):
            _words(node, words)


def _words(node: Any, words: set[str]) -> None:
    words.update(_WORD.findall(node.text or ""))
    for value in node.attrib.values():
        words.update(_WORD.findall(str(value)))


def _local(node: Any) -> str:
    return str(node.tag).rsplit("}", 1)[-1]


def _within(node: Any, served: set[Any]) -> bool:
    """Whether the node is a service task read by :func:`_service`, or inside one."""
    while node is not None:
        if node in served:
            return True
        node = node.getparent()
    return False
