"""The nightly schedules: archive the days past the retention, then re-run the health checks."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from assets.jobs import archive_job, nightly_health_job
from resources import CurataSettings
from resources.archive import ColdStorage

nightly_health_schedule = ScheduleDefinition(
    job=nightly_health_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="03:00 UTC: audit the training log, re-check every partition, write the health report.",
)


@schedule(
    cron_schedule="30 2 * * *",
    job=archive_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="02:30 UTC: one run per day past the retention that is still in the hot tier.",
)
def nightly_archive_schedule(
    context: ScheduleEvaluationContext, curata: CurataSettings, cold_storage: ColdStorage
) -> list[RunRequest] | SkipReason:
    if not cold_storage.bucket:
        return SkipReason("no cold bucket configured (CURATA_COLD_BUCKET)")
    stamp = context.scheduled_execution_time.date()
    days = cold_storage.due_days(curata)
    return [RunRequest(partition_key=d, run_key=f"archive-{d}-{stamp}") for d in days] or SkipReason("nothing due")
