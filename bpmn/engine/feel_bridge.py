"""FEEL inside a process: BPMN expressions marked ``=``, and the decisions of FEEL DMN files.

Task data goes into FEEL as FEEL values and comes back as values the task data can keep
(decimals, dates and date-times as they are; durations and times as ISO 8601 text). A value
task data cannot keep (a function, a range) is refused with the expression that made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bpmn import dmn, feel
from bpmn.engine.clock import business_now
from bpmn.errors import ExpressionError, WorkflowRunError

CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate a BPMN expression marked with a leading ``=`` as FEEL over the task data."""
    text = expression.lstrip()[1:]
    context = {key: feel.to_feel(value) for key, value in names.items()}
    return to_data(feel.evaluate(text, context, clock=business_now), text)


def to_data(value: Any, source: str = "") -> Any:
    """A FEEL value as task data keeps it."""
    if value is None or isinstance(value, bool | str | Decimal | int | dt.date):
        return value
    if isinstance(value, feel.DaysTimeDuration | feel.YearsMonthsDuration):
        return str(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [to_data(item, source) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item, source) for key, item in value.items()}
    kind = type(value).__name__
    raise ExpressionError(f"a FEEL {kind} cannot be kept in process data", source)


class FeelDecision:
    """A decision of a FEEL DMN file as SpiffWorkflow's business rule task runs it.

    With no result variable the outputs merge into the task data by name, as for the engine's
    own tables: a table's output names, else the decision's name. A result variable (Camunda
    8's ``zeebe:calledDecision``, Camunda 7's ``camunda:resultVariable`` with its
    ``mapDecisionResult``) keeps the result under that one name instead.
    """

    def __init__(
        self,
        models: dmn.DmnModels,
        decision_id: str,
        result_variable: str | None = None,
        mapping: str | None = None,
    ) -> None:
        self.models = models
        self.decision_id = decision_id
        self.result_variable = result_variable
        self.mapping = mapping

    def for_task(self, node: Any) -> FeelDecision:
        """The same decision as the business rule task ``node`` asks for its result."""
        called = node.find(f".//{ZEEBE}calledDecision")
        variable = called.get("resultVariable") if called is not None else None
        variable = variable or node.get(CAMUNDA + "resultVariable")
        mapping = node.get(CAMUNDA + "mapDecisionResult")
        return FeelDecision(self.models, self.decision_id, variable, mapping)

    def result(self, task: Any) -> dict[str, Any]:
        """What the business rule task merges into its data (SpiffWorkflow calls this)."""
        return self.evaluate(task.data, task.task_spec.bpmn_id)

    def evaluate(self, data: Mapping[str, Any], element_id: str) -> dict[str, Any]:
        """The decision's outputs for ``data``, by the names the task data keeps them under."""
        inputs = {key: feel.to_feel(value) for key, value in data.items()}
        try:
            outcome = self.models.evaluate_decision(self.decision_id, inputs, variables=inputs)
        except dmn.DmnError as exc:
            raise WorkflowRunError(str(exc), element_id) from None
        value = to_data(outcome.value, self.decision_id)
        if self.result_variable:
            return {self.result_variable: self._mapped(value, outcome.output_names)}
        if isinstance(value, dict) and len(outcome.output_names) > 1:
            return value
        if len(outcome.output_names) == 1:
            return {outcome.output_names[0]: value}
        return {outcome.variable_name: value}

    def _mapped(self, value: Any, outputs: tuple[str, ...]) -> Any:
        # Camunda 7's result shapes; Camunda 8 (and no mapping) keep the FEEL result itself
        if self.mapping is None:
            return value
        rows = value if isinstance(value, list) else [] if value is None else [value]
        rows = [row if isinstance(row, dict) else {outputs[0]: row} for row in rows]
        if self.mapping == "resultList":
            return rows
        if self.mapping == "collectEntries":
            return [next(iter(row.values()), None) for row in rows]
        if len(rows) > 1:
            raise ExpressionError(f"{self.mapping}: the decision matched {len(rows)} rules")
        row = rows[0] if rows else None
        if self.mapping == "singleResult" or row is None:
            return row
        return next(iter(row.values()), None)


def load_decisions(dmn_xmls: list[bytes]) -> dict[str, FeelDecision]:
    """Every decision of the FEEL DMN files of a deployment, by id (the files may import
    each other, so they load together)."""
    if not dmn_xmls:
        return {}
    try:  # each file once the main model, the others there to be imported
        loaded = dmn.load_each_as_main(dmn_xmls, clock=business_now)
    except dmn.DmnError as exc:
        raise ExpressionError(str(exc)) from None
    return {d: FeelDecision(models, d) for models in loaded for d in models.decision_ids}
