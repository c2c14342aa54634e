"""Long work reports its progress as it goes: counts, rate and time left, in the run's own event log."""

import logging

import yaml
from dagster import DagsterInstance

from curata.progress import Progress
from tests.conftest import DAY, later
from tests.dagster_helpers import definitions_for, ingest

DAY_KEY = DAY.date().isoformat()


def test_a_line_at_most_every_interval_and_one_at_the_end(caplog):
    progress = Progress("embedding", total=10, unit="images", every=3600)
    with caplog.at_level(logging.INFO, logger="curata"):
        progress.advance(4)
        assert caplog.messages == []  # the interval has not passed yet
        progress.every = 0
        progress.advance(2)
        progress.finish()
    first, last = caplog.messages
    assert first.startswith("embedding: 6/10 images in ") and "s left)" in first
    assert last.startswith("embedding: 6/10 images") and last.endswith("(done)")


def test_an_ingest_run_logs_its_progress_in_the_event_log(root, make_session, monkeypatch):
    """dagster.yaml hands the `curata` logger to Dagster, so the lines reach the UI's run page."""
    for i in range(3):
        make_session(ts=later(i), seed=i)
    with open("dagster.yaml") as f:
        python_logs = yaml.safe_load(f)["python_logs"]
    instance = DagsterInstance.ephemeral(settings={"python_logs": python_logs})
    result = ingest(definitions_for(root, monkeypatch), DAY_KEY, instance)
    assert result.success
    messages = [e.message for e in instance.all_logs(result.run_id) if e.message]
    done = [m for m in messages if m.startswith(f"validating sessions of {DAY_KEY}: 3/3 folders")]
    assert done and done[-1].endswith("(done)"), [m for m in messages if "validating" in m]
