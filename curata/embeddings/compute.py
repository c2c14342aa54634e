"""Embeds the images a store does not hold yet, streaming: decoding overlaps the forward pass.

Work is done in sorted-hash order, one shard per `shard_batches` batches. A re-run after a kill
finds the missing hashes as a tail of that order starting on a shard boundary, so it forms the
same batches and writes the same shards, bit for bit, as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from curata.embeddings.model import LoadedModel
from curata.embeddings.preprocess import decode_for_model
from curata.embeddings.store import EmbeddingStore
from curata.embeddings.tables import FAILED, OK
from curata.embeddings.wanted import WantedImage
from curata.progress import Progress


@dataclass
class EmbedReport:
    fingerprint: str
    wanted: int = 0
    already_stored: int = 0
    embedded: int = 0
    failed: list[str] = field(default_factory=list)  # paths that could not be decoded (recorded, not retried)
    changed: list[str] = field(default_factory=list)  # paths whose bytes no longer match their hash (not stored)
    shards_written: int = 0


@dataclass
class _Prepared:
    tensors: list[torch.Tensor]
    ok: list[WantedImage]
    rows: list[dict]  # failures, recorded in the shard
    changed: list[str]


def _prepare(batch: list[WantedImage], model: LoadedModel, data_root: Path, reduced: bool) -> _Prepared:
    out = _Prepared([], [], [], [])
    for item in batch:
        try:
            data = (data_root / item.path).read_bytes()
        except OSError as exc:
            out.changed.append(f"{item.path}: {exc.strerror}")
            continue
        if hashlib.sha256(data).hexdigest() != item.sha256:
            out.changed.append(item.path)
            continue
        try:
            image = decode_for_model(data, model.image_size, reduced=reduced)
            out.tensors.append(model.preprocess(image))
            out.ok.append(item)
        except Exception as exc:  # a corrupt image fails alone, never the batch
            out.rows.append(
                {
                    "sha256": item.sha256,
                    "status": FAILED,
                    "vector": None,
                    "source_path": item.path,
                    "error": f"{type(exc).__name__}: {exc}"[:500],
                }
            )
    return out


def missing_work(
    store: EmbeddingStore, fingerprint: str, wanted: Iterable[WantedImage]
) -> tuple[list[WantedImage], int]:
    """Unique wanted images not yet in the store (ok or failed), sorted by hash; and how many were."""
    unique = {w.sha256: w for w in sorted(wanted, key=lambda w: (w.sha256, w.path))}
    have = store.listing(fingerprint)
    todo = [unique[h] for h in sorted(unique) if h not in have]
    return todo, len(unique) - len(todo)


def split_work(todo: list[WantedImage], chunks: int) -> list[list[WantedImage]]:
    """Disjoint chunks by hash range, so parallel writers never embed the same image twice."""
    out: list[list[WantedImage]] = [[] for _ in range(max(1, chunks))]
    for item in todo:
        out[int(item.sha256[:8], 16) * len(out) >> 32].append(item)
    return out


def embed_missing(
    model: LoadedModel,
    store: EmbeddingStore,
    wanted: Iterable[WantedImage],
    data_root: Path,
    **options: object,
) -> EmbedReport:
    """Embeds what is missing, in one process (the CLI, tests); the asset fans chunks out instead."""
    store.describe(model.fingerprint, model.description)
    todo, stored = missing_work(store, model.fingerprint, wanted)
    report = embed_images(model, store, todo, data_root, **options)  # type: ignore[arg-type]
    report.wanted, report.already_stored = len(todo) + stored, stored
    return report


def embed_images(
    model: LoadedModel,
    store: EmbeddingStore,
    todo: list[WantedImage],
    data_root: Path,
    *,
    shard_batches: int = 4,
    decode_workers: int = 2,
    reduced_decode: bool = True,
    throttle_seconds: float = 0.0,
    on_shard: Callable[[str], None] | None = None,
) -> EmbedReport:
    """Embeds `todo` (unique, sorted by hash). Memory holds a few batches, whatever the number of images."""
    fp = model.fingerprint
    store.describe(fp, model.description)
    store.remove_temporaries(fp)
    report = EmbedReport(fp, wanted=len(todo))
    progress = Progress("embedding", len(todo), "images")
    size = model.spec.batch_size
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    pending_rows: list[dict] = []
    with ThreadPoolExecutor(max_workers=max(1, decode_workers)) as pool:
        ahead: deque[Future[_Prepared]] = deque()
        queue = iter(batches)
        for batch in queue:  # keep two batches decoding while the model runs
            ahead.append(pool.submit(_prepare, batch, model, data_root, reduced_decode))
            if len(ahead) >= 2:
                break
        done = 0
        while ahead:
            prepared = ahead.popleft().result()
            nxt = next(queue, None)
            if nxt is not None:
                ahead.append(pool.submit(_prepare, nxt, model, data_root, reduced_decode))
            rows = list(prepared.rows)
            if prepared.tensors:
                vectors = model.encode(torch.stack(prepared.tensors)).numpy()
                rows += [
                    {
                        "sha256": item.sha256,
                        "status": OK,
                        "vector": vec.tolist(),
                        "source_path": item.path,
                        "error": None,
                    }
                    for item, vec in zip(prepared.ok, vectors, strict=True)
                ]
            report.embedded += len(prepared.ok)
            progress.advance(len(prepared.ok) + len(prepared.rows) + len(prepared.changed))
            report.failed += [r["source_path"] for r in prepared.rows]
            report.changed += prepared.changed
            pending_rows += rows
            done += 1
            if pending_rows and (done % shard_batches == 0 or not ahead):
                shard = store.write_shard(fp, model.dim, pending_rows)
                report.shards_written += 1
                pending_rows = []
                if on_shard:
                    on_shard(shard)
                if throttle_seconds:
                    time.sleep(throttle_seconds)
    progress.finish()
    return report
