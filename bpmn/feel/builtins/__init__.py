"""FEEL built-in functions by kind; importing this package fills BUILTINS."""

from bpmn.feel.builtins import (  # noqa: F401 - each module registers its functions
    contexts,
    conversion,
    lists,
    logic,
    numeric,
    ranges,
    strings,
    temporal,
)
from bpmn.feel.builtins.registry import BUILTINS

__all__ = ["BUILTINS"]
