"""Fixtures of the integration tests: real Flask project folders on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integrations.projects import FACTORY_PROJECT, PLAIN_PROJECT, write_project


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A factory app in a package: .flaskenv names it, .env holds SECRET_KEY and SECRET_KEY_FALLBACKS."""
    return write_project(tmp_path / "shop-project", FACTORY_PROJECT)


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A plain app.py with its own session interface, and an unguarded app.run()."""
    return write_project(tmp_path / "plain-project", PLAIN_PROJECT)
