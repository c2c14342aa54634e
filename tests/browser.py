"""Browser-test fixtures: an instance where the real jobs ran on a small sample, its webserver, and Chromium.

Chromium is Debian's (/usr/bin/chromium), never downloaded; Playwright only drives it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FloatRect, Page, expect, sync_playwright

from curata.layout import DATA_ROOT_ENV, DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV
from tests.conftest import KEY
from tests.services import free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_ARGS = [
    *("--sessions", "26", "--days", "2", "--defect-rate", "0.9", "--image-size", "512x384"),
    *("--projects", "1", "--groups", "8", "--curation-sets", "8", "--clip-architecture", "curata-tiny-vit"),
]  # small, with every session defect (bombs and undecodable images included); a tiny model for the embeddings
UI_TIMEOUT_MS = 60_000  # generous: the CPU is shared, and a page waits on GraphQL over a busy instance


@dataclass(frozen=True)
class Materialized:
    """A DAGSTER_HOME and a data root where every job ran once."""

    home: Path
    root: DataRoot
    env: dict[str, str]


def instance_environment(home: Path, root: DataRoot) -> dict[str, str]:
    """The environment a webserver or CLI needs to read this instance and data root."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), DATA_ROOT_ENV: str(root.root), PSEUDONYM_KEY_ENV: KEY.decode()}


def skip_community_dialog(home: Path) -> None:
    """Marks the UI's one-time "join the community" dialog as seen on this instance, so it covers nothing."""
    (home / ".nux").mkdir(parents=True, exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")


@pytest.fixture(scope="session")
def materialized(tmp_path_factory: pytest.TempPathFactory) -> Materialized:
    """`curata demo` on a small sample: the generator, then every job in process against this instance."""
    base = tmp_path_factory.mktemp("browser")
    root = DataRoot(base / "data")
    env = instance_environment(base / "home", root)
    skip_community_dialog(base / "home")
    done = subprocess.run(
        [BIN / "curata", "--root", str(root.root), "demo", *DEMO_ARGS],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Materialized(base / "home", root, env)


@pytest.fixture(scope="session")
def webserver(materialized: Materialized) -> Iterator[str]:
    """dagster-webserver over the materialized instance; yields its base URL."""
    port = free_port()
    log_path = materialized.home / "webserver.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [BIN / "dagster-webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=materialized.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: urllib.request.urlopen(f"{url}/server_info", timeout=2).status == 200, 120)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():  # a failure with what to do, never a silent skip
        pytest.fail(f"no Chromium at {CHROMIUM}: run tests/install-services.sh as root (README's test command)")
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A laptop-sized page."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def wide_page(browser: Browser) -> Iterator[Page]:
    """A full-HD page at twice the pixel density: the whole asset graph fits, and its screenshot stays sharp."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=2)
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context.new_page()
    context.close()


class Screenshots:
    """Saves screenshots in test-artifacts/, kept after the run for a person (or CI) to look at."""

    def __call__(self, page: Page, name: str, clip: FloatRect | None = None) -> Path:
        """The full page, or only `clip` (CSS pixels)."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=path, full_page=clip is None, clip=clip)
        return path


@pytest.fixture(scope="session")
def screenshot() -> Screenshots:
    return Screenshots()
