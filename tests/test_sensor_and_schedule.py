"""The session sensor over folders the test creates, and the nightly schedule."""

import json

from dagster import DagsterInstance, RunRequest, SkipReason, build_schedule_context, build_sensor_context

from curata.privacy import PSEUDONYM_KEY_ENV
from curata.sample.sessions import backdate
from sensors.schedules import nightly_health_schedule
from sensors.session_sensor import new_session_folders
from tests.conftest import DAY, KEY, later
from tests.dagster_helpers import resources_for


def tick(root, cursor=None):
    with build_sensor_context(
        instance=DagsterInstance.ephemeral(), cursor=cursor, resources={"curata": resources_for(root)["curata"]}
    ) as context:
        return new_session_folders(context)


def test_sensor_requests_each_day_once_and_waits_for_folders_being_written(root, make_session):
    make_session(ts=later(0), seed=1)
    make_session(ts=later(60 * 24), seed=2)  # next day
    first = tick(root)
    assert sorted(r.partition_key for r in first.run_requests) == ["2025-01-15", "2025-01-16"]
    assert all(isinstance(r, RunRequest) and r.run_key for r in first.run_requests)

    assert isinstance(tick(root, first.cursor), SkipReason)

    writing = make_session(ts=later(3), seed=3, settled=False)
    assert isinstance(tick(root, first.cursor), SkipReason)  # still being written: no run yet

    backdate(writing.folder, later(3))
    third = tick(root, first.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2025-01-15"]
    assert third.run_requests[0].run_key != first.run_requests[0].run_key
    assert json.loads(third.cursor)["2025-01-16"] == json.loads(first.cursor)["2025-01-16"]


def test_sensor_skips_an_empty_root(root):
    assert isinstance(tick(root), SkipReason)


def test_nightly_schedule_targets_the_health_job(monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    assert nightly_health_schedule.job_name == "nightly_health"
    assert nightly_health_schedule.cron_schedule == "0 3 * * *"
    context = build_schedule_context(scheduled_execution_time=DAY)
    requests = nightly_health_schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1
