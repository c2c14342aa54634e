"""One declaration per input kind: its folder, limits, assets, job, sensors, planner and health section.

`definitions.py`, `runner.py`, the health report and the sample generator iterate over `INPUT_KINDS`; adding
a kind is one package plus one declaration here (docs/adding-an-input-kind.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from dagster import AssetKey, AssetsDefinition, DynamicPartitionsDefinition, ScheduleDefinition, SensorDefinition

from assets.curation import curation_outcomes
from assets.exports import crop_boxes, edit_triplets, preference_pairs
from assets.jobs import curation_job, historical_pairs_job, ingest_sessions_job, library_job
from assets.library import LIBRARY_ASSETS
from assets.plans import Work, digest, tree_digest
from assets.projects import historical_project_pairs
from assets.sessions import raw_sessions, validated_session_outcomes
from assets.training_log import training_log_audit
from curata.curation import CURATION
from curata.curation.health import CURATION_HEALTH
from curata.curation.tables import CURATION_QUARANTINE
from curata.health import HealthSection, Tables
from curata.images import ImageLimits
from curata.kinds import InputFolder
from curata.layout import DataRoot
from curata.library import LIBRARY
from curata.library.health import LIBRARY_HEALTH
from curata.library.records import LibraryLimits
from curata.library.tables import LIBRARY_IMAGES
from curata.projects import PROJECTS
from curata.projects.discovery import list_projects
from curata.projects.health import PROJECTS_HEALTH
from curata.projects.scan import project_dirs
from curata.projects.tables import HISTORICAL_PAIRS
from curata.sessions import SESSIONS
from curata.sessions.health import SESSIONS_HEALTH
from curata.sessions.inventory import list_session_folders
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.sessions.validate import Limits
from curata.tables import TableSpec
from resources import CurataSettings
from sensors.library_sensor import library_changes, monthly_library_schedule
from sensors.project_sensor import new_project_folders
from sensors.session_sensor import new_session_folders

if TYPE_CHECKING:
    from assets.jobs import UnresolvedAssetJobDefinition  # its one import from dagster's private modules

L = TypeVar("L")  # the limits a kind's folder is read with


@dataclass(frozen=True)
class InputKind(Generic[L]):
    """An input folder with everything the code location runs on it."""

    folder: InputFolder
    limits: Callable[[CurataSettings], L]  # its limits, as the `curata` resource sets them
    stage: str  # how `curata run` names its runs
    skipped: str  # what a data root without the folder skips
    assets: tuple[AssetsDefinition, ...]
    job: UnresolvedAssetJobDefinition
    # the runs `curata run` launches for the folder: {partition (None: the whole): fingerprint of what it reads}
    planner: Callable[[Path, L], dict[str | None, str]]
    written: TableSpec  # a run is up to date only while this table it wrote is in the store
    health: HealthSection[L]  # its sections of the health report, computed with the same limits
    feeds: tuple[AssetKey, ...] = ()  # the datasets its tables feed: published only when its folder is there
    sensors: tuple[SensorDefinition, ...] = ()
    schedules: tuple[ScheduleDefinition, ...] = ()

    def plan(self, layout: DataRoot, curata: CurataSettings) -> list[Work]:
        """The runs its folder calls for, read with the configured limits; none when the data root does not hold it."""
        folder = layout.folder(self.folder)
        if not folder.is_dir():
            return []
        planned = self.planner(folder, self.limits(curata))
        return [Work(self.stage, self.job.name, p, fp) for p, fp in planned.items()]

    def build_health(self, stored: Tables, curata: CurataSettings) -> dict[str, dict]:
        """Its sections of the health report, its folder read with the configured limits."""
        return self.health.build(stored, curata.layout, self.limits(curata))

    @property
    def dynamic_partitions(self) -> list[DynamicPartitionsDefinition]:
        """Partitions a run adds before launching (those a sensor would add)."""
        defs = {a.partitions_def for a in self.assets if isinstance(a.partitions_def, DynamicPartitionsDefinition)}
        return sorted(defs, key=lambda d: d.name or "")


def _session_limits(curata: CurataSettings) -> Limits:
    return curata.limits


def _image_limits(curata: CurataSettings) -> ImageLimits:
    return curata.image_limits


def _library_limits(curata: CurataSettings) -> LibraryLimits:
    return curata.library_limits


def _by_day(folder: Path, limits: Limits) -> dict[str | None, str]:
    """One run per day, in order, so a repeated session is quarantined in the later day."""
    by_day: dict[str, list[str]] = {}
    for session in list_session_folders(folder, limits.max_metadata_bytes):
        by_day.setdefault(session.partition_date, []).append(f"{session.name}@{session.newest_mtime:.6f}")
    return {day: digest(entries) for day, entries in sorted(by_day.items())}


def _by_project(folder: Path, limits: ImageLimits) -> dict[str | None, str]:
    return {name: tree_digest(*project_dirs(folder / name)) for name in list_projects(folder)}


def _whole(folder: Path, limits: object) -> dict[str | None, str]:
    return {None: tree_digest(folder)}


SESSIONS_KIND = InputKind(
    SESSIONS,
    limits=_session_limits,
    stage="ingest",
    skipped="ingest, the training log audit and edit_triplets",
    assets=(raw_sessions, validated_session_outcomes, training_log_audit),
    job=ingest_sessions_job,
    planner=_by_day,
    written=VALIDATED_SESSIONS,
    health=SESSIONS_HEALTH,
    feeds=(edit_triplets.key,),
    sensors=(new_session_folders,),
)
PROJECTS_KIND = InputKind(
    PROJECTS,
    limits=_image_limits,
    stage="historical pairs",
    skipped="historical pairs",
    assets=(historical_project_pairs,),
    job=historical_pairs_job,
    planner=_by_project,
    written=HISTORICAL_PAIRS,
    health=PROJECTS_HEALTH,
    feeds=(preference_pairs.key,),
    sensors=(new_project_folders,),
)
CURATION_KIND = InputKind(
    CURATION,
    limits=_image_limits,
    stage="curation logs",
    skipped="curation logs and crop_boxes",
    assets=(curation_outcomes,),
    job=curation_job,
    planner=_whole,
    written=CURATION_QUARANTINE,
    health=CURATION_HEALTH,
    feeds=(preference_pairs.key, crop_boxes.key),
)
LIBRARY_KIND = InputKind(
    LIBRARY,
    limits=_library_limits,
    stage="library",
    skipped="library analyses",
    assets=tuple(LIBRARY_ASSETS),
    job=library_job,
    planner=_whole,
    written=LIBRARY_IMAGES,
    health=LIBRARY_HEALTH,
    sensors=(library_changes,),
    schedules=(monthly_library_schedule,),
)
INPUT_KINDS: tuple[InputKind[Any], ...] = (SESSIONS_KIND, PROJECTS_KIND, CURATION_KIND, LIBRARY_KIND)  # in run order
INPUT_FOLDERS = tuple(kind.folder for kind in INPUT_KINDS)
