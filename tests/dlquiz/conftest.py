import pytest

from tests.factories import enrolled_user


@pytest.fixture
def owner():
    """A learner enrolled in a deck of three cards: ``(user, deck, cards)``."""
    return enrolled_user(3)
