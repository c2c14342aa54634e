"""A declared rotation of the pseudonym key: every pseudonym re-keyed in one resumable job, one person one pseudonym.

The mapping old -> new comes from the emails in the sessions' metadata (hot folders, and archived days read
from their objects without restoring them); it holds pseudonyms only and is deleted when the rotation ends.
A pseudonym whose sources are gone (its folders were erased, or deleted outside Curata) cannot be mapped: it
keeps its old value and the old key's id, so a tombstone of an erased person stays as it was and matches
under the old key only; their image-hash and session tombstones still refuse their data after the rotation.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curata.archive.receipts import REMOVED, receipts
from curata.erasure.archived import archived_sessions
from curata.erasure.context import ErasureContext
from curata.erasure.datasets import take_down
from curata.erasure.holdings import DATASET_HOLDINGS, Holding, table_holdings
from curata.erasure.index import INDEXES, refresh_indexes
from curata.erasure.journal import Journal, StepHook
from curata.erasure.keys import complete_rotation, declare_rotation, read_key_record
from curata.erasure.requests import PENDING, all_requests
from curata.erasure.store_keys import rotation_key, rotation_mapping_key
from curata.export.rewrite import row_files
from curata.export.versioned import dataset_key, version_names
from curata.layout import EXPORTS
from curata.privacy import PseudonymKey, PseudonymKeyError
from curata.sessions.inventory import list_session_folders
from curata.sessions.people import email_of, read_metadata
from curata.tombstones import ERASURE_TOMBSTONES, PSEUDONYM

MAPPING = pa.schema([("old", pa.string()), ("new", pa.string())])
KEY_ID = "pseudonym_key_id"  # beside a table's pseudonyms, where it has one: the key that made them


def rotate_key(ctx: ErasureContext, new: PseudonymKey, on_step: StepHook | None = None) -> dict:
    """Re-keys every table, tombstone and export from `ctx.key` to `new`, then makes `new` the active key."""
    old = ctx.key
    record = read_key_record(ctx.store)
    journal = Journal(ctx.store, rotation_key(new.key_id), on_step)
    if record is not None and record.active == new.key_id and record.rotating_to is None:
        return journal.run("complete", lambda: _complete(ctx, new, {"from": old.key_id, "to": new.key_id}))
    pending = [r.id for r in all_requests(ctx.store) if r.status == PENDING]
    if pending and (record is None or record.rotating_to != new.key_id):  # a rotation under way is finished
        raise PseudonymKeyError(f"erasure request(s) {', '.join(pending)} are pending: finish them before rotating")
    declare_rotation(ctx.store, old, new)
    found = journal.run("mapping", lambda: _write_mapping(ctx, new))
    mapping = _read_mapping(ctx, new)
    summary = {"from": old.key_id, "to": new.key_id, "people": found["people"], "sources": found}
    summary["tables"] = {
        h.name: journal.run(f"table:{h.name}", lambda h=h: _rekey_table(ctx, h, mapping, old.key_id, new.key_id))
        for h in rekeyed_tables()
    }
    summary["indexes_days_read"] = len(journal.run("indexes", lambda: refresh_indexes(ctx.warehouse)))
    summary["tombstones"] = journal.run("tombstones", lambda: _rekey_tombstones(ctx, mapping, new.key_id))
    summary["exports"] = _rekey_exports(ctx, journal, mapping, f"pseudonym key rotation {old.key_id} -> {new.key_id}")
    return journal.run("complete", lambda: _complete(ctx, new, summary))


def _write_mapping(ctx: ErasureContext, new: PseudonymKey) -> dict:
    """old pseudonym -> new, from every email the sessions' metadata holds; emails never leave this function."""
    emails: set[str] = set()
    limit = ctx.limits.max_metadata_bytes
    hot = list_session_folders(ctx.layout.sessions, limit) if ctx.layout.sessions.is_dir() else []
    for folder in hot:
        emails.add(email_of(read_metadata(ctx.layout.sessions / folder.name, limit)) or "")
    archived = [r for r in receipts(ctx.store) if r.hot_copy == REMOVED]
    for receipt in archived:
        cold = ctx.tiers(f"day {receipt.entry.day} is archived").cold
        held = archived_sessions(cold, receipt.entry.object_key, ctx.limits.max_metadata_bytes)
        emails.update(s.email or "" for s in held.values())
    emails.discard("")
    pairs = sorted((ctx.key.pseudonymize(e), new.pseudonymize(e)) for e in emails)
    table = pa.Table.from_pylist([{"old": o, "new": n} for o, n in pairs], schema=MAPPING)
    with ctx.store.writing(rotation_mapping_key(new.key_id)) as tmp:
        pq.write_table(table, tmp)
    return {"people": len(pairs), "hot_folders": len(hot), "archived_days": len(archived)}


def _read_mapping(ctx: ErasureContext, new: PseudonymKey) -> dict[str, str]:
    table = ctx.warehouse.read_key(rotation_mapping_key(new.key_id))
    return dict(zip(table.column("old").to_pylist(), table.column("new").to_pylist(), strict=True))


def rekeyed_tables() -> list[Holding]:
    """Every registered table holding pseudonyms, re-keyed in place; the indexes are refreshed from
    `session_people` instead."""
    indexes = {index.spec.name for index in INDEXES}
    return [h for h in table_holdings(lambda spec: spec.name not in indexes) if h.pseudonyms]


def _rekey_table(ctx: ErasureContext, holding: Holding, mapping: dict[str, str], old_id: str, new_id: str) -> dict:
    """Every partition's pseudonyms mapped; a pseudonym of the old key with no source left is counted, not changed."""
    wh, changed, unmapped = ctx.warehouse, 0, 0
    for partition in wh.partitions(holding.name):
        table = wh.read(holding.name, partition)
        rekeyed, moved, left = _rekeyed(table, holding.pseudonyms, mapping, old_id, new_id)
        unmapped += left
        if moved:
            wh.write(holding.name, rekeyed, partition)
            changed += moved
    return {"rows_rekeyed": changed, "rows_left_with_the_old_key": unmapped}


def _rekeyed(
    table: pa.Table, columns: tuple[str, ...], mapping: dict[str, str], old_id: str, new_id: str
) -> tuple[pa.Table, int, int]:
    """(the table with its pseudonyms and key ids mapped, values mapped, old-key values left unmapped); a table
    without a key id column holds pseudonyms of the old key."""
    has_key_ids = KEY_ID in table.column_names
    key_ids = table.column(KEY_ID).to_pylist() if has_key_ids else [old_id] * table.num_rows
    mapped_rows, moved, unmapped = [False] * table.num_rows, 0, 0
    for column in columns:
        pseudonyms = table.column(column).to_pylist()
        hit = [p in mapping for p in pseudonyms]
        moved += sum(hit)
        pairs = zip(pseudonyms, hit, key_ids, strict=True)
        unmapped += sum(p is not None and not h and k == old_id for p, h, k in pairs)
        mapped_rows = [m or h for m, h in zip(mapped_rows, hit, strict=True)]
        table = _set(table, column, [mapping.get(p, p) for p in pseudonyms])
    if has_key_ids:
        table = _set(table, KEY_ID, [new_id if m else k for m, k in zip(mapped_rows, key_ids, strict=True)])
    return table, moved, unmapped


def _rekey_tombstones(ctx: ErasureContext, mapping: dict[str, str], new_id: str) -> int:
    wh, changed = ctx.warehouse, 0
    for request in wh.partitions(ERASURE_TOMBSTONES.name):
        table = wh.read(ERASURE_TOMBSTONES.name, request)
        rows = table.to_pylist()
        hit = [r for r in rows if r["kind"] == PSEUDONYM and r["value"] in mapping]
        for r in hit:
            r["value"], r["pseudonym_key_id"] = mapping[r["value"]], new_id
        if hit:
            wh.write(ERASURE_TOMBSTONES.name, ERASURE_TOMBSTONES.from_rows(rows), request)
            changed += len(hit)
    return changed


def _rekey_exports(ctx: ErasureContext, journal: Journal, mapping: dict[str, str], reason: str) -> list[dict]:
    held = journal.run("export_plan", lambda: _versions_with(ctx, mapping))
    out = []
    for key in sorted(held):
        columns = DATASET_HOLDINGS[key.rsplit("/", 2)[-2]].pseudonyms
        rows = _mapped(columns, mapping)
        out.append(journal.run(f"export:{key}", lambda k=key, r=rows: take_down(ctx.store, k, r, reason)))
    return out


def _versions_with(ctx: ErasureContext, mapping: dict[str, str]) -> list[str]:
    """Versions holding a pseudonym the rotation maps."""
    old = pa.array(sorted(mapping), pa.string())
    out = []
    for dataset in ctx.store.children(EXPORTS):
        columns = DATASET_HOLDINGS[dataset].pseudonyms if dataset in DATASET_HOLDINGS else ()
        for name in version_names(ctx.store, dataset) if columns else []:
            key = f"{dataset_key(dataset)}/{name}"
            for rel in row_files(ctx.store, key):
                with ctx.store.open(f"{key}/{rel}") as handle:
                    table = pq.read_table(handle, columns=list(columns))
                if any(pc.any(pc.is_in(table.column(c), old)).as_py() for c in columns):
                    out.append(key)
                    break
    return out


def _mapped(columns: tuple[str, ...], mapping: dict[str, str]) -> Callable[[pa.Table], pa.Table]:
    def rows(batch: pa.Table) -> pa.Table:
        for c in columns:
            batch = _set(batch, c, [mapping.get(v, v) for v in batch.column(c).to_pylist()])
        return batch

    return rows


def _set(table: pa.Table, column: str, values: list) -> pa.Table:
    at = table.schema.get_field_index(column)
    return table.set_column(at, table.schema.field(at), pa.array(values, table.schema.field(at).type))


def _complete(ctx: ErasureContext, new: PseudonymKey, summary: dict) -> dict:
    record = read_key_record(ctx.store)
    if record is not None and record.rotating_to == new.key_id:
        complete_rotation(ctx.store)
    ctx.store.delete(rotation_mapping_key(new.key_id))  # old and new pseudonyms are never linked again
    return summary
