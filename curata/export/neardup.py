"""Near-duplicate images from their CLIP vectors: every pair at or above a cosine similarity, found with faiss.

Up to EXACT_LIMIT images the search is exact (a flat inner-product index, all pairs compared in
BLAS); above it an inverted-file index probes the NPROBE nearest of about 4*sqrt(n) cells, which
finds nearly all close pairs at a fraction of the cost. Vectors are L2-normalised first, so the
inner product is the cosine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import faiss
import numpy as np

VectorLookup = Callable[[list[str]], dict[str, list[float]]]
"""Image sha256 -> CLIP vector for the hashes asked (those without one left out), all from one model."""

EXACT_LIMIT = 20_000
NPROBE = 16
_LOOKUP_CHUNK = 4096  # hashes per vectors_for call: the lookup's Python lists never hold all vectors at once


@dataclass(frozen=True)
class Vectors:
    hashes: list[str]  # the images that have a vector, in the order of the rows of `matrix`
    matrix: np.ndarray  # float32, one row per hash, as the lookup gave it
    missing: list[str]  # asked for but without a vector of this model

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {h: i for i, h in enumerate(self.hashes)}

    def only(self, hashes: set[str]) -> Vectors:
        keep = [i for i, h in enumerate(self.hashes) if h in hashes]
        return Vectors([self.hashes[i] for i in keep], self.matrix[keep], sorted(set(self.missing) & hashes))


def load_vectors(hashes: list[str], vectors_for: VectorLookup) -> Vectors:
    found: list[str] = []
    rows: list[np.ndarray] = []
    for start in range(0, len(hashes), _LOOKUP_CHUNK):
        chunk = hashes[start : start + _LOOKUP_CHUNK]
        got = vectors_for(chunk)
        for h in chunk:
            if h in got:
                found.append(h)
                rows.append(np.asarray(got[h], dtype=np.float32))
    missing = sorted(set(hashes) - set(found))
    matrix = np.stack(rows) if rows else np.zeros((0, 1), dtype=np.float32)
    return Vectors(found, matrix, missing)


def near_duplicate_pairs(matrix: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(pairs, similarities): row-index pairs i < j of `matrix` whose cosine is >= threshold."""
    n = len(matrix)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float32)
    unit = np.array(matrix, dtype=np.float32, order="C")  # a copy: the caller's vectors stay as given
    faiss.normalize_L2(unit)
    index = _index(unit)
    lims, sims, ids = index.range_search(unit, threshold)
    queries = np.repeat(np.arange(n), np.diff(lims).astype(np.int64))
    keep = queries < ids  # each pair once, never an image with itself
    return np.stack([queries[keep], ids[keep]], axis=1).astype(np.int64), sims[keep]


def _index(matrix: np.ndarray) -> faiss.Index:
    n, dim = matrix.shape
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        cells = int(4 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, cells, faiss.METRIC_INNER_PRODUCT)
        index.train(matrix)
        index.nprobe = NPROBE
    index.add(matrix)
    return index
