"""The historical projects' section of the health report."""

from __future__ import annotations

import pyarrow as pa

from curata.health import HealthSection, Tables, rule_lines
from curata.images import ImageLimits
from curata.layout import DataRoot
from curata.projects.tables import PROJECT_QUARANTINE, PROJECT_STATS
from curata.quarantine import counts_by_rule


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


def _build(t: Tables, layout: DataRoot, limits: ImageLimits) -> dict[str, dict]:
    return {"projects": project_health(t[PROJECT_STATS.name], t[PROJECT_QUARANTINE.name])}


def _summary(report: dict) -> list[str]:
    p = report["projects"]
    return [
        f"Historical projects: {p['projects']} projects, {p['groups']} groups -> "
        f"{p['pairs']} pairs, {p['anomalies']} anomalies, {p['groups_none_kept']} none kept"
    ]


def _warnings(report: dict) -> list[str]:
    return [f"{n} project records quarantined: {r}" for r, n in report["projects"]["quarantined_by_rule"].items()]


def _run_summary(report: dict) -> list[str]:
    projects = report["projects"]
    lines = [
        f"historical projects: {projects['projects']} projects, {projects['groups']} groups -> {projects['pairs']} "
        f"pairs, {projects['anomalies']} anomalies (a lower stage won), {projects['groups_none_kept']} none kept"
    ]
    for project, stats in projects["per_project"].items():
        lines.append(
            f"  {project:14s} groups {stats['groups']:3d}  pairs {stats['pairs']:3d}  anomalies {stats['anomalies']:2d}"
            f"  rate {stats['anomaly_rate']:.1%}  strays {stats['stray_files']}  none kept {stats['groups_none_kept']}"
        )
    return lines + rule_lines(projects["quarantined_by_rule"])


PROJECTS_HEALTH: HealthSection[ImageLimits] = HealthSection(
    (PROJECT_STATS, PROJECT_QUARANTINE), _build, summary=_summary, warnings=_warnings, run_summary=_run_summary
)
