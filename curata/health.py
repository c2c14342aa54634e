"""The nightly health report: totals, quarantine by rule, reconciliation of every stored partition."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from curata.atomic import write_text_atomic
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.sessions.inventory import list_session_folders
from curata.sessions.tables import VALIDATED_SESSIONS_SCHEMA
from curata.warehouse import Warehouse


def session_health(warehouse: Warehouse, sessions_dir: Path) -> dict:
    """Recomputes, from the stored tables alone, what the per-run checks asserted; and what is not ingested."""
    failing: dict[str, str] = {}
    ingested: set[str] = set()
    raw_total = 0
    for day in warehouse.partitions("raw_sessions"):
        raw = warehouse.read("raw_sessions", day).column("session_folder").to_pylist()
        ingested.update(raw)
        raw_total += len(raw)
        if not all(warehouse.exists(t, day) for t in ("validated_sessions", "session_quarantine", "deferred_sessions")):
            failing[day] = "raw folders listed but the partition was never validated"
            continue
        rec = reconcile(
            raw,
            {
                "accepted": warehouse.read("validated_sessions", day).column("session_folder").to_pylist(),
                "quarantined": warehouse.read("session_quarantine", day).column("record_id").to_pylist(),
                "deferred": warehouse.read("deferred_sessions", day).column("session_folder").to_pylist(),
            },
        )
        if not rec.ok:
            failing[day] = rec.describe()
    accepted = warehouse.read_partitions("validated_sessions", schema=VALIDATED_SESSIONS_SCHEMA)
    quarantine = warehouse.rows("session_quarantine")
    deferred = warehouse.rows("deferred_sessions")
    on_disk = {f.name: f.partition_date for f in list_session_folders(sessions_dir)}
    not_ingested = sorted(name for name in on_disk if name not in ingested)
    log_lines = [r["status"] for r in warehouse.rows("training_log_lines")]
    log_quarantine = warehouse.rows("training_log_quarantine")
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sessions": {
            "folders": raw_total,
            "accepted": accepted.num_rows,
            "quarantined": len(quarantine),
            "deferred": len(deferred),
            "quarantined_by_rule": counts_by_rule(quarantine),
            "deferred_folders": sorted(d["session_folder"] for d in deferred)[:50],
            "partitions": len(warehouse.partitions("raw_sessions")),
            "partitions_failing_reconciliation": failing,
            "folders_not_ingested": not_ingested[:50],
            "folders_not_ingested_count": len(not_ingested),
        },
        "training_log": {
            "lines": len(log_lines),
            **{s: log_lines.count(s) for s in ("consistent", "pending", "quarantined")},
            "quarantined_by_rule": counts_by_rule(log_quarantine),
        },
    }


def project_health(warehouse: Warehouse) -> dict:
    """Per-project statistics of the historical pairs, and what their quarantine holds."""
    stats = warehouse.rows("project_stats")
    quarantine = warehouse.rows("project_quarantine")
    return {
        "projects": len(stats),
        "groups": sum(s["groups"] for s in stats),
        "pairs": sum(s["pairs"] for s in stats),
        "anomalies": sum(s["anomalies"] for s in stats),
        "groups_none_kept": sum(s["groups_none_kept"] for s in stats),
        "quarantined_by_rule": counts_by_rule(quarantine),
        "per_project": {s["project"]: {k: v for k, v in s.items() if k != "project"} for s in stats},
    }


def curation_health(warehouse: Warehouse) -> dict:
    """Per curation log: rows, accepted, recovered (sizes logged as (0, 0)) and quarantined by rule."""
    out: dict[str, dict] = {}
    quarantine = warehouse.rows("curation_quarantine")
    for log, table in (("selection_only_log.csv", "validated_selections"), ("select_crop_log.csv", "validated_crops")):
        rows = warehouse.rows(table)
        refused = [q for q in quarantine if q["partition"] == log]
        out[log] = {
            "rows": len(rows) + len(refused),
            "accepted": len(rows),
            "recovered": sum(any(r.get("sizes_recovered") or []) for r in rows),
            "quarantined": len(refused),
            "quarantined_by_rule": counts_by_rule(refused),
        }
    return out


def render_text(report: dict) -> str:
    """The report a person reads, in the shape of the source document's validation report."""
    s, log = report["sessions"], report["training_log"]
    lines = [
        "=== TRAINING DATA VALIDATION REPORT ===",
        f"Date: {report['generated_at']}",
        "",
        f"Sessions: {s['folders']} folders -> {s['accepted']} accepted, {s['quarantined']} quarantined, "
        f"{s['deferred']} deferred",
        f"Training log: {log['lines']} lines -> {log['consistent']} consistent, {log['pending']} pending, "
        f"{log['quarantined']} quarantined",
    ]
    projects = report.get("projects")
    if projects:
        lines.append(
            f"Historical projects: {projects['projects']} projects, {projects['groups']} groups -> "
            f"{projects['pairs']} pairs, {projects['anomalies']} anomalies, {projects['groups_none_kept']} none kept"
        )
    for log_name, c in report.get("curation", {}).items():
        lines.append(
            f"{log_name}: {c['rows']} rows -> {c['accepted']} accepted ({c['recovered']} with sizes recovered from the "
            f"image header), {c['quarantined']} quarantined"
        )
    warnings = [f"   - {n} sessions quarantined: {rule}" for rule, n in s["quarantined_by_rule"].items()]
    for log_name, c in report.get("curation", {}).items():
        warnings += [f"   - {n} {log_name} rows quarantined: {rule}" for rule, n in c["quarantined_by_rule"].items()]
    if projects:
        warnings += [f"   - {n} project records quarantined: {r}" for r, n in projects["quarantined_by_rule"].items()]
    warnings += [f"   - {n} log lines quarantined: {rule}" for rule, n in log["quarantined_by_rule"].items()]
    if s["deferred"]:
        warnings.append(
            f"   - {s['deferred']} folders deferred (still being written): {', '.join(s['deferred_folders'][:5])}"
        )
    errors = [f"   - partition {day}: {why}" for day, why in s["partitions_failing_reconciliation"].items()]
    if s["folders_not_ingested_count"]:
        errors.append(
            f"   - {s['folders_not_ingested_count']} folders on disk never ingested: "
            f"{', '.join(s['folders_not_ingested'][:5])}"
        )
    lines += ["", "WARNINGS:" if warnings else "WARNINGS: none", *warnings]
    lines += ["", "ERRORS:" if errors else "ERRORS: none", *errors]
    if errors:
        lines += [
            "",
            "RECOMMENDATIONS:",
            "   1. Materialize raw_sessions and validated_sessions for the partitions above.",
        ]
    return "\n".join(lines) + "\n"


def write_report(reports_dir: Path, report: dict) -> tuple[Path, Path]:
    day = report["generated_at"][:10]
    json_path = reports_dir / f"health-{day}.json"
    text_path = reports_dir / f"health-{day}.txt"
    write_text_atomic(json_path, json.dumps(report, indent=2))
    write_text_atomic(text_path, render_text(report))
    write_text_atomic(reports_dir / "health-latest.json", json.dumps(report, indent=2))
    return json_path, text_path
