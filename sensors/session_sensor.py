"""Requests an ingest run for each day that gained a complete session folder."""

import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import ingest_sessions_job
from assets.partitions import session_days
from curata.sessions.arrivals import changed_days, settled_fingerprints
from resources import CurataSettings


@sensor(job=ingest_sessions_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def new_session_folders(context: SensorEvaluationContext, curata: CurataSettings) -> SensorResult | SkipReason:
    """The cursor holds a fingerprint per day; folders still being written are left for a later tick."""
    previous = json.loads(context.cursor) if context.cursor else {}
    current = settled_fingerprints(curata.layout.sessions, curata.settle_seconds)
    valid_days = set(session_days.get_partition_keys())
    days = [d for d in changed_days(previous, current) if d in valid_days]
    outside = [d for d in changed_days(previous, current) if d not in valid_days]
    if outside:
        context.log.warning(f"session folders dated outside the partition range, not ingested: {outside}")
    if not days:
        return SkipReason("no new complete session folders")
    return SensorResult(
        run_requests=[RunRequest(partition_key=d, run_key=f"{d}:{current[d]}") for d in days],
        cursor=json.dumps(current),
    )
