"""Compares pipeline outcomes with the generator's ground truth, record by record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from curata.curation.logs import CROP_LOG, SELECTION_LOG
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.versioned import latest_version
from curata.layout import DataRoot
from curata.library.face_tables import FACE_CLUSTER_ASSIGNMENTS
from curata.library.faces import FaceSet
from curata.library.tables import LIBRARY_FACES, LIBRARY_IMAGES, LIBRARY_QUARANTINE
from curata.projects.tables import HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_QUARANTINE
from curata.sample.face_quality import best_dbscan, default_dbscan, labels_of, score_clustering
from curata.sample.library_quality import library_quality, record_mismatches
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    SESSION_QUARANTINE,
    TRAINING_LOG_LINES,
    TRAINING_LOG_QUARANTINE,
    VALIDATED_SESSIONS,
)
from curata.storage import Store
from curata.warehouse import Warehouse

_PAIR_CAPTION_COLUMNS = ["record_id", "best_image_uid", "image_0_uid", "image_0_path", "image_1_path", "caption"]


def session_outcomes(warehouse: Warehouse) -> dict[str, tuple[str, str | None]]:
    """folder -> (status, rule) as the warehouse holds them."""
    out: dict[str, tuple[str, str | None]] = {}
    for row in warehouse.rows(VALIDATED_SESSIONS.name):
        out[row["session_folder"]] = ("accepted", None)
    for row in warehouse.rows(SESSION_QUARANTINE.name):
        out[row["record_id"]] = ("quarantined", row["rule_id"])
    for row in warehouse.rows(DEFERRED_SESSIONS.name):
        out[row["session_folder"]] = ("deferred", None)
    return out


def instruction_mismatches(sessions: list[dict], warehouse: Warehouse) -> list[str]:
    """Accepted sessions whose cleaned instruction is not the one the generator planted."""
    cleaned = {r["session_folder"]: r["instruction"] for r in warehouse.rows(VALIDATED_SESSIONS.name)}
    return [
        f"session {s['folder']}: instruction {cleaned.get(s['folder'])!r}, expected {s['instruction']!r}"
        for s in sessions
        if s.get("instruction") is not None and cleaned.get(s["folder"]) != s["instruction"]
    ]


def log_outcomes(warehouse: Warehouse) -> dict[int, tuple[str, str | None]]:
    rule_of = {
        int(r["record_id"].rsplit(":", 1)[1]): r["rule_id"] for r in warehouse.rows(TRAINING_LOG_QUARANTINE.name)
    }
    return {r["line_no"]: (r["status"], rule_of.get(r["line_no"])) for r in warehouse.rows(TRAINING_LOG_LINES.name)}


def ground_truth_mismatches(truth_file: Path, warehouse: Warehouse) -> list[str]:
    """Every record whose outcome differs from the ground truth; empty when they agree exactly."""
    truth = json.loads(truth_file.read_text())
    problems: list[str] = []
    actual = session_outcomes(warehouse)
    for s in truth["sessions"]:
        got = actual.pop(s["folder"], ("missing", None))
        if got != (s["expected"], s["rule"]):
            problems.append(f"session {s['folder']}: expected {s['expected']} {s['rule']}, got {got[0]} {got[1]}")
    problems += [f"session {k}: not in ground truth, got {v}" for k, v in actual.items()]
    problems += instruction_mismatches(truth["sessions"], warehouse)
    lines = log_outcomes(warehouse)
    for line in truth["training_log"]:
        got = lines.pop(line["line_no"], ("missing", None))
        if got != (line["expected"], line["rule"]):
            problems.append(f"log line {line['line_no']}: expected {line['expected']} {line['rule']}, got {got}")
    problems += [f"log line {k}: not in ground truth, got {v}" for k, v in lines.items()]
    return problems


def project_mismatches(truth_file: Path, warehouse: Warehouse) -> list[str]:
    """Pairs, anomalies, group outcomes and quarantine rows of every project, against the ground truth."""
    truth = json.loads(truth_file.read_text())["projects"]
    problems: list[str] = []
    stored = set(warehouse.partitions(HISTORICAL_PAIRS.name))
    for project, expected in truth.items():
        if project not in stored:
            problems.append(f"project {project}: never mined")
            continue
        pairs = sorted(
            [p["chosen_path"], p["rejected_path"], p["anomaly"]]
            for p in warehouse.read(HISTORICAL_PAIRS.name, project).to_pylist()
        )
        if pairs != sorted(expected["pairs"]):
            problems.append(f"project {project}: pairs differ ({len(pairs)} vs {len(expected['pairs'])} expected)")
        groups = {g["group_key"]: g for g in warehouse.read(HISTORICAL_GROUPS.name, project).to_pylist()}
        for key, g in expected["groups"].items():
            got = groups.get(key)
            if got is None or (got["outcome"], got["chosen_path"], got["anomaly"]) != (
                g["outcome"],
                g["chosen"],
                g["anomaly"],
            ):
                problems.append(f"project {project} group {key}: expected {g}, got {got}")
        quarantined = sorted(
            (q["record_id"], q["rule_id"]) for q in warehouse.read(PROJECT_QUARANTINE.name, project).to_pylist()
        )
        if quarantined != sorted((q[0], q[1]) for q in expected["quarantine"]):
            problems.append(f"project {project}: quarantine differs: {quarantined}")
    return problems


def curation_mismatches(truth_file: Path, warehouse: Warehouse) -> list[str]:
    """Every curation log row whose outcome, rule or size recovery differs from the ground truth."""
    truth = json.loads(truth_file.read_text())
    got: dict[str, tuple[str, str | None, bool]] = {}
    for table in (VALIDATED_SELECTIONS.name, VALIDATED_CROPS.name):
        for r in warehouse.rows(table):
            got[r["record_id"]] = ("accepted", None, any(r.get("sizes_recovered") or []))
    for q in warehouse.rows(CURATION_QUARANTINE.name):
        got[q["record_id"]] = ("quarantined", q["rule_id"], False)
    problems = []
    for log in (SELECTION_LOG, CROP_LOG):
        for row in truth.get(log, []):
            key = f"{log}:{row['line_no']}"
            expected = (row["expected"], row["rule"], row["recovered"])
            actual = got.pop(key, ("missing", None, False))
            if actual != expected:
                problems.append(f"{key}: expected {expected}, got {actual}")
    problems += [f"{k}: not in ground truth, got {v}" for k, v in got.items()]
    return problems


def caption_mismatches(layout: DataRoot, store: Store) -> list[str]:
    """Every preference pair whose caption or caption source is not what the generator planted in its chosen
    image (else its rejected one): none where it planted none."""
    planted = {}
    for name in ("curation.json", "projects.json"):
        if (layout.ground_truth / name).exists():
            planted |= json.loads((layout.ground_truth / name).read_text()).get("captions", {})
    latest = latest_version(store, PREFERENCE_PAIRS_NAME)
    if latest is None or not planted:
        return []
    problems = []
    for rel in (f for f, entry in latest.manifest["files"].items() if "rows" in entry):
        with store.open(f"{latest.key}/{rel}") as handle:
            rows = pq.read_table(handle, columns=[*_PAIR_CAPTION_COLUMNS, "caption_source"]).to_pylist()
        for r in rows:
            first = r["best_image_uid"] == r["image_0_uid"]
            chosen, rejected = (r["image_0_path"], r["image_1_path"])[:: 1 if first else -1]
            want = planted.get(chosen) or planted.get(rejected) or {"caption": "", "source": ""}
            if (r["caption"], r["caption_source"]) != (want["caption"], want["source"]):
                got = (r["caption"], r["caption_source"])
                problems.append(f"preference pair {r['record_id']}: caption {got}, expected {want}")
    return problems


def library_mismatches(truth_file: Path, warehouse: Warehouse) -> list[str]:
    """Every library record whose outcome, rule or tags differ from the truth, and every face misplaced."""
    tables = (warehouse.read_all(t) for t in (LIBRARY_IMAGES.name, LIBRARY_QUARANTINE.name, LIBRARY_FACES.name))
    return record_mismatches(json.loads(truth_file.read_text()), *tables)


def library_quality_report(layout: DataRoot, warehouse: Warehouse) -> dict:
    """Synonym recall and precision, hidden-tag hit rates, and the face clustering's scores on the planted people."""
    truth = json.loads((layout.ground_truth / "library.json").read_text())
    report = library_quality(truth, warehouse.read_all(LIBRARY_IMAGES.name))
    assignments = warehouse.read_all(FACE_CLUSTER_ASSIGNMENTS.name)
    face_ids = np.array(sorted(truth["faces"]), dtype=str)
    people = np.array([truth["faces"][f] for f in face_ids], dtype=str)
    report["faces"] = score_clustering(labels_of(assignments, face_ids), people).as_dict()
    faces = FaceSet.from_table(warehouse.read_all(LIBRARY_FACES.name, columns=["face_id", "image_id", "encoding"]))
    known = np.isin(faces.face_ids, face_ids)
    present = np.isin(face_ids, faces.face_ids)  # both in face-id order: the accepted faces line up
    report["faces_dbscan_at_its_best"] = best_dbscan(faces.encodings[known], people, present).as_dict()
    report["faces_dbscan_defaults"] = default_dbscan(faces.encodings[known], people, present).as_dict()
    return report


def all_mismatches(layout: DataRoot, warehouse: Warehouse) -> list[str]:
    """Every record of every input the generator wrote a ground truth for, compared."""
    truth = layout.ground_truth
    checks = (
        ("sessions.json", ground_truth_mismatches),
        ("projects.json", project_mismatches),
        ("curation.json", curation_mismatches),
        ("library.json", library_mismatches),
    )
    return [p for name, compare in checks if (truth / name).exists() for p in compare(truth / name, warehouse)]
