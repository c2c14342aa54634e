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
from curata.projects.checks import anomaly_rate_in_band, pair_problems
from curata.projects.discovery import project_entries
from curata.projects.pairs import mine_project
from curata.projects.scan import accepted_images, scan_project
from curata.quality_tables import PROJECT_IMAGE_QUALITY, quality_table
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from resources import CurataSettings

GROUP = "historical_projects"


@multi_asset(
    partitions_def=historical_projects,
    group_name=GROUP,
    # One run per project: a project's failure or re-run never touches another project's output.
    backfill_policy=BackfillPolicy.multi_run(1),
    outs={
        "historical_groups": table_out("historical_groups", "validated"),
        "historical_pairs": table_out("historical_pairs", "validated"),
        "project_quarantine": table_out("project_quarantine", "quarantine"),
        "project_stats": table_out("project_stats", "report"),
        "project_image_quality": table_out(PROJECT_IMAGE_QUALITY.name, "validated"),
    },
    check_specs=[
        AssetCheckSpec(
            "pairs_are_sound",
            asset="historical_pairs",
            blocking=True,
            description="both images exist and differ; no image both chosen and rejected in a group",
        ),
        AssetCheckSpec(
            "project_files_reconcile",
            asset="historical_pairs",
            blocking=True,
            description="files seen = grouped + strays + refused images + winners matched + winners unmatched",
        ),
        actionable_spec("project_quarantine"),
        AssetCheckSpec(
            "anomaly_rate_in_band",
            asset="project_stats",
            description="share of groups where a lower stage won, inside the configured band",
        ),
    ],
)
def historical_project_pairs(
    context: AssetExecutionContext, curata: CurataSettings
) -> Iterator[Output | AssetCheckResult]:
    project = context.partition_key
    root = curata.layout.root
    project_dir = curata.require("projects") / project
    if not project_dir.is_dir():
        raise DataRootError(f"project folder {project_dir} does not exist; was it moved or deleted?")
    files = scan_project(project_dir, root, curata.image_limits, workers=curata.workers)
    mined = mine_project(project, files, root, workers=curata.workers)
    stats = mined.stats.to_pylist()[0]
    q_rows = mined.quarantined.to_pylist()
    yield Output(mined.groups, output_name="historical_groups", metadata={"groups": mined.groups.num_rows})
    yield Output(
        mined.pairs,
        output_name="historical_pairs",
        metadata={
            "pairs": stats["pairs"],
            "anomalies": stats["anomalies"],
            **pair_pictures(mined.pairs.to_pylist(), root, curata.image_limits),
        },
    )
    yield Output(
        mined.quarantined,
        output_name="project_quarantine",
        metadata={
            "quarantined": len(q_rows),
            **counts_by_rule(q_rows),
            **quarantine_pictures(q_rows, root, curata.image_limits),
        },
    )
    yield Output(mined.stats, output_name="project_stats", metadata={k: v for k, v in stats.items() if k != "project"})
    quality = quality_table(PROJECT_IMAGE_QUALITY, accepted_images(files, mined.groups))
    yield quality_output(quality, "project_image_quality")

    yield problems_check("historical_pairs", "pairs_are_sound", pair_problems(mined.pairs.to_pylist(), root))
    rec = reconcile(project_entries(project_dir, root), mined.file_outcomes)
    yield reconciliation_check("historical_pairs", "project_files_reconcile", rec)
    yield actionable_check("project_quarantine", q_rows)
    low, high = curata.anomaly_rate_low, curata.anomaly_rate_high
    rate = stats["anomaly_rate"]
    outside = [] if anomaly_rate_in_band(rate, low, high) else [f"anomaly rate {rate:.1%} outside [{low}, {high}]"]
    yield problems_check("project_stats", "anomaly_rate_in_band", outside, warn=True, anomaly_rate=rate)
