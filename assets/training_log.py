"""Audit of the app's master `training-log.jsonl` against the session folders."""

from collections.abc import Iterator

from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, AssetOut, Output, multi_asset

from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.sessions.naming import iso_stamp
from curata.sessions.tables import RAW_SESSIONS_SCHEMA, VALIDATED_SESSIONS_SCHEMA
from curata.sessions.training_log import audit_training_log, count_log_lines, line_record_id
from resources import CurataSettings


@multi_asset(
    group_name="sessions",
    deps=["raw_sessions", "validated_sessions"],
    outs={
        "training_log_lines": AssetOut(
            kinds={"parquet"}, description="Status of every log line: consistent, pending or quarantined."
        ),
        "training_log_quarantine": AssetOut(
            kinds={"parquet"}, description="Log lines refused, with rule, line, detail and hint."
        ),
    },
    check_specs=[
        AssetCheckSpec(
            "log_lines_reconcile",
            asset="training_log_lines",
            blocking=True,
            description="non-empty lines in the file = consistent + pending + quarantined",
        ),
    ],
)
def training_log_audit(context: AssetExecutionContext, curata: CurataSettings) -> Iterator[Output | AssetCheckResult]:
    warehouse = curata.warehouse
    known = set(
        warehouse.read_partitions("raw_sessions", columns=["session_folder"], schema=RAW_SESSIONS_SCHEMA)
        .column("session_folder")
        .to_pylist()
    )
    accepted_rows = warehouse.read_partitions(
        "validated_sessions", columns=["session_id", "timestamp", "instruction"], schema=VALIDATED_SESSIONS_SCHEMA
    ).to_pylist()
    accepted = {r["session_id"]: (iso_stamp(r["timestamp"]), r["instruction"]) for r in accepted_rows}
    log = curata.layout.training_log
    audit = audit_training_log(log, log.relative_to(curata.layout.root).as_posix(), accepted, known)
    q_rows = audit.quarantined.to_pylist()
    yield Output(
        audit.lines,
        output_name="training_log_lines",
        metadata={"lines": audit.lines.num_rows, **_status_counts(audit.lines.column("status").to_pylist())},
    )
    yield Output(
        audit.quarantined,
        output_name="training_log_quarantine",
        metadata={"quarantined": len(q_rows), **counts_by_rule(q_rows)},
    )
    statuses = audit.lines.to_pylist()
    rec = reconcile(
        [line_record_id(n) for n in count_log_lines(log)],
        {
            s: [line_record_id(r["line_no"]) for r in statuses if r["status"] == s]
            for s in ("consistent", "pending", "quarantined")
        },
    )
    yield AssetCheckResult(
        asset_key="training_log_lines",
        check_name="log_lines_reconcile",
        passed=rec.ok,
        metadata={"summary": rec.describe()},
    )


def _status_counts(statuses: list[str]) -> dict[str, int]:
    return {s: statuses.count(s) for s in ("consistent", "pending", "quarantined")}
