"""The run summary a person reads after `curata run` or `curata demo`, from the health report and the exports."""

from __future__ import annotations

from curata.curation.logs import CROP_LOG
from curata.export.crop_boxes import CROP_BOXES
from curata.export.edit_triplets import EDIT_TRIPLETS
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.readiness import ReadinessSettings, readiness
from curata.export.versioned import latest_version
from curata.storage import Store

DATASETS = (EDIT_TRIPLETS.name, PREFERENCE_PAIRS_NAME, CROP_BOXES.name)


def render_summary(report: dict, store: Store, settings: ReadinessSettings | None = None) -> str:
    """Accepted, quarantined by rule, deferred, pairs, anomalies, curation rows, embeddings and every dataset."""
    lines = ["", "=== Curata summary ==="]
    lines += _sessions(report)
    lines += _projects(report["projects"])
    for log, c in report["curation"].items():
        recovered = f" ({c['recovered']} with (0, 0) sizes recovered)" if log == CROP_LOG else ""
        lines.append(f"{log}: {c['rows']} rows -> accepted {c['accepted']}{recovered}, quarantined {c['quarantined']}")
        lines += _by_rule(c["quarantined_by_rule"])
    library = report.get("library")
    if library and library["records"]:
        lines.append(
            f"photo library: {library['records']} records -> accepted {library['accepted']}, "
            f"quarantined {library['quarantined']}"
        )
        lines += _by_rule(library["quarantined_by_rule"])
    e = report.get("embeddings") or {}
    if e:
        lines.append(
            f"image_embeddings: {e['ok']} of {e['images']} referenced images embedded, {e['failed']} failed, "
            f"{e['missing']} missing; model {', '.join(e['fingerprints']) or 'none yet'}"
        )
    lines += render_summary_datasets(store, settings)
    return "\n".join(line for line in lines if line) + "\n"


def render_summary_datasets(store: Store, settings: ReadinessSettings | None = None) -> list[str]:
    """Each dataset's latest version, rows per split and readiness."""
    return [_dataset(store, name, settings or ReadinessSettings()) for name in DATASETS]


def _sessions(report: dict) -> list[str]:
    s, log = report["sessions"], report["training_log"]
    return [
        f"sessions: {s['folders']} folders -> accepted {s['accepted']}, quarantined {s['quarantined']}, "
        f"deferred {s['deferred']}",
        *_by_rule(s["quarantined_by_rule"]),
        f"training log: {log['lines']} lines -> consistent {log['consistent']}, pending {log['pending']}, "
        f"quarantined {log['quarantined']}",
        *_by_rule(log["quarantined_by_rule"]),
    ]


def _projects(projects: dict) -> list[str]:
    lines = [
        f"historical projects: {projects['projects']} projects, {projects['groups']} groups -> {projects['pairs']} "
        f"pairs, {projects['anomalies']} anomalies (a lower stage won), {projects['groups_none_kept']} none kept"
    ]
    for project, stats in projects["per_project"].items():
        lines.append(
            f"  {project:14s} groups {stats['groups']:3d}  pairs {stats['pairs']:3d}  anomalies {stats['anomalies']:2d}"
            f"  rate {stats['anomaly_rate']:.1%}  strays {stats['stray_files']}  none kept {stats['groups_none_kept']}"
        )
    return lines + _by_rule(projects["quarantined_by_rule"])


def _by_rule(counts: dict[str, int]) -> list[str]:
    return [f"  quarantined {n:3d}  {rule}" for rule, n in counts.items()]


def _dataset(store: Store, name: str, settings: ReadinessSettings) -> str:
    latest = latest_version(store, name)
    if latest is None:
        return f"{name}: not published"
    rows = " + ".join(f"{n} {split}" for split, n in latest.rows.items())
    ready = readiness(latest.manifest, settings)
    verdict = "ready" if ready.is_ready else f"not ready: {ready.reason}"
    return f"{name}: {rows} rows at {latest.key} (readiness {ready.score:.0f}/100, {verdict}){_probe(latest.manifest)}"


def _probe(manifest: dict) -> str:
    """The learnability probe's figure against its simplest baseline, as the version's manifest records it."""
    probe = manifest.get("probe")
    if not probe:
        return ""
    if probe["score"] is None:
        return "; probe: too few rows or groups"
    baseline, value = next(iter(probe["baselines"].items()))
    return (
        f"; probe {probe['metric']} {probe['score']:.2f} against {value:.2f} for {baseline}, "
        f"{probe['label_issues']} likely label errors"
    )
