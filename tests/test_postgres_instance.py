"""The shared instance (deploy/postgres/dagster.yaml) on a real PostgreSQL server, with the real daemon.

A backfill of two days is queued from the CLI; `dagster-daemon run` then evaluates the session
sensor (which asks for the same two days), dequeues every run under the queue's limits and runs
them. The tick, the backfill, the runs and their asset checks are read back from the instance, and
counted again with plain SQL in the server's database.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from assets import jobs
from curata.layout import DATA_ROOT_ENV
from curata.privacy import PSEUDONYM_KEY_ENV
from tests.conftest import KEY, later
from tests.services import postgres, wait_for  # noqa: F401  (postgres: a fixture)

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED_INSTANCE = REPO / "deploy" / "postgres" / "dagster.yaml"
DAYS = ["2025-01-15", "2025-01-16"]
pytestmark = pytest.mark.e2e


@pytest.fixture
def shared_env(postgres, root, tmp_path, monkeypatch) -> dict[str, str]:  # noqa: F811
    """DAGSTER_HOME holding the shared instance's file, its credentials pointing at a fresh database."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(SHARED_INSTANCE, home / "dagster.yaml")
    variables = {
        "DAGSTER_HOME": str(home),
        DATA_ROOT_ENV: str(root.root),
        PSEUDONYM_KEY_ENV: KEY.decode(),
        **postgres.dagster_env(postgres.create_database()),
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def test_tick_backfill_runs_and_checks_are_recorded_in_postgres(postgres, shared_env, make_session):  # noqa: F811
    for minutes, seed in ((0, 1), (5, 2), (60 * 24, 3)):
        make_session(ts=later(minutes), seed=seed)
    backfill = subprocess.run(
        [BIN / "dagster", "job", "backfill", "-w", "workspace.yaml", "-j", "ingest_sessions"]
        + ["--partitions", ",".join(DAYS), "--noprompt"],
        cwd=REPO,
        env=shared_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert backfill.returncode == 0, backfill.stdout[-3000:] + backfill.stderr[-3000:]
    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert {r.status for r in instance.get_runs()} == {DagsterRunStatus.QUEUED}  # held until the daemon

        with _daemon(shared_env):
            runs = wait_for(lambda: _all_finished(instance, 2 * len(DAYS)), timeout=600)

        assert {r.dagster_run.status for r in runs} == {DagsterRunStatus.SUCCESS}
        _assert_no_partition_written_twice_at_once(runs)
        [backfill_record] = instance.get_backfills()
        assert sorted(backfill_record.partition_names) == DAYS
        from_backfill = [r for r in runs if r.dagster_run.tags.get("dagster/backfill") == backfill_record.backfill_id]
        from_sensor = [r for r in runs if r.dagster_run.tags.get("dagster/sensor_name") == "new_session_folders"]
        assert len(from_backfill) == len(from_sensor) == len(DAYS)

        sensor = _instigator(instance, "new_session_folders")
        ticks = instance.get_ticks(sensor.instigator_origin_id, sensor.selector_id)
        sensor_run_ids = {r.dagster_run.run_id for r in from_sensor}
        assert any(t.status == TickStatus.SUCCESS and set(t.run_ids) == sensor_run_ids for t in ticks)

        check = AssetCheckKey(AssetKey("validated_sessions"), "reconciles_with_raw")
        executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=50)
        succeeded = {e.run_id for e in executions if e.status == AssetCheckExecutionRecordStatus.SUCCEEDED}
        assert succeeded == {r.dagster_run.run_id for r in runs}
        assert AssetCheckExecutionRecordStatus.FAILED not in {e.status for e in executions}

    assert _count_rows(postgres, shared_env["DAGSTER_PG_DB"], sensor.selector_id) == {
        "runs": len(runs),
        "bulk_actions": 1,
        "asset_check_executions": len(executions),
        "job_ticks": len(ticks),
    }


def test_every_tag_a_job_limits_has_a_limit_in_the_shared_instance():
    limits = yaml.safe_load(SHARED_INSTANCE.read_text())["concurrency"]["runs"]["tag_concurrency_limits"]
    limited = {limit["key"] for limit in limits}
    tagged = {key for group in (jobs.WRITES_REPORTS, jobs.WRITES_CURATION, jobs.WRITES_EMBEDDINGS) for key in group}
    assert tagged <= limited
    [partition] = [limit for limit in limits if limit["key"] == "dagster/partition"]
    assert partition == {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}


# -- helpers ----------------------------------------------------------------------------------------------------
class _daemon:
    """`dagster-daemon run` for the duration of a `with` block; its log is printed if the block fails."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.log_path = Path(env["DAGSTER_HOME"]) / "daemon.log"

    def __enter__(self) -> subprocess.Popen:
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [BIN / "dagster-daemon", "run", "-w", "workspace.yaml"],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self.process

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        finally:
            self.log.close()
        if exc[0] is not None:
            print(self.log_path.read_text()[-5000:])


def _all_finished(instance: DagsterInstance, expected: int) -> list | None:
    records = instance.get_run_records(RunsFilter(job_name="ingest_sessions"))
    return records if len(records) >= expected and all(r.dagster_run.is_finished for r in records) else None


def _assert_no_partition_written_twice_at_once(runs: list) -> None:
    by_day: dict[str, list] = {}
    for record in runs:
        by_day.setdefault(record.dagster_run.tags["dagster/partition"], []).append(record)
    assert sorted(by_day) == DAYS
    for day, records in by_day.items():
        spans = sorted((r.start_time, r.end_time) for r in records)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, f"two runs of {day} overlapped"


def _instigator(instance: DagsterInstance, name: str):
    [state] = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR) if s.name == name]
    return state


def _count_rows(server, db_name: str, sensor_selector_id: str) -> dict[str, int]:
    """The same records counted with plain SQL in the server's database: they live there."""
    queries = {
        "runs": ("SELECT count(*) FROM runs", ()),
        "bulk_actions": ("SELECT count(*) FROM bulk_actions", ()),
        "asset_check_executions": (
            "SELECT count(*) FROM asset_check_executions WHERE check_name = %s",
            ("reconciles_with_raw",),
        ),
        "job_ticks": ("SELECT count(*) FROM job_ticks WHERE selector_id = %s", (sensor_selector_id,)),
    }
    connection = server.connect(db_name)
    try:
        with connection.cursor() as cursor:
            counts = {}
            for name, (sql, params) in queries.items():
                cursor.execute(sql, params)
                counts[name] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()
