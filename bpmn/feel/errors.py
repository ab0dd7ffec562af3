"""FEEL errors and the resource bounds every parse and evaluation respects."""

from __future__ import annotations

from bpmn import expressions
from bpmn.errors import ExpressionError, ResourceLimitExceeded

# The bounds of lendgraph's own expressions (bpmn.expressions), so a FEEL diagram can do no
# more than any other; only the text may be as long as a script, since boxed literal
# expressions are longer than a gateway condition.
MAX_EXPRESSION_LENGTH = expressions.MAX_SCRIPT_LENGTH
MAX_NESTING = 64
MAX_TREE_DEPTH = 256
MAX_STRING_LENGTH = expressions.MAX_STRING_LENGTH
MAX_COLLECTION_LENGTH = expressions.MAX_COLLECTION_LENGTH
MAX_STEPS = expressions.MAX_STEPS
MAX_SECONDS = expressions.MAX_SECONDS
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
