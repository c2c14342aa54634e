"""Face clustering speed and quality against floors measured in the same run, each step in a fresh process.

Floors: a faiss IVF 10-nearest-neighbour search of every face (what a neighbour-based clustering
would start from; nprobe the smallest, up to 16, reaching 0.975 recall of the neighbours within 0.6,
the only ones clustering can use), exact brute-force 10-NN (100,000 only) and scikit-learn DBSCAN
(100,000 only) with the eps and min_samples that give it the best ARI on the very same library.
Quality: ARI, purity, largest-cluster purity, worst purity of clusters of 10+ faces, noise share.

Usage: python -m benchmarks.face_clustering [--sizes 100000,1000000] [--repeats 1] [--no-exact]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.common import peak_rss_mib, run_step, write_results
from curata.library.faces import ClusterParams, FaceSet, cluster_faces, extend_clustering
from curata.sample.face_quality import labels_of, score_clustering
from curata.sample.faces import sample_faces

WORK = Path(__file__).resolve().parent / ".work"
MODULE = "benchmarks.face_clustering"
K = 10
USEFUL = 0.6  # face_recognition's same-person threshold: neighbours beyond it never join a cluster
FLOOR_RECALL = 0.975
FLOOR_NPROBES = (1, 2, 4, 8, 16)  # beyond 16 the floor's full search alone takes minutes at 1,000,000
GROWTH = 1.1  # the incremental step adds 10%
DBSCAN_EPS = (0.30, 0.32, 0.34, 0.36, 0.38, 0.40, 0.42)  # beyond 0.42 DBSCAN chains people at these sizes
DBSCAN_MIN_SAMPLES = (2, 3, 5)


def library(n: int) -> dict[str, np.ndarray]:
    """A generated library of `n` faces (seed fixed), cached under benchmarks/.work."""
    path = WORK / f"faces-{n}.npz"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        s = sample_faces(n, np.random.default_rng(n))
        np.savez(path, face_ids=s.face_ids, image_ids=s.image_ids, encodings=s.encodings, person_ids=s.person_ids)
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def step_ivf_floor(n: int) -> dict:
    """faiss IndexIVFFlat (4 sqrt(n) lists, k-means of 10 iterations on 64 points a list): the smallest
    nprobe up to 16 that finds 0.975 of the useful neighbours of 1,000 faces, then a timed build and
    search of every face."""
    x = library(n)["encodings"]
    probe = np.random.default_rng(0).choice(n, 1000, replace=False)
    exact_d, exact_i = faiss.knn(x[probe], x, K + 1)
    useful = [row[1:][d[1:] < USEFUL**2] for row, d in zip(exact_i, exact_d, strict=True)]

    def build() -> faiss.IndexIVFFlat:
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(x.shape[1]), x.shape[1], int(4 * np.sqrt(n)))
        index.cp.niter, index.cp.max_points_per_centroid = 10, 64
        index.train(x)
        index.add(x)
        return index

    index = build()
    for nprobe in FLOOR_NPROBES:
        index.nprobe = nprobe
        found = index.search(x[probe], K + 1)[1]
        recall = sum(np.isin(u, f).sum() for u, f in zip(useful, found, strict=True)) / max(1, sum(map(len, useful)))
        if recall >= FLOOR_RECALL:
            break
    start = time.perf_counter()
    index = build()
    index.nprobe = nprobe
    index.search(x, K + 1)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items": n, "nprobe": nprobe, "recall_useful": recall, "peak_rss_mib": peak_rss_mib()}


def step_exact_floor(n: int) -> dict:
    x = library(n)["encodings"]
    start = time.perf_counter()
    faiss.knn(x, x, K + 1)
    return {"seconds": time.perf_counter() - start, "items": n, "peak_rss_mib": peak_rss_mib()}


def step_dbscan_tune(n: int) -> dict:
    """DBSCAN's eps and min_samples with the best ARI on this very library (an oracle: the most it can do).

    Every eps of the grid reuses one exact radius graph (faiss range search) instead of a search per run."""
    from scipy import sparse
    from sklearn.cluster import DBSCAN

    data = library(n)
    x = data["encodings"]
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    limits, squared, found = index.range_search(x, DBSCAN_EPS[-1] ** 2)
    rows = np.repeat(np.arange(n), np.diff(limits.astype(np.int64)))
    graph = sparse.csr_matrix((np.sqrt(np.maximum(squared, 1e-12)), (rows, found)), shape=(n, n))
    ari = {}
    for eps in DBSCAN_EPS:
        for min_samples in DBSCAN_MIN_SAMPLES:
            labels = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(graph)
            ari[f"{eps} {min_samples}"] = score_clustering(labels, data["person_ids"]).ari
    best = max(ari, key=ari.get)
    return {"seconds": 0.0, "items": n, "best": best, "ari": ari, "peak_rss_mib": peak_rss_mib()}


def step_dbscan(n: int, eps: float, min_samples: int) -> dict:
    from sklearn.cluster import DBSCAN

    data = library(n)
    start = time.perf_counter()
    labels = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=2).fit_predict(data["encodings"])
    seconds = time.perf_counter() - start
    scores = score_clustering(labels, data["person_ids"]).as_dict()
    return {"seconds": seconds, "items": n, "eps": eps, "min_samples": min_samples, "peak_rss_mib": peak_rss_mib()} | {
        "scores": scores
    }


def step_ours(n: int) -> dict:
    data = library(n)
    start = time.perf_counter()
    result = cluster_faces(_faceset(data, slice(None)), ClusterParams())
    seconds = time.perf_counter() - start
    scores = score_clustering(labels_of(result.faces, data["face_ids"]), data["person_ids"]).as_dict()
    return {"seconds": seconds, "items": n, "peak_rss_mib": peak_rss_mib(), "scores": scores}


def step_extend(n: int) -> dict:
    """Clusters the first n/1.1 faces (not timed), then times adding the last 10%."""
    data = library(n)
    earlier = int(n / GROWTH)
    before = cluster_faces(_faceset(data, slice(0, earlier)))
    start = time.perf_counter()
    after = extend_clustering(before.faces, _faceset(data, slice(None)))
    seconds = time.perf_counter() - start
    old_ids = data["face_ids"][:earlier]
    had = _cluster_of(before.faces, old_ids).notna()
    kept = (_cluster_of(before.faces, old_ids)[had] == _cluster_of(after.faces, old_ids)[had]).mean()
    new = labels_of(after.faces, data["face_ids"][earlier:])
    scores = score_clustering(labels_of(after.faces, data["face_ids"]), data["person_ids"]).as_dict()
    return {
        "seconds": seconds,
        "items": n - earlier,
        "kept_share": float(kept),
        "new_clustered_share": float((new >= 0).mean()),
        "peak_rss_mib": peak_rss_mib(),
        "scores": scores,
    }


def _faceset(data: dict[str, np.ndarray], rows: slice) -> FaceSet:
    return FaceSet.of(data["face_ids"][rows], data["image_ids"][rows], data["encodings"][rows])


def _cluster_of(faces: pa.Table, face_ids: np.ndarray) -> pd.Series:
    return faces.to_pandas().set_index("face_id")["cluster_id"].reindex(face_ids)


STEPS = {
    "ivf-floor": step_ivf_floor,
    "exact-floor": step_exact_floor,
    "dbscan-tune": step_dbscan_tune,
    "dbscan": step_dbscan,
    "ours": step_ours,
    "extend": step_extend,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-exact", action="store_true", help="skip brute-force kNN and DBSCAN at 100,000")
    parser.add_argument("--step", nargs="+", metavar="STEP N [ARGS]")
    args = parser.parse_args()
    if args.step:
        name, n, *rest = args.step
        print(json.dumps(STEPS[name](int(n), *(json.loads(a) for a in rest))))
        return
    load_before = os.getloadavg()
    results: dict[str, dict] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        library(n)
        steps = [("ivf-floor",), ("ours",), ("extend",)]
        if n <= 100_000 and not args.no_exact:
            tuned = run_step(MODULE, "dbscan-tune", str(n))
            steps += [("exact-floor",), ("dbscan", *tuned["best"].split())]
        for step, *extra in steps:
            runs = [run_step(MODULE, step, str(n), *extra) for _ in range(args.repeats)]
            results[f"{step} {n}"] = min(runs, key=lambda r: r["seconds"])
            print(step, n, json.dumps(results[f"{step} {n}"]), flush=True)
    table = _table(results, load_before, os.getloadavg())
    path = write_results("face_clustering", results, table)
    print(table)
    print(f"written to {path}")


def _table(results: dict[str, dict], load_before: tuple, load_after: tuple) -> str:
    rows = []
    for key, r in results.items():
        step, n = key.split()
        floor = results[f"ivf-floor {n}"]["seconds"]
        s = r.get("scores", {})
        quality = (
            f"{s['ari']:.4f} | {s['purity']:.4f} | {s['largest_cluster_purity']:.3f} | {s['worst_purity_10']:.3f} "
            f"| {s['noise_share']:.3f}"
            if s
            else "| | | |"
        )
        note = {
            "ivf-floor": f"nprobe {r.get('nprobe')}, recall {r.get('recall_useful', 0):.3f}",
            "dbscan": f"eps {r.get('eps')}, min_samples {r.get('min_samples')}",
            "extend": f"+{r['items']:,} faces; kept {r.get('kept_share', 0):.4f}, new clustered "
            f"{r.get('new_clustered_share', 0):.3f}",
        }.get(step, "")
        rows.append(
            f"| {step} | {int(n):,} | {r['seconds']:.2f} s | {r['seconds'] / floor:.2f}x | {quality} "
            f"| {r['peak_rss_mib']:.0f} MiB | {note} |"
        )
    return (
        "Synthetic face_recognition-like encodings (`curata/sample/faces.py`), each step in a fresh process; "
        f"time / floor is against the faiss IVF 10-NN search of the same size. Load average (1, 5, 15 min) "
        f"before {tuple(round(v, 1) for v in load_before)}, after {tuple(round(v, 1) for v in load_after)} "
        "(other work shares the 2 cores).\n\n"
        "| step | faces | time | time / IVF floor | ARI | purity | largest-cluster purity | worst purity (10+) "
        "| noise | peak RSS | note |\n|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )


if __name__ == "__main__":
    main()
