"""Versioned exports: every dataset written the same way, into a staging folder, then published whole.

`exports/<dataset>/v<UTC time>-<digest>/` holds `data/<split>-00000-of-00001.parquet`, a dataset card
(`README.md`) and `manifest.json`, published last, so a folder without a manifest is never a version.
`exports/<dataset>/README.md` (and `LATEST`) then point at the latest version: see `point_at_latest`.
Each run stages into its own `.staging-<UTC time>-<uuid>` folder and removes only its own, or ones
older than `STALE_STAGING` (left by a killed run). An export whose content digest equals the latest
version's is not written again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from curata.export.card import render_card, root_card
from curata.export.features import hf_schema, yaml_features
from curata.export.parquet import Materialize, RowSource, write_parquet
from curata.export.splits import SPLITS, Grouping
from curata.layout import EXPORTS
from curata.provenance import code_version
from curata.storage import Store

MANIFEST = "manifest.json"
CARD = "README.md"
LATEST = "LATEST"  # the latest version's name, in the dataset's folder
STAGING = ".staging-"
STALE_STAGING = timedelta(hours=24)
_DIGEST_ROWS = 8192
_STAMP = "%Y%m%dT%H%M%S%fZ"  # UTC to the microsecond: names sort in time order


class ExportConflict(RuntimeError):
    """Another run published different content under the same version name while this one was writing."""


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is: its columns, what keeps rows in one split, and the prose of its card."""

    name: str
    title: str
    columns: tuple[pa.Field, ...]
    grouping: Grouping
    summary: str  # what one row is and what it is for
    sources: str  # where the rows come from
    validation: str  # how the records were validated
    rule_prefixes: tuple[str, ...]  # the rules of curata.rules a record had to pass
    usage: str  # how to train with it, after the load_dataset example

    @property
    def schema(self) -> pa.Schema:
        return hf_schema(self.columns)


@dataclass(frozen=True)
class Provenance:
    """Given by the caller: which partitions were read, and how many records each rule refused."""

    source_partitions: dict[str, list[str]]
    quarantine_by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """An exporter's rows before images are read, which of them go where, and how to fill them in.

    `rows` may share the input tables' buffers: nothing is copied until a chunk is written.
    """

    rows: pa.Table
    order: np.ndarray  # indices into `rows` of the rows exported, in output order
    splits: np.ndarray  # index into SPLITS of each exported row, aligned with `order`
    materialize: Materialize  # the plan rows of one chunk -> the dataset's rows
    accepted_records: int  # input records accepted by validation (what readiness counts)
    split: dict[str, object]  # SplitAssignment.facts
    extra: dict[str, object] = field(default_factory=dict)  # dataset-specific manifest facts
    notes: tuple[str, ...] = ()  # dataset-specific lines of the card

    def ordered(self) -> pa.Table:
        """The exported plan rows in output order, with their `split` (a copy: for checks and tests)."""
        names = pa.array(np.array(SPLITS, dtype=object)[self.splits], pa.string())
        return self.rows.take(pa.array(self.order)).append_column("split", names)


@dataclass(frozen=True)
class ExportResult:
    dataset: str
    version: str
    key: str  # the version folder in the store
    rows: dict[str, int]
    reused: bool
    manifest: dict


def dataset_key(name: str) -> str:
    return f"{EXPORTS}/{name}"


def publish_export(
    store: Store, spec: DatasetSpec, plan: Plan, provenance: Provenance, *, now: datetime | None = None
) -> ExportResult:
    """Writes a new version, or returns the latest one if its content is the same."""
    return publish_version(
        store,
        spec.name,
        content_digest(spec, plan),
        lambda staging, final, digest, at: _write_version(store, spec, plan, provenance, staging, final, digest, at),
        now=now,
    )


def publish_version(
    store: Store,
    dataset: str,
    digest: str,
    write: Callable[[str, str, str, datetime], dict],
    *,
    now: datetime | None = None,
) -> ExportResult:
    """The steps every version takes: reuse when the digest is the latest's, else write into this run's own
    staging folder (`write(staging, final, digest, now)` returns the manifest) and publish it whole."""
    now = now or datetime.now(UTC)
    latest = latest_version(store, dataset)
    if latest is not None and latest.manifest["content_digest"] == digest:
        point_at_latest(store, dataset)  # a folder exported before the pointer existed gets one
        return latest
    remove_stale_staging(store, dataset, now)
    staging = staging_key(dataset, now)
    final = f"{dataset_key(dataset)}/v{now:{_STAMP}}-{digest[:12]}"
    try:
        manifest = write(staging, final, digest, now)
    except BaseException:
        store.delete_prefix(staging)
        raise
    try:
        store.publish_folder(staging, final, last=MANIFEST)
    except OSError as exc:
        store.delete_prefix(staging)
        return _published_by_another_run(store, final, digest, exc)
    point_at_latest(store, dataset)
    return ExportResult(dataset, _name(final), final, manifest["rows"], False, manifest)


def point_at_latest(store: Store, dataset: str) -> str | None:
    """Writes the dataset folder's card (the latest version's, its data files inside that version) and `LATEST`,
    each in one atomic write, or removes both when no version is left; the latest version's name or None.

    The card is what `load_dataset("exports/<dataset>")` reads: it then loads that version only, on a local
    disk or S3 alike (no symlink). Called after every publish, rewrite and removal of a version.
    """
    folder = dataset_key(dataset)
    latest = latest_version(store, dataset)
    if latest is None:
        store.delete(f"{folder}/{CARD}")
        store.delete(f"{folder}/{LATEST}")
        return None
    card = root_card(store.read_text(f"{latest.key}/{CARD}"), latest.version)
    if not store.is_file(f"{folder}/{CARD}") or store.read_text(f"{folder}/{CARD}") != card:
        store.write_text(f"{folder}/{CARD}", card)
    if not store.is_file(f"{folder}/{LATEST}") or store.read_text(f"{folder}/{LATEST}").strip() != latest.version:
        store.write_text(f"{folder}/{LATEST}", latest.version + "\n")
    return latest.version


def content_digest(spec: DatasetSpec, plan: Plan) -> str:
    """Code version, features, the plan's facts (the embedding model among them) and every exported plan row
    in order with its split: equal digests mean equal datasets."""
    facts = json.dumps([yaml_features(spec.schema), plan.split, plan.extra, plan.accepted_records], sort_keys=True)
    h = hashlib.sha256(f"{code_version()}|{spec.name}|{facts}".encode())
    source = RowSource(plan.rows)
    for start in range(0, len(plan.order), _DIGEST_ROWS):
        part = source.take(plan.order[start : start + _DIGEST_ROWS])
        for name in part.column_names:
            h.update(f"|{name}:".encode() + json.dumps(part.column(name).to_pylist(), default=str).encode())
        h.update(plan.splits[start : start + _DIGEST_ROWS].astype(np.int8).tobytes())
    return h.hexdigest()


def staging_key(dataset: str, now: datetime) -> str:
    """A run's own staging folder, named after its start so that `remove_stale_staging` can age it."""
    return f"{dataset_key(dataset)}/{STAGING}{now:{_STAMP}}-{uuid.uuid4().hex}"


def version_names(store: Store, dataset: str) -> list[str]:
    """Every published version of a dataset (a folder with its manifest), oldest first."""
    return [n for n in sorted(store.children(dataset_key(dataset))) if _is_version(store, dataset, n)]


def latest_version(store: Store, dataset: str) -> ExportResult | None:
    """The newest published version (a folder with its manifest); None when there is none."""
    for name in sorted(store.children(dataset_key(dataset)), reverse=True):
        if _is_version(store, dataset, name):
            key = f"{dataset_key(dataset)}/{name}"
            manifest = json.loads(store.read_text(f"{key}/{MANIFEST}"))
            return ExportResult(dataset, name, key, manifest["rows"], True, manifest)
    return None


def _is_version(store: Store, dataset: str, name: str) -> bool:
    """A published version: its manifest is written last, so a folder without one is not (yet) a version."""
    return name.startswith("v") and store.is_file(f"{dataset_key(dataset)}/{name}/{MANIFEST}")


def remove_stale_staging(store: Store, dataset: str, now: datetime) -> list[str]:
    """Staging folders of runs that started more than STALE_STAGING ago: killed, since no export takes that long."""
    removed = []
    for name in store.children(dataset_key(dataset), hidden=True):
        if not name.startswith(STAGING):
            continue
        try:
            started = datetime.strptime(name[len(STAGING) :].split("-")[0], _STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue  # not a name this module writes: not ours to remove
        if now - started > STALE_STAGING:
            store.delete_prefix(f"{dataset_key(dataset)}/{name}")
            removed.append(name)
    return removed


def split_file(split: str) -> str:
    return f"data/{split}-00000-of-00001.parquet"


def _write_version(
    store: Store,
    spec: DatasetSpec,
    plan: Plan,
    provenance: Provenance,
    staging: str,
    final: str,
    digest: str,
    now: datetime,
) -> dict:
    in_split = {split: plan.order[plan.splits == i] for i, split in enumerate(SPLITS)}
    source = RowSource(plan.rows)
    written = {  # an empty split gets no file: `datasets` refuses a declared split without rows
        split: write_parquet(store, f"{staging}/{split_file(split)}", spec.schema, source, rows, plan.materialize)
        for split, rows in in_split.items()
        if len(rows)
    }
    manifest = {
        "dataset": spec.name,
        "version": _name(final),
        "created_at": now.isoformat(),
        "code_version": code_version(),
        "content_digest": digest,
        "rows": {split: len(rows) for split, rows in in_split.items()},
        "split_num_bytes": {split: w.num_bytes for split, w in written.items()},
        "files": {split_file(split): w.manifest_entry() for split, w in written.items()},
        "source_partitions": {t: sorted(p) for t, p in sorted(provenance.source_partitions.items())},
        "accepted_records": plan.accepted_records,
        "quarantined_records": sum(provenance.quarantine_by_rule.values()),
        "quarantine_by_rule": dict(sorted(provenance.quarantine_by_rule.items())),
        "split": plan.split,
        "columns": spec.schema.names,
        **plan.extra,
    }
    store.write_text(f"{staging}/{CARD}", render_card(spec, manifest, plan.notes))
    store.write_text(f"{staging}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _published_by_another_run(store: Store, final: str, digest: str, exc: OSError) -> ExportResult:
    """The same version name was published meanwhile: the same content is a reuse, other content a conflict."""
    if not store.is_file(f"{final}/{MANIFEST}"):
        raise exc
    manifest = json.loads(store.read_text(f"{final}/{MANIFEST}"))
    if manifest["content_digest"] == digest:
        return ExportResult(manifest["dataset"], _name(final), final, manifest["rows"], True, manifest)
    raise ExportConflict(
        f"{final} was published by another run with other content while this run was writing ({exc}); "
        "that version is intact and this run's staging was removed: run the export again."
    ) from exc


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]
