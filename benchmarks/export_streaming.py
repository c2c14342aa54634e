"""Preference-pair export: throughput against copying the same image bytes, and peak memory at 10x the rows.

The pairs are historical pairs over a pool of small real JPEGs (reused bytes, as allowed: the export
reads and re-hashes every image of every row, as it does in production); vectors are seeded random
unit vectors per image. Each step runs in a fresh process so its peak RSS is its own.

Usage: python -m benchmarks.export_streaming [--rows 100000] [--small 10000] [--pool 400]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benchmarks.common import RATIO_HEADER, best_runs, peak_rss_mib, ratio_rows, step_result, write_results
from curata.curation.tables import VALIDATED_SELECTIONS
from curata.export.inputs import ExportContext
from curata.export.preference_pairs import export_preference_pairs
from curata.export.versioned import Provenance
from curata.images import ImageLimits
from curata.projects.tables import HISTORICAL_PAIRS
from curata.sample.scenes import STYLES, jpeg_bytes, render_house
from curata.sessions.validate import DEFAULT_LIMITS
from curata.storage import Store

WORK = Path(__file__).resolve().parent / ".work" / "export_streaming"
DIM = 512
SIZE = (128, 96)


def generate(pool: int, rows: int) -> None:
    """The image pool under `data/` and the historical_pairs table naming them, `rows` pairs."""
    if (WORK / f"pairs-{rows}.parquet").exists():
        return
    shutil.rmtree(WORK, ignore_errors=True)
    images = []
    for i in range(pool):
        data = jpeg_bytes(render_house(90_000 + i, SIZE, style=list(STYLES)[i % len(STYLES)]))
        rel = f"projects/p{i % 50}/sandbox/p{i % 50}/img_{i:04d}.jpg"
        (WORK / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        (WORK / "data" / rel).write_bytes(data)
        images.append((rel, hashlib.sha256(data).hexdigest()))
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, pool, rows), rng.integers(1, pool, rows)
    b = (a + b) % pool  # never the same image twice in a pair
    table = HISTORICAL_PAIRS.from_rows(
        [
            {
                "project": f"p{i % 200}",
                "group_key": f"{20250101 + i // 86400:08d}_{i % 86400:06d}",
                "group_time": None,
                "chosen_path": images[x][0],
                "rejected_path": images[y][0],
                "chosen_stage": 2,
                "rejected_stage": 3,
                "chosen_sha256": images[x][1],
                "rejected_sha256": images[y][1],
                "anomaly": True,
                "match_method": "name",
            }
            for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True))
        ]
    )
    pq.write_table(table, WORK / f"pairs-{rows}.parquet")


def vectors_for(hashes: list[str]) -> dict[str, list[float]]:
    out = {}
    for h in hashes:
        v = np.random.default_rng(int(h[:12], 16)).normal(size=DIM).astype(np.float32)
        out[h] = (v / np.linalg.norm(v)).tolist()
    return out


def export(rows: int) -> int:
    out = WORK / f"out-{rows}"
    shutil.rmtree(out, ignore_errors=True)
    historical = pq.read_table(WORK / f"pairs-{rows}.parquet")
    inputs_loaded = reset_peak_rss()
    ctx = ExportContext(
        Store.at(out), WORK / "data", vectors_for, "random-512", ImageLimits(), DEFAULT_LIMITS.max_metadata_bytes
    )
    result = export_preference_pairs(historical, VALIDATED_SELECTIONS.empty(), ctx, Provenance({}))
    memory = {"rss_with_inputs_mib": inputs_loaded, "input_table_mib": historical.nbytes / 2**20}
    (WORK / f"export-{rows}-memory.json").write_text(json.dumps(memory))
    return sum(result.rows.values())


def reset_peak_rss() -> float:
    """Resets this process's peak RSS to its current RSS (Linux clear_refs 5), which it returns in MiB.

    The input table is what the asset receives; from here the peak is what the export itself adds.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss_mib()


def copy_floor(rows: int) -> int:
    """Read both images of every pair and write their bytes to one file: the least any export must do."""
    table = pq.read_table(WORK / f"pairs-{rows}.parquet", columns=["chosen_path", "rejected_path"])
    root = WORK / "data"
    with open(WORK / f"copy-{rows}.bin", "wb") as out:
        for batch in table.to_batches(max_chunksize=4096):
            for chosen, rejected in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                out.write((root / chosen).read_bytes())
                out.write((root / rejected).read_bytes())
    return table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=400)
    parser.add_argument("--step")
    args = parser.parse_args()
    if args.step:
        kind, rows = args.step.split(":")
        step_result(lambda: (export if kind == "export" else copy_floor)(int(rows)))
        return
    generate(args.pool, args.rows)
    _small_table(args.small, args.rows)
    steps = [
        (f"{k}:{n}", f"{label} {n:,} pairs")
        for n in (args.small, args.rows)
        for k, label in (("copy", "floor: copy the image bytes"), ("export", "export_preference_pairs"))
    ]
    results = best_runs("benchmarks.export_streaming", steps, [], repeats=3)
    rows = []
    for n in (args.small, args.rows):
        subset = {k: v for k, v in results.items() if k.endswith(f" {n:,} pairs")}
        rows += ratio_rows(subset, f"floor: copy the image bytes {n:,} pairs", "pairs")
    memory = {n: _memory(results, n) for n in (args.small, args.rows)}
    image_bytes = sum(p.stat().st_size for p in (WORK / "data").rglob("*.jpg")) / args.pool
    table = (
        f"{args.rows:,} preference pairs over a pool of {args.pool} real JPEGs of {SIZE[0]}x{SIZE[1]} "
        f"({image_bytes / 1024:.1f} KiB each, warm page cache), {DIM}-d vectors, so each pair writes "
        f"{(2 * image_bytes + 2 * DIM * 4) / 1024:.1f} KiB; best of 3 fresh processes.\n\n"
        + RATIO_HEADER
        + "\n".join(rows)
        + "\n\n| pairs | input table | RSS with the input loaded | peak RSS | peak added by the export |\n"
        "|---|---|---|---|---|\n"
        + "\n".join(
            f"| {n:,} | {m['input_table_mib']:.0f} MiB | {m['rss_with_inputs_mib']:.0f} MiB "
            f"| {m['peak_rss_mib']:.0f} MiB | {m['added_mib']:.0f} MiB |"
            for n, m in memory.items()
        )
        + "\n\nThe peak added by the export is its peak RSS less the RSS once the input table (what the asset "
        "receives) is loaded. Image bytes and vectors stream a row group at a time; only the plan (ids, split "
        "keys, the grouping graph) can grow with the rows: the added peak changed by "
        f"{_per_row(memory, args.small, args.rows):+.2f} KiB per extra pair from the small run to the large. "
        "Every pair shares images with others here, so all rows form one group and one split; the grouping "
        "work (keys, graph, faiss over the pool's vectors) is still done in full.\n\n"
        f"Load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores shared with "
        "other work: throughputs are noisy, the ratios less so."
    )
    write_results("export_streaming", {"steps": results, "memory": {str(n): m for n, m in memory.items()}}, table)
    print(table)


def _memory(results: dict, rows: int) -> dict[str, float]:
    loaded = json.loads((WORK / f"export-{rows}-memory.json").read_text())
    peak = results[f"export_preference_pairs {rows:,} pairs"]["peak_rss_mib"]
    return {**loaded, "peak_rss_mib": peak, "added_mib": peak - loaded["rss_with_inputs_mib"]}


def _per_row(memory: dict[int, dict], small: int, big: int) -> float:
    return (memory[big]["added_mib"] - memory[small]["added_mib"]) * 1024 / (big - small)


def _small_table(small: int, rows: int) -> None:
    """The first `small` pairs of the big table, so both sizes share images and rows."""
    target = WORK / f"pairs-{small}.parquet"
    if not target.exists():
        pq.write_table(pq.read_table(WORK / f"pairs-{rows}.parquet").slice(0, small), target)


if __name__ == "__main__":
    main()
