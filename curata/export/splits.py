"""Train/validation/test splits that do not leak: whole groups, near-duplicates included, go to one split.

Every row carries group keys (its session, project, selection set, photo: `<column>:<value>`) and
its images (`image:<sha256>`). Rows sharing a key, and images whose CLIP vectors are near-duplicates,
are joined into one group (connected components over rows, keys and near-duplicate edges: a
union-find done by scipy). A group's split comes from a seeded hash of its smallest key, so it does
not depend on row order, and a row's split moves only if its group gains or loses a member.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from curata.export.neardup import VectorLookup, Vectors, load_vectors, near_duplicate_pairs

SPLITS = ("train", "validation", "test")
# With trained CLIP weights a re-encoded or slightly resized copy scores above 0.98 and distinct photos
# of one scene type mostly below 0.9; 0.95 sits between. Random weights (the demo and tests) tell little
# apart: measured on sample houses, distinct images score up to 0.9991 (an original and its edit, with
# the tiny test model) and re-encoded or resized copies 0.9997 or more (ViT-B-32 and the tiny model).
TRAINED_WEIGHTS_COSINE = 0.95
RANDOM_WEIGHTS_COSINE = 0.9995
IMAGE_KEY = "image"


@dataclass(frozen=True)
class SplitSettings:
    """Fractions of groups per split, the hash seed, and the cosine from which two images count as one."""

    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: str = "curata-split-1"
    near_duplicate_cosine: float = TRAINED_WEIGHTS_COSINE

    def __post_init__(self) -> None:
        if min(self.validation_fraction, self.test_fraction) < 0 or self.validation_fraction + self.test_fraction >= 1:
            raise ValueError("validation and test fractions must be >= 0 and leave a train fraction above 0")
        if not 0 < self.near_duplicate_cosine <= 1:
            raise ValueError("near_duplicate_cosine must be in (0, 1]")

    @property
    def fractions(self) -> dict[str, float]:
        return {
            "train": round(1 - self.validation_fraction - self.test_fraction, 9),
            "validation": self.validation_fraction,
            "test": self.test_fraction,
        }

    def split_of(self, group_key: str) -> str:
        """Deterministic: the seeded hash of the key, as a number in [0, 1), against the cumulative fractions."""
        digest = hashlib.sha256(f"{self.seed}\x00{group_key}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        edge = 0.0
        for split, fraction in self.fractions.items():
            edge += fraction
            if u < edge:
                return split
        return SPLITS[-1]

    def describe(self) -> dict[str, object]:
        return {"fractions": self.fractions, "seed": self.seed, "near_duplicate_cosine": self.near_duplicate_cosine}


@dataclass(frozen=True)
class KeyEdges:
    """Which rows carry which keys: edge i joins row `rows[i]` and key `vocab[keys[i]]`; `vocab` is sorted."""

    rows: np.ndarray
    keys: np.ndarray
    vocab: pa.Array

    def ids(self, keys: list[str]) -> np.ndarray:
        return pc.index_in(pa.array(keys, pa.string()), value_set=self.vocab).to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class Grouping:
    """The columns of a dataset's rows that must keep rows together: group keys and image hashes."""

    key_columns: tuple[str, ...]
    image_columns: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return [*self.key_columns, *self.image_columns]

    def edges(self, table: pa.Table) -> KeyEdges:
        """`<column>:<value>` for each non-null key column, `image:<sha256>` for each image column.

        Only distinct values become strings; rows refer to them by number.
        """
        namespaces = [(c, (c,)) for c in self.key_columns] + [(IMAGE_KEY, self.image_columns)]
        positions = pa.array(np.arange(table.num_rows, dtype=np.int32))  # int32 node ids: half the memory
        names, rows, ids, offset = [], [], [], 0
        for prefix, columns in namespaces:
            values = [pc.cast(table.column(c), pa.string()) for c in columns]
            uniques = pc.unique(pa.chunked_array([k for v in values for k in v.chunks], pa.string()).drop_null())
            names.append(pc.binary_join_element_wise(f"{prefix}:", uniques, ""))
            for v in values:
                valid = pc.is_valid(v)
                rows.append(positions.filter(valid).to_numpy())
                ids.append(offset + pc.index_in(v.filter(valid), value_set=uniques).to_numpy().astype(np.int32))
            offset += len(uniques)
        unsorted = pa.concat_arrays(names) if names else pa.array([], pa.string())
        order = pc.array_sort_indices(unsorted).to_numpy()
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order))
        return KeyEdges(
            rows=np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32),
            keys=rank[np.concatenate(ids)] if ids else np.zeros(0, dtype=np.int32),
            vocab=unsorted.take(pa.array(order)),
        )

    def images(self, table: pa.Table) -> list[str]:
        hashes = pa.chunked_array([c for name in self.image_columns for c in table.column(name).chunks], pa.string())
        return sorted(pc.unique(hashes.drop_null()).to_pylist())


@dataclass(frozen=True)
class SplitAssignment:
    codes: np.ndarray  # per row of the table: index into SPLITS (meaningless for rows not kept)
    group_of_row: np.ndarray  # per row: its group (a connected component), what cross-validation folds keep whole
    groups: int  # groups holding at least one kept row
    near_duplicate_pairs: int  # image pairs at or above the threshold
    near_duplicate_groups: int  # sets of two or more distinct images joined by near-duplicate pairs
    images_without_vectors: list[str]  # could not be checked for near-duplicates

    def facts(self, settings: SplitSettings, grouping: Grouping) -> dict[str, object]:
        """What the manifest and the card say about the split; `grouping` names the exported columns."""
        return {
            **settings.describe(),
            "key_columns": list(grouping.key_columns),
            "image_columns": list(grouping.image_columns),
            "groups": self.groups,
            "near_duplicate_pairs": self.near_duplicate_pairs,
            "near_duplicate_groups": self.near_duplicate_groups,
            "images_without_vectors": len(self.images_without_vectors),
        }


def assign_splits(
    table: pa.Table, grouping: Grouping, vectors: Vectors, settings: SplitSettings, keep: np.ndarray | None = None
) -> SplitAssignment:
    """The split of every row (of the rows at `keep` only, when given); `vectors` as from load_vectors."""
    n = table.num_rows
    kept = np.ones(n, dtype=bool)
    if keep is not None:
        kept[:] = False
        kept[keep] = True
    edges = grouping.edges(table)
    joined = kept[edges.rows]  # rows left out join nothing
    vectors = vectors.only(set(grouping.images(table.select(grouping.image_columns).filter(pa.array(kept)))))
    pairs, _ = near_duplicate_pairs(vectors.matrix, settings.near_duplicate_cosine)
    image_keys = edges.ids([f"{IMAGE_KEY}:{h}" for h in vectors.hashes])
    m = len(edges.vocab)
    labels = _components(
        n + m,
        np.concatenate([edges.rows[joined], n + image_keys[pairs[:, 0]]]),
        np.concatenate([n + edges.keys[joined], n + image_keys[pairs[:, 1]]]),
    )
    smallest_key = np.full(labels.max() + 1 if len(labels) else 0, m, dtype=np.int64)
    np.minimum.at(smallest_key, labels[n:], np.arange(m))  # the vocabulary is sorted: smallest id, smallest key
    groups = np.unique(labels[:n][kept])
    split_code = np.zeros(len(smallest_key), dtype=np.int8)
    for g in groups.tolist():
        split_code[g] = SPLITS.index(settings.split_of(edges.vocab[int(smallest_key[g])].as_py()))
    return SplitAssignment(
        codes=split_code[labels[:n]],
        group_of_row=labels[:n],
        groups=len(groups),
        near_duplicate_pairs=len(pairs),
        near_duplicate_groups=_groups_of_two_or_more(len(vectors.hashes), pairs),
        images_without_vectors=vectors.missing,
    )


@dataclass(frozen=True)
class LeakReport:
    leaks: list[str]  # group keys and near-duplicate pairs found in more than one split
    unchecked_images: list[str]  # without a vector, so not searched for near-duplicates


def split_leaks(table: pa.Table, grouping: Grouping, vectors_for: VectorLookup, threshold: float) -> LeakReport:
    """Every group key and near-duplicate image pair in more than one split, recomputed from the rows and
    their `split` column alone, independently of how the splits were made."""
    edges = grouping.edges(table)
    codes = pc.index_in(table.column("split"), value_set=pa.array(SPLITS)).to_numpy(zero_copy_only=False)
    in_splits = np.zeros(len(edges.vocab), dtype=np.int64)  # a bit per split each key was seen in
    np.bitwise_or.at(in_splits, edges.keys, 1 << codes[edges.rows].astype(np.int64))
    leaks = [f"{edges.vocab[int(k)]} is in {_names(in_splits[k])}" for k in np.flatnonzero(_many(in_splits))]
    vectors = load_vectors(grouping.images(table), vectors_for)
    pairs, sims = near_duplicate_pairs(vectors.matrix, threshold)
    image_splits = in_splits[edges.ids([f"{IMAGE_KEY}:{h}" for h in vectors.hashes])]
    for (a, b), sim in zip(pairs.tolist(), sims.tolist(), strict=True):
        if image_splits[a] != image_splits[b] or _many(image_splits[a]):
            leaks.append(
                f"near-duplicates {vectors.hashes[a][:12]} ({_names(image_splits[a])}) and "
                f"{vectors.hashes[b][:12]} ({_names(image_splits[b])}), cosine {sim:.3f}"
            )
    return LeakReport(leaks, vectors.missing)


def _many(bits: np.ndarray | int) -> np.ndarray | bool:
    return (bits & (bits - 1)) != 0  # more than one bit set: more than one split


def _names(bits: int) -> str:
    return ", ".join(s for i, s in enumerate(SPLITS) if int(bits) >> i & 1)


def _components(nodes: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(nodes, nodes))
    return connected_components(graph, directed=False)[1]


def _groups_of_two_or_more(images: int, pairs: np.ndarray) -> int:
    if not len(pairs):
        return 0
    labels = _components(images, pairs[:, 0], pairs[:, 1])
    return int((np.bincount(labels) >= 2).sum())
