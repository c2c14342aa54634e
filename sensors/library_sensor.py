"""Re-runs the library analyses once enough images were added or changed (seed 001: 500), or monthly."""

import hashlib

from dagster import DefaultScheduleStatus, DefaultSensorStatus, RunRequest, ScheduleDefinition, SkipReason, sensor

from assets.jobs import library_job
from curata.library.changes import count_changes, library_digests
from curata.library.source import metadata_file
from curata.library.tables import LIBRARY_DIGESTS
from resources import CurataSettings

CHANGED_IMAGES = 500  # "retrain after 500 new images or monthly"


@sensor(job=library_job, minimum_interval_seconds=600, default_status=DefaultSensorStatus.RUNNING)
def library_changes(curata: CurataSettings) -> RunRequest | SkipReason:
    """Counts records added or changed against the digests the last analysis stored (one stat per image)."""
    layout = curata.layout
    if not layout.library.is_dir() or metadata_file(layout) is None:
        return SkipReason(f"no images_metadata.jsonl or .json in {layout.library}")
    warehouse = curata.warehouse
    previous = warehouse.read(LIBRARY_DIGESTS.name) if warehouse.exists(LIBRARY_DIGESTS.name) else None
    current = library_digests(layout, curata.max_library_record_bytes, previous)
    changes = count_changes(previous, current)
    if previous is not None and changes.added_or_changed < CHANGED_IMAGES:
        return SkipReason(f"{changes.added_or_changed} records added or changed, fewer than {CHANGED_IMAGES}")
    state = hashlib.sha256("".join(sorted(current.column("digest").to_pylist())).encode()).hexdigest()[:16]
    return RunRequest(run_key=f"library:{state}", tags={"curata/changed-records": str(changes.added_or_changed)})


monthly_library_schedule = ScheduleDefinition(
    job=library_job,
    cron_schedule="0 4 1 * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="04:00 UTC on the 1st: re-run the library analyses (an unchanged library changes nothing).",
)
