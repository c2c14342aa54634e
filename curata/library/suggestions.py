"""Per-image tag suggestions: the tags an image lacks that its own tags most often come with.

score(t) = sum over the image's tags s of P(t | s), plus PRIOR_WEIGHT * P(t) so that ties, and images
without tags, go to the commonest tags. Images are scored a chunk at a time as a sparse (images, tags)
matrix times a dense (tags, candidates) table: memory stays bounded for any library size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import sparse

from curata.library.cooccurrence import TagCooccurrence
from curata.library.patterns import tag_matrix
from curata.library.tables import TAG_SUGGESTIONS
from curata.library.tag_index import TagIndex

SUGGESTIONS = 5
PRIOR_WEIGHT = 1e-3
MAX_CANDIDATES = 4096  # tags that can be suggested: the most frequent ones
CHUNK_IMAGES = 2048  # images scored at once: a dense (2,048, 4,096) score block of 64 MB at most


@dataclass(frozen=True)
class TagSuggestions:
    index: TagIndex
    codes: np.ndarray  # (N, k) int32 suggested tag codes, best first; -1 where there is nothing to suggest
    scores: np.ndarray  # (N, k) float64

    def tags_of(self, i: int) -> list[str]:
        return self.index.tags[self.codes[i][self.codes[i] >= 0]].tolist()

    def table(self, image_ids: list[str]) -> pa.Table:
        """library_tag_suggestions: one row per (image, suggestion)."""
        image, rank = np.nonzero(self.codes >= 0)
        return pa.Table.from_pydict(
            {
                "image_id": np.asarray(image_ids, dtype=object)[image],
                "rank": (rank + 1).astype(np.int32),
                "tag": self.index.tags[self.codes[image, rank]],
                "score": self.scores[image, rank].round(6),
            },
            schema=TAG_SUGGESTIONS.schema,
        )


def conditional_table(cooc: TagCooccurrence, candidates: np.ndarray) -> sparse.csr_matrix:
    """(V, C) P(candidate | tag), from the pair counts; sparse, so any vocabulary fits."""
    position = np.full(len(cooc.counts), -1, dtype=np.int64)
    position[candidates] = np.arange(len(candidates))
    given = np.concatenate([cooc.a, cooc.b])
    other = position[np.concatenate([cooc.b, cooc.a])]
    keep = other >= 0
    given, other = given[keep], other[keep]
    share = np.tile(cooc.count, 2)[keep] / cooc.counts[given]
    return sparse.csr_matrix((share, (given, other)), shape=(len(cooc.counts), len(candidates)))


def suggest_tags(
    cooc: TagCooccurrence, k: int = SUGGESTIONS, baseline: bool = False, synonyms: list[list[str]] | None = None
) -> TagSuggestions:
    """The top `k` tags each image of `cooc.index` does not have, nor has a synonym of (a tag of the same group of
    `synonyms`: `sea` on the image, so never `ocean`); `baseline` ranks by frequency alone (the most-common-tags
    baseline that suggestions must beat)."""
    index = cooc.index
    present = np.flatnonzero(cooc.counts > 0)
    candidates = present[np.lexsort((present, -cooc.counts[present]))][:MAX_CANDIDATES]
    k = min(k, len(candidates))
    table = conditional_table(cooc, candidates)
    if baseline:
        table = sparse.csr_matrix(table.shape)
    prior = PRIOR_WEIGHT * cooc.counts[candidates] / max(1, index.n_images)
    position = np.full(index.n_tags, -1, dtype=np.int64)
    position[candidates] = np.arange(len(candidates))
    matrix, image_of = tag_matrix(index), index.image_of
    same_group = _same_group(index, synonyms or [], position, len(candidates))
    codes = np.full((index.n_images, k), -1, dtype=np.int32)
    scores = np.zeros((index.n_images, k), dtype=np.float64)
    for start in range(0, index.n_images, CHUNK_IMAGES):
        stop = min(start + CHUNK_IMAGES, index.n_images)
        score = (matrix[start:stop] @ table).toarray() + prior
        entries = slice(index.offsets[start], index.offsets[stop])
        owned = position[index.codes[entries]]
        rows = image_of[entries] - start
        score[rows[owned >= 0], owned[owned >= 0]] = -np.inf  # never suggest a tag the image has
        score[(matrix[start:stop] @ same_group).toarray() > 0] = -np.inf  # nor a synonym of one
        best = _top(score, k)
        codes[start:stop] = candidates[best]
        scores[start:stop] = np.take_along_axis(score, best, axis=1)
    codes[~np.isfinite(scores)] = -1
    return TagSuggestions(index, codes, np.where(np.isfinite(scores), scores, 0.0))


def _same_group(index: TagIndex, groups: list[list[str]], position: np.ndarray, n_candidates: int) -> sparse.csr_matrix:
    """(V, C): 1 where a tag and a candidate are two members of one synonym group."""
    pairs = [(a, position[b]) for g in groups for a in map(index.code_of, g) for b in map(index.code_of, g)]
    rows, cols = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T
    keep = cols >= 0  # a member too rare to be a candidate is never suggested anyway
    return sparse.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(index.n_tags, n_candidates))


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Column positions of each row's k best scores, best first (ties: the more frequent candidate)."""
    if k < score.shape[1]:
        best = np.argpartition(-score, k - 1, axis=1)[:, :k]
    else:
        best = np.tile(np.arange(k), (len(score), 1))
    order = np.lexsort((best, -np.take_along_axis(score, best, axis=1)), axis=-1)
    return np.take_along_axis(best, order, axis=1)


def improved_descriptions(images: pa.Table, suggestions: TagSuggestions) -> dict:
    """improved_descriptions.json: per image id, its description and tags, and the tags to consider adding."""
    out = {}
    for i, (image_id, description) in enumerate(
        zip(images.column("id").to_pylist(), images.column("description").to_pylist(), strict=True)
    ):
        suggested = suggestions.tags_of(i)
        out[image_id] = {
            "description": description,
            "tags": suggestions.index.image_tags(i),
            "suggested_tags": suggested,
            "improved_description": f"{description} ({', '.join(suggested)})" if suggested else description,
        }
    return out
