"""FEEL errors and the resource bounds every parse and evaluation respects."""

from __future__ import annotations

from bpmn.errors import ExpressionError, ResourceLimitExceeded

# Boxed literal expressions are longer than a gateway condition, hence a wider bound than
# bpmn.expressions; sizes and budgets otherwise follow it.
MAX_EXPRESSION_LENGTH = 20_000
MAX_NESTING = 64
MAX_TREE_DEPTH = 256
MAX_STRING_LENGTH = 100_000
MAX_COLLECTION_LENGTH = 100_000
MAX_STEPS = 200_000
MAX_SECONDS = 1.0
MAX_CALL_DEPTH = 48
MAX_REGEX_PATTERN = 1_000
MAX_REGEX_INPUT = 10_000


class FeelError(ExpressionError):
    """A FEEL expression was refused: syntax, or a bound that aborts the evaluation."""


class FeelLimitError(FeelError, ResourceLimitExceeded):
    """A FEEL evaluation exceeded a size, step, time or depth bound."""


class FeelSyntaxError(FeelError):
    """FEEL text that does not parse; ``position`` is 0-based, ``line``/``column`` 1-based."""

    def __init__(self, message: str, text: str, position: int) -> None:
        position = max(0, min(position, len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"line {line}, column {column}: {message}", text)
        self.message = message
        self.position = position
        self.line = line
        self.column = column
