"""The proof that erased people stay erased: no tombstoned pseudonym, image hash or session folder anywhere.

It looks everywhere a person can be: hot session folders, the cold tier (every receipt's folder list, and
the objects of the days a request touched, read whole: file hashes and the pseudonyms of their metadata),
every partition of every table that can hold a person, the embedding store, every export version, and the
app's training log. It reads what it checks, so it costs a pass over the store: a nightly check, not a lookup.
"""

from __future__ import annotations

import mmap

import pyarrow.compute as pc

from curata.archive.receipts import receipts
from curata.embeddings.store import EmbeddingStore
from curata.erasure.archived import archived_sessions
from curata.erasure.context import ErasureContext
from curata.erasure.datasets import versions_holding
from curata.erasure.holdings import Erased, table_holdings
from curata.sessions.naming import parse_folder_name
from curata.sessions.tombstones import Tombstones
from curata.tombstones import CONTENT, PSEUDONYM, SESSION

SHOWN = 5


def erased_everywhere(ctx: ErasureContext) -> Erased:
    stones = Tombstones.load(ctx.warehouse)
    return Erased(frozenset(stones.of(SESSION)), frozenset(stones.of(PSEUDONYM)), frozenset(stones.of(CONTENT)))


def remaining(ctx: ErasureContext) -> list[str]:
    """One line per place that still holds something erased; empty when every tier is clean."""
    erased = erased_everywhere(ctx)
    if not erased:
        return []
    return [
        *hot_folders(ctx, erased),
        *cold_tier(ctx, erased),
        *tables(ctx, erased),
        *embeddings(ctx, erased),
        *[f"{key}: {n} row(s) of erased people" for key, n in sorted(versions_holding(ctx.store, erased).items())],
        *training_log(ctx, erased),
    ]


def hot_folders(ctx: ErasureContext, erased: Erased) -> list[str]:
    sessions = ctx.layout.sessions
    back = sorted(f for f in erased.folders if (sessions / f).exists() or (sessions / f).is_symlink())
    where = sessions.relative_to(ctx.layout.root).as_posix()
    return [f"{where}/{f}: an erased session folder is on disk" for f in back]


def cold_tier(ctx: ErasureContext, erased: Erased) -> list[str]:
    problems, touched = [], {parse_folder_name(f).date().isoformat() for f in erased.folders if parse_folder_name(f)}
    for receipt in receipts(ctx.store):
        listed = sorted(set(receipt.folders) & erased.folders)
        if listed:
            shown = ", ".join(listed[:SHOWN])
            problems.append(f"{receipt.entry.object_key}: the receipt lists erased folder(s) {shown}")
        if receipt.entry.day in touched:
            problems += _archive_holds(ctx, receipt.entry.object_key, erased)
    return problems


def _archive_holds(ctx: ErasureContext, key: str, erased: Erased) -> list[str]:
    tiers = ctx.tiers(f"{key} must be read to prove it holds no erased data")
    problems = []
    for folder, session in archived_sessions(tiers.cold, key, ctx.limits.max_metadata_bytes).items():
        if session.hashes & erased.hashes:
            problems.append(f"{key}: {folder} holds an erased image")
        if ctx.key.pseudonymize(session.email) in erased.pseudonyms:
            problems.append(f"{key}: {folder} belongs to an erased pseudonym")
    return problems


def tables(ctx: ErasureContext, erased: Erased) -> list[str]:
    wh, problems = ctx.warehouse, []
    for holding in table_holdings():
        for partition in wh.partitions(holding.name):
            table = wh.read(holding.name, partition, columns=holding.columns)
            count = pc.sum(holding.matches(table, erased)).as_py() or 0
            if count:
                problems.append(f"{holding.name}[{partition}]: {count} row(s) of erased people")
    return problems


def embeddings(ctx: ErasureContext, erased: Erased) -> list[str]:
    store, problems = EmbeddingStore(ctx.store), []
    wanted = sorted(erased.hashes)
    for fingerprint in store.fingerprints():
        held = set(store.read(fingerprint, ["sha256"]).column("sha256").to_pylist()) & set(wanted)
        if held:
            problems.append(f"embeddings/{fingerprint}: {len(held)} vector(s) of erased images")
    return problems


def training_log(ctx: ErasureContext, erased: Erased) -> list[str]:
    path = ctx.layout.training_log
    if not erased.folders or not path.is_file() or path.stat().st_size == 0:
        return []
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        named = sorted(f for f in erased.folders if data.find(f.encode()) != -1)
    return [f"{path.name}: names erased session(s) {', '.join(named[:SHOWN])}"] if named else []
