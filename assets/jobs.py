"""Jobs: what the sensors, the schedules and `curata run` launch.

Every job runs its steps with `pipeline_executor` (multiprocess by default; in-process or a Dask
cluster through run config). Partitioned jobs are kept from writing one partition twice at once by
the run queue's limit on `dagster/partition`; unpartitioned jobs carry a `curata/writes-<tables>`
tag per group of shared tables they rewrite, each limited to one run at a time (deploy/postgres/dagster.yaml).
Each input kind's job is listed with its kind in assets/kinds.py; the others are named in `PUBLISH_JOBS` and
`MAINTENANCE_JOBS` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dagster import AssetKey, AssetsDefinition, AssetSelection, define_asset_job

from assets.archive import archived_days, storage_stats
from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from assets.erasure import erasure_audit, erasure_indexes, rotate_pseudonym_key_job
from assets.executors import pipeline_executor
from assets.exports import crop_boxes, edit_triplets, preference_pairs
from assets.library import LIBRARY_ASSETS
from assets.projects import historical_project_pairs
from assets.sessions import raw_sessions, validated_session_outcomes
from assets.training import PROBES, TRAINING_STEPS
from assets.training_log import training_log_audit
from curata.health import HEALTH_REPORT

if TYPE_CHECKING:  # what define_asset_job returns; dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

WRITES_REPORTS = {"curata/writes-reports": "1"}  # training-log audit, health report, edit triplets
WRITES_CURATION = {"curata/writes-curation": "1"}  # validated selections and crops
WRITES_EMBEDDINGS = {"curata/writes-embeddings": "1"}  # the embedding store, and the exports that read it
WRITES_LIBRARY = {"curata/writes-library": "1"}  # the library's tables, clusters and export

Selected = AssetsDefinition | AssetKey
HEALTH_REPORT_KEY = AssetKey(HEALTH_REPORT)  # by key: assets/health.py reads the kinds, which name these jobs


def job(
    name: str, assets: Sequence[Selected], description: str, writes: dict[str, str] | None = None
) -> UnresolvedAssetJobDefinition:
    """An asset job on the pipeline's executor, tagged with the shared tables it rewrites."""
    return define_asset_job(
        name,
        selection=AssetSelection.assets(*assets),
        description=description,
        executor_def=pipeline_executor,
        run_tags=writes,
    )


ingest_sessions_job = job(
    "ingest_sessions",
    [raw_sessions, validated_session_outcomes],
    "List and validate one day of session folders.",
)
historical_pairs_job = job(
    "historical_pairs",
    [historical_project_pairs],
    "Mine one finished project's chosen-versus-rejected pairs; backfill it over every project.",
)
archive_job = job(
    "archive_old_days",
    [archived_days],
    "Pack one day past the retention, verify it in the cold bucket, then remove its folders.",
)
curation_job = job(
    "validate_curation_logs",
    [curation_outcomes],
    "Validate the selection and crop logs: accept, recover (0, 0) sizes, or quarantine each row.",
    WRITES_CURATION,
)
embeddings_job = job(
    "embed_images",
    [image_embeddings],
    "Embed every referenced image not yet embedded, in parallel chunks; compact the store.",
    WRITES_EMBEDDINGS,
)
publish_job = job(
    "publish_datasets",
    [training_log_audit, HEALTH_REPORT_KEY, image_embeddings, edit_triplets],
    "Audit the training log, write the health report, embed what is new, publish the edit triplets.",
    WRITES_REPORTS | WRITES_EMBEDDINGS,
)
# Each curation dataset with its probe's tables: what publishing it runs (`curata run` picks those the root calls for).
CURATION_DATASETS: dict[AssetKey, list[AssetKey]] = {
    export.key: [*PROBES[export.key.path[-1]].keys, export.key] for export in (preference_pairs, crop_boxes)
}
publish_curation_job = job(
    "publish_curation_datasets",
    [image_embeddings, *(key for keys in CURATION_DATASETS.values() for key in keys)],
    "Probe and publish the preference pairs (projects and selection logs) and the crop boxes (crop log).",
    WRITES_EMBEDDINGS,
)
train_when_ready_job = job(
    "train_when_ready",
    [*PROBES.values(), preference_pairs, crop_boxes, *TRAINING_STEPS.values()],
    "Probe and publish a dataset that became ready, then run the `training` resource's command on it.",
    WRITES_EMBEDDINGS,
)
nightly_health_job = job(
    "nightly_health",
    [training_log_audit, curation_outcomes, image_embeddings, HEALTH_REPORT_KEY, erasure_indexes],
    "Re-check every stored partition, embed what is missing, write the health summary, refresh the person index.",
    WRITES_REPORTS | WRITES_CURATION | WRITES_EMBEDDINGS,
)
library_job = job(
    "analyse_library",
    LIBRARY_ASSETS,
    "Read the photo library, run its pattern analyses and face clustering, publish them.",
    WRITES_LIBRARY,
)
storage_stats_job = job("measure_storage", [storage_stats], "Records, bytes and monthly cost per tier, with advice.")
erase_person_job = job(
    "erase_person",
    [erasure_audit],
    "Carry out one erasure request (its id in the run config) in every tier, then prove nothing erased is left.",
    WRITES_REPORTS | WRITES_CURATION | WRITES_EMBEDDINGS,
)

# The jobs no input kind owns: those that publish what the kinds' tables feed, and those that keep the store.
PUBLISH_JOBS = (publish_job, publish_curation_job, embeddings_job, train_when_ready_job)
MAINTENANCE_JOBS = (nightly_health_job, archive_job, storage_stats_job, erase_person_job, rotate_pseudonym_key_job)
