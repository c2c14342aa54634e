"""The nightly health report: totals, quarantine by rule, reconciliation of every stored partition, and errors."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from curata.curation.logs import CROP_LOG, SELECTION_LOG
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.embeddings.tables import IMAGE_EMBEDDINGS
from curata.export.versioned import latest_version
from curata.layout import REPORTS, DataRoot
from curata.library.tables import LIBRARY_IMAGES, LIBRARY_QUARANTINE
from curata.projects.tables import PROJECT_QUARANTINE, PROJECT_STATS
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
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
from curata.storage import Store
from curata.summary import DATASETS
from curata.tables import TableSpec

SHOWN = 50
Partitions = Mapping[str, pa.Table]
Tables = Mapping[str, Any]  # table name -> its stored table; {day: table} for a daily table
REPORTS_LATEST = f"{REPORTS}/health-latest.json"
HEALTH_REPORT = "data_health_report"  # the asset that writes it


@dataclass(frozen=True)
class HealthSection:
    """Sections of the health report and the tables they are computed from (every stored partition)."""

    tables: tuple[TableSpec, ...]
    build: Callable[[Tables, DataRoot, Limits], dict[str, dict]]  # the session limits: what folders are read with


_SESSION_TABLES = (RAW_SESSIONS, VALIDATED_SESSIONS, SESSION_QUARANTINE, DEFERRED_SESSIONS)  # SessionTables order


def _session_sections(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    stored = SessionTables(*(t[spec.name] for spec in _SESSION_TABLES))
    return {
        "sessions": session_health(stored, list_session_folders(layout.sessions, limits.max_metadata_bytes)),
        "training_log": training_log_health(t[TRAINING_LOG_LINES.name], t[TRAINING_LOG_QUARANTINE.name]),
    }


def _project_sections(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    return {"projects": project_health(t[PROJECT_STATS.name], t[PROJECT_QUARANTINE.name])}


def _curation_sections(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    tables = (t[VALIDATED_SELECTIONS.name], t[VALIDATED_CROPS.name], t[CURATION_QUARANTINE.name])
    return {"curation": curation_health(*tables)}


def _library_sections(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    return {"library": library_health(t[LIBRARY_IMAGES.name], t[LIBRARY_QUARANTINE.name])}


def _embedding_sections(t: Tables, layout: DataRoot, limits: Limits) -> dict[str, dict]:
    return {"embeddings": embedding_health(t[IMAGE_EMBEDDINGS.name])}


SESSIONS_HEALTH = HealthSection((*_SESSION_TABLES, TRAINING_LOG_LINES, TRAINING_LOG_QUARANTINE), _session_sections)
PROJECTS_HEALTH = HealthSection((PROJECT_STATS, PROJECT_QUARANTINE), _project_sections)
CURATION_HEALTH = HealthSection((VALIDATED_SELECTIONS, VALIDATED_CROPS, CURATION_QUARANTINE), _curation_sections)
LIBRARY_HEALTH = HealthSection((LIBRARY_IMAGES, LIBRARY_QUARANTINE), _library_sections)
EMBEDDINGS_HEALTH = HealthSection((IMAGE_EMBEDDINGS,), _embedding_sections)
# Every section the report holds, input kinds first (assets/kinds.py gives each kind its own).
HEALTH_SECTIONS = (SESSIONS_HEALTH, PROJECTS_HEALTH, CURATION_HEALTH, LIBRARY_HEALTH, EMBEDDINGS_HEALTH)


@dataclass(frozen=True)
class SessionTables:
    """The session tables, each as {day: table} of the stored partitions."""

    raw: Partitions
    accepted: Partitions
    quarantined: Partitions
    deferred: Partitions


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


_REPEAT_COLUMNS = ["session_id", "partition_date", "timestamp", "pair_key"]


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


def project_health(stats: pa.Table, quarantine: pa.Table) -> dict:
    """Per-project statistics of the historical pairs, and what their quarantine holds."""
    rows = stats.to_pylist()
    return {
        "projects": len(rows),
        "groups": sum(s["groups"] for s in rows),
        "pairs": sum(s["pairs"] for s in rows),
        "anomalies": sum(s["anomalies"] for s in rows),
        "groups_none_kept": sum(s["groups_none_kept"] for s in rows),
        "quarantined_by_rule": counts_by_rule(quarantine.to_pylist()),
        "per_project": {s["project"]: {k: v for k, v in s.items() if k != "project"} for s in rows},
    }


def curation_health(selections: pa.Table, crops: pa.Table, quarantine: pa.Table) -> dict:
    """Per curation log: rows, accepted, recovered (sizes logged as (0, 0)) and quarantined by rule."""
    out: dict[str, dict] = {}
    refused_rows = quarantine.to_pylist()
    for log, table in ((SELECTION_LOG, selections), (CROP_LOG, crops)):
        refused = [q for q in refused_rows if q["partition"] == log]
        flags = table.column("sizes_recovered").to_pylist() if "sizes_recovered" in table.column_names else []
        out[log] = {
            "rows": table.num_rows + len(refused),
            "accepted": table.num_rows,
            "recovered": sum(any(f or []) for f in flags),
            "quarantined": len(refused),
            "quarantined_by_rule": counts_by_rule(refused),
        }
    return out


def library_health(images: pa.Table, quarantine: pa.Table) -> dict:
    """The photo library's records: accepted, quarantined by rule."""
    refused = quarantine.to_pylist()
    return {
        "records": images.num_rows + len(refused),
        "accepted": images.num_rows,
        "quarantined": len(refused),
        "quarantined_by_rule": counts_by_rule(refused),
    }


def embedding_health(catalog: pa.Table) -> dict:
    """Referenced images by embedding status; failures are reported here, not retried until their bytes change."""
    status = catalog.column("status").to_pylist()
    paths = catalog.column("path").to_pylist()
    return {
        "images": len(status),
        **{s: status.count(s) for s in ("ok", "failed", "missing")},
        "failed_paths": sorted(p for p, s in zip(paths, status, strict=True) if s == "failed")[:SHOWN],
        "fingerprints": sorted(set(catalog.column("fingerprint").to_pylist())),
    }


def dataset_health(store: Store) -> dict[str, dict | None]:
    """Each training dataset's latest version: rows, and the near-duplicate groups its split kept together."""
    datasets: dict[str, dict | None] = {}
    for name in DATASETS:
        latest = latest_version(store, name)
        split = latest.manifest.get("split", {}) if latest else {}
        datasets[name] = latest and {
            "version": latest.version,
            "rows": sum(latest.rows.values()),
            "near_duplicate_groups": split.get("near_duplicate_groups", 0),
            "near_duplicate_pairs": split.get("near_duplicate_pairs", 0),
        }
    return datasets


def reconciliation_errors(report: dict) -> list[str]:
    """Missing inputs, and days the exports leave out until they are re-run, one line each naming what to re-run."""
    s = report["sessions"]
    errors = [f"input {name}/ missing or unusable: {why}" for name, why in report.get("missing_inputs", {}).items()]
    errors += [f"partition {day}: {why}" for day, why in s["partitions_failing_reconciliation"].items()]
    errors += [
        f"partition {day} {repeat_reason(day, ids)}; the exports leave it out until then"
        for day, ids in s["repeated_across_partitions"].items()
    ]
    return errors


def ingest_gaps(report: dict) -> list[str]:
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


def errors_of(report: dict) -> list[str]:
    return reconciliation_errors(report) + ingest_gaps(report)


def warnings_of(report: dict) -> list[str]:
    s, log = report["sessions"], report["training_log"]
    warnings = [f"{n} sessions quarantined: {rule}" for rule, n in s["quarantined_by_rule"].items()]
    for log_name, c in report.get("curation", {}).items():
        warnings += [f"{n} {log_name} rows quarantined: {rule}" for rule, n in c["quarantined_by_rule"].items()]
    projects = report.get("projects")
    if projects:
        warnings += [f"{n} project records quarantined: {r}" for r, n in projects["quarantined_by_rule"].items()]
    warnings += [f"{n} log lines quarantined: {rule}" for rule, n in log["quarantined_by_rule"].items()]
    library = report.get("library") or {"quarantined_by_rule": {}}
    warnings += [f"{n} library records quarantined: {rule}" for rule, n in library["quarantined_by_rule"].items()]
    embeddings = report.get("embeddings")
    if embeddings and embeddings["failed"]:
        shown = ", ".join(embeddings["failed_paths"][:5])
        warnings.append(f"{embeddings['failed']} images could not be embedded (embedding.failed): {shown}")
    if s["deferred"]:
        warnings.append(f"{s['deferred']} folders deferred: {'; '.join(s['deferred_folders'][:5])}")
    pending = (report.get("erasure") or {}).get("pending", [])
    if pending:
        warnings.append(f"{len(pending)} erasure request(s) pending, run them again: {', '.join(pending[:5])}")
    warnings += [f"{name} was never materialized: its section counts nothing" for name in report["never_materialized"]]
    return warnings


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
            f"image file), {c['quarantined']} quarantined"
        )
    for name, d in (report.get("datasets") or {}).items():
        lines.append(
            f"{name}: not published"
            if d is None
            else f"{name}: {d['rows']} rows in {d['version']}, {d['near_duplicate_groups']} near-duplicate groups "
            f"({d['near_duplicate_pairs']} pairs) kept in one split"
        )
    erasure = report.get("erasure")
    if erasure:
        lines.append(f"Erasure requests: {erasure['completed']} completed, {len(erasure['pending'])} pending")
    warnings, errors = warnings_of(report), errors_of(report)
    lines += ["", "WARNINGS:" if warnings else "WARNINGS: none", *(f"   - {w}" for w in warnings)]
    lines += ["", "ERRORS:" if errors else "ERRORS: none", *(f"   - {e}" for e in errors)]
    if errors:
        lines += ["", "RECOMMENDATIONS:", "   1. Materialize the partitions named above, then publish again."]
    return "\n".join(lines) + "\n"


def new_report(**sections: object) -> dict:
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), **sections}


def write_report(store: Store, report: dict) -> tuple[str, str]:
    """`reports/health-<day>.{json,txt}` (the history the UI plots) and `reports/health-latest.json`."""
    day = report["generated_at"][:10]
    json_key, text_key = f"{REPORTS}/health-{day}.json", f"{REPORTS}/health-{day}.txt"
    document = json.dumps(report, indent=2, default=str)
    store.write_text(json_key, document)
    store.write_text(text_key, render_text(report))
    store.write_text(REPORTS_LATEST, document)
    return json_key, text_key


def report_history(store: Store) -> list[dict]:
    """Every dated report, oldest first: one per night."""
    names = [n for n in store.children(REPORTS) if n.startswith("health-2") and n.endswith(".json")]
    return [json.loads(store.read_text(f"{REPORTS}/{n}")) for n in sorted(names)]
