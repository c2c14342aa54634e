"""Session sensor tick at scale: 1,000,000 session folders over 365 days, against a plain listing.

Usage: python -m benchmarks.sensor_tick [--folders 1000000] [--days 365] [--skip-old]
The folders (three empty files each, named as the app names them) are generated once under
benchmarks/.work (about 4 GB of directory blocks at a million: delete the folder when done) and
reused. Each step runs in a fresh process (its own peak RSS); every time is a ratio to the floor
measured in the same run: `os.scandir` over the sessions folder, names and types only.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import best_runs, peak_rss_mib, write_results
from curata.sessions.arrivals import RACY_NS, ArrivalScan, SettledDays, changed_days, scan_arrivals
from curata.sessions.inventory import list_session_folders
from curata.sessions.naming import folder_stamp
from curata.sessions.validate import Limits

WORK = Path(__file__).resolve().parent / ".work"
MODULE = "benchmarks.sensor_tick"
FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)
FILES = ("original-{}.jpg", "reimagined-{}.jpg", "metadata-{}.json")
SETTLED = Limits(settle_seconds=0)  # the benchmark times the examining, not the waiting


# -- data --------------------------------------------------------------------------------------------------------
def _write_days(sessions: str, first: int, last: int, per_day: int) -> int:
    """Days [first, last): `per_day` folders each, spread over the day, three empty files per folder."""
    step = timedelta(milliseconds=86_400_000 // per_day)
    for day in range(first, last):
        start = FIRST_DAY + timedelta(days=day)
        for k in range(per_day):
            stamp = folder_stamp(start + k * step)
            folder = f"{sessions}/session-{stamp}"
            os.mkdir(folder)
            for pattern in FILES:
                os.close(os.open(f"{folder}/{pattern.format(stamp)}", os.O_CREAT | os.O_WRONLY, 0o644))
    return (last - first) * per_day


def generate(sessions: Path, folders: int, days: int) -> None:
    """Writes the folders once, in two processes; a marker file says the set is complete."""
    marker = sessions.parent / "complete.json"
    if marker.exists():
        return
    sessions.mkdir(parents=True, exist_ok=False)
    per_day = -(-folders // days)
    half = days // 2
    with ProcessPoolExecutor(2) as pool:
        written = sum(pool.map(_write_days, [str(sessions)] * 2, [0, half], [half, days], [per_day] * 2))
    marker.write_text(json.dumps({"folders": written, "days": days}))


def cursor_file(sessions: Path) -> Path:
    return sessions.parent / "cursor.json"


# -- steps, each in a fresh process ------------------------------------------------------------------------------
def measured(fn: Callable[[], ArrivalScan | int]) -> None:
    """Times `fn` and prints one JSON line: seconds, items, peak RSS, and what the scan did."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    facts = {"seconds": seconds, "peak_rss_mib": peak_rss_mib()}
    if isinstance(result, ArrivalScan):
        facts |= {"items": result.listed or 1, "listed": result.listed, "examined": result.examined}
        facts |= {"cursor_bytes": len(result.state.to_json())}
    else:
        facts |= {"items": result}
    print(json.dumps(facts))


def floor(sessions: Path) -> int:
    """A plain listing: every entry of the sessions folder, its name and type, nothing else."""
    with os.scandir(sessions) as entries:
        return sum(1 for e in entries if e.is_dir(follow_symlinks=False))


def old_tick(sessions: Path) -> int:
    """What the sensor did before: stat every file of every folder, fingerprint each day."""
    by_day: dict[str, list[str]] = {}
    for folder in list_session_folders(sessions, SETTLED.max_metadata_bytes):
        by_day.setdefault(folder.partition_date, []).append(f"{folder.name}@{folder.newest_mtime:.3f}")
    return sum(len(v) for v in by_day.values())


def settle_everything(sessions: Path) -> ArrivalScan:
    """A first tick without a budget: every folder examined once; its state is the next steps' cursor."""
    scan = scan_arrivals(sessions, SettledDays(), SETTLED, max_examined=None)
    cursor_file(sessions).write_text(scan.state.to_json())
    return scan


def first_tick(sessions: Path) -> ArrivalScan:
    """A first tick with the default budget: list everything, examine the newest days up to the budget."""
    return scan_arrivals(sessions, SettledDays(), SETTLED)


def _previous(sessions: Path) -> SettledDays:
    state = SettledDays.from_json(cursor_file(sessions).read_text())
    state.listing_mtime_ns = None  # the steps add and remove a folder: the folder's mtime moved on
    return state


def steady_tick(sessions: Path) -> None:
    """One new folder arrived on the last day: list every name, examine that day only."""
    previous = _previous(sessions)
    last_day = max(g for g in previous.seen if g[:1].isdigit())
    stamp = folder_stamp(datetime.fromisoformat(last_day).replace(tzinfo=UTC) + timedelta(hours=23, minutes=59))
    extra = sessions / f"session-{stamp}"
    extra.mkdir()
    try:
        measured(lambda: scan_arrivals(sessions, previous, SETTLED, now=time.time() + 1))
        scan = scan_arrivals(sessions, previous, SETTLED, now=time.time() + 1)
        assert list(changed_days(previous, scan.state)) == [last_day], "the new folder's day must be requested"
    finally:
        extra.rmdir()


def idle_tick(sessions: Path) -> None:
    """Nothing changed since the last tick: the sessions folder's own mtime says so, nothing is listed."""
    previous = _previous(sessions)
    wait = RACY_NS - (time.time_ns() - os.stat(sessions).st_mtime_ns)
    time.sleep(max(0, wait) / 1e9)
    settled = scan_arrivals(sessions, previous, SETTLED).state
    measured(lambda: scan_arrivals(sessions, settled, SETTLED))


STEPS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "floor": ("floor: os.scandir listing", lambda s: measured(lambda: floor(s))),
    "old": ("before: stat every file of every folder", lambda s: measured(lambda: old_tick(s))),
    "settle": ("first tick, no budget (every folder examined once)", lambda s: measured(lambda: settle_everything(s))),
    "first": ("first tick, default budget", lambda s: measured(lambda: first_tick(s))),
    "steady": ("tick after one new folder", steady_tick),
    "idle": ("tick with nothing new", idle_tick),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--skip-old", action="store_true", help="skip the old sensor (about 30 s at a million)")
    parser.add_argument("--step")
    args = parser.parse_args()
    sessions = WORK / f"sensor-{args.folders}-{args.days}" / "sessions"
    if args.step:
        STEPS[args.step][1](sessions)
        return
    generate(sessions, args.folders, args.days)
    load_before = os.getloadavg()[0]
    extra = ["--folders", str(args.folders), "--days", str(args.days)]
    once = [("settle", STEPS["settle"][0])] + ([] if args.skip_old else [("old", STEPS["old"][0])])
    results = best_runs(MODULE, [("floor", STEPS["floor"][0])], extra)
    results |= best_runs(MODULE, once, extra, repeats=1)
    results |= best_runs(MODULE, [(s, STEPS[s][0]) for s in ("first", "steady", "idle")], extra)
    load = (load_before, os.getloadavg()[0])
    table = _table(results, STEPS["floor"][0], json.loads((sessions.parent / "complete.json").read_text()), load)
    facts = {"folders": args.folders, "days": args.days, "load_average": load, "steps": results}
    path = write_results("sensor_tick", facts, table)
    print(table)
    print(f"written to {path}")


def _table(results: dict[str, dict], floor_label: str, data: dict, load: tuple[float, float]) -> str:
    base = results[floor_label]["seconds"]
    rows = [
        f"| {label} | {r['seconds']:.3f} s | {r['seconds'] / base:.2f}x | {r.get('listed', '')} "
        f"| {r.get('examined', '')} | {r.get('cursor_bytes', '')} | {r['peak_rss_mib']:.0f} MiB |"
        for label, r in results.items()
    ]
    return (
        f"{data['folders']:,} session folders over {data['days']} days, three empty files each, in one folder "
        "(flat, as the app writes it). Best of 3, each in a fresh process, except the two rows run once; the "
        "statting rows run with whatever of the 4 million inodes the kernel still caches. Load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after, on {os.cpu_count()} cores.\n\n"
        "| step | time | time / floor | names listed | folders statted | cursor bytes | peak RSS |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    main()
