from __future__ import annotations

import pytest

from wicketgate.api.tests.helpers import TokenClient, token_for
from wicketgate.testing.personas import Estate


@pytest.fixture
def token_a(estate: Estate) -> TokenClient:
    """An integration acting as the clerk at establishment A."""
    return TokenClient(token_for(estate.clerk_a))


@pytest.fixture
def token_b(estate: Estate) -> TokenClient:
    """An integration acting as the clerk at B: the outsider for A's records."""
    return TokenClient(token_for(estate.clerk_b))


@pytest.fixture
def token_admin(estate: Estate) -> TokenClient:
    return TokenClient(token_for(estate.estate_admin))
