"""DMN 1.1 to 1.5 decision models evaluated with the FEEL engine (bpmn.feel).

``load_models`` reads DMN files (which may import each other); ``DmnModels.evaluate`` gives a
decision's value, ``evaluate_decision`` also what fired and why values became null.
"""

from bpmn.dmn.drg import DecisionOutcome, DmnModels, load_each_as_main, load_models
from bpmn.dmn.errors import DmnError, DmnErrorCode, DmnEvaluationError, DmnModelError
from bpmn.dmn.evaluation import Message
from bpmn.dmn.tables import TableExplanation

__all__ = [
    "DecisionOutcome",
    "DmnError",
    "DmnErrorCode",
    "DmnEvaluationError",
    "DmnModelError",
    "DmnModels",
    "Message",
    "TableExplanation",
    "load_each_as_main",
    "load_models",
]
