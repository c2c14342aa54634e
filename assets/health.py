"""The nightly health summary over every stored partition."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from curata.health import curation_health, project_health, session_health, write_report
from resources import CurataSettings


@asset(
    group_name="health",
    deps=[
        "validated_sessions",
        "session_quarantine",
        "deferred_sessions",
        "training_log_lines",
        "project_stats",
        "project_quarantine",
        "validated_selections",
        "validated_crops",
        "curation_quarantine",
    ],
    kinds={"python"},
    check_specs=[
        # Blocking: the export reads every partition, so no export while any of them fails to reconcile.
        AssetCheckSpec(
            "every_partition_reconciles",
            asset="data_health_report",
            blocking=True,
            description="each stored partition: raw folders = accepted + quarantined + deferred",
        ),
        AssetCheckSpec(
            "every_folder_ingested",
            asset="data_health_report",
            description="no session folder on disk is missing from raw_sessions",
        ),
    ],
)
def data_health_report(context: AssetExecutionContext, curata: CurataSettings) -> MaterializeResult:
    """The validation report of the source document, written nightly as JSON and text."""
    report = session_health(curata.warehouse, curata.layout.sessions)
    report["projects"] = project_health(curata.warehouse)
    report["curation"] = curation_health(curata.warehouse)
    json_path, text_path = write_report(curata.layout.reports, report)
    s = report["sessions"]
    context.log.info(text_path.read_text())
    return MaterializeResult(
        metadata={
            "report": str(text_path),
            "json": str(json_path),
            "accepted": s["accepted"],
            "quarantined": s["quarantined"],
            "deferred": s["deferred"],
        },
        check_results=[
            AssetCheckResult(
                check_name="every_partition_reconciles",
                passed=not s["partitions_failing_reconciliation"],
                metadata={"failing": str(s["partitions_failing_reconciliation"])[:2000]},
            ),
            AssetCheckResult(
                check_name="every_folder_ingested",
                passed=not s["folders_not_ingested_count"],
                severity=AssetCheckSeverity.WARN,
                metadata={"not_ingested": s["folders_not_ingested_count"]},
            ),
        ],
    )
