"""How faces become clusters: seeds of close photos, assignment of the rest, merging one person's looks.

Labels are integers per face (NOISE for none); these functions never see ids, only encodings and
neighbours, so they run the same on a whole library and on the faces added to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from curata.library.face_neighbours import Neighbours, nearest_neighbours, shared_neighbours

if TYPE_CHECKING:
    from curata.library.faces import ClusterParams

NOISE = -1


def seed_graph(neighbours: Neighbours, params: ClusterParams) -> sparse.csr_matrix:
    """Edges between faces closer than `edge_distance` whose neighbourhoods share `shared_neighbours` faces."""
    n, k = neighbours.rows.shape
    close = (neighbours.distances < params.edge_distance) & (neighbours.rows >= 0)
    keep = close & (shared_neighbours(neighbours.rows, close) >= params.shared_neighbours)
    rows = np.repeat(np.arange(n), k)[keep.ravel()]
    cols = neighbours.rows.ravel()[keep.ravel()]
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))


def people_in(graph: sparse.csr_matrix, params: ClusterParams) -> int:
    """How many groups of `min_cluster_size`+ faces the graph joins: roughly how many people."""
    _, found = connected_components(graph, directed=False)
    return count(_at_least(found, params.min_cluster_size))


def average_face(encodings: np.ndarray, people: int, params: ClusterParams) -> np.ndarray | None:
    """The library's mean encoding, where poor photos of anybody drift (the "unrecognisable identity" of
    the face-recognition literature); None below `people_for_average` people, where the mean is only
    a mix of those few people."""
    return encodings.mean(axis=0) if people >= params.people_for_average else None


def seed_labels(
    encodings: np.ndarray, graph: sparse.csr_matrix, params: ClusterParams, average: np.ndarray | None
) -> np.ndarray:
    """Connected components of the seed graph, kept only if they look like one person.

    A component two people were bridged into loses the minority's faces (too far from its centroid);
    those are seeded again among themselves, so the second person gets a seed of their own."""
    labels = np.full(graph.shape[0], NOISE)
    todo = np.arange(graph.shape[0])
    limit = _member_limit(encodings, average, params)
    for _ in range(params.seed_rounds):
        _, found = connected_components(graph[todo][:, todo], directed=False)
        found = _at_least(found, params.min_cluster_size)
        labels[todo] = np.where(found == NOISE, NOISE, found + count(labels))
        labels, todo = _expel_strangers(encodings, labels, todo[found != NOISE], limit, params)
        if not len(todo):
            break
    return _person_like(encodings, _dense(labels), average, params)


def _member_limit(encodings: np.ndarray, average: np.ndarray | None, params: ClusterParams) -> np.ndarray:
    """Per face, the distance from a seed's centroid beyond which it is a stranger there: farther than any
    photo of one person, or (once the average face is known) not clearly nearer than the average face."""
    limit = np.full(len(encodings), params.max_member_distance, dtype=np.float32)
    if average is None:
        return limit
    return np.minimum(limit, params.margin * _row_norms(encodings - average))


def _expel_strangers(
    encodings: np.ndarray, labels: np.ndarray, rows: np.ndarray, limit: np.ndarray, params: ClusterParams
) -> tuple[np.ndarray, np.ndarray]:
    """Removes from the seeds of `rows`, until none is left, the faces beyond their `limit` from the seed's
    centroid (each removal moves the centroid, so a minority goes in layers); returns the labels and the
    removed rows. Only seeds that lost faces are measured again."""
    start, labels = labels, labels.copy()
    for _ in range(params.max_peelings):
        seeds, local = np.unique(labels[rows], return_inverse=True)
        means = _means(encodings, rows, local, len(seeds))
        stranger = rows[_row_norms(encodings[rows] - means[local]) >= limit[rows]]
        if not len(stranger):
            break
        shrunk = np.unique(labels[stranger])
        labels[stranger] = NOISE
        rows = np.flatnonzero(np.isin(labels, shrunk))
        sizes = np.bincount(labels[rows], minlength=count(labels))
        too_small = np.isin(labels[rows], shrunk[sizes[shrunk] < params.min_cluster_size])
        labels[rows[too_small]] = NOISE
        rows = rows[~too_small]
    return labels, np.flatnonzero((start != NOISE) & (labels == NOISE))


def _row_norms(vectors: np.ndarray) -> np.ndarray:
    """Euclidean length of each row, without the squared copy np.linalg.norm makes."""
    return np.sqrt(np.einsum("ij,ij->i", vectors, vectors))


def _person_like(
    encodings: np.ndarray, labels: np.ndarray, average: np.ndarray | None, params: ClusterParams
) -> np.ndarray:
    """Drops seeds spread wider than one person's photos, and, once the average face is known, seeds near it
    or whose faces point from it in scattered directions: poor photos of several people, not a person."""
    if count(labels) == 0:
        return labels
    person_like = _spread(encodings, labels)[:-1] <= params.max_spread
    if average is not None:
        offset = np.linalg.norm(centroids(encodings, labels) - average, axis=1)
        person_like &= (offset >= params.min_offset_from_average) & (
            _coherence(encodings, labels, average) >= params.min_coherence
        )
    return _dense(np.where(np.r_[person_like, False][labels], labels, NOISE))


def _coherence(encodings: np.ndarray, labels: np.ndarray, average: np.ndarray) -> np.ndarray:
    """Per label, the length of the mean of its faces' unit directions from the average face: about 0.85 for
    one person's photos (0.7 for an average-looking person), near 1/sqrt(people) for a mix of people."""
    members = np.flatnonzero(labels != NOISE)
    offsets = encodings[members] - average
    units = offsets / np.maximum(np.linalg.norm(offsets, axis=1, keepdims=True), 1e-12)
    one_hot = sparse.csr_matrix(
        (np.ones(len(members), dtype=np.float32), (labels[members], np.arange(len(members)))),
        shape=(count(labels), len(members)),
    )
    sizes = np.maximum(np.asarray(one_hot.sum(axis=1)).ravel(), 1)
    return np.linalg.norm(np.asarray(one_hot @ units), axis=1) / sizes


def _at_least(labels: np.ndarray, size: int) -> np.ndarray:
    """Labels of groups of at least `size` faces, renumbered; the rest noise."""
    sizes = np.r_[np.bincount(labels[labels != NOISE], minlength=count(labels)), 0]  # NOISE reads the 0
    return _dense(np.where(sizes[labels] >= size, labels, NOISE))


def _spread(encodings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per label, the RMS distance of its faces from their centroid, corrected for the centroid's own noise."""
    members = np.flatnonzero(labels != NOISE)
    squared = ((encodings[members] - centroids(encodings, labels)[labels[members]]) ** 2).sum(axis=1)
    sizes = np.bincount(labels[members], minlength=count(labels))
    mean_squared = np.bincount(labels[members], squared, minlength=len(sizes)) / np.maximum(sizes, 1)
    spread = np.sqrt(mean_squared * sizes / np.maximum(sizes - 1, 1))
    return np.r_[spread, 0.0]  # index NOISE (-1) reads the trailing 0


def assign(
    encodings: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    neighbours: Neighbours,
    params: ClusterParams,
    average: np.ndarray | None,
) -> np.ndarray:
    """Unclustered faces among `rows` (whose neighbours are `neighbours`) join the cluster of several of their
    neighbours, if it is near and unambiguous: the one whose direction from the average face is most
    alike the face's, `assign_similarity` alike and no other as much (a poor photo shrinks towards the
    average face but keeps its person's direction); without an average face, the clearly nearest centroid.

    A cluster that the newcomers would spread wider than one person's photos takes none of them: that
    is a seed of "average-looking" faces that strangers happen to sit near."""
    before = labels
    labels = labels.copy()
    todo = np.flatnonzero(labels[rows] == NOISE)
    if not len(todo) or count(labels) == 0:
        return labels
    candidates = np.where(neighbours.rows[todo] >= 0, labels[neighbours.rows[todo]], NOISE)
    voted = _has_votes(candidates, params.assign_votes)  # only these can pass; spares the distances
    todo, candidates = todo[voted], candidates[voted]
    means = centroids(encodings, labels)
    units = None if average is None else directions(encodings, labels, average)
    for part in np.array_split(np.arange(len(todo)), max(1, len(todo) // 20_000)):
        faces, near = rows[todo[part]], candidates[part]
        chosen, ok = _choose(encodings[faces], near, means, units, average, params)
        labels[faces[ok]] = chosen[ok]
    too_wide = _spread(encodings, labels)[labels] > params.max_spread
    return np.where(too_wide & (before == NOISE), NOISE, labels)


def _choose(
    faces: np.ndarray,
    near: np.ndarray,
    means: np.ndarray,
    units: np.ndarray | None,
    average: np.ndarray | None,
    params: ClusterParams,
) -> tuple[np.ndarray, np.ndarray]:
    """For each face, the best of the clusters `near` names (NOISE: none) and whether it may join it."""
    distances = np.linalg.norm(faces[:, None, :] - means[near], axis=2)
    if units is None:
        score = -distances  # nearest centroid
    else:
        offsets = faces - average
        score = np.einsum("nd,nkd->nk", offsets / np.linalg.norm(offsets, axis=1, keepdims=True), units[near])
    score[near == NOISE] = -np.inf
    best = score.argmax(axis=1)
    at = np.arange(len(faces))
    chosen, best_score, best_distance = near[at, best], score[at, best], distances[at, best]
    same = near == chosen[:, None]
    runner_up = np.where(same, -np.inf, score).max(axis=1)
    if units is None:
        clear = best_distance < params.margin * -runner_up
    else:
        clear = (best_score >= params.assign_similarity) & (runner_up < params.assign_similarity)
    ok = clear & (best_distance < params.assign_distance) & (same.sum(axis=1) >= params.assign_votes)
    return chosen, ok


def _has_votes(candidates: np.ndarray, votes: int) -> np.ndarray:
    """Rows in which some cluster (not noise) appears at least `votes` times."""
    if votes <= 1:
        return (candidates != NOISE).any(axis=1)
    ordered = np.sort(candidates, axis=1)
    run = (ordered[:, : 1 - votes] == ordered[:, votes - 1 :]) & (ordered[:, : 1 - votes] != NOISE)
    return run.any(axis=1)


def isolated_groups(
    encodings: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    neighbours: Neighbours,
    params: ClusterParams,
    average: np.ndarray | None,
) -> np.ndarray:
    """Unclustered faces among `rows` (whose neighbours are `neighbours`) that are within `max_member_distance`
    of each other and clearly apart from every other face become clusters, pairs included: a person with
    a few photos, too few to seed. Each face's nearest in its group must be at most `margin` times as far
    as its nearest face outside it; among the poor photos near the average face nobody is that apart."""
    noise = labels == NOISE
    listed = neighbours.rows >= 0
    listed_rows = np.where(listed, neighbours.rows, 0)  # padding (-1) reads row 0, masked by `listed`
    both = listed & noise[rows][:, None] & noise[listed_rows]
    close = both & (neighbours.distances < params.max_member_distance)
    edges = sparse.csr_matrix(
        (
            np.ones(int(close.sum()), dtype=np.int8),
            (np.repeat(rows, close.shape[1])[close.ravel()], neighbours.rows[close]),
        ),
        shape=(len(labels), len(labels)),
    )
    _, group = connected_components(edges, directed=False)
    group = _at_least(np.where(noise, group, NOISE), 2)
    if count(group) == 0:
        return labels
    asked = group[rows] != NOISE
    inside = listed[asked] & (group[listed_rows[asked]] == group[rows[asked]][:, None])
    nearest_in = np.where(inside, neighbours.distances[asked], np.inf).min(axis=1)
    nearest_out = np.where(listed[asked] & ~inside, neighbours.distances[asked], np.inf).min(axis=1)
    crowded = np.unique(group[rows[asked]][nearest_in > params.margin * nearest_out])
    group = _person_like(encodings, _dense(np.where(np.isin(group, crowded), NOISE, group)), average, params)
    return np.where(group == NOISE, labels, group + count(labels))


def merge_looks(encodings: np.ndarray, labels: np.ndarray, params: ClusterParams) -> np.ndarray:
    """Merges clusters of one person: clusters (of `min_merge_size`+ faces) whose directions are
    `merge_similarity` alike, linked in groups, in rounds: the fragments of one look join first, then
    the looks, once each look's direction is no longer hidden behind its own fragments'."""
    for _ in range(params.merge_rounds):
        merged = _merge_round(encodings, labels, params)
        if np.array_equal(merged, labels):
            break
        labels = merged
    return labels


def _merge_round(encodings: np.ndarray, labels: np.ndarray, params: ClusterParams) -> np.ndarray:
    """One round: a group whose parts are not all `hint_similarity` alike (a chain) stays apart."""
    sizes = np.bincount(labels[labels != NOISE], minlength=count(labels))
    candidates = np.flatnonzero(sizes >= params.min_merge_size)
    if len(candidates) < 2:
        return labels
    units = directions(encodings, labels)[candidates]
    rows, similarity = similar(units, params.max_hints, params)
    linked = similarity >= params.merge_similarity
    sources = np.repeat(np.arange(len(candidates)), rows.shape[1])[linked.ravel()]
    edges = sparse.csr_matrix(
        (np.ones(len(sources), dtype=np.int8), (sources, rows[linked])), shape=(len(candidates), len(candidates))
    )
    _, group = connected_components(edges, directed=False)
    into = np.arange(len(sizes))
    for parts in _groups_of_several(group):
        if (units[parts] @ units[parts].T).min() >= params.hint_similarity:
            into[candidates[parts]] = candidates[parts].min()
    into = _keep_doubtful_apart(encodings, labels, into, sizes, params)
    return np.where(labels == NOISE, NOISE, into[np.maximum(labels, 0)])


def join_earlier(earlier: np.ndarray, looks: np.ndarray, people: np.ndarray) -> np.ndarray:
    """`earlier` labels, where each unlabelled face of a cluster of `people` (merged `looks`) takes the earlier
    label most of its look's earlier-labelled faces have, else most of its person's, else a new label per person."""
    todo = np.flatnonzero((earlier == NOISE) & (people != NOISE))
    by_look, by_person = _most_common(looks, earlier)[looks[todo]], _most_common(people, earlier)[people[todo]]
    joined = np.where(by_look != NOISE, by_look, by_person)
    fresh = joined == NOISE
    joined[fresh] = count(earlier) + np.unique(people[todo[fresh]], return_inverse=True)[1]
    labels = earlier.copy()
    labels[todo] = joined
    return labels


def _most_common(groups: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per group, the label most of its labelled faces have (ties: the smaller label); NOISE if none has one."""
    both = (groups != NOISE) & (labels != NOISE)
    out = np.full(count(groups), NOISE)
    pairs, sizes = np.unique(np.c_[groups[both], labels[both]], axis=0, return_counts=True)
    pairs = pairs[np.lexsort((pairs[:, 1], -sizes, pairs[:, 0]))]
    first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]][: len(pairs)]
    out[pairs[first, 0]] = pairs[first, 1]
    return out


def _keep_doubtful_apart(
    encodings: np.ndarray, labels: np.ndarray, into: np.ndarray, sizes: np.ndarray, params: ClusterParams
) -> np.ndarray:
    """Undoes the merge of a cluster under `trusted_merge_size` faces unless each of its faces points the merged
    group's way (`assign_similarity`): a few faces' centroid can hide a stranger or two among them."""
    doubtful = (into != np.arange(len(into))) & (sizes < params.trusted_merge_size)
    faces = np.flatnonzero((labels != NOISE) & doubtful[np.maximum(labels, 0)])
    if not len(faces):
        return into
    merged = np.where(labels == NOISE, NOISE, into[np.maximum(labels, 0)])
    average = encodings.mean(axis=0)
    offsets = encodings[faces] - average
    alike = np.einsum(
        "nd,nd->n", offsets / _row_norms(offsets)[:, None], directions(encodings, merged, average)[merged[faces]]
    )
    stray = np.zeros(len(into), dtype=bool)
    stray[labels[faces][alike < params.assign_similarity]] = True
    parts = np.flatnonzero(~stray)
    target = np.full(len(into), len(into))
    np.minimum.at(target, into[parts], parts)  # a group's smallest label once its strays are out
    return np.where(stray, np.arange(len(into)), target[into])


def _groups_of_several(group: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(group, kind="stable")
    split = np.split(order, np.flatnonzero(np.diff(group[order])) + 1)
    return [parts for parts in split if len(parts) > 1]


def directions(encodings: np.ndarray, labels: np.ndarray, average: np.ndarray | None = None) -> np.ndarray:
    """Per label, the unit vector from the average face (by default the library's mean encoding) to the
    centroid: what tells people apart whatever the photos' quality (poor photos shrink towards the
    average face along that direction)."""
    offsets = centroids(encodings, labels) - (encodings.mean(axis=0) if average is None else average)
    return offsets / np.maximum(np.linalg.norm(offsets, axis=1, keepdims=True), 1e-12)


def similar(units: np.ndarray, k: int, params: ClusterParams) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar other rows of `units` (unit vectors) and their cosine similarity, most similar first."""
    found = nearest_neighbours(units, k, params.search)
    return found.rows, np.where(found.rows >= 0, 1.0 - found.distances.astype(np.float64) ** 2 / 2, -1.0)


def centroids(encodings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean encoding per label (a row of zeros for a label with no members)."""
    members = np.flatnonzero(labels != NOISE)
    return _means(encodings, members, labels[members], count(labels))


def _means(encodings: np.ndarray, rows: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of the encodings of `rows` in each of their `groups` 0..n_groups-1 (zeros for an empty group);
    a sparse product, which reads the rows in place instead of copying them."""
    one_hot = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (groups, rows)), shape=(n_groups, len(encodings))
    )
    sizes = np.maximum(np.bincount(groups, minlength=n_groups), 1).astype(np.float32)
    return np.asarray(one_hot @ encodings, dtype=np.float32) / sizes[:, None]


def _dense(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0.. in order of first appearance; noise stays noise."""
    out = np.full(len(labels), NOISE)
    clustered = labels != NOISE
    _, first, inverse = np.unique(labels[clustered], return_index=True, return_inverse=True)
    out[clustered] = np.argsort(np.argsort(first))[inverse]
    return out


def count(labels: np.ndarray) -> int:
    return int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
