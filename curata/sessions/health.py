"""The sessions' and the training log's sections of the health report, recomputed from every stored partition."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from curata.health import SHOWN, HealthSection, Partitions, Tables, rule_lines
from curata.layout import DataRoot
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.sessions import SESSIONS
from curata.sessions.arrivals import changed_since_ingested
from curata.sessions.inventory import RawSessionFolder, list_session_folders
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    RAW_SESSIONS,
    SESSION_QUARANTINE,
    TRAINING_LOG_LINES,
    TRAINING_LOG_QUARANTINE,
    VALIDATED_SESSIONS,
)
from curata.sessions.validate import Limits


@dataclass(frozen=True)
class SessionTables:
    """The session tables, each as {day: table} of the stored partitions."""

    raw: Partitions
    accepted: Partitions
    quarantined: Partitions
    deferred: Partitions


_SESSION_TABLES = (RAW_SESSIONS, VALIDATED_SESSIONS, SESSION_QUARANTINE, DEFERRED_SESSIONS)  # SessionTables order
_REPEAT_COLUMNS = ["session_id", "partition_date", "timestamp", "pair_key"]


def session_health(tables: SessionTables, folders_on_disk: Iterable[RawSessionFolder]) -> dict:
    """Recomputes, from the stored tables alone, what the per-run checks asserted; and what is not ingested,
    or changed after its day was ingested (the sensor does not look at a folder again once it settled)."""
    failing = unreconciled_days(tables)
    ingested: dict[str, float] = {}
    for raw in tables.raw.values():
        names, mtimes = raw.column("session_folder").to_pylist(), raw.column("newest_mtime").to_pylist()
        ingested.update(zip(names, mtimes, strict=True))
    accepted = [r for t in tables.accepted.values() for r in t.select(_REPEAT_COLUMNS).to_pylist()]
    quarantine = [r for t in tables.quarantined.values() for r in t.to_pylist()]
    deferred = [r for t in tables.deferred.values() for r in t.to_pylist()]
    on_disk = list(folders_on_disk)
    not_ingested = sorted({f.name for f in on_disk} - ingested.keys())
    changed = changed_since_ingested(on_disk, ingested)
    return {
        "folders": sum(t.num_rows for t in tables.raw.values()),
        "accepted": len(accepted),
        "quarantined": len(quarantine),
        "deferred": len(deferred),
        "quarantined_by_rule": counts_by_rule(quarantine),
        "deferred_folders": sorted(f"{d['session_folder']}: {d['reason']}" for d in deferred)[:SHOWN],
        "partitions": len(tables.raw),
        "partitions_failing_reconciliation": failing,
        "repeated_across_partitions": repeats_across_partitions(accepted),
        "folders_not_ingested": not_ingested[:SHOWN],
        "folders_not_ingested_count": len(not_ingested),
        "folders_changed_since_ingest": changed[:SHOWN],
        "folders_changed_since_ingest_count": len(changed),
    }


def unreconciled_days(tables: SessionTables) -> dict[str, str]:
    """Days whose raw folders are not exactly accepted + quarantined + deferred, with which folders and how."""
    failing: dict[str, str] = {}
    for day, raw in sorted(tables.raw.items()):
        if not all(day in t for t in (tables.accepted, tables.quarantined, tables.deferred)):
            failing[day] = "raw folders listed but the partition was never validated"
            continue
        rec = reconcile(
            raw.column("session_folder").to_pylist(),
            {
                "accepted": tables.accepted[day].column("session_folder").to_pylist(),
                "quarantined": tables.quarantined[day].column("record_id").to_pylist(),
                "deferred": tables.deferred[day].column("session_folder").to_pylist(),
            },
        )
        if not rec.ok:
            failing[day] = rec.describe()
    return failing


def days_left_out(tables: SessionTables) -> dict[str, str]:
    """Days an export leaves out, with why: their records do not reconcile, or they accepted a copy of a session
    accepted earlier on another day. Only these days are held back; every other day still publishes."""
    out = {day: f"{why}; re-materialize validated_sessions for {day}" for day, why in unreconciled_days(tables).items()}
    accepted = [r for t in tables.accepted.values() for r in t.select(_REPEAT_COLUMNS).to_pylist()]
    for day, ids in repeats_across_partitions(accepted).items():
        out.setdefault(day, repeat_reason(day, ids))
    return dict(sorted(out.items()))


def repeat_reason(day: str, ids: list[str]) -> str:
    return (
        f"accepted {len(ids)} session(s) whose images were already accepted earlier ({', '.join(ids[:3])}): "
        f"re-materialize validated_sessions for {day}"
    )


def repeats_across_partitions(accepted: list[dict]) -> dict[str, list[str]]:
    """Image pairs accepted more than once (days validated concurrently or out of order).

    Returns {partition to re-run: [its sessions that repeat an earlier one]}: re-running those days
    quarantines the later copies, whatever order the days are re-run in.
    """
    holders: dict[str, list[dict]] = defaultdict(list)
    for row in accepted:
        holders[row["pair_key"]].append(row)
    rerun: dict[str, list[str]] = defaultdict(list)
    for rows in holders.values():
        for later in sorted(rows, key=lambda r: (r["timestamp"], r["session_id"]))[1:]:
            rerun[later["partition_date"]].append(later["session_id"])
    return {day: sorted(ids) for day, ids in sorted(rerun.items())}


def training_log_health(lines: pa.Table, quarantine: pa.Table) -> dict:
    statuses = lines.column("status").to_pylist()
    return {
        "lines": len(statuses),
        **{s: statuses.count(s) for s in ("consistent", "pending", "quarantined")},
        "quarantined_by_rule": counts_by_rule(quarantine.to_pylist()),
    }


def _build(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    stored = SessionTables(*(t[spec.name] for spec in _SESSION_TABLES))
    return {
        "sessions": session_health(stored, list_session_folders(layout.folder(SESSIONS), limits.max_metadata_bytes)),
        "training_log": training_log_health(t[TRAINING_LOG_LINES.name], t[TRAINING_LOG_QUARANTINE.name]),
    }


def _summary(report: dict) -> list[str]:
    return [_sessions_line(report["sessions"]), _log_line(report["training_log"])]


def _sessions_line(s: dict) -> str:
    return (
        f"Sessions: {s['folders']} folders -> {s['accepted']} accepted, {s['quarantined']} quarantined, "
        f"{s['deferred']} deferred"
    )


def _log_line(log: dict) -> str:
    return (
        f"Training log: {log['lines']} lines -> {log['consistent']} consistent, {log['pending']} pending, "
        f"{log['quarantined']} quarantined"
    )


def _warnings(report: dict) -> list[str]:
    s, log = report["sessions"], report["training_log"]
    warnings = [f"{n} sessions quarantined: {rule}" for rule, n in s["quarantined_by_rule"].items()]
    warnings += [f"{n} log lines quarantined: {rule}" for rule, n in log["quarantined_by_rule"].items()]
    if s["deferred"]:
        warnings.append(f"{s['deferred']} folders deferred: {'; '.join(s['deferred_folders'][:5])}")
    return warnings


def _errors(report: dict) -> list[str]:
    """Days the exports leave out until they are re-run, one line each naming what to re-run."""
    s = report["sessions"]
    errors = [f"partition {day}: {why}" for day, why in s["partitions_failing_reconciliation"].items()]
    errors += [
        f"partition {day} {repeat_reason(day, ids)}; the exports leave it out until then"
        for day, ids in s["repeated_across_partitions"].items()
    ]
    return errors


def _gaps(report: dict) -> list[str]:
    """Folders on disk that no run has listed yet (the sensor's work; a warning, not a block)."""
    s = report["sessions"]
    gaps = []
    if s["folders_not_ingested_count"]:
        shown = ", ".join(s["folders_not_ingested"][:5])
        gaps.append(f"{s['folders_not_ingested_count']} folders on disk never ingested: {shown}")
    if s["folders_changed_since_ingest_count"]:
        shown = ", ".join(s["folders_changed_since_ingest"][:5])
        gaps.append(f"{s['folders_changed_since_ingest_count']} folders changed after their day was ingested: {shown}")
    return gaps


def _run_summary(report: dict) -> list[str]:
    s, log = report["sessions"], report["training_log"]
    return [
        _sessions_line(s),
        *rule_lines(s["quarantined_by_rule"]),
        _log_line(log),
        *rule_lines(log["quarantined_by_rule"]),
    ]


def _counts(report: dict) -> dict[str, int]:
    return {key: report["sessions"][key] for key in ("accepted", "quarantined", "deferred")}


SESSIONS_HEALTH: HealthSection[Limits] = HealthSection(
    (*_SESSION_TABLES, TRAINING_LOG_LINES, TRAINING_LOG_QUARANTINE),
    _build,
    summary=_summary,
    warnings=_warnings,
    errors=_errors,
    gaps=_gaps,
    counts=_counts,
    run_summary=_run_summary,
)
