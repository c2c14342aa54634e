"""A backfill of several session days on a Dask cluster writes what the in-process runs write.

Two copies of one generated data root (mtimes kept): the in-process runs ingest one, the same
days run on a `LocalCluster` of worker processes ingest the other, and every warehouse table is
compared row for row.
"""

import os
import re
import shutil
import time

import pyarrow.parquet as pq
import pytest
from dagster import DagsterEventType, build_reconstructable_job, execute_job, instance_for_test
from dask.distributed import Client

from assets.dask_steps import _events_until_done
from assets.kinds import INPUT_FOLDERS
from curata.layout import DataRoot
from curata.privacy import PSEUDONYM_KEY_ENV
from curata.sample.sessions import generate_sessions
from tests.conftest import KEY
from tests.services import dask_scheduler, job_on, wait_for  # noqa: F401  (dask_scheduler: a fixture)

pytestmark = pytest.mark.e2e


def dask_config(address: str) -> dict:
    return {"execution": {"config": {"dask": {"cluster": {"existing": {"address": address}}}}}}


def step_pids(result) -> set[int]:
    return {e.pid for e in result.all_events if e.event_type == DagsterEventType.STEP_START}


def warehouse_tables(root: DataRoot) -> dict[str, list[dict]]:
    """Every stored table's rows; a deferral reason counts seconds from the moment of the run, so not those."""
    warehouse = root.root / "warehouse"
    tables = {}
    for path in sorted(warehouse.rglob("*.parquet")):
        rows = pq.read_table(path).to_pylist()
        for row in rows:
            if "reason" in row:
                row["reason"] = re.sub(r"\d+s\b", "<n>s", row["reason"])
        tables[path.relative_to(warehouse).as_posix()] = rows
    return tables


def test_a_backfill_on_dask_matches_the_in_process_runs(dask_scheduler, tmp_path):  # noqa: F811
    local = DataRoot(tmp_path / "local").create_inputs(INPUT_FOLDERS)
    generate_sessions(local, n_sessions=12, days=3, defect_rate=0.4, image_size=(128, 96), workers=1)
    shutil.copytree(local.root, tmp_path / "dask", symlinks=True)
    on_dask = DataRoot(tmp_path / "dask")
    days = sorted({p.name[len("session-") :][:10] for p in local.sessions.iterdir() if p.name.startswith("session-")})
    assert len(days) >= 3

    in_process = job_on(str(local.root), "ingest_sessions")
    recon = build_reconstructable_job("tests.services", "job_on", (str(on_dask.root), "ingest_sessions"))
    with instance_for_test() as instance, Client(dask_scheduler) as client:
        worker_pids = set(client.run(os.getpid).values())
        for day in days:
            assert in_process.execute_in_process(partition_key=day, instance=instance).success
            tags = {"dagster/partition": day, "dagster/backfill": "on-dask"}
            with execute_job(recon, instance, run_config=dask_config(dask_scheduler), tags=tags) as result:
                assert result.success, day
                pids = step_pids(result)
                assert pids and pids <= worker_pids  # the steps ran on the workers

    expected, got = warehouse_tables(local), warehouse_tables(on_dask)
    assert len(expected) >= 4 * len(days) and sum(map(len, expected.values())) > len(days)
    assert got == expected


def test_a_run_being_terminated_cancels_its_remaining_dask_tasks():
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        quick = client.submit(lambda: ["first step's event"])
        quick.result()
        slow = client.submit(time.sleep, 5)
        seen = []
        with pytest.raises(KeyboardInterrupt):
            for event in _events_until_done(client, [quick, slow], stopping=lambda: True):
                seen.append(event)
        assert seen == ["first step's event"]
        wait_for(lambda: slow.cancelled(), timeout=10)


def test_in_process_execution_is_chosen_by_run_config(tmp_path, monkeypatch):
    root = DataRoot(tmp_path / "data").create_inputs(INPUT_FOLDERS)
    generate_sessions(root, n_sessions=2, days=1, defect_rate=0.0, image_size=(128, 96), workers=1)
    day = next(p.name[len("session-") :][:10] for p in root.sessions.iterdir() if p.name.startswith("session-"))
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    recon = build_reconstructable_job("tests.services", "job_on", (str(root.root), "ingest_sessions"))
    config = {"execution": {"config": {"in_process": {}}}}
    with instance_for_test() as instance:
        with execute_job(recon, instance, run_config=config, tags={"dagster/partition": day}) as result:
            assert result.success
            assert step_pids(result) == {os.getpid()}
