"""Jobs: what the sensor, the schedule and the demo launch."""

from dagster import AssetSelection, define_asset_job

from assets.library import LIBRARY_SELECTION

ingest_sessions_job = define_asset_job(
    "ingest_sessions",
    selection=AssetSelection.assets("raw_sessions", "validated_sessions", "session_quarantine", "deferred_sessions"),
    description="List and validate one day of session folders.",
)

publish_job = define_asset_job(
    "publish_datasets",
    selection=AssetSelection.assets(
        "training_log_lines", "training_log_quarantine", "data_health_report", "image_embeddings", "edit_triplets"
    ),
    description="Audit the training log, write the health report, embed what is new, publish the edit triplets.",
)

publish_curation_job = define_asset_job(
    "publish_curation_datasets",
    selection=AssetSelection.assets("image_embeddings", "preference_pairs", "crop_boxes"),
    description="Publish the preference pairs (projects and selection logs) and the crop boxes (crop log).",
)

nightly_health_job = define_asset_job(
    "nightly_health",
    selection=AssetSelection.assets(
        "training_log_lines",
        "training_log_quarantine",
        "validated_selections",
        "validated_crops",
        "curation_quarantine",
        "image_embeddings",
        "data_health_report",
    ),
    description="Re-check every stored partition, embed what is missing, write the health summary.",
)

historical_pairs_job = define_asset_job(
    "historical_pairs",
    selection=AssetSelection.assets("historical_groups", "historical_pairs", "project_quarantine", "project_stats"),
    description="Mine one finished project's chosen-versus-rejected pairs; backfill it over every project.",
)

curation_job = define_asset_job(
    "validate_curation_logs",
    selection=AssetSelection.assets("validated_selections", "validated_crops", "curation_quarantine"),
    description="Validate the selection and crop logs: accept, recover (0, 0) sizes, or quarantine each row.",
)

archive_job = define_asset_job(
    "archive_old_days",
    selection=AssetSelection.assets("archive_inventory"),
    description="Pack one day past the retention, verify it in the cold bucket, then remove its folders.",
)

storage_stats_job = define_asset_job(
    "measure_storage",
    selection=AssetSelection.assets("storage_stats"),
    description="Records, bytes and monthly cost per tier, with recommendations.",
)

library_job = define_asset_job(
    "analyse_library",
    selection=AssetSelection.assets(*LIBRARY_SELECTION),
    description="Read the photo library, run its pattern analyses and face clustering, publish them.",
)

embeddings_job = define_asset_job(
    "embed_images",
    selection=AssetSelection.assets("image_embeddings"),
    description="Embed every referenced image not yet embedded, in parallel chunks; compact the store.",
)
