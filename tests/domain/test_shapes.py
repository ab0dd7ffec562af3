"""Queries built once per shape answer what the same query built anew answers."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import shapes
from domain.customer.models import Customer
from tests import factories


def _kept_keys() -> list[Any]:
    """The callers' keys of the kept shapes, least recently used first."""
    return [key[1] for key in shapes._kept]  # type: ignore[index]


async def _two_managers() -> tuple[int, int, list[Customer], list[Customer]]:
    first = await factories.user("am1", ["account_manager"])
    second = await factories.user("am2", ["account_manager"])
    mine = [await factories.customer(f"c{i}", account_manager_id=first.id) for i in range(3)]
    theirs = [await factories.customer(f"d{i}", account_manager_id=second.id) for i in range(2)]
    return first.id, second.id, mine, theirs


def _of(manager: int) -> Callable[[Sequence[int]], QuerySet[Customer]]:
    def query(ids: Sequence[int]) -> QuerySet[Customer]:
        return Customer.filter(Q(account_manager_id=manager), id__in=list(ids)).order_by("id")

    return query


async def test_a_kept_shape_answers_for_other_ids_within_its_own_scope(db: str) -> None:
    # given two managers' customers, and each manager's query kept under a key of its own
    first, second, mine, theirs = await _two_managers()
    everyone = [c.id for c in mine + theirs]
    # when each asks for every customer, twice (the second time from the kept shape)
    for _ in range(2):
        seen_by_first = await shapes.models(("t", first), Customer, _of(first), everyone)
        seen_by_second = await shapes.models(("t", second), Customer, _of(second), everyone)
        # then each sees their own customers only, as the query built anew would
        assert [c.id for c in seen_by_first] == [c.id for c in mine]
        assert [c.id for c in seen_by_second] == [c.id for c in theirs]
        assert seen_by_first == list(await _of(first)(everyone))
    # and a batch of another size is a shape of its own
    one = await shapes.models(("t", first), Customer, _of(first), [theirs[0].id, mine[1].id])
    assert [c.id for c in one] == [mine[1].id]
    assert (await shapes.models(("t", second), Customer, _of(second), [mine[0].id])) == []


async def test_a_lock_inside_a_transaction(db: str) -> None:
    first, _, mine, _ = await _two_managers()

    def locked(ids: Sequence[int]) -> QuerySet[Customer]:
        return Customer.filter(account_manager_id=first, id__in=list(ids)).select_for_update()

    async with in_transaction():
        for _ in range(2):
            found = await shapes.models(("lock", first), Customer, locked, [mine[2].id, -5])
            assert [row.id for row in found] == [mine[2].id]


async def test_a_query_whose_stand_ins_do_not_survive_is_run_as_built(db: str) -> None:
    # given a query that compares the number as text (the stand-in is no longer a number)
    _, _, mine, _ = await _two_managers()

    def by_name(numbers: Sequence[int]) -> QuerySet[Customer]:
        return Customer.filter(name=f"c{numbers[0]}")

    # then it is not kept, and answers right every time
    for i in (0, 1, 0):
        found = await shapes.models(("name",), Customer, by_name, [i])
        assert [c.id for c in found] == [mine[i].id]
    assert ("name",) not in _kept_keys()


async def test_a_query_that_refuses_the_stand_ins_is_run_as_built(db: str) -> None:
    # given a query whose column takes no negative number (as a checked column would refuse)
    first, _, mine, _ = await _two_managers()

    def positive(ids: Sequence[int]) -> QuerySet[Customer]:
        if min(ids) < 0:
            raise ValueError("must be positive")
        return _of(first)(ids)

    # then it answers from the query built for the ids, and is not kept
    found = await shapes.models(("positive",), Customer, positive, [mine[0].id])
    assert [c.id for c in found] == [mine[0].id]
    assert ("positive",) not in _kept_keys()


async def test_only_whole_numbers_go_in_the_stand_ins_places(db: str) -> None:
    with pytest.raises(TypeError):
        await shapes.models(("t", 1), Customer, _of(1), ["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        await shapes.models(("t", 1), Customer, _of(1), [True])


async def test_the_least_recently_used_shapes_go_first(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shapes, "KEPT", 2)
    monkeypatch.setattr(shapes, "_kept", type(shapes._kept)())
    first, second, mine, _ = await _two_managers()
    await shapes.models(("a",), Customer, _of(first), [mine[0].id])
    await shapes.models(("b",), Customer, _of(second), [mine[0].id])
    await shapes.models(("a",), Customer, _of(first), [mine[0].id])  # used again
    await shapes.models(("c",), Customer, _of(first), [mine[0].id])
    assert _kept_keys() == [("a",), ("c",)]


async def test_exists_answers_within_each_callers_scope_from_a_kept_shape(db: str) -> None:
    # given two managers' customers
    first, second, mine, theirs = await _two_managers()

    def one_of(manager: int) -> Callable[[Sequence[int]], QuerySet[Customer]]:
        return lambda ids: Customer.filter(Q(account_manager_id=manager), id=ids[0])

    # when each manager asks, twice (the second time from the kept shape), about every customer
    for _ in range(2):
        for customer in mine + theirs:
            first_sees = await shapes.exists(("e", first), Customer, one_of(first), [customer.id])
            second_sees = await shapes.exists(
                ("e", second), Customer, one_of(second), [customer.id]
            )
            # then each finds their own customers only, as the query built anew finds them
            assert first_sees is (customer in mine)
            assert second_sees is (customer in theirs)
            assert first_sees is await one_of(first)([customer.id]).exists()
    # and a customer that does not exist is found by nobody
    assert not await shapes.exists(("e", first), Customer, one_of(first), [10**9])
    assert ("exists", ("e", first)) in _kept_keys()
