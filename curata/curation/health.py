"""The curation logs' section of the health report: one entry per log."""

from __future__ import annotations

import pyarrow as pa

from curata.curation.logs import CROP_LOG, SELECTION_LOG
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.health import HealthSection, Tables, rule_lines
from curata.images import ImageLimits
from curata.layout import DataRoot
from curata.quarantine import counts_by_rule


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


def _build(t: Tables, layout: DataRoot, limits: ImageLimits) -> dict[str, dict]:
    tables = (t[VALIDATED_SELECTIONS.name], t[VALIDATED_CROPS.name], t[CURATION_QUARANTINE.name])
    return {"curation": curation_health(*tables)}


def _summary(report: dict) -> list[str]:
    return [
        f"{log_name}: {c['rows']} rows -> {c['accepted']} accepted ({c['recovered']} with sizes recovered from the "
        f"image file), {c['quarantined']} quarantined"
        for log_name, c in report["curation"].items()
    ]


def _warnings(report: dict) -> list[str]:
    return [
        f"{n} {log_name} rows quarantined: {rule}"
        for log_name, c in report["curation"].items()
        for rule, n in c["quarantined_by_rule"].items()
    ]


def _run_summary(report: dict) -> list[str]:
    lines = []
    for log, c in report["curation"].items():
        recovered = f" ({c['recovered']} with (0, 0) sizes recovered)" if log == CROP_LOG else ""
        lines.append(f"{log}: {c['rows']} rows -> accepted {c['accepted']}{recovered}, quarantined {c['quarantined']}")
        lines += rule_lines(c["quarantined_by_rule"])
    return lines


CURATION_HEALTH: HealthSection[ImageLimits] = HealthSection(
    (VALIDATED_SELECTIONS, VALIDATED_CROPS, CURATION_QUARANTINE),
    _build,
    summary=_summary,
    warnings=_warnings,
    run_summary=_run_summary,
)
