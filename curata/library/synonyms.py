"""Synonym groups: tags used interchangeably ("car", "automobile") are rarely on one image together, yet come
with the same companions. Each tag's companions form a context vector; tags whose vectors point the same
way (cosine) but which almost never meet are linked, and linked tags form groups.

A companion c of tag a weighs P(c | a) / sqrt(P(c)): how often it comes with the tag, discounted for
being common. PPMI vectors were tried first and fail on synonyms that fit every scene ("people",
"person"): they have PMI near 0 with every companion, so their PPMI vectors are noise (cosine 0.34-0.44
on the sample library, below exclusive look-alikes such as "dog"/"cat" at 0.50).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from curata.library.cooccurrence import TagCooccurrence
from curata.library.tables import SYNONYM_GROUPS

MIN_TAG_COUNT = 5  # a tag on fewer images has too little context to compare
MAX_TAGS = 2000  # the most frequent tags are compared, all pairs at once (a dense 2,000 x 2,000 similarity)
# Companions at least this similar (1 = the same companions in the same proportions). On the sample
# library (400+ images) planted synonyms score 0.82-0.97 and exclusive look-alikes (sunrise/sunset,
# dog/cat, which share some companions) at most 0.54.
MIN_CONTEXT_COSINE = 0.7
MAX_TOGETHER = 0.05  # images with both / images with the rarer one: synonyms are almost never together


@dataclass(frozen=True)
class SynonymGroups:
    groups: list[list[str]]  # each sorted by count (most frequent first, the group's name), groups by name
    counts: dict[str, int]

    def table(self) -> pa.Table:
        rows = [{"group_id": g[0], "tag": t, "count": self.counts[t]} for g in self.groups for t in g]
        return SYNONYM_GROUPS.from_rows(rows)

    def search_index(self) -> dict:
        """search_index.json: each grouped tag maps to the other members of its group."""
        synonyms = {t: [o for o in g if o != t] for g in self.groups for t in g}
        return {"synonyms": dict(sorted(synonyms.items())), "groups": {g[0]: g for g in self.groups}}

    def pairs(self) -> set[frozenset[str]]:
        return {frozenset((a, b)) for g in self.groups for i, a in enumerate(g) for b in g[i + 1 :]}


def context_similarity(counts: np.ndarray, tag_counts: np.ndarray, n_images: int) -> np.ndarray:
    """Cosine similarity of the tags' context vectors, from their (k, k) pair counts and (k,) counts."""
    given = np.divide(counts, tag_counts[:, None], out=np.zeros_like(counts), where=tag_counts[:, None] > 0)
    vectors = given / np.sqrt(np.maximum(tag_counts, 1) / max(1, n_images))[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return unit @ unit.T


def synonym_groups(cooc: TagCooccurrence) -> SynonymGroups:
    """Groups of 2+ tags linked by similar contexts and (almost) never seen together."""
    frequent = np.flatnonzero(cooc.counts >= MIN_TAG_COUNT)
    tags = frequent[np.lexsort((frequent, -cooc.counts[frequent]))][:MAX_TAGS]
    counts = cooc.matrix(tags)
    n = cooc.counts[tags].astype(np.float64)
    similar = context_similarity(counts, n, cooc.index.n_images)
    together = counts / np.minimum(n[:, None], n[None, :])
    links = (similar >= MIN_CONTEXT_COSINE) & (together <= MAX_TOGETHER)
    np.fill_diagonal(links, False)
    _, labels = connected_components(sparse.csr_matrix(links), directed=False)
    names = cooc.index.tags
    tag_counts = {str(names[t]): int(c) for t, c in zip(tags, cooc.counts[tags], strict=True)}
    groups = []
    for label in np.unique(labels):
        members = tags[labels == label]
        if len(members) > 1:
            groups.append(sorted((str(names[t]) for t in members), key=lambda t: (-tag_counts[t], t)))
    groups.sort(key=lambda g: g[0])
    return SynonymGroups(groups, {t: tag_counts[t] for g in groups for t in g})
