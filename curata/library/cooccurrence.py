"""Tag counts and pairwise co-occurrence with lift and PMI, counted in numpy without a Python loop over pairs.

Raw pair counts favour the commonest tags ("outdoor" comes with everything); lift and PMI compare a
pair's count with what the two tags' own counts predict, so related tags rank first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from curata.library.tables import TAG_COUNTS, TAG_PAIRS
from curata.library.tag_index import TagIndex

PAIR_CHUNK = 1 << 21  # pair keys counted at once (16 MB), and tag entries gathered at once, whatever the size
DENSE_BINS = 1 << 24  # up to this many (tag, tag) bins (4,096 tags) pairs are counted by bincount
MIN_RELATED_COUNT = 3  # a related tag must share at least this many images: lift of a pair seen once is noise


@dataclass(frozen=True)
class TagCooccurrence:
    index: TagIndex
    counts: np.ndarray  # (V,) images per tag
    a: np.ndarray  # (P,) int32 tag code, a < b
    b: np.ndarray  # (P,) int32
    count: np.ndarray  # (P,) int64 images with both
    lift: np.ndarray  # (P,) float64
    pmi: np.ndarray  # (P,) float64, log2(lift)
    npmi: np.ndarray  # (P,) float64 in [-1, 1]

    def counts_table(self) -> pa.Table:
        """library_tag_counts, most frequent first."""
        order = np.lexsort((np.arange(len(self.counts)), -self.counts))
        order = order[self.counts[order] > 0]
        share = self.counts[order] / max(1, self.index.n_images)
        return pa.Table.from_arrays(
            [pa.array(self.index.tags[order], pa.string()), pa.array(self.counts[order], pa.int64()), share],
            schema=TAG_COUNTS.schema,
        )

    def pairs_table(self) -> pa.Table:
        """library_tag_pairs, in alphabetical order of (tag_a, tag_b)."""
        tags = pa.array(self.index.tags, pa.string())
        columns = [tags.take(self.a), tags.take(self.b), self.count, self.lift, self.pmi, self.npmi]
        return pa.Table.from_arrays(columns, schema=TAG_PAIRS.schema)

    def matrix(self, codes: np.ndarray | None = None, dtype: type = np.float64) -> np.ndarray:
        """Symmetric pair counts among the tags `codes` (default: all), zero on the diagonal; dense, so for
        a few thousand tags at most."""
        codes = np.arange(len(self.counts)) if codes is None else codes
        position = np.full(len(self.counts), -1, dtype=np.int64)
        position[codes] = np.arange(len(codes))
        row, col = position[self.a], position[self.b]
        keep = (row >= 0) & (col >= 0)
        out = np.zeros((len(codes), len(codes)), dtype=dtype)
        out[row[keep], col[keep]] = self.count[keep]
        out[col[keep], row[keep]] = self.count[keep]
        return out

    def related(self, limit: int = 10, min_count: int = MIN_RELATED_COUNT) -> dict[str, list[dict]]:
        """Per tag, the tags that come with it most beyond chance (highest lift), seen together `min_count`+ times."""
        keep = self.count >= min_count
        tag = np.concatenate([self.a[keep], self.b[keep]])
        other = np.concatenate([self.b[keep], self.a[keep]])
        count, lift = np.tile(self.count[keep], 2), np.tile(self.lift[keep], 2)
        order = np.lexsort((other, -lift, tag))
        tag, other, count, lift = tag[order], other[order], count[order], lift[order]
        starts = np.searchsorted(tag, tag, side="left")
        top = np.arange(len(tag)) - starts < limit
        out: dict[str, list[dict]] = {}
        names = self.index.tags.tolist()
        for t, o, c, x in zip(tag[top], other[top], count[top], lift[top], strict=True):
            out.setdefault(names[t], []).append({"tag": names[o], "count": int(c), "lift": round(float(x), 3)})
        return out


class _PairCounter:
    """Accumulates pair keys a * V + b in a fixed buffer and counts them a buffer at a time."""

    def __init__(self, vocab: int):
        self.vocab = vocab
        self.dense = np.zeros(vocab * vocab, dtype=np.int64) if vocab * vocab <= DENSE_BINS else None
        self.sparse: list[tuple[np.ndarray, np.ndarray]] = []
        self.buffer = np.empty(PAIR_CHUNK, dtype=np.intp)
        self.used = 0

    def add(self, scaled_a: np.ndarray, b: np.ndarray) -> None:
        if self.used + len(b) > len(self.buffer):
            self.flush()
        np.add(scaled_a, b, out=self.buffer[self.used : self.used + len(b)])
        self.used += len(b)

    def flush(self) -> None:
        keys = self.buffer[: self.used]
        if self.dense is not None:
            self.dense += np.bincount(keys, minlength=len(self.dense))
        elif self.used:
            self.sparse.append(np.unique(keys, return_counts=True))
        self.used = 0

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.flush()
        if self.dense is not None:
            keys = np.flatnonzero(self.dense)
            counts = self.dense[keys]
        else:
            keys, counts = _merge(self.sparse)
        return (keys // self.vocab).astype(np.int32), (keys % self.vocab).astype(np.int32), counts


def pair_counts(index: TagIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, count) for every pair of tags on at least one image, a < b.

    Images are grouped by their number of tags L, so each group is a (rows, L) matrix; each of its
    L(L-1)/2 column pairs gives one key a * V + b per image, and bincount counts the keys.
    """
    counter = _PairCounter(index.n_tags)
    lengths = index.lengths
    for length in np.unique(lengths[lengths >= 2]).tolist():
        rows = np.flatnonzero(lengths == length)
        step = max(1, PAIR_CHUNK // length)
        for s in range(0, len(rows), step):
            starts = index.offsets[rows[s : s + step]]
            columns = np.sort(index.codes[starts[:, None] + np.arange(length)], axis=1).T.astype(np.intp)
            scaled = columns * index.n_tags
            for i, j in zip(*np.triu_indices(length, 1), strict=True):
                counter.add(scaled[i], columns[j])
    return counter.result()


def _merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and their summed counts over every buffer (vocabularies too large for dense bins)."""
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    keys, inverse = np.unique(np.concatenate([k for k, _ in parts]), return_inverse=True)
    return keys, np.bincount(inverse, weights=np.concatenate([c for _, c in parts])).astype(np.int64)


def tag_cooccurrence(index: TagIndex) -> TagCooccurrence:
    """Counts, pair counts and their lift, PMI and normalised PMI over the index's images."""
    a, b, count = pair_counts(index)
    counts = index.counts()
    n = max(1, index.n_images)
    lift = count * n / (counts[a].astype(np.float64) * counts[b])
    pmi = np.log2(lift)
    together = -np.log2(count / n)
    npmi = np.divide(pmi, together, out=np.ones_like(pmi), where=together > 0)
    return TagCooccurrence(index, counts, a, b, count, lift, pmi, npmi)
