"""Jobs: what the sensors, the schedules and `curata run` launch.

Every job runs its steps with `pipeline_executor` (multiprocess by default; in-process or a Dask
cluster through run config). Partitioned jobs are kept from writing one partition twice at once by
the run queue's limit on `dagster/partition`; unpartitioned jobs carry a `curata/writes-<tables>`
tag per group of shared tables they rewrite, each limited to one run at a time (deploy/postgres/dagster.yaml).
"""

from dagster import AssetSelection, define_asset_job

from assets.executors import pipeline_executor
from assets.library import LIBRARY_SELECTION

WRITES_REPORTS = {"curata/writes-reports": "1"}  # training-log audit, health report, edit triplets
WRITES_CURATION = {"curata/writes-curation": "1"}  # validated selections and crops
WRITES_EMBEDDINGS = {"curata/writes-embeddings": "1"}  # the embedding store, and the exports that read it
WRITES_LIBRARY = {"curata/writes-library": "1"}  # the library's tables, clusters and export


def job(name: str, assets: list[str], description: str, writes: dict[str, str] | None = None):
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
    ["raw_sessions", "validated_sessions", "session_quarantine", "deferred_sessions", "session_people"]
    + ["session_image_quality"],
    "List and validate one day of session folders.",
)
historical_pairs_job = job(
    "historical_pairs",
    ["historical_groups", "historical_pairs", "project_quarantine", "project_stats", "project_image_quality"],
    "Mine one finished project's chosen-versus-rejected pairs; backfill it over every project.",
)
archive_job = job(
    "archive_old_days",
    ["archive_inventory"],
    "Pack one day past the retention, verify it in the cold bucket, then remove its folders.",
)
curation_job = job(
    "validate_curation_logs",
    ["validated_selections", "validated_crops", "curation_quarantine", "curation_image_quality"],
    "Validate the selection and crop logs: accept, recover (0, 0) sizes, or quarantine each row.",
    WRITES_CURATION,
)
embeddings_job = job(
    "embed_images",
    ["image_embeddings"],
    "Embed every referenced image not yet embedded, in parallel chunks; compact the store.",
    WRITES_EMBEDDINGS,
)
publish_job = job(
    "publish_datasets",
    ["training_log_lines", "training_log_quarantine", "data_health_report", "image_embeddings", "edit_triplets"],
    "Audit the training log, write the health report, embed what is new, publish the edit triplets.",
    WRITES_REPORTS | WRITES_EMBEDDINGS,
)
# Each curation dataset with its probe's tables: what publishing it runs (`curata run` picks those the root calls for).
CURATION_DATASETS = {
    dataset: [f"{dataset}_probe", f"{dataset}_label_issues", dataset] for dataset in ("preference_pairs", "crop_boxes")
}
PROBED = [name for assets in CURATION_DATASETS.values() for name in assets[:-1]]
publish_curation_job = job(
    "publish_curation_datasets",
    ["image_embeddings", *(name for assets in CURATION_DATASETS.values() for name in assets)],
    "Probe and publish the preference pairs (projects and selection logs) and the crop boxes (crop log).",
    WRITES_EMBEDDINGS,
)
train_when_ready_job = job(
    "train_when_ready",
    [*PROBED, "preference_pairs", "crop_boxes", "preference_pairs_training", "crop_boxes_training"],
    "Probe and publish a dataset that became ready, then run the `training` resource's command on it.",
    WRITES_EMBEDDINGS,
)
nightly_health_job = job(
    "nightly_health",
    [
        "training_log_lines",
        "training_log_quarantine",
        "validated_selections",
        "validated_crops",
        "curation_quarantine",
        "curation_image_quality",
        "image_embeddings",
        "data_health_report",
        "person_index",
        "image_index",
    ],
    "Re-check every stored partition, embed what is missing, write the health summary, refresh the person index.",
    WRITES_REPORTS | WRITES_CURATION | WRITES_EMBEDDINGS,
)
library_job = job(
    "analyse_library",
    LIBRARY_SELECTION,
    "Read the photo library, run its pattern analyses and face clustering, publish them.",
    WRITES_LIBRARY,
)
storage_stats_job = job("measure_storage", ["storage_stats"], "Records, bytes and monthly cost per tier, with advice.")
erase_person_job = job(
    "erase_person",
    ["erasure_audit"],
    "Carry out one erasure request (its id in the run config) in every tier, then prove nothing erased is left.",
    WRITES_REPORTS | WRITES_CURATION | WRITES_EMBEDDINGS,
)
