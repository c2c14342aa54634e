"""Reads the library export into Arrow tables: every record accepted (image + faces) or quarantined.

Records stream through in batches, so memory stays flat however long the export is: each batch
gets its own image inspector (its cache holds only that batch's paths) and ids are remembered as
64-bit hashes. Images are inspected on threads (decoding releases the GIL); results keep file order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pyarrow as pa

from curata import rules
from curata.images import ImageInspector, ImageLimits
from curata.layout import DataRoot
from curata.library.claims import IdClaims
from curata.library.image_folder import ImageFolder
from curata.library.source import (
    MAX_RECORD_BYTES,
    RECORD_KIND,
    RawRecord,
    ignored_files,
    iter_raw_records,
    metadata_file,
    record_ids,
)
from curata.library.tables import ENCODING_DIM, LIBRARY_FACES, LIBRARY_IMAGES, LIBRARY_QUARANTINE
from curata.library.validate import AcceptedImage, library_id, validate_record
from curata.progress import Progress
from curata.quality_tables import LIBRARY_IMAGE_QUALITY, quality_table
from curata.quarantine import quarantine_row
from curata.rules import Refused, Violation

BATCH_RECORDS = 4096


@dataclass(frozen=True)
class LibraryLimits:
    """What the reader refuses; the `curata` resource sets them."""

    image: ImageLimits
    max_record_bytes: int = MAX_RECORD_BYTES


@dataclass(frozen=True)
class LibraryBatch:
    images: pa.Table  # LIBRARY_IMAGES rows
    faces: pa.Table  # LIBRARY_FACES rows
    quarantined: list[dict[str, str]]  # LIBRARY_QUARANTINE rows
    quality: pa.Table  # LIBRARY_IMAGE_QUALITY rows


@dataclass(frozen=True)
class LibraryRead:
    source: str | None  # the export read, relative to the data root; None when there is none
    images: pa.Table
    faces: pa.Table
    quarantined: pa.Table
    quality: pa.Table
    ignored: list[str] = field(default_factory=list)  # exports present but not read


def read_library(root: DataRoot, limits: LibraryLimits, threads: int = 1) -> LibraryRead:
    """The whole export as three tables (for libraries that fit in memory; else use `iter_library_batches`)."""
    images, faces, quarantined, quality = [], [], [], []
    for batch in iter_library_batches(root, limits, threads):
        images.append(batch.images)
        faces.append(batch.faces)
        quarantined += batch.quarantined
        quality.append(batch.quality)
    path = metadata_file(root)
    return LibraryRead(
        source=None if path is None else f"library/{path.name}",
        images=pa.concat_tables([LIBRARY_IMAGES.empty(), *images]),
        faces=pa.concat_tables([LIBRARY_FACES.empty(), *faces]),
        quarantined=LIBRARY_QUARANTINE.from_rows(quarantined),
        quality=pa.concat_tables([LIBRARY_IMAGE_QUALITY.empty(), *quality]),
        ignored=ignored_files(root),
    )


def library_record_ids(root: DataRoot) -> list[str]:
    """Every record of the export, counted independently of validation, for `curata.reconcile.reconcile`."""
    return record_ids(metadata_file(root))


def iter_library_batches(
    root: DataRoot, limits: LibraryLimits, threads: int = 1, batch_records: int = BATCH_RECORDS
) -> Iterator[LibraryBatch]:
    """The export's outcomes in file order, `batch_records` records at a time."""
    path = metadata_file(root)
    if path is None:
        return
    folder = ImageFolder.of(root)
    claims = IdClaims()
    records = iter_raw_records(path, limits.max_record_bytes)
    workers = max(1, threads)
    progress = Progress(f"reading {path.name}", unit="records")
    with ThreadPoolExecutor(workers) as pool:
        while raws := list(itertools.islice(records, batch_records)):
            outcomes = _claim_ids(raws, claims, path.name)
            todo = [(raws[k], outcome) for k, outcome in enumerate(outcomes) if isinstance(outcome, str)]
            inspector = ImageInspector(limits.image)
            slices = [todo[s::workers] for s in range(workers)]  # one task per thread, not one per record
            checked = pool.map(_validate_all, slices, repeat(folder), repeat(inspector))
            done = iter(_interleave(list(checked), len(todo)))
            outcomes = [next(done) if isinstance(outcome, str) else outcome for outcome in outcomes]
            progress.advance(len(raws))
            yield _to_batch(raws, outcomes, path.name)
    progress.finish()


def _claim_ids(raws: list[RawRecord], claims: IdClaims, file_name: str) -> list[str | Violation]:
    """Per record: its library id if it parsed and claims the id first, else the violation."""
    outcomes: list[str | Violation] = []
    for raw in raws:
        image_id = None if raw.value is None else library_id(raw.value)
        if raw.problem is not None:
            outcomes.append(raw.problem)
        elif image_id is None:
            shown = "missing" if "id" not in raw.value else f"{raw.value['id']!r}"[:40]
            outcomes.append(Violation(rules.LIBRARY_ID_MISSING, raw.where, f"id is {shown}"))
        else:
            outcomes.append(image_id)
    pending = [k for k, outcome in enumerate(outcomes) if isinstance(outcome, str)]
    earlier = claims.claim([outcomes[k] for k in pending], [raws[k].number for k in pending])
    for k, first in zip(pending, earlier, strict=True):
        if first is not None:
            detail = f"id {outcomes[k]!r} was claimed first by {file_name}:{first}"
            outcomes[k] = Violation(rules.LIBRARY_ID_DUPLICATE, raws[k].where, detail)
    return outcomes


def _interleave(slices: list[list], total: int) -> list:
    """Undoes the round-robin split: the results back in record order."""
    return [slices[k % len(slices)][k // len(slices)] for k in range(total)]


def _validate_all(
    todo: list[tuple[RawRecord, str]], folder: ImageFolder, inspector: ImageInspector
) -> list[AcceptedImage | Violation]:
    return [_validate(raw, image_id, folder, inspector) for raw, image_id in todo]


def _validate(
    raw: RawRecord, image_id: str, folder: ImageFolder, inspector: ImageInspector
) -> AcceptedImage | Violation:
    try:
        return validate_record(raw.value, image_id, raw.record_id, raw.where, folder, inspector)
    except Refused as refused:
        return refused.violation
    except OSError as exc:  # the disk, not the record: still one row, never the batch
        return Violation(rules.IMAGE_UNREADABLE, raw.where, f"{type(exc).__name__}: {exc.strerror or exc}")


def _to_batch(raws: list[RawRecord], outcomes: list[AcceptedImage | Violation], file_name: str) -> LibraryBatch:
    accepted = [o for o in outcomes if isinstance(o, AcceptedImage)]
    quarantined = [
        quarantine_row(RECORD_KIND, raw.record_id, file_name, o)
        for raw, o in zip(raws, outcomes, strict=True)
        if isinstance(o, Violation)
    ]
    # Table.from_pylist: RecordBatch.from_pylist is ~50x slower with field metadata in the schema (pyarrow 26)
    quality = quality_table(LIBRARY_IMAGE_QUALITY, ((a.row["path"], a.facts) for a in accepted))
    return LibraryBatch(
        LIBRARY_IMAGES.from_rows([a.row for a in accepted]), _faces_table(accepted), quarantined, quality
    )


def _faces_table(accepted: Iterable[AcceptedImage]) -> pa.Table:
    accepted = [a for a in accepted if len(a.boxes)]
    image_ids = [a.row["id"] for a in accepted for _ in range(len(a.boxes))]
    face_ids = [f"{a.row['id']}#{k}" for a in accepted for k in range(len(a.boxes))]
    encodings = np.concatenate([a.encodings for a in accepted]) if accepted else np.empty((0, ENCODING_DIM), np.float32)
    boxes = np.concatenate([a.boxes for a in accepted]) if accepted else np.empty((0, 4), np.int32)
    columns = [
        pa.array(face_ids, pa.string()),
        pa.array(image_ids, pa.string()),
        pa.FixedSizeListArray.from_arrays(pa.array(encodings.ravel()), ENCODING_DIM),
        *(pa.array(boxes[:, j]) for j in range(4)),
    ]
    return pa.Table.from_arrays(columns, schema=LIBRARY_FACES.schema)
