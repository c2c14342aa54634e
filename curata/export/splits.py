"""Train/validation/test splits that do not leak: whole groups, near-duplicates included, go to one split.

Every row carries group keys (its session, project, selection set, photo: `<column>:<value>`) and
its images (`image:<sha256>`). Rows sharing a key, and images whose CLIP vectors are near-duplicates,
are joined into one group (connected components over rows, keys and near-duplicate edges: a
union-find done by scipy). A group's split comes from a seeded hash of its smallest key, so it does
not depend on row order, and a row's split moves only if its group gains or loses a member.

With a stratum column (a dataset's `source`), each stratum that has `SplitSettings.stratify_from` groups or
more is split on its own: its groups, ordered by the same hash, are dealt to the splits by the fractions
(at least one group each), so every split measures every such source. A group whose rows span strata goes
with the first (by name). Groups stay whole exactly as without strata; only which split a group lands in
changes, and within a stratified source it may move when that source gains or loses groups.
"""

from __future__ import annotations

import hashlib
import math
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

    @property
    def stratify_from(self) -> int:
        """Groups a stratum needs to be split on its own: enough for one group in the smallest split."""
        return math.ceil(1 / min(f for f in self.fractions.values() if f > 0) - 1e-9)

    def position(self, group_key: str) -> float:
        """The seeded hash of the key as a number in [0, 1)."""
        digest = hashlib.sha256(f"{self.seed}\x00{group_key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def split_of(self, group_key: str) -> str:
        """Deterministic: the key's position against the cumulative fractions."""
        u = self.position(group_key)
        edge = 0.0
        for split, fraction in self.fractions.items():
            edge += fraction
            if u < edge:
                return split
        return SPLITS[-1]

    def dealt(self, group_keys: list[str]) -> list[str]:
        """The split of each of a stratum's groups: ordered by position, dealt by the fractions (train first),
        every split with a fraction above 0 getting at least one."""
        n = len(group_keys)
        sizes = {s: max(1, round(n * f)) if f > 0 else 0 for s, f in self.fractions.items() if s != SPLITS[0]}
        sizes = {SPLITS[0]: n - sum(sizes.values()), **sizes}
        if sizes[SPLITS[0]] < 1:  # fractions leaving train almost nothing: the plain hash decides
            return [self.split_of(k) for k in group_keys]
        names = [s for s in SPLITS for _ in range(sizes[s])]
        order = sorted(range(n), key=lambda i: (self.position(group_keys[i]), group_keys[i]))
        out = [""] * n
        for rank, i in enumerate(order):
            out[i] = names[rank]
        return out

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
    strata: StrataFacts | None = None  # with a stratum column: how each stratum was split

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
            **(self.strata.facts(settings) if self.strata else {}),
        }


@dataclass(frozen=True)
class StrataFacts:
    column: str
    groups: dict[str, int]  # stratum -> groups
    rows: dict[str, dict[str, int]]  # split -> stratum -> kept rows

    def facts(self, settings: SplitSettings) -> dict[str, object]:
        totals = {s: sum(r[s] for r in self.rows.values()) for s in self.groups}
        return {
            "stratum_column": self.column,
            "stratify_from_groups": settings.stratify_from,
            "groups_by_stratum": self.groups,
            "stratified": sorted(s for s, n in self.groups.items() if n >= settings.stratify_from),
            "rows_by_stratum": self.rows,
            "share_by_stratum": {
                split: {s: round(n / totals[s], 4) if totals[s] else 0.0 for s, n in by.items()}
                for split, by in self.rows.items()
            },
        }


def assign_splits(
    table: pa.Table,
    grouping: Grouping,
    vectors: Vectors,
    settings: SplitSettings,
    keep: np.ndarray | None = None,
    stratum: str | None = None,
) -> SplitAssignment:
    """The split of every row (of the rows at `keep` only, when given); `vectors` as from load_vectors;
    `stratum` names a column whose strata with enough groups are each split on their own."""
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
    keys = {g: edges.vocab[int(smallest_key[g])].as_py() for g in groups.tolist()}
    split_code = np.zeros(len(smallest_key), dtype=np.int8)
    strata = _group_strata(table.column(stratum), labels[:n], kept, len(smallest_key)) if stratum else {}
    for members in _by_stratum(strata, groups.tolist()).values():
        if stratum and len(members) >= settings.stratify_from:
            names = settings.dealt([keys[g] for g in members])
        else:
            names = [settings.split_of(keys[g]) for g in members]
        for g, name in zip(members, names, strict=True):
            split_code[g] = SPLITS.index(name)
    codes = split_code[labels[:n]]
    return SplitAssignment(
        codes=codes,
        group_of_row=labels[:n],
        groups=len(groups),
        near_duplicate_pairs=len(pairs),
        near_duplicate_groups=_groups_of_two_or_more(len(vectors.hashes), pairs),
        images_without_vectors=vectors.missing,
        strata=_strata_facts(stratum, table, codes, kept, strata) if stratum else None,
    )


def _group_strata(values: pa.ChunkedArray, labels: np.ndarray, kept: np.ndarray, groups: int) -> dict[int, str]:
    """Each group's stratum: the first by name among its kept rows (null counts as the empty string)."""
    names = pc.fill_null(pc.cast(values, pa.string()), "")
    vocab = pc.unique(names).sort()
    code = pc.index_in(names, value_set=vocab).to_numpy(zero_copy_only=False)
    first = np.full(groups, len(vocab), dtype=np.int64)
    np.minimum.at(first, labels[kept], code[kept])
    return {g: vocab[int(c)].as_py() for g, c in enumerate(first.tolist()) if c < len(vocab)}


def _by_stratum(strata: dict[int, str], groups: list[int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for g in groups:
        out.setdefault(strata.get(g, ""), []).append(g)
    return out


def _strata_facts(
    column: str, table: pa.Table, codes: np.ndarray, kept: np.ndarray, strata: dict[int, str]
) -> StrataFacts:
    names = np.array(pc.fill_null(pc.cast(table.column(column), pa.string()), "").to_pylist(), dtype=object)
    present = sorted(set(strata.values()))
    groups = {s: sum(1 for v in strata.values() if v == s) for s in present}
    rows = {
        split: {s: int(((codes == i) & kept & (names == s)).sum()) for s in present} for i, split in enumerate(SPLITS)
    }
    return StrataFacts(column, groups, rows)


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
