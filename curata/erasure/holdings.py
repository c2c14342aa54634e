"""Where each table and each dataset holds a person: the columns of session folders, pseudonyms, image hashes
and image paths. The erasure removes the rows these match; the proof check looks for them everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.layout import DataRoot
from curata.quality_tables import CURATION_IMAGE_QUALITY, PROJECT_IMAGE_QUALITY, SESSION_IMAGE_QUALITY
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    RAW_SESSIONS,
    SESSION_PEOPLE,
    SESSION_QUARANTINE,
    TRAINING_LOG_LINES,
    VALIDATED_SESSIONS,
)

SESSIONS_PREFIX = f"{DataRoot(Path('.')).sessions.name}/"  # image paths in a session folder: `sessions/<folder>/...`


@dataclass(frozen=True)
class Erased:
    """What to look for: session folders, pseudonyms and image hashes."""

    folders: frozenset[str] = frozenset()
    pseudonyms: frozenset[str] = frozenset()
    hashes: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.folders or self.pseudonyms or self.hashes)


@dataclass(frozen=True)
class Holding:
    """The columns of a table (or dataset) that can hold a person; a list column holds several values."""

    name: str
    folders: tuple[str, ...] = ()
    pseudonyms: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # image paths relative to the data root

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(self.folders + self.pseudonyms + self.hashes + self.paths))

    def matches(self, table: pa.Table, erased: Erased) -> pa.Array:
        """Per row: does it hold any of `erased`?"""
        hit = pa.array([False] * table.num_rows, pa.bool_())
        for columns, values in ((self.folders, erased.folders), (self.pseudonyms, erased.pseudonyms)):
            for c in columns:
                hit = pc.or_(hit, _any_in(table.column(c), values))
        for c in self.hashes:
            hit = pc.or_(hit, _any_in(table.column(c), erased.hashes))
        for c in self.paths:
            hit = pc.or_(hit, _under_folders(table.column(c), erased.folders))
        return hit


# Daily session tables: the rows of a person's folders are in their days' partitions.
SESSION_HOLDINGS = (
    Holding(RAW_SESSIONS.name, folders=("session_folder",)),
    Holding(
        VALIDATED_SESSIONS.name,
        folders=("session_folder",),
        pseudonyms=("user_pseudonym",),
        hashes=("original_sha256", "edited_sha256"),
        paths=("original_path", "edited_path"),
    ),
    Holding(SESSION_QUARANTINE.name, folders=("record_id",)),
    Holding(DEFERRED_SESSIONS.name, folders=("session_folder",)),
    Holding(
        SESSION_PEOPLE.name,
        folders=("session_folder",),
        pseudonyms=("user_pseudonym",),
        hashes=("original_sha256", "edited_sha256"),
    ),
    Holding(SESSION_IMAGE_QUALITY.name, hashes=("sha256",), paths=("path",)),
)
IMAGE_EMBEDDINGS_HOLDING = Holding("image_embeddings", hashes=("sha256",))
# Curation and project rows that point at a person's images (their bytes, or their session folders).
CURATION_HOLDINGS = (
    Holding(
        "validated_selections", hashes=("chosen_sha256", "rejected_sha256"), paths=("chosen_path", "rejected_paths")
    ),
    Holding("validated_crops", hashes=("chosen_sha256",), paths=("chosen_path", "image_paths")),
    Holding(CURATION_IMAGE_QUALITY.name, hashes=("sha256",), paths=("path",)),
)
PAIRS_HOLDING = Holding("historical_pairs", hashes=("chosen_sha256", "rejected_sha256"))
PROJECT_QUALITY_HOLDING = Holding(PROJECT_IMAGE_QUALITY.name, hashes=("sha256",))  # rewritten with the pairs
INDEX_HOLDINGS = (
    Holding(PERSON_INDEX.name, folders=("session_folder",), pseudonyms=("user_pseudonym",)),
    Holding(IMAGE_INDEX.name, folders=("session_folder",), pseudonyms=("user_pseudonym",), hashes=("sha256",)),
)
TABLE_HOLDINGS = (
    *SESSION_HOLDINGS,
    Holding(TRAINING_LOG_LINES.name, folders=("session_id",)),
    IMAGE_EMBEDDINGS_HOLDING,
    *CURATION_HOLDINGS,
    PAIRS_HOLDING,
    PROJECT_QUALITY_HOLDING,
    *INDEX_HOLDINGS,
)

# Published datasets (`exports/<name>/<version>/`): the columns that say whose a row is.
DATASET_HOLDINGS = {
    "edit_triplets": Holding(
        "edit_triplets",
        folders=("session_id",),
        pseudonyms=("user_pseudonym",),
        hashes=("original_sha256", "edited_sha256"),
    ),
    "preference_pairs": Holding(
        "preference_pairs", hashes=("image_0_uid", "image_1_uid"), paths=("image_0_path", "image_1_path")
    ),
    "crop_boxes": Holding("crop_boxes", hashes=("image_sha256",), paths=("image_path",)),
}


def _any_in(column: pa.ChunkedArray, values: frozenset[str]) -> pa.Array:
    """Per row: is the value (or, for a list, any of its values) one of `values`?"""
    if not values:
        return pa.array([False] * len(column), pa.bool_())
    wanted = pa.array(sorted(values), pa.string())
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        flat = pc.is_in(pc.list_flatten(column), wanted)
        parents = pc.list_parent_indices(column)
        hit = [False] * len(column)
        for i in pc.filter(parents, flat).to_pylist():
            hit[i] = True
        return pa.array(hit, pa.bool_())
    return pc.fill_null(pc.is_in(column, wanted), False)


def _under_folders(column: pa.ChunkedArray, folders: frozenset[str]) -> pa.Array:
    """Per row: is the path (or any path of a list) inside one of the session folders?"""
    if not folders:
        return pa.array([False] * len(column), pa.bool_())
    values = column.to_pylist()
    names = set(folders)

    def inside(path: str | None) -> bool:
        return bool(path) and path.startswith(SESSIONS_PREFIX) and path.split("/", 2)[1] in names

    return pa.array([any(map(inside, v)) if isinstance(v, list) else inside(v) for v in values], pa.bool_())
