"""Archive throughput: a day of real session images packed, uploaded, read back, verified and removed, against
the floor of uploading the same bytes uncompressed to the same endpoint (moto's S3 server, started here).

Usage: python -m benchmarks.archive [--sessions 150 600] [--image-size 1024x768] [--repeats 3]
Each step runs in a fresh process (its peak RSS is its own), best of `repeats`; the day is copied back
from a pristine copy before every archive run, and the bucket emptied after each step.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import peak_rss_mib, run_step, write_results
from curata.archive import ArchivePolicy, ColdTier, Tiers, archive_day
from curata.archive.packing import CHUNK, ChunkReader, DayPacker, compressed
from curata.layout import DataRoot
from curata.sample.sessions import generate_sessions
from curata.sessions import SESSIONS
from curata.sessions.inventory import list_session_folders
from curata.sessions.validate import DEFAULT_LIMITS
from curata.storage import S3Connection, Store
from tests.moto_server import MOTO, free_port, wait_until_up

WORK = Path(__file__).resolve().parent / ".work" / "archive"
BUCKET = "bench-cold"
POLICY = ArchivePolicy(retention_days=0, settle_seconds=0)


class FilesReader(io.RawIOBase):
    """The day's files end to end, as one stream: the bytes an archive must at least send."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        parts, want = [], size if size is not None and size >= 0 else 1 << 62
        while want > 0:
            if not self._pending:
                self._pending = next(self._chunks, b"")
                if not self._pending:
                    break
            parts.append(self._pending[:want])
            self._pending = self._pending[len(parts[-1]) :]
            want -= len(parts[-1])
        return b"".join(parts)


def file_chunks(sessions: Path, folders: list[str]) -> Iterator[bytes]:
    for folder in folders:
        for path in sorted((sessions / folder).iterdir()):
            with open(path, "rb") as handle:
                yield from iter(lambda h=handle: h.read(CHUNK), b"")


def day_of(root: DataRoot) -> tuple[str, list[str]]:
    """The day with the most session folders, and its folders."""
    by_day: dict[str, list[str]] = {}
    for folder in list_session_folders(root.sessions, DEFAULT_LIMITS.max_metadata_bytes):
        by_day.setdefault(folder.partition_date, []).append(folder.name)
    day = max(by_day, key=lambda d: len(by_day[d]))
    return day, by_day[day]


def tiers_of(root: DataRoot, endpoint: str) -> Tiers:
    s3 = S3Connection(endpoint_url=endpoint, region_name="us-east-1", access_key_id="bench", secret_access_key="b")
    return Tiers(root.sessions, Store.at(root.root), ColdTier(s3, BUCKET, "bench"), DEFAULT_LIMITS.max_metadata_bytes)


# -- steps, each in its own process --------------------------------------------------------------------------
def step(name: str, root: DataRoot, endpoint: str) -> dict:
    day, folders = day_of(root)
    tiers = tiers_of(root, endpoint)
    raw = sum(p.stat().st_size for f in folders for p in (root.sessions / f).iterdir())
    tiers.cold.client.head_bucket(Bucket=BUCKET)  # the client is made and connected before the clock starts
    start = time.perf_counter()
    extra: dict = {}
    if name == "floor":
        tiers.cold.upload(FilesReader(file_chunks(root.sessions, folders)), f"floor/{day}.bin")
    elif name == "pack":
        reader = ChunkReader(
            compressed(
                DayPacker(root.sessions, folders).tar_blocks(), POLICY.compression_level, POLICY.compression_threads
            )
        )
        while reader.read(CHUNK):
            pass
    else:
        entry = archive_day(day, folders, [], tiers, POLICY).entry
        extra = {"bytes_packed": entry.bytes_packed, "bytes_raw": entry.bytes_raw}
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items": raw, "sessions": len(folders), "peak_rss_mib": peak_rss_mib(), **extra}


# -- the driver ------------------------------------------------------------------------------------------------
def prepared_day(sessions: int, image_size: tuple[int, int]) -> DataRoot:
    """One day of `sessions` clean sessions, generated once and kept under benchmarks/.work."""
    pristine = DataRoot(WORK / f"day-{sessions}-{image_size[0]}x{image_size[1]}" / "pristine")
    if not (pristine.ground_truth / "sessions.json").exists():
        print(f"generating {sessions} sessions at {image_size[0]}x{image_size[1]} ...", flush=True)
        generate_sessions(
            pristine.create_inputs([SESSIONS]), n_sessions=sessions, days=1, defect_rate=0, image_size=image_size
        )
    (pristine.sessions / "training-log.jsonl").unlink(missing_ok=True)
    day, _ = day_of(pristine)
    # the generator's "day" spans two dates: keep one
    for folder in list_session_folders(pristine.sessions, DEFAULT_LIMITS.max_metadata_bytes):
        if folder.partition_date != day:
            shutil.rmtree(pristine.sessions / folder.name)
    return pristine


def fresh_copy(pristine: DataRoot) -> DataRoot:
    run = DataRoot(pristine.root.parent / "run")
    shutil.rmtree(run.root, ignore_errors=True)
    shutil.copytree(pristine.sessions, run.sessions, symlinks=True)
    return run


def empty_bucket(tiers: Tiers) -> None:
    client = tiers.cold.client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])


def measure(pristine: DataRoot, endpoint: str, repeats: int) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name in ("floor", "pack", "archive"):
        runs = []
        for _ in range(repeats):
            run = fresh_copy(pristine)
            runs.append(run_step("benchmarks.archive", name, "--root", str(run.root), "--endpoint", endpoint))
            empty_bucket(tiers_of(run, endpoint))
        best = min(runs, key=lambda r: r["seconds"])
        results[name] = best | {"peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}
    return results


LABELS = {
    "floor": "floor: upload the day's files uncompressed, one multipart stream",
    "pack": "pack only: tar + sha256 + zstd, no network",
    "archive": "archive: pack, upload, read back whole, verify, remove",
}


def table_rows(results: dict[str, dict]) -> list[str]:
    floor = results["floor"]["seconds"]
    day = f"{results['floor']['sessions']} sessions, {results['floor']['items'] / 2**20:.0f} MiB"
    return [
        f"| {day} | {LABELS[name]} | {r['seconds']:.2f} s | {r['items'] / r['seconds'] / 2**20:.0f} MiB/s "
        f"| {floor / r['seconds']:.0%} | {r['peak_rss_mib']:.0f} MiB |"
        for name, r in results.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step")
    parser.add_argument("--root")
    parser.add_argument("--endpoint")
    parser.add_argument("--sessions", type=int, nargs="+", default=[150, 600])
    parser.add_argument("--image-size", default="1024x768")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, DataRoot(Path(args.root)), args.endpoint)))
        return
    size = tuple(int(v) for v in args.image_size.split("x"))
    load = os.getloadavg()
    port = free_port()
    server = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint)
        results = {}
        for sessions in args.sessions:
            pristine = prepared_day(sessions, size)
            tiers_of(pristine, endpoint).cold.client.create_bucket(Bucket=BUCKET)
            results[sessions] = measure(pristine, endpoint, args.repeats)
            print(json.dumps({sessions: results[sessions]}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    report(results, args.image_size, args.repeats, load)


def report(results: dict[int, dict[str, dict]], image_size: str, repeats: int, load: tuple[float, ...]) -> None:
    rows = [row for r in results.values() for row in table_rows(r)]
    days = [results[s] for s in sorted(results)]
    ratios = ", ".join(f"{r['archive']['bytes_packed'] / r['archive']['bytes_raw']:.3f}" for r in days)
    packed = days[-1]["archive"]["bytes_packed"] / days[-1]["archive"]["bytes_raw"]
    rss = {step: " -> ".join(f"{r[step]['peak_rss_mib']:.0f}" for r in days) for step in LABELS}
    sizes = " and ".join(f"{r['floor']['items'] / 2**20:.0f} MiB" for r in days)
    table = (
        f"One day of clean sessions ({image_size} JPEGs, two per session, plus metadata); moto's S3 server on "
        "loopback as the endpoint (in memory, sharing the 2 cores); 8 MiB parts, 4 upload threads, "
        f"zstd level {POLICY.compression_level}; "
        f"a fresh process per step, best of {repeats}, warm page cache. Load average {load[0]:.1f} when the "
        "run started (other work shared the machine).\n\n"
        "| day | step | time | raw MiB/s | throughput vs floor | peak RSS |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nCompression ratio (object / raw bytes) for the days of {sizes}: {ratios}; the JPEGs themselves "
        "hardly compress, the gain is in the metadata and the images' shared headers.\n"
        f"Peak RSS from the smaller day to the larger, MiB: pack {rss['pack']}, archive {rss['archive']}, floor "
        f"{rss['floor']}: flat in the day's size beyond what boto3's own transfer buffers take (the floor grows "
        "alike). Files are read in 1 MiB chunks, at most 4 parts of 8 MiB are read ahead, the read-back is a "
        "stream.\n"
        f"What bounds it: CPU, on these 2 shared cores. The archive sends {1 - packed:.0%} fewer bytes than the "
        "floor, but packing (sha256 and zstd, overlapped with the upload), the read-back (decompression and "
        "two sha256s) and moto's own work all compete for the same cores; on a small day the fixed part "
        "(a few requests, removing the folders) weighs more.\n"
    )
    payload = {"image_size": image_size, "load_average": load, "results": {str(k): v for k, v in results.items()}}
    path = write_results("archive", payload, table)
    print(table)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
