"""Safe evaluator for diagram expressions: simpleeval with a whitelist, never Python eval/exec.

Every expression is parsed with :mod:`ast`, checked against a whitelist of node types,
functions and attributes, then evaluated by simpleeval with our own bounded operators and
a step/time budget. Scripts are lines of ``name = expr``, ``name += expr`` or ``del name``.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator as op
import threading
import time
from collections.abc import Callable, Container, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression

from bpmn.errors import ExpressionError, ResourceLimitExceeded

MAX_EXPRESSION_LENGTH = 2_000
MAX_SCRIPT_LENGTH = 20_000
MAX_SCRIPT_STATEMENTS = 200
MAX_STRING_LENGTH = 10_000
MAX_COLLECTION_LENGTH = 10_000
MAX_INT_BITS = 4_096
MAX_STEPS = 50_000
MAX_SECONDS = 0.25

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.keyword, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript,
    ast.Slice, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.comprehension,
    ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.USub, ast.UAdd, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot,
)  # fmt: skip

# Attributes (and methods) an expression may use on values from task data.
ALLOWED_ATTRIBUTES = frozenset(
    {
        "year", "month", "day", "days", "get", "keys", "values", "items", "lower", "upper",
        "strip", "startswith", "endswith", "isoformat", "weekday", "count", "index",
    }
)  # fmt: skip


def days_between(start: dt.date, end: dt.date) -> int:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (_as_date(end) - _as_date(start)).days


def add_days(day: dt.date, days: int) -> dt.date:
    if abs(int(days)) > 366 * 200:
        raise ResourceLimitExceeded("add_days: day count out of range")
    return _as_date(day) + dt.timedelta(days=int(days))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) <= 32:
        return dt.date.fromisoformat(value[:10])
    raise ExpressionError(f"not a date: {type(value).__name__}")


def _decimal(value: Any = 0) -> Decimal:
    if isinstance(value, str) and len(value) > 64:
        raise ResourceLimitExceeded("Decimal: literal too long")
    try:
        return Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation as exc:
        raise ExpressionError(f"Decimal: invalid value {value!r}") from exc


def _round(value: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        return round(value)
    if not -20 <= int(ndigits) <= 20:
        raise ResourceLimitExceeded("round: ndigits out of range")
    return round(value, int(ndigits))


BASE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min, "max": max, "abs": abs, "round": _round, "len": len, "int": int,
    "float": float, "str": str, "bool": bool, "Decimal": _decimal, "decimal": _decimal,
    "sum": sum, "any": any, "all": all, "sorted": sorted, "list": list, "dict": dict,
    "days_between": days_between, "add_days": add_days, "date": dt.date,
}  # fmt: skip


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise ResourceLimitExceeded("number too large")
    elif isinstance(value, str | bytes):
        if len(value) > MAX_STRING_LENGTH:
            raise ResourceLimitExceeded("string too long")
    elif isinstance(value, list | tuple | dict | set) and len(value) > MAX_COLLECTION_LENGTH:
        raise ResourceLimitExceeded("collection too large")
    return value


def _size_hint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length()
    if isinstance(value, Decimal) and value.is_finite():
        return abs(value.adjusted()) * 4
    return 0


def _safe_mult(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if hasattr(seq, "__len__") and isinstance(n, int) and len(seq) * n > MAX_STRING_LENGTH:
            raise ResourceLimitExceeded("sequence repetition too large")
    if _size_hint(a) + _size_hint(b) > MAX_INT_BITS:
        raise ResourceLimitExceeded("number too large")
    return _check_size(a * b)


def _safe_pow(a: Any, b: Any) -> Any:
    if isinstance(b, int | Decimal | float) and abs(b) > 1_000:  # type: ignore[operator]
        raise ResourceLimitExceeded("exponent too large")
    if isinstance(a, int | Decimal | float) and a not in (0, 1, -1):
        magnitude = math.log2(abs(float(a))) if a else 0.0
        if abs(magnitude * float(b)) > MAX_INT_BITS:
            raise ResourceLimitExceeded("power too large")
    return _check_size(a**b)


def _safe_add(a: Any, b: Any) -> Any:
    return _check_size(a + b)


def _safe_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        raise ExpressionError("string % formatting is not allowed")
    return a % b


OPERATORS: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Add: _safe_add, ast.Sub: op.sub, ast.Mult: _safe_mult, ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv, ast.Mod: _safe_mod, ast.Pow: _safe_pow, ast.USub: op.neg,
    ast.UAdd: op.pos, ast.Not: op.not_, ast.Eq: op.eq, ast.NotEq: op.ne, ast.Lt: op.lt,
    ast.LtE: op.le, ast.Gt: op.gt, ast.GtE: op.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: op.is_, ast.IsNot: op.is_not,
}  # fmt: skip


def _lint_tree(tree: ast.AST, functions: Container[str]) -> str | None:
    """Return the reason a parsed expression is refused, or None."""
    comp_targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            comp_targets.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            return f"{type(node).__name__} is not allowed in expressions"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"name {node.id!r} is not allowed (leading underscore)"
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                return f"attribute {node.attr!r} is not allowed (leading underscore)"
            if node.attr not in ALLOWED_ATTRIBUTES:
                return f"attribute {node.attr!r} is not allowed"
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                if node.func.id not in functions or node.func.id in comp_targets:
                    return f"unknown function {node.func.id!r}"
            elif not isinstance(node.func, ast.Attribute):
                return "only named functions and whitelisted methods can be called"
            if any(k.arg is None for k in node.keywords):
                return "** arguments are not allowed"
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
        if is_text and len(node.value) > MAX_STRING_LENGTH:  # type: ignore[attr-defined]
            return "string literal too long"
    return None


@lru_cache(maxsize=4096)
def _parse_expression(expr: str, function_names: frozenset[str]) -> ast.Expression:
    if len(expr) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters", expr)
    if "\x00" in expr:
        raise ExpressionError("expression contains a NUL character", expr)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"syntax error: {getattr(exc, 'msg', exc)}", expr) from None
    reason = _lint_tree(tree, function_names)
    if reason:
        raise ExpressionError(reason, expr)
    return tree


class _BoundedEval(EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval with a step and wall-clock budget and Decimal literals on demand."""

    def __init__(self, functions: dict[str, Any], decimals: bool) -> None:
        super().__init__(operators=dict(OPERATORS), functions=functions, names={})
        self.functions = functions  # drop simpleeval's implicit tuple/set additions
        self._decimals = decimals
        self.busy = False
        self.start({})

    def start(self, names: dict[str, Any]) -> None:
        """Ready for one evaluation over ``names``, with a fresh step and time budget."""
        self.names = names
        self._steps = 0
        self._deadline = time.monotonic() + MAX_SECONDS

    def _bounded_step(self, node: ast.AST) -> Any:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise ResourceLimitExceeded("expression took too many steps")
        if self._steps % 256 == 0 and time.monotonic() > self._deadline:
            raise ResourceLimitExceeded("expression took too long")
        parent_step = super()._eval
        return _check_size(parent_step(node))

    _eval = _bounded_step  # simpleeval's per-node hook

    def _eval_constant(self, node: ast.Constant) -> Any:
        if self._decimals and isinstance(node.value, float):
            return Decimal(repr(node.value))
        return super()._eval_constant(node)


class SafeEvaluator:
    """Evaluates diagram expressions and assignment scripts against task data."""

    def __init__(
        self,
        extra_functions: Mapping[str, Callable[..., Any]] | None = None,
        *,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.functions: dict[str, Callable[..., Any]] = dict(BASE_FUNCTIONS)
        if today is not None:
            self.functions["today"] = today
        for name, fn in (extra_functions or {}).items():
            if name.startswith("_"):
                raise ValueError(f"function name {name!r} may not start with '_'")
            self.functions[name] = fn
        self._function_names = frozenset(self.functions) | {"today"}
        self._kept = threading.local()  # this thread's evaluators, by whether numbers are Decimal

    def parse_check(self, expr: str) -> str | None:
        """Deploy-time lint: None when ``expr`` is acceptable, else the reason."""
        try:
            _parse_expression(expr, self._function_names)
        except ExpressionError as exc:
            return exc.reason
        return None

    def evaluate(self, expr: str, names: Mapping[str, Any]) -> Any:
        tree = _parse_expression(expr, self._function_names)
        return self._run(tree, expr, names)

    def _evaluator(self, decimals: bool) -> _BoundedEval:
        """This thread's evaluator for the kind of numbers, made once and reused (simpleeval
        builds its tables per instance); a new one when it is busy (a function evaluating)."""
        kept: dict[bool, _BoundedEval] = self._kept.__dict__.setdefault("evaluators", {})
        found = kept.get(decimals)
        if found is None or found.busy:
            found = _BoundedEval(dict(self.functions), decimals)
            kept.setdefault(decimals, found)
        return found

    def _run(self, tree: ast.Expression, expr: str, names: Mapping[str, Any]) -> Any:
        clean = {k: v for k, v in names.items() if isinstance(k, str) and not k.startswith("_")}
        decimals = any(isinstance(v, Decimal) for v in clean.values())
        evaluator = self._evaluator(decimals)
        evaluator.start(clean)
        evaluator.busy = True
        try:
            return evaluator.eval(expr, previously_parsed=tree.body)
        except ExpressionError:
            raise
        except InvalidExpression as exc:
            raise ExpressionError(str(exc), expr) from None
        except RecursionError:
            raise ResourceLimitExceeded("expression nested too deeply", expr) from None
        except MemoryError:
            raise ResourceLimitExceeded("expression used too much memory", expr) from None
        except (ArithmeticError, TypeError, ValueError, KeyError, IndexError) as exc:
            raise ExpressionError(f"{type(exc).__name__}: {exc}"[:300], expr) from None
        finally:
            evaluator.busy = False
            evaluator.names = {}  # keeps no task data alive between evaluations

    def script_check(self, script: str) -> str | None:
        """Deploy-time lint for a script task / pre- or post-script."""
        try:
            _script_plan(script, self._function_names)
        except ExpressionError as exc:
            return exc.reason
        return None

    def execute_script(self, script: str, names: Mapping[str, Any]) -> dict[str, Any]:
        """Run assignments; returns the new data dict (``names`` is not modified)."""
        data = dict(names)
        started = time.monotonic()
        for stmt, parts in _script_plan(script, self._function_names):
            if time.monotonic() - started > MAX_SECONDS * 4:
                raise ResourceLimitExceeded("script took too long")
            for target, tree, text in parts:
                if tree is None:
                    data.pop(target, None)
                    continue
                result = self._run(tree, text, data)
                if isinstance(stmt, ast.AugAssign):
                    if target not in data:
                        raise ExpressionError(f"line {stmt.lineno}: {target!r} is not defined")
                    result = OPERATORS[type(stmt.op)](data[target], result)
                data[target] = result
        return data


# (target, the value's expression or None for ``del``, its text) of each part of a statement
_Part = tuple[str, ast.Expression | None, str]


@lru_cache(maxsize=1024)
def _script_plan(
    script: str, function_names: frozenset[str]
) -> tuple[tuple[ast.stmt, tuple[_Part, ...]], ...]:
    """A script's statements, checked, with their parts ready to evaluate (parsed once)."""
    if len(script) > MAX_SCRIPT_LENGTH:
        raise ExpressionError(f"script longer than {MAX_SCRIPT_LENGTH} characters")
    try:
        module = ast.parse(script, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        msg = getattr(exc, "msg", exc)
        raise ExpressionError(f"syntax error on line {line}: {msg}") from None
    if len(module.body) > MAX_SCRIPT_STATEMENTS:
        raise ExpressionError(f"script has more than {MAX_SCRIPT_STATEMENTS} statements")
    plan = []
    for stmt in module.body:
        parts: list[_Part] = []
        for target, value in _statement_parts(stmt):
            if target.startswith("_"):
                raise ExpressionError(f"line {stmt.lineno}: name {target!r} is not allowed")
            if value is None:
                parts.append((target, None, ""))
                continue
            tree = ast.Expression(value)
            reason = _lint_tree(tree, function_names)
            if reason:
                raise ExpressionError(f"line {stmt.lineno}: {reason}")
            parts.append((target, tree, ast.unparse(value)))
        plan.append((stmt, tuple(parts)))
    return tuple(plan)


def _statement_parts(stmt: ast.stmt) -> list[tuple[str, ast.expr | None]]:
    """(target, value) pairs of an allowed statement; value None means ``del``."""
    if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
        return [(t.id, stmt.value) for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        return [(stmt.target.id, stmt.value)]
    if (
        isinstance(stmt, ast.AugAssign)
        and isinstance(stmt.target, ast.Name)
        and isinstance(stmt.op, ast.Add | ast.Sub | ast.Mult)
    ):
        return [(stmt.target.id, stmt.value)]
    if isinstance(stmt, ast.Delete) and all(isinstance(t, ast.Name) for t in stmt.targets):
        return [(t.id, None) for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.Pass):
        return []
    kind = type(stmt).__name__
    raise ExpressionError(
        f"line {stmt.lineno}: {kind} is not allowed; scripts are 'name = expression' lines"
    )
