"""Requests one ingest run per day that gained settled session folders, or whose last ingest did not succeed."""

from __future__ import annotations

import json

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusChangeRecordsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.jobs import ingest_sessions_job
from assets.partitions import PARTITION_TAG, session_days
from curata.sessions.arrivals import SettledDays, changed_days, scan_arrivals
from resources import CurataSettings

ATTEMPT_TAG = "curata/attempt"  # 1 for a run requested by new folders, +1 for each re-request after a failure
MAX_ATTEMPTS = 3  # a day that failed this many times in a row waits for a person (or for new folders)
_ENDED_BADLY = (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED)
_PAGE = 1000


@sensor(job=ingest_sessions_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def new_session_folders(context: SensorEvaluationContext, curata: CurataSettings) -> SensorResult | SkipReason:
    """The cursor holds one digest per day and the last run event seen; folders being written wait a tick."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    previous = SettledDays.from_dict(cursor.get("arrivals", {}))
    if not curata.layout.sessions.is_dir():
        return SkipReason(f"no sessions folder at {curata.layout.sessions}")
    scan = scan_arrivals(curata.layout.sessions, previous, curata.limits)
    if scan.clock_skew:
        skewed = scan.clock_skew
        context.log.warning(f"{len(skewed)} session folders modified in the future (clock skew): {skewed[:10]}")
    arrived = changed_days(previous, scan.state)
    failed, last_event = days_whose_last_run_failed(context.instance, cursor.get("last_run_event"))
    requests = [RunRequest(partition_key=d, run_key=f"{d}:{fp}", tags={ATTEMPT_TAG: "1"}) for d, fp in arrived.items()]
    requests += [retry(context, day, run) for day, run in failed.items() if day not in arrived]
    requests = [r for r in requests if r is not None and _in_range(context, r.partition_key)]
    new_cursor = json.dumps({"arrivals": scan.state.to_dict(), "last_run_event": last_event}, separators=(",", ":"))
    if not requests:
        skip = f"no new settled session folders ({scan.waiting} still being written, {scan.examined} examined)"
        return SensorResult(skip_reason=skip, cursor=new_cursor)
    return SensorResult(run_requests=requests, cursor=new_cursor)


def days_whose_last_run_failed(
    instance: DagsterInstance, after: int | None
) -> tuple[dict[str, DagsterRun], int | None]:
    """Days whose latest ingest run ended FAILURE or CANCELED (a killed run, once run monitoring marks it).

    Reads only the run events stored after `after`; returns day -> that run, and the new position.
    """
    ended = []
    last = after
    for event_type in _ENDED_BADLY:
        page_after = after
        while True:
            records = instance.fetch_run_status_changes(
                RunStatusChangeRecordsFilter(event_type, after_storage_id=page_after), limit=_PAGE, ascending=True
            ).records
            ended += [r.run_id for r in records]
            if records:
                page_after = records[-1].storage_id
                last = max(last or 0, page_after)
            if len(records) < _PAGE:
                break
    failed: dict[str, DagsterRun] = {}
    if not ended:
        return failed, last
    for record in instance.get_run_records(RunsFilter(run_ids=ended, job_name=ingest_sessions_job.name)):
        day = record.dagster_run.tags.get(PARTITION_TAG)
        if day and day not in failed and _is_latest_run(instance, day, record.dagster_run.run_id):
            failed[day] = record.dagster_run
    return failed, last


def _is_latest_run(instance: DagsterInstance, day: str, run_id: str) -> bool:
    latest = instance.get_run_records(RunsFilter(job_name=ingest_sessions_job.name, tags={PARTITION_TAG: day}), limit=1)
    return bool(latest) and latest[0].dagster_run.run_id == run_id and latest[0].dagster_run.is_finished


def retry(context: SensorEvaluationContext, day: str, run: DagsterRun) -> RunRequest | None:
    """The same day again, counting attempts, so a day that always fails does not run every minute."""
    attempt = int(run.tags.get(ATTEMPT_TAG, "1")) + 1
    if attempt > MAX_ATTEMPTS:
        context.log.warning(f"ingest of {day} failed {attempt - 1} times (last run {run.run_id}); not re-requested")
        return None
    return RunRequest(partition_key=day, run_key=f"{day}:retry:{run.run_id}", tags={ATTEMPT_TAG: str(attempt)})


def _in_range(context: SensorEvaluationContext, day: str) -> bool:
    if session_days.has_partition_key(day):
        return True
    context.log.warning(f"session folders dated {day}, outside the partition range, are not ingested")
    return False
