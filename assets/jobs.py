"""Jobs: what the sensor, the schedule and the demo launch."""

from dagster import AssetSelection, define_asset_job

ingest_sessions_job = define_asset_job(
    "ingest_sessions",
    selection=AssetSelection.assets("raw_sessions", "validated_sessions", "session_quarantine", "deferred_sessions"),
    description="List and validate one day of session folders.",
)

publish_job = define_asset_job(
    "publish_datasets",
    selection=AssetSelection.assets(
        "training_log_lines", "training_log_quarantine", "edit_triplets", "data_health_report"
    ),
    description="Audit the training log, export the edit-triplet dataset and write the health report.",
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

embeddings_job = define_asset_job(
    "embed_images",
    selection=AssetSelection.assets("image_embeddings", "preference_pairs"),
    description="Embed every referenced image not yet embedded, then build the preference pairs with vectors.",
)
