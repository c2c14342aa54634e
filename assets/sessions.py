"""Raw session folders to validated sessions, quarantine rows and deferred folders, per day."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    Output,
    asset,
    multi_asset,
)

from assets.partitions import session_days
from curata.quarantine import counts_by_rule, incomplete_quarantine_rows
from curata.reconcile import reconcile
from curata.sessions.batch import EarlierSession, validate_partition
from curata.sessions.checks import accepted_session_problems
from curata.sessions.inventory import list_session_folders
from curata.sessions.tables import RAW_SESSIONS_SCHEMA, VALIDATED_SESSIONS_SCHEMA
from resources import CurataSettings

GROUP = "sessions"


@asset(partitions_def=session_days, group_name=GROUP, kinds={"python", "parquet"})
def raw_sessions(context: AssetExecutionContext, curata: CurataSettings) -> Output[pa.Table]:
    """Every session folder whose day is this partition, as found on disk: the input records."""
    day = context.partition_key
    folders = [f for f in list_session_folders(curata.layout.sessions) if f.partition_date == day]
    table = pa.Table.from_pylist([f.__dict__ | {"session_folder": f.name} for f in folders], schema=RAW_SESSIONS_SCHEMA)
    return Output(table, metadata={"folders": len(folders)})


@multi_asset(
    partitions_def=session_days,
    group_name=GROUP,
    outs={
        "validated_sessions": AssetOut(kinds={"parquet"}, description="Sessions that passed every rule."),
        "session_quarantine": AssetOut(
            kinds={"parquet"}, description="One row per refused folder: rule, file, detail, hint."
        ),
        "deferred_sessions": AssetOut(kinds={"parquet"}, description="Folders still being written; retried later."),
    },
    check_specs=[
        AssetCheckSpec(
            "reconciles_with_raw",
            asset="validated_sessions",
            blocking=True,
            description="raw folders = accepted + quarantined + deferred, by folder name",
        ),
        AssetCheckSpec(
            "accepted_are_sound",
            asset="validated_sessions",
            blocking=True,
            description="positive dimensions, full hashes, instruction present, no email in clear",
        ),
        AssetCheckSpec(
            "quarantine_rows_actionable",
            asset="session_quarantine",
            blocking=True,
            description="every row names a known rule, a file, a detail and a hint",
        ),
    ],
)
def validated_session_outcomes(
    context: AssetExecutionContext, curata: CurataSettings, raw_sessions: pa.Table
) -> Iterator[Output | AssetCheckResult]:
    day = context.partition_key
    others = [p for p in curata.warehouse.partitions("validated_sessions") if p != day]
    earlier = curata.warehouse.read_partitions(
        "validated_sessions", others, ["content_key", "timestamp", "session_id"], schema=VALIDATED_SESSIONS_SCHEMA
    )
    accepted_elsewhere = {
        row["content_key"]: EarlierSession(int(row["timestamp"].timestamp() * 1000), row["session_id"])
        for row in earlier.to_pylist()
    }
    result = validate_partition(
        curata.layout.sessions,
        raw_sessions.column("session_folder").to_pylist(),
        day,
        data_root=curata.layout.root,
        pseudonym_key=curata.key_bytes,
        accepted_elsewhere=accepted_elsewhere,
        limits=curata.limits,
        workers=curata.workers,
    )
    quarantine_rows = result.quarantined.to_pylist()
    yield Output(result.accepted, output_name="validated_sessions", metadata={"accepted": result.accepted.num_rows})
    yield Output(
        result.quarantined,
        output_name="session_quarantine",
        metadata={"quarantined": len(quarantine_rows), **counts_by_rule(quarantine_rows)},
    )
    yield Output(result.deferred, output_name="deferred_sessions", metadata={"deferred": result.deferred.num_rows})
    yield from session_partition_checks(raw_sessions, result.accepted, result.quarantined, result.deferred)


def session_partition_checks(
    raw: pa.Table, accepted: pa.Table, quarantined: pa.Table, deferred: pa.Table
) -> Iterator[AssetCheckResult]:
    """The integrity checks of one partition, computed from the tables themselves."""
    rec = reconcile(
        raw.column("session_folder").to_pylist(),
        {
            "accepted": accepted.column("session_folder").to_pylist(),
            "quarantined": quarantined.column("record_id").to_pylist(),
            "deferred": deferred.column("session_folder").to_pylist(),
        },
    )
    yield AssetCheckResult(
        asset_key="validated_sessions",
        check_name="reconciles_with_raw",
        passed=rec.ok,
        metadata={"summary": rec.describe(), "inputs": rec.inputs, **rec.outcomes},
    )
    problems = accepted_session_problems(accepted.to_pylist())
    yield AssetCheckResult(
        asset_key="validated_sessions",
        check_name="accepted_are_sound",
        passed=not problems,
        metadata={"problems": len(problems), "first_problems": "\n".join(problems[:20])},
    )
    incomplete = incomplete_quarantine_rows(quarantined.to_pylist())
    yield AssetCheckResult(
        asset_key="session_quarantine",
        check_name="quarantine_rows_actionable",
        passed=not incomplete,
        severity=AssetCheckSeverity.ERROR,
        metadata={"incomplete": len(incomplete), "first_incomplete": "\n".join(incomplete[:20])},
    )
