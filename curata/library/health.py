"""The photo library's section of the health report."""

from __future__ import annotations

import pyarrow as pa

from curata.health import HealthSection, Tables, rule_lines
from curata.layout import DataRoot
from curata.library.records import LibraryLimits
from curata.library.tables import LIBRARY_IMAGES, LIBRARY_QUARANTINE
from curata.quarantine import counts_by_rule


def library_health(images: pa.Table, quarantine: pa.Table) -> dict:
    """The photo library's records: accepted, quarantined by rule."""
    refused = quarantine.to_pylist()
    return {
        "records": images.num_rows + len(refused),
        "accepted": images.num_rows,
        "quarantined": len(refused),
        "quarantined_by_rule": counts_by_rule(refused),
    }


def _build(t: Tables, layout: DataRoot, limits: LibraryLimits) -> dict[str, dict]:
    return {"library": library_health(t[LIBRARY_IMAGES.name], t[LIBRARY_QUARANTINE.name])}


def _warnings(report: dict) -> list[str]:
    return [f"{n} library records quarantined: {r}" for r, n in report["library"]["quarantined_by_rule"].items()]


def _run_summary(report: dict) -> list[str]:
    library = report["library"]
    if not library["records"]:
        return []
    return [
        f"photo library: {library['records']} records -> accepted {library['accepted']}, "
        f"quarantined {library['quarantined']}",
        *rule_lines(library["quarantined_by_rule"]),
    ]


LIBRARY_HEALTH: HealthSection[LibraryLimits] = HealthSection(
    (LIBRARY_IMAGES, LIBRARY_QUARANTINE), _build, warnings=_warnings, run_summary=_run_summary
)
