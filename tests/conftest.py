from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_shared() -> Path:
    """../shared beside the checkout: always present in CI; locally a test may skip without it."""
    if not SHARED.is_dir():
        if IN_CI:
            raise RuntimeError("../shared is missing beside the checkout; CI must have it")
        pytest.skip("../shared (the seed notes) is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def outline() -> dict[str, tuple[str, str]]:
    from dlquiz.decks.contentfile import read_outline

    return read_outline(need_shared() / "seeds" / "OUTLINE.tsv")


def _db_vendor() -> str:
    from django.db import connection

    return connection.vendor


@pytest.fixture(autouse=True)
def _service_markers(request: pytest.FixtureRequest) -> None:
    """``postgres`` / ``redis`` tests need the real services: they run in CI (which fails without them)
    and locally when DATABASE_URL / REDIS_URL point at them, and skip otherwise with a reason."""
    from django.conf import settings

    if request.node.get_closest_marker("postgres") and _db_vendor() != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the database is not PostgreSQL: set DATABASE_URL")
        pytest.skip(
            "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (or CI=true make test)"
        )
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set")
        pytest.skip("needs Redis: run with REDIS_URL=redis://127.0.0.1:6379/0 (or CI=true make test)")


def pytest_configure(config: pytest.Config) -> None:
    # The engine works on tiny tensors: intra-op threads only add contention on a 2-core CI machine.
    import torch

    torch.set_num_threads(1)
