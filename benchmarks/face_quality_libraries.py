"""Face clustering quality on many small generated libraries (the demo's kind), against scikit-learn DBSCAN.

A single library says little at this size (a few hundred faces of 20 to 160 people): this scores 20
libraries per size, each from its own seed, and compares ours with DBSCAN three ways: at the eps and
min_samples that score best on that very library (an oracle: it needs the truth labels), at the one
grid setting that scores best over all 20 (what a user tuning on a labelled sample could get), and
as it comes (eps 0.5, min_samples 5). Quality only: each library clusters in well under a second.

Usage: python -m benchmarks.face_quality_libraries [--sizes 150,300,400,1200] [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import write_results
from curata.layout import DataRoot
from curata.library.faces import FaceSet, cluster_faces
from curata.library.source import JSONL_NAME
from curata.sample.face_quality import DBSCAN_GRID, dbscan_grid_scores, default_dbscan, labels_of, score_clustering
from curata.sample.library import generate_library


def generated_faces(n_images: int, seed: int) -> tuple[FaceSet, np.ndarray]:
    """The faces of a generated library (no defects, tiny images) and the person behind each."""
    with tempfile.TemporaryDirectory() as folder:
        root = DataRoot(Path(folder))
        truth = generate_library(root, n_images=n_images, seed=seed, image_size=(64, 48), defects=False)
        records = [json.loads(line) for line in (root.library / JSONL_NAME).read_text().splitlines() if line]
    faces = [
        (f"{r['id']}#{k}", str(r["id"]), face["encoding"]) for r in records for k, face in enumerate(r.get("faces", []))
    ]
    face_ids, image_ids, encodings = zip(*faces, strict=True)
    face_set = FaceSet.of(face_ids, image_ids, np.array(encodings, dtype=np.float32))
    return face_set, np.array([truth["faces"][f] for f in face_set.face_ids])


def score_libraries(n_images: int, seeds: range) -> dict:
    """Per seed: our ARI and purity, and DBSCAN's at every grid setting and at its defaults."""
    rows = []
    for seed in seeds:
        faces, people = generated_faces(n_images, seed)
        ours = score_clustering(labels_of(cluster_faces(faces).faces, faces.face_ids), people)
        grid = dbscan_grid_scores(faces.encodings, people)
        defaults = default_dbscan(faces.encodings, people)
        rows.append({"seed": seed, "faces": len(people), "ours": ours, "grid": grid, "defaults": defaults})
    return _summary(n_images, rows)


def _summary(n_images: int, rows: list[dict]) -> dict:
    ours = np.array([r["ours"].ari for r in rows])
    grid = np.array([[s.ari for s in r["grid"]] for r in rows])
    fixed = int(grid.mean(axis=0).argmax())
    defaults = np.array([r["defaults"].ari for r in rows])
    return {
        "images": n_images,
        "libraries": len(rows),
        "faces_median": float(np.median([r["faces"] for r in rows])),
        "ours_ari": float(ours.mean()),
        "ours_worst_purity": min(r["ours"].purity for r in rows),
        "oracle_ari": float(grid.max(axis=1).mean()),
        "wins_vs_oracle": int((ours >= grid.max(axis=1)).sum()),
        "fixed_setting": list(DBSCAN_GRID[fixed]),
        "fixed_ari": float(grid[:, fixed].mean()),
        "wins_vs_fixed": int((ours >= grid[:, fixed]).sum()),
        "defaults_ari": float(defaults.mean()),
        "wins_vs_defaults": int((ours >= defaults).sum()),
    }


def _table(results: dict[str, dict]) -> str:
    lines = [
        "Mean ARI over the libraries; wins = libraries where ours is at least as high.",
        "",
        "| images | libraries | faces (median) | ours | worst purity (ours) | DBSCAN oracle per library | wins "
        "| DBSCAN one setting for all | wins | DBSCAN defaults | wins |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        eps, min_samples = r["fixed_setting"]
        lines.append(
            f"| {r['images']} | {r['libraries']} | {r['faces_median']:.0f} | {r['ours_ari']:.4f} "
            f"| {r['ours_worst_purity']:.3f} | {r['oracle_ari']:.4f} | {r['wins_vs_oracle']} "
            f"| {r['fixed_ari']:.4f} (eps {eps}, min_samples {min_samples}) | {r['wins_vs_fixed']} "
            f"| {r['defaults_ari']:.4f} | {r['wins_vs_defaults']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="150,300,400,1200")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        results[f"images {n}"] = score_libraries(n, range(1, args.seeds + 1))
        print(json.dumps(results[f"images {n}"]), flush=True)
    table = _table(results)
    path = write_results("face_quality_libraries", results, table)
    print(table)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
