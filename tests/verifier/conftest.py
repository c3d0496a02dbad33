"""Fixtures of the verifier tests."""

from __future__ import annotations

import pytest

from tests.verifier.kit import IssuerKit


@pytest.fixture
def kit() -> IssuerKit:
    """A fake issuer; its credentials stay valid far beyond the real clock the CLI uses."""
    return IssuerKit()
