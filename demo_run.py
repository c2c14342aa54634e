"""The demo's Dagster part: ingest every day, publish, then compare the outcome with the ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import DagsterInstance

from assets.partitions import historical_projects
from curata.layout import REPORTS, DataRoot
from curata.projects.discovery import list_projects
from curata.sample.compare import curation_mismatches, ground_truth_mismatches, project_mismatches
from curata.sessions.inventory import list_session_folders
from curata.storage import Store
from curata.warehouse import Warehouse

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_demo(root: Path, clip_architecture: str = "ViT-B-32") -> int:
    from definitions import build_definitions
    from resources.clip_model import ClipModel

    layout = DataRoot(root)
    defs = build_definitions(str(root), clip=ClipModel(architecture=clip_architecture))
    instance = DagsterInstance.get()
    days = sorted({f.partition_date for f in list_session_folders(layout.sessions)})
    ingest = defs.resolve_job_def("ingest_sessions")
    for day in days:  # in order, so a repeated session is quarantined in the later day
        result = ingest.execute_in_process(partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET)
        print(f"ingest {day}: {'ok' if result.success else 'FAILED'}")
        if not result.success:
            return 1
    projects = list_projects(layout.projects)
    instance.add_dynamic_partitions(historical_projects.name, projects)
    mine = defs.resolve_job_def("historical_pairs")
    for project in projects:  # what the backfill does: one run per project
        result = mine.execute_in_process(
            partition_key=project, instance=instance, raise_on_error=False, run_config=QUIET
        )
        print(f"historical pairs {project}: {'ok' if result.success else 'FAILED'}")
        if not result.success:
            return 1
    curation = defs.resolve_job_def("validate_curation_logs").execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET
    )
    print(f"curation logs: {'ok' if curation.success else 'FAILED'}")
    if not curation.success:
        return 1
    embed = defs.resolve_job_def("embed_images").execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET
    )
    meta = embed.asset_materializations_for_node("image_embeddings")[0].metadata if embed.success else {}
    checks = {e.check_name: e.passed for e in embed.get_asset_check_evaluations()}
    print(f"embeddings: {'ok' if embed.success else 'FAILED'} {checks}")
    if not embed.success:
        return 1
    publish = defs.resolve_job_def("publish_datasets").execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET
    )
    if not publish.success:
        print("publish_datasets FAILED; see the run in the Dagster UI")
        return 1
    report = json.loads(Store.at(root).read_text(f"{REPORTS}/health-latest.json"))
    export = publish.asset_materializations_for_node("edit_triplets")[0].metadata
    print_summary(report, export)
    print(
        f"image_embeddings: {meta['embedded'].value} embedded of {meta['wanted'].value} referenced images, "
        f"{meta['failed'].value} failed, model {meta['architecture'].value} ({meta['weights'].value}), "
        f"fingerprint {meta['fingerprint'].value}"
    )
    return compare_with_ground_truth(layout, report)


def print_summary(report: dict, export: dict) -> None:
    s, log = report["sessions"], report["training_log"]
    print("\n=== Curata demo summary ===")
    print(
        f"sessions: {s['folders']} folders -> accepted {s['accepted']}, quarantined {s['quarantined']}, "
        f"deferred {s['deferred']}"
    )
    for rule, n in s["quarantined_by_rule"].items():
        print(f"  quarantined {n:3d}  {rule}")
    print(
        f"training log: {log['lines']} lines -> consistent {log['consistent']}, pending {log['pending']}, "
        f"quarantined {log['quarantined']}"
    )
    for rule, n in log["quarantined_by_rule"].items():
        print(f"  quarantined {n:3d}  {rule}")
    projects = report["projects"]
    print(
        f"historical projects: {projects['projects']} projects, {projects['groups']} groups -> {projects['pairs']} "
        f"pairs, {projects['anomalies']} anomalies (a lower stage won), {projects['groups_none_kept']} none kept"
    )
    for project, stats in projects["per_project"].items():
        print(
            f"  {project:14s} groups {stats['groups']:3d}  pairs {stats['pairs']:3d}  anomalies {stats['anomalies']:2d}"
            f"  rate {stats['anomaly_rate']:.1%}  strays {stats['stray_files']}  none kept {stats['groups_none_kept']}"
        )
    for rule, n in projects["quarantined_by_rule"].items():
        print(f"  quarantined {n:3d}  {rule}")
    for log, c in report["curation"].items():
        recovered = f" ({c['recovered']} with (0, 0) sizes recovered)" if log == "select_crop_log.csv" else ""
        print(f"{log}: {c['rows']} rows -> accepted {c['accepted']}{recovered}, quarantined {c['quarantined']}")
        for rule, n in c["quarantined_by_rule"].items():
            print(f"  quarantined {n:3d}  {rule}")
    print(
        f"edit_triplets: {export['train_rows'].value} train + {export['validation_rows'].value} validation rows "
        f"at {export['path'].value}"
    )


def compare_with_ground_truth(layout: DataRoot, report: dict) -> int:
    truth_file = layout.ground_truth / "sessions.json"
    if not truth_file.exists():
        print("no ground truth in this data root; nothing to compare")
        return 0
    warehouse = Warehouse(Store.at(layout.root))
    problems = ground_truth_mismatches(truth_file, warehouse)
    if (layout.ground_truth / "projects.json").exists():
        problems += project_mismatches(layout.ground_truth / "projects.json", warehouse)
    if (layout.ground_truth / "curation.json").exists():
        problems += curation_mismatches(layout.ground_truth / "curation.json", warehouse)
    if problems:
        print(f"\nground truth MISMATCH on {len(problems)} records:")
        print("\n".join(f"  {p}" for p in problems[:30]))
        return 1
    print(
        "\nground truth: every session folder and log line has the expected outcome and rule; "
        "every project's pairs, anomalies, groups and quarantine match; every curation log row matches"
    )
    return 0
