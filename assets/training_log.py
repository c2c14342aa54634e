"""Audit of the app's master `training-log.jsonl` against the session folders."""

from collections.abc import Iterator

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Output, multi_asset

from assets.checks import reconciliation_check
from assets.policies import table_out
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.sessions import SESSIONS
from curata.sessions.naming import iso_stamp
from curata.sessions.tables import TRAINING_LOG_LINES, TRAINING_LOG_QUARANTINE
from curata.sessions.training_log import audit_training_log, count_log_lines, line_record_id
from resources import CurataSettings

STATUSES = ("consistent", "pending", "quarantined")
RECONCILES = "log_lines_reconcile"


@multi_asset(
    group_name="sessions",
    outs={
        TRAINING_LOG_LINES.name: table_out(TRAINING_LOG_LINES.name, "validated"),
        TRAINING_LOG_QUARANTINE.name: table_out(TRAINING_LOG_QUARANTINE.name, "quarantine"),
    },
    check_specs=[
        AssetCheckSpec(
            RECONCILES,
            asset=TRAINING_LOG_LINES.name,
            blocking=True,
            description="non-empty lines in the file = consistent + pending + quarantined",
        ),
    ],
)
def training_log_audit(
    context: AssetExecutionContext, curata: CurataSettings, raw_sessions: pa.Table, validated_sessions: pa.Table
) -> Iterator[Output | AssetCheckResult]:
    layout = curata.layout
    curata.require(SESSIONS)
    known = set(raw_sessions.column("session_folder").to_pylist())
    accepted_rows = validated_sessions.select(["session_id", "timestamp", "instruction"]).to_pylist()
    accepted = {r["session_id"]: (iso_stamp(r["timestamp"]), r["instruction"]) for r in accepted_rows}
    log = layout.training_log
    audit = audit_training_log(log, log.relative_to(layout.root).as_posix(), accepted, known)
    q_rows = audit.quarantined.to_pylist()
    statuses = audit.lines.to_pylist()
    counts = {s: sum(r["status"] == s for r in statuses) for s in STATUSES}
    yield Output(audit.lines, output_name=TRAINING_LOG_LINES.name, metadata={"lines": len(statuses), **counts})
    yield Output(
        audit.quarantined,
        output_name=TRAINING_LOG_QUARANTINE.name,
        metadata={"quarantined": len(q_rows), **counts_by_rule(q_rows)},
    )
    rec = reconcile(
        [line_record_id(n) for n in count_log_lines(log)],
        {s: [line_record_id(r["line_no"]) for r in statuses if r["status"] == s] for s in STATUSES},
    )
    yield reconciliation_check(TRAINING_LOG_LINES.name, RECONCILES, rec)
