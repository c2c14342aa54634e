"""A year of sessions at scale: 1,000,000 session folders over 365 days, ingested by a backfill.

Generates the folders fast (tiny distinct JPEGs), then runs `ingest_sessions` for every day, one run
after the other in this process (what a multi-run backfill does on one machine), and reports:
sessions per second against the floor of the ingest benchmark (list the folders and read every image
header) measured in the same run, how a day's run time grows with the days already stored, peak
memory, and the warehouse's size. The sensor's tick at this size is `benchmarks/sensor_tick.py`.

    python -m benchmarks.scale_sessions --sessions 1000000 --days 365
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import peak_rss_mib, write_results
from benchmarks.ingest_sessions import floor
from curata.layout import WAREHOUSE, DataRoot
from curata.sessions.naming import folder_stamp, iso_stamp

WORK = Path(__file__).resolve().parent / ".work" / "scale"
START = datetime(2025, 1, 1, tzinfo=UTC)
KEY = "scale-benchmark-key-0123456789"


def tiny_jpeg(value: int) -> bytes:
    """An 8x8 JPEG whose pixels encode `value`: distinct bytes per session, decodable, about 600 bytes."""
    pixels = np.frombuffer(value.to_bytes(8, "little") * 24, dtype=np.uint8).reshape(8, 8, 3)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def generate(root: DataRoot, sessions: int, days: int) -> None:
    sessions_dir = root.sessions
    sessions_dir.mkdir(parents=True, exist_ok=True)
    originals = [tiny_jpeg(2**40 + k) for k in range(256)]
    spacing = days * 86_400_000 // sessions
    old = time.time() - 86_400
    for i in range(sessions):
        ts = START + timedelta(milliseconds=i * spacing)
        stamp = folder_stamp(ts)
        folder = sessions_dir / f"session-{stamp}"
        folder.mkdir()
        original, edited = originals[i % len(originals)], tiny_jpeg(i)
        (folder / f"original-{stamp}.jpg").write_bytes(original)
        (folder / f"reimagined-{stamp}.jpg").write_bytes(edited)
        meta = {
            "timestamp": iso_stamp(ts),
            "instruction": "make it modern",
            "userEmail": "anonymous",
            "originalFilename": f"original-{stamp}.jpg",
            "reimaginedFilename": f"reimagined-{stamp}.jpg",
            "originalSize": len(original),
            "reimaginedSize": len(edited),
            "sessionId": folder.name,
        }
        (folder / f"metadata-{stamp}.json").write_text(json.dumps(meta))
        for entry in (*folder.iterdir(), folder):
            os.utime(entry, (old, old))
        if i % 100_000 == 0:
            print(f"  {i:,} folders", flush=True)


def ingest_every_day(root: DataRoot) -> list[dict]:
    """One in-process run per day, in order; the time of each."""
    from dagster import DagsterInstance

    from assets.jobs import ingest_sessions_job
    from curata.sessions.inventory import list_session_folders
    from curata.sessions.validate import DEFAULT_LIMITS
    from definitions import build_definitions

    os.environ["CURATA_PSEUDONYM_KEY"] = KEY
    defs = build_definitions(str(root.root))
    job = defs.resolve_job_def(ingest_sessions_job.name)
    days = sorted({f.partition_date for f in list_session_folders(root.sessions, DEFAULT_LIMITS.max_metadata_bytes)})
    runs = []
    with DagsterInstance.ephemeral() as instance:
        for n, day in enumerate(days):
            start = time.perf_counter()
            result = job.execute_in_process(
                partition_key=day,
                instance=instance,
                raise_on_error=True,
                run_config={
                    "execution": {"config": {"in_process": {}}},
                    "loggers": {"console": {"config": {"log_level": "ERROR"}}},
                },
            )
            assert result.success
            runs.append({"day": day, "seconds": time.perf_counter() - start})
            if n % 30 == 0:
                print(f"  day {n + 1}/{len(days)}: {runs[-1]['seconds']:.2f}s", flush=True)
    return runs


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true", help="keep the generated folders for another run")
    parser.add_argument("--generate-only", action="store_true", help="write the folders (kept) and stop")
    args = parser.parse_args()
    root = DataRoot(WORK / f"{args.sessions}-{args.days}")
    if not (root.sessions / ".complete").exists():
        shutil.rmtree(root.root, ignore_errors=True)
        print(f"generating {args.sessions:,} folders over {args.days} days ...", flush=True)
        started = time.perf_counter()
        generate(root, args.sessions, args.days)
        (root.sessions / ".complete").write_text(f"{time.perf_counter() - started:.0f}s")
    if args.generate_only:
        return
    shutil.rmtree(root.root / WAREHOUSE, ignore_errors=True)
    floor(root.sessions)  # warm the page cache, as the ingest runs will find it
    start = time.perf_counter()
    listed = floor(root.sessions)
    floor_seconds = time.perf_counter() - start
    print(f"floor: {listed:,} folders listed and headers read in {floor_seconds:.1f}s", flush=True)
    start = time.perf_counter()
    runs = ingest_every_day(root)
    seconds = time.perf_counter() - start
    per_day = np.array([r["seconds"] for r in runs])
    tenth = max(1, len(per_day) // 10)
    growth = float(per_day[-tenth:].mean() / per_day[:tenth].mean())
    results = {
        "sessions": args.sessions,
        "days": len(runs),
        "floor_seconds": floor_seconds,
        "ingest_seconds": seconds,
        "sessions_per_second": args.sessions / seconds,
        "floor_sessions_per_second": listed / floor_seconds,
        "ratio_to_floor": seconds / floor_seconds,
        "first_tenth_day_seconds": float(per_day[:tenth].mean()),
        "last_tenth_day_seconds": float(per_day[-tenth:].mean()),
        "day_time_growth": growth,
        "peak_rss_mib": peak_rss_mib(),
        "warehouse_bytes": folder_size(root.root / WAREHOUSE),
        "input_bytes": folder_size(root.sessions),
    }
    r = results
    table = "\n".join(
        [
            "| measure | value |",
            "|---|---|",
            f"| folders, days | {args.sessions:,} over {len(runs)} |",
            f"| floor: list folders + read image headers | {floor_seconds:.0f} s "
            f"({r['floor_sessions_per_second']:,.0f}/s) |",
            f"| backfill: one ingest run per day | {seconds:.0f} s ({r['sessions_per_second']:,.0f} sessions/s) |",
            f"| backfill / floor | {results['ratio_to_floor']:.1f}x |",
            f"| a day's run, first tenth of days vs last tenth | {results['first_tenth_day_seconds']:.2f} s vs "
            f"{results['last_tenth_day_seconds']:.2f} s ({growth:.2f}x) |",
            f"| peak RSS | {results['peak_rss_mib']:.0f} MiB |",
            f"| warehouse size | {r['warehouse_bytes'] / 2**20:.0f} MiB (inputs {r['input_bytes'] / 2**30:.1f} GiB) |",
        ]
    )
    print(write_results("scale_sessions", results, table).read_text())
    if not args.keep:
        shutil.rmtree(root.root, ignore_errors=True)


if __name__ == "__main__":
    main()
