"""List built-ins: membership, aggregation, reshaping, and sorting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bpmn.feel.builtins.registry import ABSENT, Invalid, as_list, builtin, items, num, whole
from bpmn.feel.calls import invoke
from bpmn.feel.errors import MAX_COLLECTION_LENGTH, FeelLimitError
from bpmn.feel.operators import compare, feel_equal
from bpmn.feel.values import NUMBER_CONTEXT, FeelFunction, number


def _bounded(result: list[Any]) -> list[Any]:
    if len(result) > MAX_COLLECTION_LENGTH:
        raise FeelLimitError("list too long")
    return result


def _position(values: list[Any], position: Any) -> int:
    """A 1-based (negative from the end) position as a 0-based index, else Invalid."""
    where = whole(position)
    if where > 0 and where <= len(values):
        return where - 1
    if where < 0 and -where <= len(values):
        return len(values) + where
    raise Invalid("position out of range")


def _contains(values: list[Any], element: Any) -> bool:
    return any(feel_equal(item, element) is True for item in values)


@builtin("list contains", ("list", "element"))
def list_contains(values: Any, element: Any) -> bool:
    """Whether the list holds the element (null matches null)."""
    return _contains(as_list(values), element)


@builtin("count", ("list",))
def count(values: Any) -> Decimal:
    """The number of items."""
    return Decimal(len(as_list(values)))


def _extreme(args: tuple[Any, ...], sign: int) -> Any:
    values = items(args)
    if not values:
        return None
    best = values[0]
    for value in values[1:]:
        order = compare(value, best)
        if order is None:
            raise Invalid("items cannot be compared")
        if order * sign > 0:
            best = value
    if compare(best, best) is None:
        raise Invalid("items cannot be compared")
    return best


@builtin("min", ("list",), variadic=True)
def minimum(*args: Any) -> Any:
    """The least item."""
    return _extreme(args, -1)


@builtin("max", ("list",), variadic=True)
def maximum(*args: Any) -> Any:
    """The greatest item."""
    return _extreme(args, 1)


def _numbers(args: tuple[Any, ...]) -> list[Decimal]:
    return [num(value) for value in items(args)]


@builtin("sum", ("list",), variadic=True)
def total(*args: Any) -> Decimal | None:
    """The sum of numbers (null for an empty list)."""
    values = _numbers(args)
    if not values:
        return None
    result = Decimal(0)
    for value in values:
        result = NUMBER_CONTEXT.add(result, value)
    return number(result)


@builtin("mean", ("list",), variadic=True)
def mean(*args: Any) -> Decimal | None:
    """The arithmetic mean."""
    values = _numbers(args)
    if not values:
        return None
    result = sum(values, Decimal(0))
    return number(NUMBER_CONTEXT.divide(result, Decimal(len(values))))


@builtin("product", ("list",), variadic=True)
def product(*args: Any) -> Decimal | None:
    """The product of numbers."""
    values = _numbers(args)
    if not values:
        return None
    result = Decimal(1)
    for value in values:
        result = NUMBER_CONTEXT.multiply(result, value)
    return number(result)


@builtin("median", ("list",), variadic=True)
def median(*args: Any) -> Decimal | None:
    """The middle number (mean of the two middle ones for an even count)."""
    values = sorted(_numbers(args))
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return number(NUMBER_CONTEXT.divide(values[middle - 1] + values[middle], Decimal(2)))


@builtin("stddev", ("list",), variadic=True)
def stddev(*args: Any) -> Decimal | None:
    """The sample standard deviation (null for fewer than two numbers)."""
    values = _numbers(args)
    if len(values) < 2:
        return None
    average = NUMBER_CONTEXT.divide(sum(values, Decimal(0)), Decimal(len(values)))
    squares = sum((NUMBER_CONTEXT.power(v - average, 2) for v in values), Decimal(0))
    variance = NUMBER_CONTEXT.divide(squares, Decimal(len(values) - 1))
    return number(NUMBER_CONTEXT.sqrt(variance))


@builtin("mode", ("list",), variadic=True)
def mode(*args: Any) -> list[Decimal]:
    """The most frequent numbers, ascending."""
    values = _numbers(args)
    tally: dict[Decimal, int] = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    if not tally:
        return []
    top = max(tally.values())
    return sorted(value for value, seen in tally.items() if seen == top)


def _booleans(args: tuple[Any, ...]) -> list[Any]:
    values = items(args)
    if any(value is not None and not isinstance(value, bool) for value in values):
        raise Invalid("expected booleans")
    return values


@builtin("all", ("list",), variadic=True)
def all_of(*args: Any) -> bool | None:
    """True when every item is true; false when one is false; else null."""
    values = _booleans(args)
    if any(value is False for value in values):
        return False
    return None if any(value is None for value in values) else True


@builtin("any", ("list",), variadic=True)
def any_of(*args: Any) -> bool | None:
    """True when some item is true; false when all are false; else null."""
    values = _booleans(args)
    if any(value is True for value in values):
        return True
    return None if any(value is None for value in values) else False


@builtin("sublist", ("list", "start position", "length"), required=2)
def sublist(values: Any, start: Any, length: Any = ABSENT) -> list[Any]:
    """Items from a 1-based (negative from the end) position, ``length`` of them."""
    source = as_list(values)
    begin = _position(source, start)
    if length is ABSENT:
        return source[begin:]
    size = whole(length)
    if size < 0 or begin + size > len(source):
        raise Invalid("sublist: length out of range")
    return source[begin : begin + size]


@builtin("append", ("list", "item"), variadic=True)
def append(values: Any, *added: Any) -> list[Any]:
    """The list with items added at its end."""
    return _bounded([*as_list(values), *added])


@builtin("concatenate", ("list",), variadic=True)
def concatenate(*lists: Any) -> list[Any]:
    """The lists one after another."""
    result: list[Any] = []
    for value in lists:
        result.extend(as_list(value))
        _bounded(result)
    return result


@builtin("insert before", ("list", "position", "newItem"))
def insert_before(values: Any, position: Any, new_item: Any) -> list[Any]:
    """The list with ``newItem`` inserted before a 1-based position."""
    source = as_list(values)
    index = _position(source, position)
    return _bounded([*source[:index], new_item, *source[index:]])


@builtin("remove", ("list", "position"))
def remove(values: Any, position: Any) -> list[Any]:
    """The list without the item at a 1-based position."""
    source = as_list(values)
    index = _position(source, position)
    return source[:index] + source[index + 1 :]


@builtin("reverse", ("list",))
def reverse(values: Any) -> list[Any]:
    """The list backwards."""
    return list(reversed(as_list(values)))


@builtin("index of", ("list", "match"))
def index_of(values: Any, match: Any) -> list[Decimal]:
    """The 1-based positions of items equal to ``match``."""
    source = as_list(values)
    return [Decimal(i + 1) for i, item in enumerate(source) if feel_equal(item, match) is True]


def _distinct(values: list[Any]) -> list[Any]:
    result: list[Any] = []
    for value in values:
        if not _contains(result, value):
            result.append(value)
    return result


@builtin("union", ("list",), variadic=True)
def union(*lists: Any) -> list[Any]:
    """The items of all lists, each once."""
    return _distinct(concatenate(*lists))


@builtin("distinct values", ("list",))
def distinct_values(values: Any) -> list[Any]:
    """The items, each once, in first-seen order."""
    return _distinct(as_list(values))


def _flatten(values: list[Any], into: list[Any], depth: int) -> None:
    if depth > 64:
        raise FeelLimitError("list nested too deeply")
    for value in values:
        if isinstance(value, list):
            _flatten(value, into, depth + 1)
        else:
            into.append(value)


@builtin("flatten", ("list",))
def flatten(values: Any) -> list[Any]:
    """Nested lists as one flat list."""
    result: list[Any] = []
    _flatten(as_list(values), result, 0)
    return result


@builtin("sort", ("list", "precedes"), required=1)
def sort(values: Any, precedes: Any = None) -> list[Any]:
    """The list ordered by ``precedes(a, b)`` (natural order without it)."""
    source = list(as_list(values))
    if precedes is not None and not isinstance(precedes, FeelFunction):
        raise Invalid("sort: precedes must be a function")
    # Insertion by binary search keeps to O(n log n) calls of a FEEL function.
    result: list[Any] = []
    for value in source:
        low, high = 0, len(result)
        while low < high:
            middle = (low + high) // 2
            if _before(value, result[middle], precedes):
                high = middle
            else:
                low = middle + 1
        result.insert(low, value)
    return result


def _accepts(match: FeelFunction, item: Any, new_item: Any) -> bool:
    verdict = invoke(match, [item, new_item])
    if not isinstance(verdict, bool):
        raise Invalid("list replace: match must answer true or false")
    return verdict


def _before(a: Any, b: Any, precedes: FeelFunction | None) -> bool:
    if precedes is None:
        order = compare(a, b)
        if order is None:
            raise Invalid("sort: items cannot be compared")
        return order < 0
    verdict = invoke(precedes, [a, b])
    if not isinstance(verdict, bool):
        raise Invalid("sort: precedes must answer true or false")
    return verdict


@builtin("list replace", ("list", "position", "newItem"), overloads=(("list", "match", "newItem"),))
def list_replace(values: Any, where: Any, new_item: Any) -> list[Any]:
    """The list with the item at a position, or every item ``match`` accepts, replaced."""
    source = list(as_list(values))
    if isinstance(where, FeelFunction):
        return [new_item if _accepts(where, item, new_item) else item for item in source]
    source[_position(source, where)] = new_item
    return source
