"""The nightly schedule that re-runs the health checks."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from assets.jobs import nightly_health_job

nightly_health_schedule = ScheduleDefinition(
    job=nightly_health_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="03:00 UTC: audit the training log, re-check every partition, write the health report.",
)
