"""Errors of the DMN evaluator: a refused model, and a decision that could not be evaluated."""

from __future__ import annotations

from enum import StrEnum

from bpmn.errors import BpmnError


class DmnErrorCode(StrEnum):
    """Stable machine-readable reasons a model or an evaluation was refused."""

    MALFORMED = "MALFORMED"
    UNSUPPORTED = "UNSUPPORTED"
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    DUPLICATE = "DUPLICATE"
    CYCLE = "CYCLE"
    NOT_FOUND = "NOT_FOUND"
    HIT_POLICY = "HIT_POLICY"
    CONSTRAINT = "CONSTRAINT"
    EXPRESSION = "EXPRESSION"
    LIMIT = "LIMIT"


class DmnError(BpmnError):
    """Base of every DMN error; ``element_id`` names the model element when known."""

    code: DmnErrorCode = DmnErrorCode.MALFORMED

    def __init__(
        self, reason: str, element_id: str | None = None, code: DmnErrorCode | None = None
    ) -> None:
        super().__init__(f"{element_id}: {reason}" if element_id else reason)
        self.reason = reason
        self.element_id = element_id
        if code is not None:
            self.code = code


class DmnModelError(DmnError):
    """A model was refused when it was read: malformed, hostile or inconsistent."""


class DmnEvaluationError(DmnError):
    """A decision could not be evaluated; the decision's result becomes null."""

    code = DmnErrorCode.EXPRESSION
