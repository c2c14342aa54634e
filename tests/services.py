"""Real services for the tests that need them: a PostgreSQL server and a Dask cluster, on loopback ports.

PostgreSQL comes from the Debian binaries (initdb, pg_ctl); it refuses to run as root, so as root the
server runs as the `postgres` system user in a temporary folder that user owns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg2
import pytest
from dagster import JobDefinition

DEBIAN_PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/usr/lib/postgresql/missing"))
PG_BIN = Path(os.environ.get("CURATA_PG_BIN") or DEBIAN_PG_BIN)
PG_USER = "curata"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(probe: Callable[[], T | None], timeout: float) -> T:
    """Polls `probe` once a second until it returns something truthy; connection errors count as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(1)
    raise TimeoutError(f"gave up after {timeout}s")


@dataclass(frozen=True)
class PostgresServer:
    port: int
    password: str
    host: str = "127.0.0.1"
    user: str = PG_USER

    def connect(self, db_name: str = "postgres"):
        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password, dbname=db_name)

    def create_database(self) -> str:
        """A fresh database for one test, so tests share the server and nothing else."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        connection = self.connect()
        connection.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            connection.close()
        return name

    def dagster_env(self, db_name: str) -> dict[str, str]:
        """The variables deploy/postgres/dagster.yaml reads its credentials from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": db_name,
        }


def _as_server_user(*command: str | Path) -> list[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return prefix + [str(c) for c in command]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and deleted afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"no PostgreSQL binaries in {PG_BIN}: run tests/install-services.sh as root, or set CURATA_PG_BIN")
    base = Path(tempfile.mkdtemp(prefix="curata-postgres-"))
    server = PostgresServer(port=free_port(), password=uuid.uuid4().hex)
    (base / "password").write_text(server.password)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(base / "password", "postgres")
    data = base / "data"
    options = (
        f"-p {server.port} -c listen_addresses={server.host} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _run(PG_BIN / "initdb", "-D", data, "-U", server.user, f"--pwfile={base / 'password'}", "--auth=scram-sha-256")
        _run(PG_BIN / "pg_ctl", "-D", data, "-l", base / "server.log", "-o", options, "-w", "-t", "60", "start")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            _run(PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _run(*command: str | Path) -> None:
    done = subprocess.run(_as_server_user(*command), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")


def job_on(data_root: str, job_name: str) -> JobDefinition:
    """The code location's job over one data root: what `build_reconstructable_job` rebuilds in a worker."""
    from definitions import build_definitions

    return build_definitions(data_root).resolve_job_def(job_name)


@pytest.fixture
def dask_scheduler(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Dask cluster of two single-threaded worker processes on loopback; yields the scheduler's address.

    The workers start with this process's environment, so the pseudonym key is set first.
    """
    from dask.distributed import LocalCluster

    from curata.privacy import PSEUDONYM_KEY_ENV
    from tests.conftest import KEY

    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
