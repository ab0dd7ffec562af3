"""Fixtures of the authz tests."""

from tests.authz.support import access_db, cheap_hashing

__all__ = ["access_db", "cheap_hashing"]
