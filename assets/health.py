"""The nightly health summary over every stored partition."""

import pyarrow as pa
from dagster import AssetCheckSpec, AssetExecutionContext, AssetIn, MaterializeResult, asset

from assets.checks import problems_check
from assets.kinds import INPUT_FOLDERS, INPUT_KINDS
from assets.pictures import health_pictures
from assets.policies import described
from curata.embeddings.health import EMBEDDINGS_HEALTH
from curata.erasure.requests import erasure_health
from curata.health import (
    HEALTH_REPORT,
    dataset_health,
    ingest_gaps,
    new_report,
    reconciliation_errors,
    render_text,
    report_history,
    write_report,
)
from curata.tables import TableSpec
from resources import CurataSettings
from resources.warehouse_io import ALLOW_MISSING

OPTIONAL = {ALLOW_MISSING: True}  # a job never run yet is reported as such, not as a failed report
Days = dict[str, pa.Table]
REPORT = HEALTH_REPORT
RECONCILES = "every_partition_reconciles"
INGESTED = "every_folder_ingested"
SECTIONS = (*(kind.health for kind in INPUT_KINDS), EMBEDDINGS_HEALTH)  # in the order the report shows them
READ = {spec.name: spec for section in SECTIONS for spec in section.tables}


def _health_in(spec: TableSpec) -> AssetIn:
    """Every stored partition: a daily table as {day: table}, any other as one table (None if never written)."""
    return AssetIn(metadata=OPTIONAL, dagster_type=Days) if spec.partitioned_by == "day" else AssetIn(metadata=OPTIONAL)


@asset(
    name=REPORT,
    group_name="health",
    **described("report", {"python"}),
    ins={name: _health_in(spec) for name, spec in READ.items()},
    check_specs=[
        # Not blocking: a day that fails holds back only itself; the exports leave it out and their cards say why.
        AssetCheckSpec(
            RECONCILES,
            asset=REPORT,
            description="each stored partition reconciles, no image pair accepted twice, every input folder present",
        ),
        AssetCheckSpec(INGESTED, asset=REPORT, description="no session folder on disk is missing from raw_sessions"),
    ],
)
def data_health_report(context: AssetExecutionContext, curata: CurataSettings, **tables: object) -> MaterializeResult:
    """The validation report of the source document, written nightly as JSON and text."""
    never = sorted(name for name, table in tables.items() if table is None)
    stored = {name: READ[name].empty() if table is None else table for name, table in tables.items()}
    layout = curata.layout
    sections = {key: value for kind in INPUT_KINDS for key, value in kind.build_health(stored, curata).items()}
    report = new_report(
        missing_inputs=layout.missing_inputs(INPUT_FOLDERS),
        never_materialized=never,
        **sections,
        **EMBEDDINGS_HEALTH.build(stored, layout, None),
        erasure=erasure_health(curata.store),
        datasets=dataset_health(curata.store),
    )
    json_key, text_key = write_report(curata.store, report, SECTIONS)
    context.log.info(render_text(report, SECTIONS))
    failing, not_ingested = reconciliation_errors(report, SECTIONS), ingest_gaps(report, SECTIONS)
    return MaterializeResult(
        metadata={
            "report": text_key,
            "json": json_key,
            **{key: n for section in SECTIONS for key, n in section.counts(report).items()},
            "errors": len(failing) + len(not_ingested),
            **health_pictures(report_history(curata.store)),
        },
        check_results=[
            problems_check(REPORT, RECONCILES, failing),
            problems_check(REPORT, INGESTED, not_ingested, warn=True),
        ],
    )
