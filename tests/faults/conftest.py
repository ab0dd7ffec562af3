"""The seeded portfolio the fault suites copy for each run."""

from collections.abc import Iterator

import pytest

from tests.faults.portfolio import Portfolio, portfolio


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portfolio]:
    """The template portfolio (migrated and seeded by the real commands), once per session."""
    with portfolio(tmp_path_factory.mktemp("portfolio")) as built:
        yield built
