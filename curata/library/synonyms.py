"""Synonym groups: tags used interchangeably ("car", "automobile") are rarely on one image together, yet come
with the same companions. Each tag's companions form a context vector; tags whose vectors point the same
way (cosine) but which almost never meet are linked, and linked tags form groups.

A companion c of tag a weighs P(c | a) / sqrt(P(c)): how often it comes with the tag, discounted for
being common. PPMI vectors were tried first and fail on synonyms that fit every scene ("people",
"person"): they have PMI near 0 with every companion, so their PPMI vectors are noise (cosine 0.34-0.44
on the sample library, below exclusive look-alikes such as "dog"/"cat" at 0.50).

How alike two contexts must be depends on how much "never together" says. Two tags would meet on an expected
number of images if each came with the other as their shared companions predict; meeting far more seldom than
that (the surprise: -log P(so few meetings), Poisson) is evidence of synonyms of its own. People/person, a few
dozen uses each in a library of 150 images, never meet where 4-5 meetings were expected, at cosine 0.67-0.69;
two tags used 5 times each, expected to meet once, say little by never meeting.
Linked tags join a group only if every two of its tags are (almost) never together, most alike pairs first: a
companion that by chance never met one variant usually meets another, so it stays out of their group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.stats import poisson

from curata.library.cooccurrence import TagCooccurrence
from curata.library.tables import SYNONYM_GROUPS

MIN_TAG_COUNT = 5  # a tag on fewer images has too little context to compare
MAX_TAGS = 2000  # the most frequent tags are compared, all pairs at once (a dense 2,000 x 2,000 similarity)
# Companions at least this similar (1 = the same companions in the same proportions) when meeting seldom is no
# surprise. On the sample library (400+ images) planted synonyms score 0.82-0.97 and exclusive
# look-alikes (sunrise/sunset, dog/cat, which share some companions) at most 0.54.
MIN_CONTEXT_COSINE = 0.7
COSINE_PER_NAT = 0.02  # each nat of surprise at how seldom a pair met lowers the cosine needed by this ...
MIN_CONTEXT_COSINE_EVIDENCED = 0.65  # ... down to this
MAX_TOGETHER = 0.05  # images with both / images with the rarer one: synonyms are almost never together
PAIR_CHUNK = 4096  # candidate pairs whose expected meetings are summed at once (a 4,096 x 2,000 block)


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


def expected_together(counts: np.ndarray, tag_counts: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For the pairs (rows, cols), the images both would be on if each came with the other's companions as those
    predict it: n_a x the mean over a's companions c (weighted by P(c | a)) of P(b | c); the smaller of two ways."""
    given = np.divide(counts, tag_counts[:, None], out=np.zeros_like(counts), where=tag_counts[:, None] > 0)
    weights = np.maximum(given.sum(axis=1), 1e-12)

    def one_way(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        chunks = [slice(k, k + PAIR_CHUNK) for k in range(0, len(a), PAIR_CHUNK)]
        via = [np.einsum("pc,cp->p", given[a[k]], given[:, b[k]]) for k in chunks]
        return tag_counts[a] * np.concatenate([np.zeros(0), *via]) / weights[a]

    return np.minimum(one_way(rows, cols), one_way(cols, rows))


def _groups(n_tags: int, similar: np.ndarray, apart: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Labels of groups formed from the linked pairs (rows, cols), most similar first, merging two groups only if
    every tag of one is `apart` from every tag of the other; a tag in no group keeps a label of its own."""
    labels = np.arange(n_tags)
    members = {label: [label] for label in labels.tolist()}
    order = np.lexsort((cols, rows, -similar[rows, cols]))
    for a, b in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        keep, gone = sorted((int(labels[a]), int(labels[b])))
        if keep != gone and apart[np.ix_(members[keep], members[gone])].all():
            members[keep] += members.pop(gone)
            labels[members[keep]] = keep
    return labels


def synonym_groups(cooc: TagCooccurrence) -> SynonymGroups:
    """Groups of 2+ tags with similar contexts, (almost) never seen together."""
    frequent = np.flatnonzero(cooc.counts >= MIN_TAG_COUNT)
    tags = frequent[np.lexsort((frequent, -cooc.counts[frequent]))][:MAX_TAGS]
    counts = cooc.matrix(tags).astype(np.float64)
    n = cooc.counts[tags].astype(np.float64)
    similar = context_similarity(counts, n, cooc.index.n_images)
    apart = counts / np.minimum(n[:, None], n[None, :]) <= MAX_TOGETHER
    rows, cols = np.nonzero(np.triu((similar >= MIN_CONTEXT_COSINE_EVIDENCED) & apart, k=1))
    surprise = -poisson.logcdf(counts[rows, cols], expected_together(counts, n, rows, cols))  # nats
    needed = np.maximum(MIN_CONTEXT_COSINE_EVIDENCED, MIN_CONTEXT_COSINE - COSINE_PER_NAT * surprise)
    linked = similar[rows, cols] >= needed
    labels = _groups(len(tags), similar, apart, rows[linked], cols[linked])
    names = cooc.index.tags
    tag_counts = {str(names[t]): int(c) for t, c in zip(tags, cooc.counts[tags], strict=True)}
    groups = []
    for label in np.unique(labels):
        members = tags[labels == label]
        if len(members) > 1:
            groups.append(sorted((str(names[t]) for t in members), key=lambda t: (-tag_counts[t], t)))
    groups.sort(key=lambda g: g[0])
    return SynonymGroups(groups, {t: tag_counts[t] for g in groups for t in g})
