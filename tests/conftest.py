"""Shared fixtures: a temporary data root, a pseudonym key, and clean sessions made of real JPEGs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest

from assets.kinds import INPUT_FOLDERS
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sample.scenes import jpeg_bytes, render_house
from curata.sample.session_defects import SessionFiles
from curata.sample.sessions import backdate, write_session
from curata.storage import Store
from tests.moto_server import bucket, s3, s3_endpoint  # noqa: F401  (fixtures)
from tests.test_export_support import ImageBank

KEY = b"test-pseudonym-key-0123456789"
PSEUDONYM_KEY = PseudonymKey(KEY)
DAY = datetime(2025, 1, 15, 10, 30, 45, 123000, tzinfo=UTC)


@lru_cache(maxsize=64)
def small_pair(seed: int) -> tuple[bytes, bytes]:
    return (
        jpeg_bytes(render_house(seed, (160, 120))),
        jpeg_bytes(render_house(seed, (160, 120), style="craftsman")),
    )


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path / "data").create_inputs(INPUT_FOLDERS)


@pytest.fixture
def make_session(root: DataRoot):
    """Writes a clean, settled session; `seed` picks the images, `ts` the time."""

    def make(
        ts: datetime = DAY,
        seed: int = 1,
        instruction: str = "make it modern farmhouse style",
        email: str = "ana@example.com",
        settled: bool = True,
    ) -> SessionFiles:
        files = write_session(root.sessions, ts, instruction, email, *small_pair(seed))
        if settled:
            backdate(files.folder, ts)
        return files

    return make


def later(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


@pytest.fixture
def bank(tmp_path: Path) -> ImageBank:
    """Real JPEGs under a data root of their own, for the export tests."""
    return ImageBank(tmp_path / "data")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty output store on the local disk (a test module may define its own)."""
    return Store.at(tmp_path / "out")
