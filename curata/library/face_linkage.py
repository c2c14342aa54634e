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
    keep = (neighbours.distances < params.edge_distance) & (
        shared_neighbours(neighbours.rows) >= params.shared_neighbours
    )
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
    for _ in range(params.seed_rounds):
        _, found = connected_components(graph[todo][:, todo], directed=False)
        found = _at_least(found, params.min_cluster_size)
        labels[todo] = np.where(found == NOISE, NOISE, found + count(labels))
        labels, todo = _expel_strangers(encodings, labels, average, params)
        if not len(todo):
            break
    return _person_like(encodings, labels, average, params)


def _expel_strangers(
    encodings: np.ndarray, labels: np.ndarray, average: np.ndarray | None, params: ClusterParams
) -> tuple[np.ndarray, np.ndarray]:
    """Removes from seeds the faces farther from the seed's centroid than any photo of its person would be,
    or nearer the average face than to the seed; returns the labels and the removed rows."""
    means = centroids(encodings, labels)
    members = np.flatnonzero(labels != NOISE)
    to_seed = np.linalg.norm(encodings[members] - means[labels[members]], axis=1)
    stranger = to_seed > params.max_member_distance
    if average is not None:
        stranger |= to_seed >= np.linalg.norm(encodings[members] - average, axis=1)
    labels = labels.copy()
    labels[members[stranger]] = NOISE
    return _at_least(labels, params.min_cluster_size), members[stranger]


def _person_like(
    encodings: np.ndarray, labels: np.ndarray, average: np.ndarray | None, params: ClusterParams
) -> np.ndarray:
    """Drops seeds spread wider than one person's photos, and seeds centred on the average face: not a person."""
    if count(labels) == 0:
        return labels
    person_like = _spread(encodings, labels)[:-1] <= params.max_spread
    if average is not None:
        person_like &= np.linalg.norm(centroids(encodings, labels) - average, axis=1) >= params.min_offset_from_average
    return _dense(np.where(np.r_[person_like, False][labels], labels, NOISE))


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
    """Unclustered faces among `rows` (whose neighbours are `neighbours`) join a nearby cluster's centroid.

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
    for part in np.array_split(np.arange(len(todo)), max(1, len(todo) // 20_000)):
        faces, near = rows[todo[part]], candidates[part]
        distances = np.linalg.norm(encodings[faces, None, :] - means[near], axis=2)
        distances[near == NOISE] = np.inf
        best = distances.argmin(axis=1)
        best_label = near[np.arange(len(part)), best]
        best_distance = distances[np.arange(len(part)), best]
        same = near == best_label[:, None]
        second = np.where(same, np.inf, distances).min(axis=1)
        if average is not None:  # the average face competes like a cluster: a face must be clearly nearer the person
            second = np.minimum(second, np.linalg.norm(encodings[faces] - average, axis=1))
        ok = (
            (best_distance < params.assign_distance)
            & (best_distance < params.assign_margin * second)
            & (same.sum(axis=1) >= params.assign_votes)
        )
        labels[faces[ok]] = best_label[ok]
    too_wide = _spread(encodings, labels)[labels] > params.max_spread
    return np.where(too_wide & (before == NOISE), NOISE, labels)


def _has_votes(candidates: np.ndarray, votes: int) -> np.ndarray:
    """Rows in which some cluster (not noise) appears at least `votes` times."""
    if votes <= 1:
        return (candidates != NOISE).any(axis=1)
    ordered = np.sort(candidates, axis=1)
    run = (ordered[:, : 1 - votes] == ordered[:, votes - 1 :]) & (ordered[:, : 1 - votes] != NOISE)
    return run.any(axis=1)


def merge_looks(encodings: np.ndarray, labels: np.ndarray, params: ClusterParams, mergeable: np.ndarray) -> np.ndarray:
    """Merges clusters of one person in several looks: clusters (of `min_merge_size`+ faces) whose
    directions are `merge_similarity` alike, linked in groups; a group whose parts are not all at least
    `hint_similarity` alike (a chain through a middle cluster) stays apart."""
    sizes = np.bincount(labels[labels != NOISE], minlength=len(mergeable))
    candidates = np.flatnonzero(mergeable & (sizes >= params.min_merge_size))
    if len(candidates) < 2:
        return labels
    units = directions(encodings, labels)[candidates]
    rows, similarity = similar(units, params.max_hints, params)
    linked = similarity >= params.merge_similarity
    edges = sparse.csr_matrix(
        (
            np.ones(linked.sum(), dtype=np.int8),
            (np.repeat(np.arange(len(candidates)), rows.shape[1])[linked.ravel()], rows[linked]),
        ),
        shape=(len(candidates), len(candidates)),
    )
    _, group = connected_components(edges, directed=False)
    into = np.arange(len(mergeable))
    for parts in _groups_of_several(group):
        if (units[parts] @ units[parts].T).min() >= params.hint_similarity:
            into[candidates[parts]] = candidates[parts].min()
    return np.where(labels == NOISE, NOISE, into[np.maximum(labels, 0)])


def _groups_of_several(group: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(group, kind="stable")
    split = np.split(order, np.flatnonzero(np.diff(group[order])) + 1)
    return [parts for parts in split if len(parts) > 1]


def directions(encodings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per label, the unit vector from the library's average face to the centroid: what tells people apart
    whatever the photos' quality (poor photos shrink towards the average face along that direction)."""
    offsets = centroids(encodings, labels) - encodings.mean(axis=0)
    return offsets / np.maximum(np.linalg.norm(offsets, axis=1, keepdims=True), 1e-12)


def similar(units: np.ndarray, k: int, params: ClusterParams) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar other rows of `units` (unit vectors) and their cosine similarity, most similar first."""
    found = nearest_neighbours(units, k, params.search)
    return found.rows, np.where(found.rows >= 0, 1.0 - found.distances.astype(np.float64) ** 2 / 2, -1.0)


def centroids(encodings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean encoding per label (a row of zeros for a label with no members)."""
    members = np.flatnonzero(labels != NOISE)
    one_hot = sparse.csr_matrix(
        (np.ones(len(members), dtype=np.float32), (labels[members], members)), shape=(count(labels), len(labels))
    )
    sizes = np.maximum(np.asarray(one_hot.sum(axis=1)).ravel(), 1)
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
