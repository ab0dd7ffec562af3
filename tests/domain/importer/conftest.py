"""Fixtures of the importer tests."""

from tests.domain.importer.support import customers, loans, product, staff

__all__ = ["customers", "loans", "product", "staff"]
