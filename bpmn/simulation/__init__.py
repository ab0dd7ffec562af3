"""Simulating a decision-table draft on past cases before it is deployed (see :mod:`.run`)."""
