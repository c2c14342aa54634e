"""Historical before/after pairs: one partition per finished project, backfilled one run per project."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    BackfillPolicy,
    Output,
    multi_asset,
)

from assets.checks import actionable_check, actionable_spec, problems_check, reconciliation_check
from assets.partitions import historical_projects
from assets.pictures import pair_pictures, quarantine_pictures
from assets.policies import table_out
from assets.quality import quality_output
from curata.layout import DataRootError
from curata.projects import PROJECTS
from curata.projects.checks import anomaly_rate_in_band, pair_problems
from curata.projects.discovery import project_entries
from curata.projects.pairs import mine_project
from curata.projects.scan import accepted_images, scan_project
from curata.projects.tables import HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_QUARANTINE, PROJECT_STATS
from curata.quality_tables import PROJECT_IMAGE_QUALITY, quality_table
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from resources import CurataSettings

GROUP = "historical_projects"
SOUND = "pairs_are_sound"
RECONCILES = "project_files_reconcile"
IN_BAND = "anomaly_rate_in_band"


@multi_asset(
    partitions_def=historical_projects,
    group_name=GROUP,
    # One run per project: a project's failure or re-run never touches another project's output.
    backfill_policy=BackfillPolicy.multi_run(1),
    outs={
        HISTORICAL_GROUPS.name: table_out(HISTORICAL_GROUPS.name, "validated"),
        HISTORICAL_PAIRS.name: table_out(HISTORICAL_PAIRS.name, "validated"),
        PROJECT_QUARANTINE.name: table_out(PROJECT_QUARANTINE.name, "quarantine"),
        PROJECT_STATS.name: table_out(PROJECT_STATS.name, "report"),
        PROJECT_IMAGE_QUALITY.name: table_out(PROJECT_IMAGE_QUALITY.name, "validated"),
    },
    check_specs=[
        AssetCheckSpec(
            SOUND,
            asset=HISTORICAL_PAIRS.name,
            blocking=True,
            description="both images exist and differ; no image both chosen and rejected in a group",
        ),
        AssetCheckSpec(
            RECONCILES,
            asset=HISTORICAL_PAIRS.name,
            blocking=True,
            description="files seen = grouped + strays + refused images + winners matched + winners unmatched",
        ),
        actionable_spec(PROJECT_QUARANTINE.name),
        AssetCheckSpec(
            IN_BAND,
            asset=PROJECT_STATS.name,
            description="share of groups where a lower stage won, inside the configured band",
        ),
    ],
)
def historical_project_pairs(
    context: AssetExecutionContext, curata: CurataSettings
) -> Iterator[Output | AssetCheckResult]:
    project = context.partition_key
    root = curata.layout.root
    project_dir = curata.require(PROJECTS) / project
    if not project_dir.is_dir():
        raise DataRootError(f"project folder {project_dir} does not exist; was it moved or deleted?")
    files = scan_project(project_dir, root, curata.image_limits, workers=curata.workers)
    mined = mine_project(project, files, root, workers=curata.workers)
    stats = mined.stats.to_pylist()[0]
    q_rows = mined.quarantined.to_pylist()
    yield Output(mined.groups, output_name=HISTORICAL_GROUPS.name, metadata={"groups": mined.groups.num_rows})
    yield Output(
        mined.pairs,
        output_name=HISTORICAL_PAIRS.name,
        metadata={
            "pairs": stats["pairs"],
            "anomalies": stats["anomalies"],
            **pair_pictures(mined.pairs.to_pylist(), root, curata.image_limits),
        },
    )
    yield Output(
        mined.quarantined,
        output_name=PROJECT_QUARANTINE.name,
        metadata={
            "quarantined": len(q_rows),
            **counts_by_rule(q_rows),
            **quarantine_pictures(q_rows, root, curata.image_limits),
        },
    )
    yield Output(
        mined.stats, output_name=PROJECT_STATS.name, metadata={k: v for k, v in stats.items() if k != "project"}
    )
    quality = quality_table(PROJECT_IMAGE_QUALITY, accepted_images(files, mined.groups))
    yield quality_output(quality, PROJECT_IMAGE_QUALITY.name)

    yield problems_check(HISTORICAL_PAIRS.name, SOUND, pair_problems(mined.pairs.to_pylist(), root))
    rec = reconcile(project_entries(project_dir, root), mined.file_outcomes)
    yield reconciliation_check(HISTORICAL_PAIRS.name, RECONCILES, rec)
    yield actionable_check(PROJECT_QUARANTINE.name, q_rows)
    low, high = curata.anomaly_rate_low, curata.anomaly_rate_high
    rate = stats["anomaly_rate"]
    outside = [] if anomaly_rate_in_band(rate, low, high) else [f"anomaly rate {rate:.1%} outside [{low}, {high}]"]
    yield problems_check(PROJECT_STATS.name, IN_BAND, outside, warn=True, anomaly_rate=rate)
