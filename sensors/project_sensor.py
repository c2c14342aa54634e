"""Adds a partition, and requests its run, for each new finished-project folder."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import historical_pairs_job
from assets.partitions import historical_projects
from curata.projects.discovery import list_projects
from resources import CurataSettings


@sensor(job=historical_pairs_job, minimum_interval_seconds=300, default_status=DefaultSensorStatus.RUNNING)
def new_project_folders(context: SensorEvaluationContext, curata: CurataSettings) -> SensorResult | SkipReason:
    """The instance's partition list is the state: a project is new when it is not a partition yet."""
    known = set(context.instance.get_dynamic_partitions(historical_projects.name))
    new = [p for p in list_projects(curata.layout.projects) if p not in known]
    if not new:
        return SkipReason("no new project folders")
    return SensorResult(
        run_requests=[RunRequest(partition_key=p, run_key=f"project:{p}") for p in new],
        dynamic_partitions_requests=[historical_projects.build_add_request(new)],
    )
