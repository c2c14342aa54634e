"""One erasure request carried out, step by step, each step journaled, so that a killed run is finished by the next.

Order: find (through the indexes), tombstones (so a concurrent ingest cannot accept the person again), hot
folders, archived days, the warehouse's partitions, the app's training log, curation and project rows with
their image copies, embeddings, the indexes, every export version, then the audit entry. Which tables hold a
person is read from their columns' roles (`curata.erasure.holdings`): a table declared with one is reached.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime

import pyarrow.compute as pc

from curata.archive.receipts import read_receipt
from curata.archive.rewrite import rewrite_day_without
from curata.archive.tables import ARCHIVE_INVENTORY, inventory_table
from curata.embeddings.store import EmbeddingStore
from curata.erasure import log_lines
from curata.erasure.audit import counts, read_audit, write_audit
from curata.erasure.cascade import CURATION_TABLES, PROJECT_TABLES, erase_from_curation, erase_from_projects
from curata.erasure.context import ErasureContext
from curata.erasure.datasets import take_down, versions_holding, without
from curata.erasure.holdings import DATASET_HOLDINGS, Erased, Holding, by_session_day, table_holdings
from curata.erasure.index import INDEXES, remove_from_indexes
from curata.erasure.journal import Journal, StepHook
from curata.erasure.keys import KeyChanged, check_key
from curata.erasure.people import fill_missing_people
from curata.erasure.requests import COMPLETED, ErasureRequest, read_request, write_request
from curata.erasure.store_keys import journal_folder, journal_key
from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.erasure.targets import Target, find_target
from curata.sessions.tables import TRAINING_LOG_LINES, TRAINING_LOG_QUARANTINE
from curata.tables import TableSpec
from curata.tombstones import ERASURE_TOMBSTONES, tombstone_table

LOG_ATTEMPTS = 3  # the app may append while the log is rewritten: plan again, at most this often
# Tables a step of their own derives again (from the curation logs, a project's files, session_people, the app's
# log): filtering them in place first would hide from that step the rows it looks for.
DERIVED_AGAIN = frozenset(
    spec.name
    for spec in (
        *CURATION_TABLES,
        *PROJECT_TABLES,
        *(i.spec for i in INDEXES),
        TRAINING_LOG_LINES,
        TRAINING_LOG_QUARANTINE,
    )
)


def erase_request(
    ctx: ErasureContext, request_id: str, run_id: str | None = None, on_step: StepHook | None = None
) -> dict:
    """Carries out the request (or finishes it) and returns its audit entry; a completed request is not redone."""
    request = read_request(ctx.store, request_id)
    done = read_audit(ctx.store, request_id)
    if request.status == COMPLETED and done is not None:
        return done
    _check_key(ctx, request)
    journal = Journal(ctx.store, journal_key(request_id), on_step)
    target = Target.from_json(journal.run("find", lambda: _find(ctx, request)))
    pseudonyms = frozenset([request.pseudonym] if request.pseudonym else [])
    erased = Erased(frozenset(target.sessions), pseudonyms, frozenset(target.hashes))
    removed = {
        "tombstones": journal.run("tombstones", lambda: _tombstones(ctx, request, target)),
        "hot_folders": journal.run("hot_folders", lambda: _hot_folders(ctx, target)),
        "archives": {day: _archive(ctx, journal, request, target, day, key) for day, key in target.archives.items()},
        "tables": journal.run("session_tables", lambda: _session_tables(ctx, target, erased))
        | journal.run("tables_in_place", lambda: _tables_in_place(ctx, erased)),
        "training_log": _training_log(ctx, journal, request, erased),
        "curation": journal.run("curation", lambda: erase_from_curation(ctx.inputs, erased)),
        "projects": journal.run("projects", lambda: erase_from_projects(ctx.inputs, erased)),
        "embedding_store": journal.run("embedding_store", lambda: _embeddings(ctx, erased)),
        "indexes": journal.run("indexes", lambda: _indexes(ctx, target)),
        "exports": _exports(ctx, journal, request, erased),
    }
    entry = journal.run("audit", lambda: _audit(ctx, request, target, removed, run_id))
    done_at = datetime.fromisoformat(entry["completed_at"])
    write_request(ctx.store, request.completed(entry["run_id"], {"sessions": len(target.sessions)}, done_at))
    return entry


def _check_key(ctx: ErasureContext, request: ErasureRequest) -> None:
    """A request's pseudonym was made with the key then active: after a rotation it would find nobody."""
    record = check_key(ctx.store, ctx.key)
    if request.pseudonym_key_id not in (None, record.active):
        raise KeyChanged(
            f"request {request.id} holds a pseudonym made with key {request.pseudonym_key_id}, rotated since to "
            f"{record.active}: make a new request (`curata forget --email ...`)"
        )


def _find(ctx: ErasureContext, request: ErasureRequest) -> dict:
    wh = ctx.warehouse
    if ctx.layout.sessions.is_dir():
        fill_missing_people(wh, ctx.layout.sessions, ctx.key, ctx.limits)
    target = find_target(request, wh, ctx.store)
    write_request(ctx.store, replace(request, session_ids=tuple(target.sessions)))
    return target.to_json()


def _tombstones(ctx: ErasureContext, request: ErasureRequest, target: Target) -> int:
    table = tombstone_table(
        request.id, request.requested_at, request.pseudonym, request.pseudonym_key_id, target.hashes, target.sessions
    )
    ctx.warehouse.write(ERASURE_TOMBSTONES.name, table, request.id)
    return table.num_rows


def _hot_folders(ctx: ErasureContext, target: Target) -> list[str]:
    removed = []
    for folder in target.sessions:
        path = ctx.layout.sessions / folder
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        removed.append(folder)
    return removed


def _archive(
    ctx: ErasureContext, journal: Journal, request: ErasureRequest, target: Target, day: str, old_key: str
) -> dict:
    """The day's archive rewritten without the folders, the inventory updated, and only then the old object gone."""

    def rewrite() -> dict:
        tiers = ctx.tiers(f"day {day} holds sessions to erase in the cold tier")
        done = rewrite_day_without(day, set(target.sessions), tiers, request.id, ctx.compression_level)
        ctx.warehouse.write(ARCHIVE_INVENTORY.name, inventory_table([done.entry] if done.entry else []), day)
        folders = sorted(f for f, d in target.sessions.items() if d == day)
        new_key = done.entry.object_key if done.entry else None
        return {"status": done.status, "old_key": old_key, "new_key": new_key, "folders": folders}

    def remove_old() -> int:
        receipt = read_receipt(ctx.store, day)
        if receipt is not None and receipt.entry.object_key == old_key:
            return 0  # nothing of the day was rewritten: the object is still the day's archive
        return ctx.tiers(f"day {day}'s old archive must be removed").cold.delete(old_key)

    result = journal.run(f"archive:{day}", rewrite)
    return result | {"old_versions_removed": journal.run(f"archive_cleanup:{day}", remove_old)}


def _session_tables(ctx: ErasureContext, target: Target, erased: Erased) -> dict[str, dict[str, int]]:
    """Every session table partition of the person's days rewritten without their rows (each write atomic)."""
    wh = ctx.warehouse
    out: dict[str, dict[str, int]] = {}
    for holding in table_holdings(by_session_day):
        for day in target.days:
            if wh.exists(holding.name, day) and (count := _rewrite_without(ctx, holding, day, erased)):
                out.setdefault(holding.name, {})[day] = count
    return out


def _tables_in_place(ctx: ErasureContext, erased: Erased) -> dict[str, dict[str, int]]:
    """Every other table that can hold a person, each partition rewritten without their rows (image_embeddings,
    the probes' label issues, ...)."""
    out: dict[str, dict[str, int]] = {}
    for holding in table_holdings(_filtered_in_place):
        for partition in ctx.warehouse.partitions(holding.name):
            if count := _rewrite_without(ctx, holding, partition, erased):
                out.setdefault(holding.name, {})[partition] = count
    return out


def _filtered_in_place(spec: TableSpec) -> bool:
    return not by_session_day(spec) and spec.name not in DERIVED_AGAIN


def _rewrite_without(ctx: ErasureContext, holding: Holding, partition: str, erased: Erased) -> int:
    """The partition rewritten (atomically) without the rows of `erased`, if it holds any; returns their count."""
    wh = ctx.warehouse
    table = wh.read(holding.name, partition)
    hit = holding.matches(table, erased)
    count = pc.sum(hit).as_py() or 0
    if count:
        wh.write(holding.name, table.filter(pc.invert(hit)), partition)
    return count


def _training_log(ctx: ErasureContext, journal: Journal, request: ErasureRequest, erased: Erased) -> dict:
    """The app's log without the person's lines, then the audit tables renumbered from the same plan."""
    path = ctx.layout.training_log
    for _ in range(LOG_ATTEMPTS):
        plan = log_lines.LogPlan.from_json(journal.run("log_plan", lambda: _plan_log(ctx, request, erased)))
        try:
            lines = journal.run("log_file", lambda p=plan: log_lines.rewrite_log(path, p, erased.folders))
            break
        except log_lines.LogChanged:
            journal.forget("log_plan")
    else:
        raise log_lines.LogChanged(f"{path.name} kept changing while it was rewritten; run the request again")
    journal.run("log_tables", lambda: _copy_staged(ctx, request))
    return {"lines": lines, "line_numbers": plan.removed}


def _plan_log(ctx: ErasureContext, request: ErasureRequest, erased: Erased) -> dict:
    """Which lines go, and the audit tables as they will be, staged in the journal's folder."""
    plan = log_lines.plan_log(ctx.layout.training_log, erased.folders)
    wh = ctx.warehouse
    if plan.removed and wh.exists(TRAINING_LOG_LINES.name) and wh.exists(TRAINING_LOG_QUARANTINE.name):
        log_file = ctx.layout.training_log.relative_to(ctx.layout.root).as_posix()
        lines, quarantine = log_lines.renumber(
            wh.read(TRAINING_LOG_LINES.name), wh.read(TRAINING_LOG_QUARANTINE.name), plan.removed, log_file
        )
        wh.write_key(f"{journal_folder(request.id)}/{TRAINING_LOG_LINES.name}.parquet", lines)
        wh.write_key(f"{journal_folder(request.id)}/{TRAINING_LOG_QUARANTINE.name}.parquet", quarantine)
    return plan.to_json()


def _copy_staged(ctx: ErasureContext, request: ErasureRequest) -> list[str]:
    wh, copied = ctx.warehouse, []
    for name in (TRAINING_LOG_LINES.name, TRAINING_LOG_QUARANTINE.name):
        staged = f"{journal_folder(request.id)}/{name}.parquet"
        if ctx.store.exists(staged):
            wh.write(name, wh.read_key(staged))
            ctx.store.delete(staged)
            copied.append(name)
    return copied


def _indexes(ctx: ErasureContext, target: Target) -> int:
    keys = {PERSON_INDEX.name: target.pseudonyms, IMAGE_INDEX.name: target.hashes + target.shared}
    return remove_from_indexes(ctx.warehouse, target.sessions, keys, target.versions)


def _embeddings(ctx: ErasureContext, erased: Erased) -> dict[str, int]:
    store = EmbeddingStore(ctx.store)
    return {fp: n for fp in store.fingerprints() if (n := store.remove(fp, erased.hashes))}


def _exports(ctx: ErasureContext, journal: Journal, request: ErasureRequest, erased: Erased) -> list[dict]:
    held = journal.run("export_plan", lambda: versions_holding(ctx.store, erased))
    reason = f"erasure request {request.id}: the rows of one person removed"
    out = []
    for key in sorted(held):
        dataset = key.rsplit("/", 2)[-2]
        rows = without(DATASET_HOLDINGS[dataset], erased)
        out.append(journal.run(f"export:{key}", lambda k=key, r=rows: take_down(ctx.store, k, r, reason)))
    return out


def _audit(ctx: ErasureContext, request: ErasureRequest, target: Target, removed: dict, run_id: str | None) -> dict:
    entry: dict = {
        "request_id": request.id,
        "pseudonym": request.pseudonym,
        "pseudonym_key_id": request.pseudonym_key_id,
        "requested_at": request.requested_at.isoformat(),
        "completed_at": datetime.now(UTC).isoformat(),
        "run_id": run_id,
        "found": {
            "sessions": sorted(target.sessions),
            "days": target.days,
            "image_hashes": len(target.hashes),
            "image_hashes_shared_and_kept": len(target.shared),
        },
        "removed": removed,
    }
    found_nothing = not any(n for place, n in counts(entry).items() if place != "sessions")
    entry["found"]["nothing_found"] = found_nothing  # a session id that names no data anywhere, too
    return write_audit(ctx.store, entry)
