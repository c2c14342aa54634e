"""The nightly health summary over every stored partition."""

import pyarrow as pa
from dagster import AssetCheckSpec, AssetExecutionContext, AssetIn, MaterializeResult, asset

from assets.checks import problems_check
from assets.pictures import health_pictures
from assets.policies import described
from curata.catalog import spec_of
from curata.erasure.requests import erasure_health
from curata.health import (
    SessionTables,
    curation_health,
    dataset_health,
    embedding_health,
    ingest_gaps,
    library_health,
    new_report,
    project_health,
    reconciliation_errors,
    render_text,
    report_history,
    session_health,
    training_log_health,
    write_report,
)
from curata.sessions.inventory import list_session_folders
from resources import CurataSettings
from resources.warehouse_io import ALLOW_MISSING

OPTIONAL = {ALLOW_MISSING: True}  # a job never run yet is reported as such, not as a failed report
Days = dict[str, pa.Table]


@asset(
    group_name="health",
    **described("report", {"python"}),
    ins={
        name: AssetIn(metadata=OPTIONAL)
        for name in (
            "training_log_lines",
            "training_log_quarantine",
            "validated_selections",
            "validated_crops",
            "curation_quarantine",
            "image_embeddings",
            "library_images",
            "library_quarantine",
        )
    },
    check_specs=[
        # Not blocking: a day that fails holds back only itself; the exports leave it out and their cards say why.
        AssetCheckSpec(
            "every_partition_reconciles",
            asset="data_health_report",
            description="each stored partition reconciles, no image pair accepted twice, every input folder present",
        ),
        AssetCheckSpec(
            "every_folder_ingested",
            asset="data_health_report",
            description="no session folder on disk is missing from raw_sessions",
        ),
    ],
)
def data_health_report(
    context: AssetExecutionContext,
    curata: CurataSettings,
    raw_sessions: Days,
    validated_sessions: Days,
    session_quarantine: Days,
    deferred_sessions: Days,
    project_stats: pa.Table,
    project_quarantine: pa.Table,
    training_log_lines: pa.Table | None,
    training_log_quarantine: pa.Table | None,
    validated_selections: pa.Table | None,
    validated_crops: pa.Table | None,
    curation_quarantine: pa.Table | None,
    image_embeddings: pa.Table | None,
    library_images: pa.Table | None,
    library_quarantine: pa.Table | None,
) -> MaterializeResult:
    """The validation report of the source document, written nightly as JSON and text."""
    optional = {
        "training_log_lines": training_log_lines,
        "training_log_quarantine": training_log_quarantine,
        "validated_selections": validated_selections,
        "validated_crops": validated_crops,
        "curation_quarantine": curation_quarantine,
        "image_embeddings": image_embeddings,
        "library_images": library_images,
        "library_quarantine": library_quarantine,
    }
    never = sorted(name for name, table in optional.items() if table is None)
    t = {name: spec_of(name).empty() if table is None else table for name, table in optional.items()}
    layout = curata.layout
    on_disk = list_session_folders(layout.sessions, curata.max_metadata_bytes)
    report = new_report(
        missing_inputs=layout.missing_inputs(),
        never_materialized=never,
        sessions=session_health(
            SessionTables(raw_sessions, validated_sessions, session_quarantine, deferred_sessions), on_disk
        ),
        training_log=training_log_health(t["training_log_lines"], t["training_log_quarantine"]),
        projects=project_health(project_stats, project_quarantine),
        curation=curation_health(t["validated_selections"], t["validated_crops"], t["curation_quarantine"]),
        embeddings=embedding_health(t["image_embeddings"]),
        library=library_health(t["library_images"], t["library_quarantine"]),
        erasure=erasure_health(curata.store),
        datasets=dataset_health(curata.store),
    )
    json_key, text_key = write_report(curata.store, report)
    context.log.info(render_text(report))
    s = report["sessions"]
    failing, not_ingested = reconciliation_errors(report), ingest_gaps(report)
    return MaterializeResult(
        metadata={
            "report": text_key,
            "json": json_key,
            "accepted": s["accepted"],
            "quarantined": s["quarantined"],
            "deferred": s["deferred"],
            "errors": len(failing) + len(not_ingested),
            **health_pictures(report_history(curata.store)),
        },
        check_results=[
            problems_check("data_health_report", "every_partition_reconciles", failing),
            problems_check("data_health_report", "every_folder_ingested", not_ingested, warn=True),
        ],
    )
