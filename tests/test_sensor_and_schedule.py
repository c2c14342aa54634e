"""The session sensor (arrivals at scale, failed runs, clock skew, link loops) and the nightly schedule."""

import os
import random
import re
import time
from datetime import timedelta

from dagster import (
    DagsterInstance,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from assets.kinds import SESSIONS_KIND
from assets.sessions import raw_sessions
from curata import rules
from curata.privacy import PSEUDONYM_KEY_ENV
from curata.sample.sessions import backdate
from curata.sessions.arrivals import SettledDays, changed_days, changed_since_ingested, scan_arrivals
from curata.sessions.inventory import list_session_folders, name_days
from curata.sessions.naming import folder_stamp, parse_folder_name
from curata.sessions.validate import Limits, validate_session
from sensors.schedules import nightly_health_schedule
from sensors.session_sensor import ATTEMPT_TAG, MAX_ATTEMPTS, PARTITION_TAG, new_session_folders
from tests.conftest import DAY, KEY, PSEUDONYM_KEY, later
from tests.dagster_helpers import definitions_for, ingest, resources_for, warehouse_of

LIMITS = Limits(settle_seconds=120.0)


def tick(root, cursor=None, instance=None, **settings):
    """One sensor tick; `settings` are the `curata` resource's (its limits)."""
    with build_sensor_context(
        instance=instance or DagsterInstance.ephemeral(), cursor=cursor, resources=resources_for(root, **settings)
    ) as context:
        return new_session_folders(context)


def requested(result) -> list[str]:
    return [r.partition_key for r in result.run_requests]


def folder_at(root, ts, settled: bool = True):
    """A session folder with one small file: enough for the sensor, which never reads contents."""
    folder = root.sessions / f"session-{folder_stamp(ts)}"
    folder.mkdir()
    (folder / f"metadata-{folder_stamp(ts)}.json").write_text("{}")
    if settled:
        backdate(folder, ts)
    return folder


def scan(root, previous=None, **kwargs):
    return scan_arrivals(root.sessions, previous or SettledDays(), LIMITS, **kwargs)


def folders_of(root, day=None):
    return list_session_folders(root.sessions, LIMITS.max_metadata_bytes, day)


def age_sessions_folder(root) -> None:
    """The sessions folder last changed long ago, so its mtime can vouch for the next tick."""
    old = time.time() - 3600
    os.utime(root.sessions, (old, old))


# -- the sensor ----------------------------------------------------------------------------------------------
def test_sensor_requests_each_day_once_and_waits_for_folders_being_written(root, make_session):
    make_session(ts=later(0), seed=1)
    make_session(ts=later(60 * 24), seed=2)  # next day
    first = tick(root)
    assert requested(first) == ["2025-01-15", "2025-01-16"]
    assert all(isinstance(r, RunRequest) and r.run_key for r in first.run_requests)

    assert requested(tick(root, first.cursor)) == []

    writing = make_session(ts=later(3), seed=3, settled=False)
    second = tick(root, first.cursor)
    assert requested(second) == [] and "1 still being written" in second.skip_reason.skip_message

    backdate(writing.folder, later(3))
    third = tick(root, second.cursor)
    assert requested(third) == ["2025-01-15"]
    assert third.run_requests[0].run_key != first.run_requests[0].run_key


def test_sensor_skips_an_empty_root(root):
    result = tick(root)
    assert requested(result) == [] and result.skip_reason is not None


def test_sensor_re_requests_a_day_whose_last_ingest_failed(root, make_session, monkeypatch):
    make_session(ts=later(0))
    defs = definitions_for(root, monkeypatch)
    with instance_for_test() as instance:
        first = tick(root, instance=instance)
        monkeypatch.setenv(PSEUDONYM_KEY_ENV, "short")  # the run fails: the key is refused
        failed = ingest(defs, "2025-01-15", instance)
        assert not failed.success

        second = tick(root, first.cursor, instance)
        [retry] = second.run_requests
        assert (retry.partition_key, retry.tags[ATTEMPT_TAG]) == ("2025-01-15", "2")
        assert failed.run_id in retry.run_key
        assert requested(tick(root, second.cursor, instance)) == []  # one request per failed run

        monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
        assert ingest(defs, "2025-01-15", instance).success
        assert requested(tick(root, first.cursor, instance)) == []  # the day's last run succeeded


def test_a_killed_or_canceled_run_is_re_requested_until_the_attempts_run_out(root, make_session, monkeypatch):
    make_session(ts=later(0))
    make_session(ts=later(60 * 24), seed=2)
    job = definitions_for(root, monkeypatch).resolve_job_def("ingest_sessions")
    with instance_for_test() as instance:
        cursor = tick(root, instance=instance).cursor
        killed = instance.create_run_for_job(job, tags={PARTITION_TAG: "2025-01-15"})
        instance.report_run_failed(killed)  # what run monitoring does to a run whose worker died
        canceled = instance.create_run_for_job(job, tags={PARTITION_TAG: "2025-01-16", ATTEMPT_TAG: "2"})
        instance.report_run_canceled(canceled)
        result = tick(root, cursor, instance)
        assert {(r.partition_key, r.tags[ATTEMPT_TAG]) for r in result.run_requests} == {
            ("2025-01-15", "2"),
            ("2025-01-16", "3"),
        }

        exhausted = instance.create_run_for_job(job, tags={PARTITION_TAG: "2025-01-16", ATTEMPT_TAG: str(MAX_ATTEMPTS)})
        instance.report_run_failed(exhausted)
        assert requested(tick(root, result.cursor, instance)) == []


def test_a_folder_modified_in_the_future_is_reported_as_clock_skew(root, make_session):
    files = make_session(ts=later(0), settled=False)
    ahead = time.time() + 3 * 86400
    for path in (*files.folder.iterdir(), files.folder):
        os.utime(path, (ahead, ahead))
    result = scan(root)
    assert result.clock_skew == [files.folder.name]
    assert changed_days(SettledDays(), result.state) == {}  # it waits, it is not lost: still listed next tick

    outcome = validate_session(files.folder, data_root=root.root, key=PSEUDONYM_KEY, now=time.time())
    assert outcome.deferred_reason.startswith("clock skew")
    assert not re.search(r"-\d", outcome.deferred_reason)


def test_symlink_loops_under_sessions_are_listed_as_records(root, make_session):
    (root.sessions / "loop").symlink_to("loop")
    (root.sessions / "ping").symlink_to("pong")
    (root.sessions / "pong").symlink_to("ping")
    files = make_session(ts=later(0))
    (files.folder / "cycle").symlink_to("cycle")
    for link in ("loop", "ping", "pong"):
        os.utime(root.sessions / link, (DAY.timestamp(),) * 2, follow_symlinks=False)
    backdate(files.folder, DAY)

    listed = {f.name: f.partition_date for f in folders_of(root)}
    assert listed == {name: "2025-01-15" for name in ("loop", "ping", "pong", files.folder.name)}
    assert requested(tick(root)) == ["2025-01-15"]
    for link in ("loop", "ping"):
        outcome = validate_session(root.sessions / link, data_root=root.root, key=PSEUDONYM_KEY, now=time.time())
        assert outcome.violations[0].rule == rules.FOLDER_IS_LINK


def test_a_session_whose_image_is_a_link_loop_is_quarantined_not_crashed(root, make_session):
    files = make_session(ts=later(0))
    files.original.unlink()
    files.original.symlink_to(files.original.name)
    backdate(files.folder, DAY)
    outcome = validate_session(files.folder, data_root=root.root, key=PSEUDONYM_KEY, now=time.time())
    assert outcome.status == "quarantined" and outcome.violations[0].rule == rules.UNREADABLE
    assert "never ends" in outcome.violations[0].detail


# -- arrivals at scale: what a tick looks at ----------------------------------------------------------------
def test_name_days_accepts_exactly_what_parse_folder_name_accepts():
    rng = random.Random(7)
    good = f"session-{folder_stamp(DAY)}"
    names = [good, "session-2024-02-29T23-59-59-999Z", "session-2025-02-29T10-30-45-123Z", "training-log.jsonl", ""]
    for _ in range(3000):
        chars = list(good)
        at = rng.randrange(len(chars))
        chars[at : at + rng.choice((0, 1))] = rng.choice(("", "0", "9", "1", "2", "3", "6", "-", "T", "Z", "é", "xx"))
        names.append("".join(chars))
    days = name_days([n.encode() for n in names])
    for name, day in zip(names, days.tolist(), strict=True):
        parsed = parse_folder_name(name)
        assert day == (int(parsed.strftime("%Y%m%d")) if parsed else -1), name


def test_a_tick_examines_only_the_days_whose_names_changed(root):
    for day in range(3):
        for minute in range(4):
            folder_at(root, DAY + timedelta(days=day, minutes=minute))
    first = scan(root)
    assert first.examined == 12 and len(changed_days(SettledDays(), first.state)) == 3

    folder_at(root, DAY + timedelta(days=1, minutes=30))
    second = scan(root, first.state)
    assert second.examined == 5
    assert list(changed_days(first.state, second.state)) == ["2025-01-16"]


def test_an_unchanged_sessions_folder_is_not_even_listed(root):
    folder_at(root, DAY)
    age_sessions_folder(root)
    settled = scan(root).state
    idle = scan(root, settled)
    assert (idle.listed, idle.examined) == (0, 0)

    folder_at(root, later(60 * 24))
    woken = scan(root, settled)
    assert woken.listed == 2 and list(changed_days(settled, woken.state)) == ["2025-01-16"]


def test_a_folder_being_written_keeps_its_day_examined_until_it_settles(root):
    folder_at(root, DAY)
    writing = folder_at(root, later(1), settled=False)
    age_sessions_folder(root)
    first = scan(root)
    assert first.waiting == 1 and first.state.listing_mtime_ns is None
    backdate(writing, later(1))
    second = scan(root, first.state)
    assert second.examined == 2 and list(changed_days(first.state, second.state)) == ["2025-01-15"]


def test_a_backlog_is_examined_newest_day_first_within_the_budget(root):
    for day in range(3):
        for minute in range(4):
            folder_at(root, DAY + timedelta(days=day, minutes=minute))
    state, seen = SettledDays(), []
    for _ in range(3):
        step = scan(root, state, max_examined=4)
        assert step.examined == 4
        seen += list(changed_days(state, step.state))
        state = step.state
    assert seen == ["2025-01-17", "2025-01-16", "2025-01-15"]
    assert scan(root, state).examined == 0


def test_folders_without_a_day_in_their_name_are_placed_and_requested_by_their_own_day(root):
    odd = root.sessions / "upload 7"
    odd.mkdir()
    (odd / "metadata-x.json").write_text('{"timestamp": "2025-02-01T08:00:00.000Z"}')
    backdate(odd, DAY)
    (root.sessions / "training-log.jsonl").write_text("")
    folder_at(root, DAY)
    first = scan(root)
    assert list(changed_days(SettledDays(), first.state)) == ["2025-01-15", "2025-02-01"]

    other = root.sessions / "upload 8"
    other.mkdir()
    backdate(other, DAY + timedelta(days=3))  # no metadata: placed by its mtime
    second = scan(root, first.state)
    assert list(changed_days(first.state, second.state)) == ["2025-01-18"]


def unnamed_folder_dated_by_metadata(root) -> int:
    """A folder without a day in its name, its metadata saying 2025-02-01, its mtime 2025-01-15: the metadata's size."""
    odd = root.sessions / "upload 7"
    odd.mkdir()
    (odd / "metadata-x.json").write_text('{"timestamp": "2025-02-01T08:00:00.000Z"}')
    backdate(odd, DAY)
    return (odd / "metadata-x.json").stat().st_size


def test_the_resources_metadata_limit_places_a_folder_in_the_sensor_the_plan_and_raw_sessions(root):
    size = unnamed_folder_dated_by_metadata(root)
    assert requested(tick(root, max_metadata_bytes=size)) == ["2025-02-01"]
    assert requested(tick(root, max_metadata_bytes=size - 1)) == ["2025-01-15"]  # too large to read: its mtime
    for limit, day in ((size, "2025-02-01"), (size - 1, "2025-01-15")):  # what `curata run` launches
        planned = SESSIONS_KIND.plan(root, resources_for(root, max_metadata_bytes=limit)["curata"])
        assert [work.partition for work in planned] == [day]

    resources = resources_for(root, max_metadata_bytes=size - 1)
    assert materialize([raw_sessions], resources=resources, partition_key="2025-01-15").success
    rows = warehouse_of(root).read("raw_sessions", "2025-01-15").to_pylist()
    assert [(r["session_folder"], r["partition_source"]) for r in rows] == [("upload 7", "mtime")]


def test_the_resources_settle_time_holds_back_a_folder(root):
    folder_at(root, DAY)
    age = time.time() - DAY.timestamp()
    waiting = tick(root, settle_seconds=age + 3600)
    assert requested(waiting) == [] and "1 still being written" in waiting.skip_reason.skip_message
    assert requested(tick(root, settle_seconds=age - 3600)) == ["2025-01-15"]


def test_removed_folders_re_request_their_day_unless_the_day_is_gone(root):
    kept = [folder_at(root, DAY + timedelta(minutes=m)) for m in range(2)]
    gone = folder_at(root, later(60 * 24))
    first = scan(root)
    (kept[0] / f"metadata-{kept[0].name[len('session-') :]}.json").unlink()
    kept[0].rmdir()
    (gone / f"metadata-{gone.name[len('session-') :]}.json").unlink()
    gone.rmdir()
    second = scan(root, first.state)
    assert list(changed_days(first.state, second.state)) == ["2025-01-15"]
    assert "2025-01-16" not in second.state.seen


def test_the_cursor_holds_one_digest_per_day_whatever_the_number_of_folders(root):
    for minute in range(5):
        folder_at(root, DAY + timedelta(minutes=minute))
    small = len(scan(root).state.to_json())
    for minute in range(5, 200):
        folder_at(root, DAY + timedelta(minutes=minute))
    assert len(scan(root).state.to_json()) == small


def test_listing_one_day_gives_that_days_folders_of_the_full_listing(root):
    for day in range(3):
        folder_at(root, DAY + timedelta(days=day))
    odd = root.sessions / "upload 7"
    odd.mkdir()
    backdate(odd, DAY + timedelta(days=1))
    every = folders_of(root)
    for day in ("2025-01-15", "2025-01-16", "2025-01-17", "2025-02-01"):
        assert folders_of(root, day=day) == [f for f in every if f.partition_date == day]
    assert [f.name for f in folders_of(root, day="2025-01-16")] == [
        "session-2025-01-16T10-30-45-123Z",
        "upload 7",
    ]


def test_a_file_added_to_a_settled_folder_is_left_to_the_nightly_check(root):
    folder = folder_at(root, DAY)
    first = scan(root)
    ingested = {f.name: f.newest_mtime for f in folders_of(root)}
    (folder / "late-note.txt").write_text("written after the ingest")
    backdate(folder, later(30))

    assert changed_days(first.state, scan(root, first.state).state) == {}  # the sensor does not look inside
    assert changed_since_ingested(folders_of(root), ingested) == [folder.name]
    assert changed_since_ingested(folders_of(root), {}) == []


# -- the schedule ---------------------------------------------------------------------------------------------
def test_nightly_schedule_targets_the_health_job(monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    assert nightly_health_schedule.job_name == "nightly_health"
    assert nightly_health_schedule.cron_schedule == "0 3 * * *"
    context = build_schedule_context(scheduled_execution_time=DAY)
    requests = nightly_health_schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1
