"""Historical before/after pairs: one partition per finished project, backfilled one run per project."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    BackfillPolicy,
    Output,
    multi_asset,
)

from assets.partitions import historical_projects
from curata.projects.checks import anomaly_rate_in_band, pair_problems
from curata.projects.discovery import project_entries
from curata.projects.pairs import mine_project
from curata.projects.scan import scan_project
from curata.quarantine import counts_by_rule, incomplete_quarantine_rows
from curata.reconcile import reconcile
from resources import CurataSettings

GROUP = "historical_projects"


@multi_asset(
    partitions_def=historical_projects,
    group_name=GROUP,
    # One run per project: a project's failure or re-run never touches another project's output.
    backfill_policy=BackfillPolicy.multi_run(1),
    outs={
        "historical_groups": AssetOut(
            kinds={"parquet"}, description="Every stage group: chosen, none kept, or quarantined."
        ),
        "historical_pairs": AssetOut(kinds={"parquet"}, description="One row per chosen-versus-rejected pair."),
        "project_quarantine": AssetOut(
            kinds={"parquet"}, description="Stray files, two-winner groups, orphan winners."
        ),
        "project_stats": AssetOut(kinds={"parquet"}, description="Groups, pairs, anomalies and anomaly rate."),
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
            description="files seen = grouped + strays + winners matched + winners unmatched",
        ),
        AssetCheckSpec(
            "quarantine_rows_actionable",
            asset="project_quarantine",
            blocking=True,
            description="every row names a known rule, a file, a detail and a hint",
        ),
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
    project_dir = curata.layout.projects / project
    files = scan_project(project_dir, curata.layout.root, curata.image_limits, workers=curata.workers)
    mined = mine_project(project, files, curata.layout.root, workers=curata.workers)
    stats = mined.stats.to_pylist()[0]
    q_rows = mined.quarantined.to_pylist()
    yield Output(mined.groups, output_name="historical_groups", metadata={"groups": mined.groups.num_rows})
    yield Output(
        mined.pairs, output_name="historical_pairs", metadata={"pairs": stats["pairs"], "anomalies": stats["anomalies"]}
    )
    yield Output(
        mined.quarantined,
        output_name="project_quarantine",
        metadata={"quarantined": len(q_rows), **counts_by_rule(q_rows)},
    )
    yield Output(mined.stats, output_name="project_stats", metadata={k: v for k, v in stats.items() if k != "project"})

    problems = pair_problems(mined.pairs.to_pylist(), curata.layout.root)
    yield AssetCheckResult(
        asset_key="historical_pairs",
        check_name="pairs_are_sound",
        passed=not problems,
        metadata={"problems": "\n".join(problems[:20]) or "none"},
    )
    rec = reconcile(project_entries(project_dir, curata.layout.root), mined.file_outcomes)
    yield AssetCheckResult(
        asset_key="historical_pairs",
        check_name="project_files_reconcile",
        passed=rec.ok,
        metadata={"summary": rec.describe()},
    )
    incomplete = incomplete_quarantine_rows(q_rows)
    yield AssetCheckResult(
        asset_key="project_quarantine",
        check_name="quarantine_rows_actionable",
        passed=not incomplete,
        metadata={"incomplete": "\n".join(incomplete[:20]) or "none"},
    )
    low, high = curata.anomaly_rate_low, curata.anomaly_rate_high
    yield AssetCheckResult(
        asset_key="project_stats",
        check_name="anomaly_rate_in_band",
        severity=AssetCheckSeverity.WARN,
        passed=anomaly_rate_in_band(stats["anomaly_rate"], low, high),
        metadata={"anomaly_rate": stats["anomaly_rate"], "band": f"[{low}, {high}]"},
    )
