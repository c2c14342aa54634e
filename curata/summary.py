"""The run summary a person reads after `curata run` or `curata demo`, from the health report and the exports."""

from __future__ import annotations

from curata.export.published import PUBLISHED
from curata.export.readiness import ReadinessSettings, readiness
from curata.export.versioned import latest_version
from curata.health import Sections
from curata.storage import Store


def render_summary(report: dict, store: Store, sections: Sections, settings: ReadinessSettings | None = None) -> str:
    """Each section's figures (accepted, quarantined by rule, deferred, pairs, ...) and every dataset."""
    lines = ["", "=== Curata summary ===", *(line for section in sections for line in section.run_summary(report))]
    lines += render_summary_datasets(store, settings)
    return "\n".join(line for line in lines if line) + "\n"


def render_summary_datasets(store: Store, settings: ReadinessSettings | None = None) -> list[str]:
    """Each dataset's latest version, rows per split and readiness."""
    return [_dataset(store, name, settings or ReadinessSettings()) for name in PUBLISHED]


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
