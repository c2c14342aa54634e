"""Erasing one person from a store of 100,000 sessions, against the floor of scanning the same store for them.

Usage: python -m benchmarks.erasure [--sessions 100000] [--days 365] [--repeats 3]

The store holds what ingestion and the nightly jobs leave for that many sessions: the five daily session
tables (raw, validated, quarantined, deferred, session_people), the app's training log with its two audit
tables, the embedding catalog and an embedding store (64-dimensional vectors, so that it is quick to make),
and the person index. Only the person's own sessions are on disk, as real folders with images; nobody
else's images are needed to find them. Each step runs in a fresh process on a fresh copy of the store.

Floor: what an erasure without an index has to read to find the person's rows: the identifying columns of
every partition of every table they can be in, the training log and the embedding store's hash columns.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assets.kinds import INPUT_FOLDERS
from benchmarks.common import peak_rss_mib, run_step, write_results
from curata.embeddings.store import EmbeddingStore
from curata.embeddings.tables import IMAGE_EMBEDDINGS
from curata.erasure.context import ErasureContext
from curata.erasure.erase import erase_request
from curata.erasure.holdings import Erased, by_session_day, table_holdings
from curata.erasure.index import refresh_indexes
from curata.erasure.requests import new_request, read_request
from curata.erasure.targets import find_target
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.quarantine import QUARANTINE_SCHEMA
from curata.sample.scenes import jpeg_bytes, render_house
from curata.sample.sessions import backdate, write_session
from curata.sessions.naming import folder_stamp, iso_stamp
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    RAW_SESSIONS,
    SESSION_PEOPLE,
    SESSION_QUARANTINE,
    TRAINING_LOG_LINES,
    TRAINING_LOG_QUARANTINE,
    VALIDATED_SESSIONS,
)
from curata.sessions.validate import Limits
from curata.storage import Store
from curata.warehouse import Warehouse

WORK = Path(__file__).resolve().parent / ".work"
KEY = PseudonymKey(b"benchmark-pseudonym-key-0123456789")
PERSON = "ana@example.com"
PERSON_SESSIONS = 4  # real folders, over PERSON_SESSIONS - 1 days
PEOPLE = 30_000  # everyone else: about 3 sessions each
DIM = 64
START = datetime(2025, 1, 1, tzinfo=UTC)
QUARANTINED_EVERY = 50  # one session in 50 is refused


def build(root: DataRoot, sessions: int, days: int) -> None:
    """The store: every table for `sessions` sessions over `days` days, the person's folders on disk."""
    root.create_inputs(INPUT_FOLDERS)
    wh = Warehouse(Store.at(root.root))
    rows = synthetic_sessions(sessions - PERSON_SESSIONS, days) + person_sessions(root, days)
    rows.sort(key=lambda r: r["timestamp"])
    for day, of_day in group_by_day(rows).items():
        write_day(wh, day, of_day)
    write_log(root, wh, rows)
    write_embeddings(wh, rows)
    refresh_indexes(wh)


def synthetic_sessions(count: int, days: int) -> list[dict]:
    rng = np.random.default_rng(7)
    seconds = np.sort(rng.integers(0, days * 86_400, count))
    owners = rng.integers(0, PEOPLE, count)
    out = []
    for i, (s, owner) in enumerate(zip(seconds.tolist(), owners.tolist(), strict=True)):
        ts = START + timedelta(seconds=s, milliseconds=i % 1000)
        name = f"session-{folder_stamp(ts)}"
        out.append(
            {
                "folder": name,
                "timestamp": ts,
                "pseudonym": KEY.pseudonymize(f"person{owner}@example.com") if owner % 10 else None,
                "original": hashlib.sha256(f"o{i}".encode()).hexdigest(),
                "edited": hashlib.sha256(f"e{i}".encode()).hexdigest(),
                "refused": i % QUARANTINED_EVERY == 0,
            }
        )
    return out


def person_sessions(root: DataRoot, days: int) -> list[dict]:
    """Real session folders with images: what the erasure removes from the hot tier."""
    out = []
    for k in range(PERSON_SESSIONS):
        ts = START + timedelta(days=days // 2 + min(k, PERSON_SESSIONS - 2), hours=k, milliseconds=777)
        original, edited = jpeg_bytes(render_house(k, (320, 240))), jpeg_bytes(render_house(k, (320, 240), "craftsman"))
        files = write_session(root.sessions, ts, "make it modern", PERSON, original, edited)
        backdate(files.folder, ts)
        out.append(
            {
                "folder": files.folder.name,
                "timestamp": ts,
                "pseudonym": KEY.pseudonymize(PERSON),
                "original": hashlib.sha256(original).hexdigest(),
                "edited": hashlib.sha256(edited).hexdigest(),
                "refused": False,
            }
        )
    return out


def group_by_day(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["timestamp"].date().isoformat(), []).append(r)
    return out


def write_day(wh: Warehouse, day: str, rows: list[dict]) -> None:
    names = [r["folder"] for r in rows]
    wh.write(
        RAW_SESSIONS.name, RAW_SESSIONS.from_rows([{"session_folder": n, "partition_date": day} for n in names]), day
    )
    accepted = [r for r in rows if not r["refused"]]
    wh.write(VALIDATED_SESSIONS.name, VALIDATED_SESSIONS.from_rows([validated(r, day) for r in accepted]), day)
    refused = [
        {"record_kind": "session_folder", "record_id": r["folder"], "partition": day} for r in rows if r["refused"]
    ]
    wh.write(SESSION_QUARANTINE.name, pa.Table.from_pylist(refused, schema=QUARANTINE_SCHEMA), day)
    wh.write(DEFERRED_SESSIONS.name, DEFERRED_SESSIONS.empty(), day)
    wh.write(SESSION_PEOPLE.name, SESSION_PEOPLE.from_rows([person_row(r, day) for r in rows]), day)


def validated(r: dict, day: str) -> dict:
    folder = f"sessions/{r['folder']}"
    return {
        "session_id": r["folder"],
        "session_folder": r["folder"],
        "partition_date": day,
        "timestamp": r["timestamp"],
        "instruction": "make it modern",
        "user_pseudonym": r["pseudonym"],
        "pseudonym_key_id": KEY.key_id if r["pseudonym"] else None,
        "original_path": f"{folder}/original.jpg",
        "original_sha256": r["original"],
        "edited_path": f"{folder}/reimagined.jpg",
        "edited_sha256": r["edited"],
    }


def person_row(r: dict, day: str) -> dict:
    return {
        "session_folder": r["folder"],
        "partition_date": day,
        "outcome": "quarantined" if r["refused"] else "accepted",
        "user_pseudonym": r["pseudonym"],
        "pseudonym_key_id": KEY.key_id if r["pseudonym"] else None,
        "original_sha256": r["original"],
        "edited_sha256": r["edited"],
    }


def write_log(root: DataRoot, wh: Warehouse, rows: list[dict]) -> None:
    lines = [
        json.dumps({"timestamp": iso_stamp(r["timestamp"]), "instruction": "make it modern", "sessionId": r["folder"]})
        for r in rows
    ]
    root.training_log.write_text("\n".join(lines) + "\n")
    status = TRAINING_LOG_LINES.from_rows(
        [
            {"line_no": i + 1, "session_id": r["folder"], "status": "pending" if r["refused"] else "consistent"}
            for i, r in enumerate(rows)
        ]
    )
    wh.write(TRAINING_LOG_LINES.name, status)
    wh.write(TRAINING_LOG_QUARANTINE.name, TRAINING_LOG_QUARANTINE.empty())


def write_embeddings(wh: Warehouse, rows: list[dict]) -> None:
    """The catalog and the store: one vector per accepted image, in shards of 4,096 sorted hashes."""
    images = sorted(
        {(r[k], f"sessions/{r['folder']}/{k}.jpg") for r in rows if not r["refused"] for k in ("original", "edited")}
    )
    fingerprint = "bench64"
    catalog = [{"sha256": h, "path": p, "fingerprint": fingerprint, "status": "ok"} for h, p in images]
    wh.write(IMAGE_EMBEDDINGS.name, IMAGE_EMBEDDINGS.from_rows(catalog))
    store = EmbeddingStore(wh.store)
    vectors = np.random.default_rng(3).standard_normal((len(images), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for start in range(0, len(images), 4096):
        part = images[start : start + 4096]
        store.write_shard(
            fingerprint,
            DIM,
            [
                {"sha256": h, "status": "ok", "vector": v, "source_path": p}
                for (h, p), v in zip(part, vectors[start : start + 4096].tolist(), strict=True)
            ],
        )


# -- the steps, each in a fresh process -------------------------------------------------------------------------
def floor(root: DataRoot) -> int:
    """Every identifying column of every partition and the log read to find the person: what a scan costs."""
    wh = Warehouse(Store.at(root.root))
    scanned = 0
    tables = {}
    for holding in table_holdings(lambda spec: by_session_day(spec) or spec.name == IMAGE_EMBEDDINGS.name):
        parts = [wh.read(holding.name, p, columns=holding.columns) for p in wh.partitions(holding.name)]
        if parts:
            tables[holding] = pa.concat_tables(parts)
            scanned += tables[holding].num_rows
    people = next(t for h, t in tables.items() if h.name == SESSION_PEOPLE.name)
    mine = people.filter(pc.equal(people.column("user_pseudonym"), KEY.pseudonymize(PERSON)))
    folders = frozenset(mine.column("session_folder").to_pylist())
    hashes = frozenset(mine.column("original_sha256").to_pylist() + mine.column("edited_sha256").to_pylist())
    erased = Erased(folders, frozenset([KEY.pseudonymize(PERSON)]), hashes)
    found = sum(pc.sum(h.matches(t, erased)).as_py() or 0 for h, t in tables.items())
    text = root.training_log.read_bytes()
    found += sum(text.count(f.encode()) for f in folders)
    store = EmbeddingStore(wh.store)
    for fingerprint in store.fingerprints():
        held = store.read(fingerprint, ["sha256"]).column("sha256")
        found += pc.sum(pc.is_in(held, pa.array(sorted(hashes)))).as_py() or 0
        scanned += len(held)
    assert found, "the scan found nothing: the store has no such person"
    return scanned + text.count(b"\n")


def context(root: DataRoot) -> ErasureContext:
    return ErasureContext(Store.at(root.root), root, KEY, Limits())


def find(root: DataRoot) -> int:
    """The request's sessions, hashes and archives found through the index (brought up to date first)."""
    ctx = context(root)
    refresh_indexes(ctx.warehouse)
    request = new_request(ctx.store, pseudonym=KEY.pseudonymize(PERSON), key_id=KEY.key_id)
    target = find_target(request, ctx.warehouse, ctx.store)
    assert len(target.sessions) == PERSON_SESSIONS
    return len(target.sessions)


def erase(root: DataRoot) -> int:
    """The whole request: find, tombstones, folders, every partition, the log, embeddings, indexes, audit.

    Each step's time is written beside the store (`steps.json`), for the table of where the time goes.
    """
    ctx = context(root)
    request = new_request(ctx.store, pseudonym=KEY.pseudonymize(PERSON), key_id=KEY.key_id)
    steps, last = {}, [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        steps[step.split(":")[0]] = steps.get(step.split(":")[0], 0.0) + now - last[0]
        last[0] = now

    entry = erase_request(ctx, request.id, on_step=lap)
    assert read_request(ctx.store, request.id).status == "completed"
    (root.root.parent / "steps.json").write_text(json.dumps(steps))
    return len(entry["found"]["sessions"])


STEPS = {"floor": floor, "find": find, "erase": erase}
LABELS = {
    "floor": "floor: scan every partition, the log and the embedding store for the person",
    "find": "find the person's sessions and images through the index",
    "erase": "erase the person everywhere (find, rewrite their partitions, log, embeddings, indexes)",
}


def measure(pristine: DataRoot, repeats: int) -> dict[str, dict]:
    results = {}
    for name in STEPS:
        runs = []
        for _ in range(repeats):
            run = DataRoot(WORK / "erasure-run" / "data")
            shutil.rmtree(run.root.parent, ignore_errors=True)
            shutil.copytree(pristine.root, run.root, copy_function=shutil.copy2)
            os.sync()  # the copy's dirty pages written now, not by the step's first fsync
            runs.append(run_step("benchmarks.erasure", name, "--root", str(run.root)))
            laps = run.root.parent / "steps.json"
            runs[-1]["steps"] = json.loads(laps.read_text()) if laps.exists() else {}
        results[name] = min(runs, key=lambda r: r["seconds"]) | {"peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}
        print(json.dumps({name: results[name]}), flush=True)
    shutil.rmtree(WORK / "erasure-run", ignore_errors=True)
    return results


def report(results: dict[str, dict], sessions: int, days: int, repeats: int, load: tuple[float, ...]) -> None:
    base = results["floor"]["seconds"]
    rows = [
        f"| {LABELS[name]} | {r['seconds'] * 1000:.0f} ms | {base / r['seconds']:.1f}x | {r['peak_rss_mib']:.0f} MiB |"
        for name, r in results.items()
    ]
    table = (
        f"Store: {sessions:,} sessions over {days} days (5 daily tables, the training log and its audit tables, "
        f"an embedding catalog and a {DIM}-dimensional vector store, the person index); the person has "
        f"{PERSON_SESSIONS} sessions on {PERSON_SESSIONS - 1} days, real folders with images. Best of {repeats} "
        f"fresh-process runs, each on a fresh copy of the store. Load average before: "
        f"{', '.join(f'{x:.1f}' for x in load)} (2 CPUs, shared with other work).\n\n"
        "| step | time | faster than the floor | peak RSS |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Where the erasure's time goes (its fastest run):\n\n| erasure step | time |\n|---|---|\n"
        + "\n".join(f"| {step} | {t * 1000:.0f} ms |" for step, t in results["erase"]["steps"].items())
        + "\n\n"
        "The floor is what finding the person costs without an index: the identifying columns of every stored "
        "partition, the training log and the embedding store's hashes, read once. Goal: 20x faster than it. "
        f"Finding the person through the index is {base / results['find']['seconds']:.0f}x faster; the whole "
        f"erasure is {base / results['erase']['seconds']:.1f}x faster. What bounds the erasure is not finding but "
        "rewriting the files that are one per store, whose size is the store's: the embedding catalog "
        "(`image_embeddings`, one row per image), the training log and its audit table (every later line "
        "renumbered); the partitions, index shards and vector shards it rewrites are the person's only.\n"
    )
    write_results(
        "erasure", {"sessions": sessions, "days": days, "repeats": repeats, "load": load, "results": results}, table
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step")
    parser.add_argument("--root")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.step:
        import pandas  # noqa: F401  (pyarrow imports it on its first list conversion: as in any Dagster process)

        from benchmarks.common import step_result

        step_result(lambda: STEPS[args.step](DataRoot(Path(args.root))))
        return
    load = os.getloadavg()
    pristine = DataRoot(WORK / f"erasure-{args.sessions}-{args.days}" / "data")
    if not (pristine.root / "warehouse").is_dir():
        shutil.rmtree(pristine.root.parent, ignore_errors=True)
        build(pristine, args.sessions, args.days)
    report(measure(pristine, args.repeats), args.sessions, args.days, args.repeats, load)
    print(peak_rss_mib())


if __name__ == "__main__":
    main()
