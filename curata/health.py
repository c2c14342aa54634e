"""The nightly health report: each section's totals, quarantine by rule, reconciliation and errors.

The sections belong to the packages they describe (`curata/<kind>/health.py`); this module only assembles
and renders them, and imports none of those packages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import pyarrow as pa

from curata.export.published import PUBLISHED
from curata.export.versioned import latest_version
from curata.layout import REPORTS, DataRoot
from curata.storage import Store
from curata.tables import TableSpec

SHOWN = 50
Partitions = Mapping[str, pa.Table]
Tables = Mapping[str, Any]  # table name -> its stored table; {day: table} for a daily table
REPORTS_LATEST = f"{REPORTS}/health-latest.json"
HEALTH_REPORT = "data_health_report"  # the asset that writes it


L = TypeVar("L")  # the limits a section reads its folder with
Lines = Callable[[dict], list[str]]  # lines of the rendered report, from the whole report


def _no_lines(report: dict) -> list[str]:
    return []


def _no_counts(report: dict) -> dict[str, int]:
    return {}


@dataclass(frozen=True)
class HealthSection(Generic[L]):
    """Sections of the health report, the tables they are computed from (every stored partition), and the lines
    they add to the rendered report: summary, warnings, errors (they block) and ingest gaps (they warn); and to
    the summary `curata run` prints."""

    tables: tuple[TableSpec, ...]
    build: Callable[[Tables, DataRoot, L], dict[str, dict]]  # {report key: section}, reading folders with L
    summary: Lines = _no_lines
    warnings: Lines = _no_lines
    errors: Lines = _no_lines
    gaps: Lines = _no_lines
    counts: Callable[[dict], dict[str, int]] = _no_counts  # the figures the report's materialization shows
    run_summary: Lines = _no_lines  # its lines in the summary after `curata run` and `curata demo`


Sections = Sequence[HealthSection[Any]]


def rule_lines(counts: dict[str, int]) -> list[str]:
    """Quarantine counts by rule, a line each, as the run summary lists them under their section."""
    return [f"  quarantined {n:3d}  {rule}" for rule, n in counts.items()]


def dataset_health(store: Store) -> dict[str, dict | None]:
    """Each training dataset's latest version: rows, and the near-duplicate groups its split kept together."""
    datasets: dict[str, dict | None] = {}
    for name in PUBLISHED:
        latest = latest_version(store, name)
        split = latest.manifest.get("split", {}) if latest else {}
        datasets[name] = latest and {
            "version": latest.version,
            "rows": sum(latest.rows.values()),
            "near_duplicate_groups": split.get("near_duplicate_groups", 0),
            "near_duplicate_pairs": split.get("near_duplicate_pairs", 0),
        }
    return datasets


def reconciliation_errors(report: dict, sections: Sections) -> list[str]:
    """Missing inputs, and what each section says blocks the exports until it is re-run, one line each."""
    errors = [f"input {name}/ missing or unusable: {why}" for name, why in report.get("missing_inputs", {}).items()]
    return errors + [line for section in sections for line in section.errors(report)]


def ingest_gaps(report: dict, sections: Sections) -> list[str]:
    """Input on disk that no run has read yet (the sensors' work; a warning, not a block)."""
    return [line for section in sections for line in section.gaps(report)]


def errors_of(report: dict, sections: Sections) -> list[str]:
    return reconciliation_errors(report, sections) + ingest_gaps(report, sections)


def warnings_of(report: dict, sections: Sections) -> list[str]:
    warnings = [line for section in sections for line in section.warnings(report)]
    pending = (report.get("erasure") or {}).get("pending", [])
    if pending:
        warnings.append(f"{len(pending)} erasure request(s) pending, run them again: {', '.join(pending[:5])}")
    warnings += [f"{name} was never materialized: its section counts nothing" for name in report["never_materialized"]]
    return warnings


def render_text(report: dict, sections: Sections) -> str:
    """The report a person reads, in the shape of the source document's validation report."""
    lines = ["=== TRAINING DATA VALIDATION REPORT ===", f"Date: {report['generated_at']}", ""]
    lines += [line for section in sections for line in section.summary(report)]
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
    warnings, errors = warnings_of(report, sections), errors_of(report, sections)
    lines += ["", "WARNINGS:" if warnings else "WARNINGS: none", *(f"   - {w}" for w in warnings)]
    lines += ["", "ERRORS:" if errors else "ERRORS: none", *(f"   - {e}" for e in errors)]
    if errors:
        lines += ["", "RECOMMENDATIONS:", "   1. Materialize the partitions named above, then publish again."]
    return "\n".join(lines) + "\n"


def new_report(**sections: object) -> dict:
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), **sections}


def write_report(store: Store, report: dict, sections: Sections) -> tuple[str, str]:
    """`reports/health-<day>.{json,txt}` (the history the UI plots) and `reports/health-latest.json`."""
    day = report["generated_at"][:10]
    json_key, text_key = f"{REPORTS}/health-{day}.json", f"{REPORTS}/health-{day}.txt"
    document = json.dumps(report, indent=2, default=str)
    store.write_text(json_key, document)
    store.write_text(text_key, render_text(report, sections))
    store.write_text(REPORTS_LATEST, document)
    return json_key, text_key


def report_history(store: Store) -> list[dict]:
    """Every dated report, oldest first: one per night."""
    names = [n for n in store.children(REPORTS) if n.startswith("health-2") and n.endswith(".json")]
    return [json.loads(store.read_text(f"{REPORTS}/{n}")) for n in sorted(names)]
