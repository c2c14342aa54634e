"""The learnability probe at scale: 100,000 preference pairs of 512-d float32 vectors, against one least-squares solve.

Usage: python -m benchmarks.probe [--pairs 100000] [--dim 512]
The pairs are planted (the label is the side of a hyperplane, 5% of labels flipped) in 20,000 groups.
Each step runs in a fresh process (its own peak RSS), best of 2; the floor, measured in the same run, is
`np.linalg.lstsq` of the same vectors against the same labels. The probe step is everything the asset does
with the vectors: 5-fold group cross-validation of the logistic ranker and confident learning on its output.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from benchmarks.common import RATIO_HEADER, best_runs, peak_rss_mib, ratio_rows, write_results
from curata.training.label_issues import pair_issues
from curata.training.probe import probe_pairs

MODULE = "benchmarks.probe"
LIMIT_SECONDS = 30.0
FLIPPED = 0.05


def planted(pairs: int, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(clip_0 - clip_1, noisy label_0, groups, indices of the flipped labels), the same in every process."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((pairs, dim), dtype=np.float32)
    label = (x @ rng.standard_normal(dim).astype(np.float32) > 0).astype(np.int8)
    flipped = rng.choice(pairs, int(FLIPPED * pairs), replace=False)
    label[flipped] ^= 1
    return x, label, rng.integers(0, pairs // 5, pairs), flipped


def floor(pairs: int, dim: int) -> None:
    x, label, _, _ = planted(pairs, dim)
    target = label.astype(np.float32)
    start = time.perf_counter()
    np.linalg.lstsq(x, target, rcond=None)
    print(json.dumps({"seconds": time.perf_counter() - start, "items": pairs, "peak_rss_mib": peak_rss_mib()}))


def probe(pairs: int, dim: int) -> None:
    """Prints the step's line itself: time, peak RSS and what the probe found (accuracy, flips recovered)."""
    x, label, groups, flipped = planted(pairs, dim)
    no_stage = np.full(pairs, np.nan)
    start = time.perf_counter()
    result = probe_pairs(x, label, groups, no_stage, no_stage)
    found = pair_issues(label, result)
    seconds = time.perf_counter() - start
    hits = len(np.intersect1d(found, flipped))
    quality = {"accuracy": round(result.accuracy, 4), "flagged": len(found), "recall": hits / len(flipped)}
    print(json.dumps({"seconds": seconds, "items": pairs, "peak_rss_mib": peak_rss_mib(), **quality}))


STEPS = {"floor": floor, "probe": probe}
LABELS = {"floor": "floor: np.linalg.lstsq of the same data", "probe": "probe: 5-fold CV + label issues"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--step")
    args = parser.parse_args()
    if args.step:
        STEPS[args.step](args.pairs, args.dim)
        return
    results = best_runs(MODULE, list(LABELS.items()), ["--pairs", str(args.pairs), "--dim", str(args.dim)], repeats=2)
    probe_result = results[LABELS["probe"]]
    probe_seconds = probe_result["seconds"]
    table = (
        f"{args.pairs:,} pairs of {args.dim}-d float32 vectors in {args.pairs // 5:,} groups, "
        f"{FLIPPED:.0%} of labels flipped. Best of 2, each in a fresh process. "
        f"Limit {LIMIT_SECONDS:.0f} s: {'met' if probe_seconds < LIMIT_SECONDS else 'MISSED'} "
        f"({probe_seconds:.1f} s). The probe's held-out accuracy {probe_result['accuracy']:.3f} (0.95 is the "
        f"ceiling with 5% flipped), {probe_result['flagged']:,} rows flagged, {probe_result['recall']:.1%} of the "
        "flipped labels among them. Both steps are timed from the vectors in memory.\n\n"
        + RATIO_HEADER
        + "\n".join(ratio_rows(results, LABELS["floor"], "pairs"))
    )
    facts = {"pairs": args.pairs, "dim": args.dim, "limit_seconds": LIMIT_SECONDS, "results": results}
    print(write_results("probe", facts, table).read_text())


if __name__ == "__main__":
    main()
