"""The nearest neighbours of faces: the one costly step of face clustering.

Small sets are searched exhaustively (faiss). Larger ones as an inverted file would be, but organised
for matrix products: faiss k-means cuts the faces into cells, and all the queries of a cell are
compared with its members in one product (measured here: a faiss IVF index, scanning its lists one
query at a time, spends several times longer per distance). Each face first searches its own cell;
only if its k nearest there are not all close does it also search its `probes - 1` nearest other
cells. Same-person neighbours lie in the same or adjacent cells, so this finds nearly all of those
within clustering distance; what it misses are far neighbours, which clustering ignores anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import faiss
import numpy as np


@dataclass(frozen=True)
class NeighbourSearch:
    """How neighbours are found; every field changes speed and recall, never the meaning of the result."""

    exact_below: int = 10_000  # fewer base vectors than this: exhaustive search
    probes: int = 3  # cells searched per query: its nearest ones ...
    settled_distance: float = 0.5  # ... unless all k found in its own cell are this close (a person's photos are)
    max_cell: int = 400  # members of a cell searched first; the rest only for faces still unsettled
    cells_factor: float = 1.0  # cells = factor x sqrt(probes x n): balances assigning cells against scanning
    train_points_per_cell: int = 16
    train_iterations: int = 8
    seed: int = 1234
    threads: int = field(default_factory=lambda: len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class Neighbours:
    """Row i: the `k` nearest base rows of query i, nearest first (-1 and inf pad a short list)."""

    rows: np.ndarray  # (n, k) int64
    distances: np.ndarray  # (n, k) float32, Euclidean (face_recognition's face_distance)


def nearest_neighbours(
    base: np.ndarray, k: int, search: NeighbourSearch, *, queries: np.ndarray | None = None
) -> Neighbours:
    """The `k` nearest base rows of each query row of `base` (all rows by default), itself excluded."""
    query_rows = np.arange(len(base)) if queries is None else queries
    if len(query_rows) == 0 or len(base) < 2:
        return Neighbours(np.full((len(query_rows), k), -1), np.full((len(query_rows), k), np.inf, dtype=np.float32))
    if len(base) < search.exact_below:
        squared, found = faiss.knn(base[query_rows], base, min(k + 1, len(base)))
    else:
        squared, found = _cell_join(base, query_rows, k + 1, search)
    found, squared = _drop_self(found, squared, query_rows)
    found, squared = _pad(found, squared, k)
    distances = np.sqrt(np.maximum(squared, 0.0), dtype=np.float32)
    distances[found < 0] = np.inf
    return Neighbours(found, distances)


def _cell_join(
    base: np.ndarray, query_rows: np.ndarray, k: int, search: NeighbourSearch
) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances and rows of the `k` nearest base rows of each query: first among a sample of its
    own cell; then, unless all k found are within `settled_distance`, among the rest of its cell and
    samples of its `probes - 1` nearest other cells.

    k-means leaves a person seen thousands of times in one or two huge cells (splitting a tight ball
    hardly lowers its error), and a query's cost is the size of what it searches: the first `max_cell`
    members of a cell (in face-id order, so a fair sample) hold plenty of close neighbours for that
    person's photos, and only the few faces left unsettled pay for the rest."""
    with (
        _faiss_threads(1),
        ThreadPoolExecutor(search.threads, initializer=faiss.omp_set_num_threads, initargs=(1,)) as pool,
    ):

        def split(rows: np.ndarray, work: Callable[[np.ndarray], tuple]) -> tuple[np.ndarray, ...]:
            """`work` over slices of `rows` on every thread (faiss releases the GIL), results joined."""
            done = list(pool.map(work, np.array_split(rows, search.threads)))
            return tuple(np.concatenate(parts) for parts in zip(*done, strict=True))

        cells = _train_cells(base, search)
        (home,) = split(np.arange(len(base)), lambda rows: (cells.search(base[rows], 1)[1][:, 0],))
        members = _grouped(home, cells.ntotal)
        sample = [m[: search.max_cell] for m in members]
        wide = [m[: search.max_cell * search.probes] for m in members]  # what an unsettled face sees of other cells
        rest = [m[search.max_cell :] for m in members]
        own = home[query_rows][:, None]
        squared, found = split(np.arange(len(query_rows)), lambda at: _probe(base, sample, query_rows[at], own[at], k))
        unsettled = np.flatnonzero(squared[:, -1] > search.settled_distance**2)
        if len(unsettled):
            rows, wanted = query_rows[unsettled], min(search.probes, cells.ntotal)
            (near,) = split(np.arange(len(rows)), lambda j: (cells.search(base[rows[j]], wanted)[1],))
            others = _without(near, own[unsettled], wanted - 1)
            in_rest = split(np.arange(len(rows)), lambda j: _probe(base, rest, rows[j], own[unsettled][j], k))
            in_others = split(np.arange(len(rows)), lambda j: _probe(base, wide, rows[j], others[j], k))
            squared[unsettled], found[unsettled] = _k_smallest(
                np.concatenate([squared[unsettled], in_rest[0], in_others[0]], axis=1),
                np.concatenate([found[unsettled], in_rest[1], in_others[1]], axis=1),
                k,
            )
        return squared, found


def _train_cells(base: np.ndarray, search: NeighbourSearch) -> faiss.Index:
    """faiss k-means centroids (in a flat index) for about sqrt(probes x n) cells."""
    n_cells = max(1, min(len(base) // 4, int(search.cells_factor * np.sqrt(search.probes * len(base)))))
    with _faiss_threads(search.threads):
        kmeans = faiss.Kmeans(
            base.shape[1],
            n_cells,
            niter=search.train_iterations,
            seed=search.seed,
            max_points_per_centroid=search.train_points_per_cell,
        )
        kmeans.train(base)
    return kmeans.index


def _probe(
    base: np.ndarray, members: list[np.ndarray], query_rows: np.ndarray, probed: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest among the members of each query's probed cells, cell by cell, nearest first."""
    best_d = np.full((len(query_rows), k), np.inf, dtype=np.float32)
    best_i = np.full((len(query_rows), k), -1, dtype=np.int64)
    askers = _grouped(probed.ravel(), len(members))
    for inside, asked in zip(members, askers, strict=True):
        asking = asked // probed.shape[1]  # positions in query_rows
        if len(inside) and len(asking):
            d, i = faiss.knn(base[query_rows[asking]], base[inside], min(k, len(inside)))
            _merge(best_d, best_i, asking, d, np.where(i >= 0, inside[i], -1))
    return _k_smallest(best_d, best_i, k)


def _k_smallest(squared: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k smallest distances (and their rows), nearest first."""
    order = np.argsort(squared, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(squared, order, axis=1), np.take_along_axis(rows, order, axis=1)


def _without(near: np.ndarray, own: np.ndarray, keep: int) -> np.ndarray:
    """Each row's first `keep` cells other than its own."""
    order = np.argsort(near == own, axis=1, kind="stable")[:, :keep]
    return np.take_along_axis(near, order, axis=1)


@contextmanager
def _faiss_threads(threads: int) -> Iterator[None]:
    """faiss's OpenMP threads for a while (single-threaded: its busy barriers stall when another process
    holds a core, and the blocks here are small; the thread pool parallelises instead)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _grouped(cells: np.ndarray, n_cells: int) -> list[np.ndarray]:
    """For each cell, the positions in `cells` that name it, in increasing order."""
    order = np.argsort(cells, kind="stable")
    return np.split(order, np.searchsorted(cells[order], np.arange(1, n_cells)))


def _merge(best_d: np.ndarray, best_i: np.ndarray, rows: np.ndarray, d: np.ndarray, i: np.ndarray) -> None:
    """Keeps, for each of `rows`, the k smallest of its current best and the new candidates."""
    k = best_d.shape[1]
    all_d = np.concatenate([best_d[rows], d], axis=1)
    all_i = np.concatenate([best_i[rows], i], axis=1)
    keep = np.argpartition(all_d, k - 1, axis=1)[:, :k]
    best_d[rows] = np.take_along_axis(all_d, keep, axis=1)
    best_i[rows] = np.take_along_axis(all_i, keep, axis=1)


def _pad(found: np.ndarray, squared: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Widens results to `k` columns when the base had fewer than k other rows."""
    missing = k - found.shape[1]
    if missing <= 0:
        return found, squared
    return (
        np.pad(found, ((0, 0), (0, missing)), constant_values=-1),
        np.pad(squared, ((0, 0), (0, missing)), constant_values=np.inf),
    )


def _drop_self(found: np.ndarray, squared: np.ndarray, query_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Removes each query's own row from its k+1 results (or the farthest, if an exact duplicate hid it)."""
    is_self = found == query_rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), found.shape[1] - 1)
    keep = np.ones(found.shape, dtype=bool)
    keep[np.arange(len(found)), drop] = False
    k = found.shape[1] - 1
    return found[keep].reshape(-1, k), squared[keep].reshape(-1, k)


def shared_neighbours(rows: np.ndarray, asked: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """For each edge (i, j = rows[i, c]) where `asked[i, c]`: how many faces the neighbourhoods of i and j
    (each face with its k neighbours) have in common, i and j included; 0 elsewhere.

    Photos of one person share their neighbourhoods (the person's other photos); a bridge between two
    people, or a poor photo among strangers, shares little: this is what stops chaining.
    """
    compact = rows.astype(np.int32) if len(rows) < 2**31 else rows  # half the memory traffic
    unpadded = np.where(compact < 0, -2, compact)  # a list's padding (-1) never matches the other's
    sources, slots = np.nonzero(asked)
    counts = np.zeros(rows.shape, dtype=np.int16)
    for start in range(0, len(sources), chunk):
        i, c = sources[start : start + chunk], slots[start : start + chunk]
        mine, theirs = unpadded[i], compact[compact[i, c]]  # (e, k): the two neighbour lists of each edge
        common = (mine[:, :, None] == theirs[:, None, :]).sum(axis=(1, 2))  # lists hold no repeats
        mutual = (theirs == i[:, None]).any(axis=1)
        counts[i, c] = common + 1 + mutual  # + j itself, + i if j lists it too
    return counts
