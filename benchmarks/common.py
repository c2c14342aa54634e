"""Timing helpers shared by the benchmarks: best-of-N wall time and peak RSS of a call."""

from __future__ import annotations

import json
import platform
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """Smallest wall time of `repeats` calls: the least noisy estimate on a shared machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM); ru_maxrss would carry the parent's over fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, str]:
    import os

    return {"python": platform.python_version(), "cpus": str(os.cpu_count()), "machine": platform.machine()}


def write_results(name: str, results: dict, table: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    payload = {"benchmark": name, "measured_at": stamp, "machine": machine(), **results}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
    md = RESULTS / f"{name}.md"
    md.write_text(f"# {name}\n\nMeasured {stamp} on {machine()}.\n\n{table}\n")
    return md


def run_step(module: str, step: str, *args: str) -> dict:
    """Runs `python -m module --step step` in a fresh process, so its peak memory is its own."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", module, "--step", step, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def step_result(fn: Callable[[], int]) -> None:
    """Inside a step process: time `fn` and print seconds, items and peak RSS as one JSON line."""
    start = time.perf_counter()
    items = fn()
    print(json.dumps({"seconds": time.perf_counter() - start, "items": items, "peak_rss_mib": peak_rss_mib()}))


def best_runs(module: str, steps: list[tuple[str, str]], extra: list[str], repeats: int = 3) -> dict[str, dict]:
    """label -> the fastest of `repeats` fresh-process runs of each step, with the highest peak RSS seen."""
    results = {}
    for step, label in steps:
        runs = [run_step(module, step, *extra) for _ in range(repeats)]
        results[label] = min(runs, key=lambda r: r["seconds"]) | {"peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}
    return results


RATIO_HEADER = "| step | time | throughput | time / floor | peak RSS |\n|---|---|---|---|---|\n"


def ratio_rows(results: dict[str, dict], floor_label: str, unit: str) -> list[str]:
    """Markdown rows: time, throughput, time as a multiple of the floor's, peak RSS."""
    base = results[floor_label]["seconds"]
    return [
        f"| {label} | {r['seconds']:.2f} s | {r['items'] / r['seconds']:,.0f} {unit}/s | {r['seconds'] / base:.2f}x "
        f"| {r['peak_rss_mib']:.0f} MiB |"
        for label, r in results.items()
    ]
