"""End to end: the real CLI, `dagster definitions validate`, and dagster-webserver running a launched job."""

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from dagster_graphql import DagsterGraphQLClient

from curata.layout import WAREHOUSE
from curata.privacy import PSEUDONYM_KEY_ENV
from curata.sample.sessions import generate_sessions
from tests.conftest import KEY
from tests.services import free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.e2e


def environment(root, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CURATA_DATA_ROOT": str(root.root),
        PSEUDONYM_KEY_ENV: KEY.decode(),
    }


def test_definitions_validate(root, tmp_path):
    env = environment(root, tmp_path / "home")
    done = subprocess.run(
        [BIN / "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_demo_command_prints_a_summary_that_matches_ground_truth(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop(PSEUDONYM_KEY_ENV, None)
    done = subprocess.run(
        [
            BIN / "curata",
            "--root",
            str(tmp_path / "data"),
            "demo",
            "--sessions",
            "30",
            "--defect-rate",
            "0.7",
            "--image-size",
            "256x192",
            "--clip-architecture",
            "curata-tiny-vit",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "=== Curata summary ===" in done.stdout
    assert "ground truth: every session folder, log line, project file and group" in done.stdout
    assert (tmp_path / "home" / "pseudonym.key").stat().st_mode & 0o077 == 0


def test_webserver_loads_the_location_and_runs_a_launched_job(root, tmp_path):
    generate_sessions(root, n_sessions=8, days=1, defect_rate=0.0, image_size=(128, 96), workers=1)
    day = sorted(p.name for p in root.sessions.iterdir())[0][len("session-") :][:10]
    env = environment(root, tmp_path / "home")
    port = free_port()
    log = open(tmp_path / "webserver.log", "w")
    server = subprocess.Popen(
        [BIN / "dagster-webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200, 120)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        run_id = client.submit_job_execution("ingest_sessions", tags={"dagster/partition": day})
        status = wait_for(lambda: _finished(client, run_id), 180)
        assert status == "SUCCESS", (tmp_path / "webserver.log").read_text()[-3000:]
        assert (root.root / WAREHOUSE / "validated_sessions" / f"{day}.parquet").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _finished(client: DagsterGraphQLClient, run_id: str):
    status = client.get_run_status(run_id).value
    return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None
