"""Face clustering that stays put: the same library gives the same clusters and ids, a grown library
keeps its people where they were, and unrelated people are not chained into one mega-cluster.

Five steps over the faces in face-id order (so input order never matters):
1. seeds: two faces within `edge_distance` whose neighbourhoods (each with its nearest neighbours)
   have `shared_neighbours` faces in common are joined. Sharing neighbours is what a single
   threshold lacks: a poor photo that happens to sit near a stranger shares hardly any of the
   stranger's neighbours, so no bridge forms. A seed keeps only faces near its centroid (the rest
   are seeded again), and must be as tight as one person's photos and away from the "average face",
   the library's mean encoding where poor photos of anybody collect;
2. assignment: every other face joins the nearest seed centroid among its neighbours' clusters if it
   is within `assign_distance`, clearly nearer than the next candidate and than the average face,
   and several of its neighbours are already there;
3. isolated groups: faces still alone that are close to each other and clearly apart from everyone
   else (a person with two or three photos) become a cluster of their own;
4. looks: clusters of one person in several looks (glasses, years apart) are merged when their
   directions from the average face are `merge_similarity` alike (cosine); pairs only
   `hint_similarity` alike are listed in `likely_same_as`, for a person to confirm;
5. ids: a cluster is named after its smallest face id, so the name does not depend on numbering.
`extend_clustering` adds faces to an earlier result without moving any face that had a cluster: the
grown library is clustered from scratch, and each face that had none joins the earlier cluster of its
look or person, so a grown library scores as one clustered from scratch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from curata.library.face_linkage import (
    NOISE,
    assign,
    average_face,
    centroids,
    count,
    directions,
    isolated_groups,
    join_earlier,
    merge_looks,
    people_in,
    seed_graph,
    seed_labels,
    similar,
)
from curata.library.face_neighbours import NeighbourSearch, nearest_neighbours
from curata.library.face_tables import cluster_table, clusters_document, face_table


@dataclass(frozen=True)
class ClusterParams:
    """Distances are face_recognition's Euclidean face distance (it calls < 0.6 the same person);
    similarities are cosines of directions from the library's average face. The defaults were set on
    `curata.sample.faces` encodings, built to match dlib's published behaviour: on a real library,
    check them with `curata.sample.face_quality.score_clustering` against a few hundred hand-labelled faces."""

    neighbours: int = 10
    edge_distance: float = 0.42
    shared_neighbours: int = 4  # so a person needs 4 photos to found a cluster (3 with a shared stranger)
    min_cluster_size: int = 3
    seed_rounds: int = 3  # faces expelled from a seed are seeded again among themselves, this many times
    max_peelings: int = 10  # rounds of removing a seed's outlying faces, each after its centroid moved
    max_member_distance: float = 0.5  # from a seed's centroid; 99.9% of one person's photos are nearer
    max_spread: float = 0.35  # RMS distance of a cluster's faces from its centroid (one look); one person's ~0.28
    people_for_average: int = 30  # seeds needed before the library's mean encoding counts as the average face
    min_offset_from_average: float = 0.25  # a person's centroid lies 0.3+ from the average face
    min_coherence: float = 0.65  # of a seed's directions from the average face (see face_linkage._coherence)
    margin: float = 0.85  # a face's cluster at most this fraction of the distance to the runner-up or the average face
    assign_distance: float = 0.5
    assign_similarity: float = 0.55  # cosine with the cluster's direction; one person's photos 0.72+ (99%)
    assign_votes: int = 3  # of the face's neighbours, at least this many already in that cluster
    merge_similarity: float = 0.6  # cosine of two clusters' directions from the average face: one person's looks
    merge_rounds: int = 3
    min_merge_size: int = 5  # smaller clusters' centroids are too noisy to merge on
    trusted_merge_size: int = 10  # smaller ones merge only if each of their faces points the group's way
    hint_similarity: float = 0.45  # other people: below 0.45 even among 150,000 (1M faces)
    max_hints: int = 3
    merge_likely_same_person: bool = False  # person_id: one for clusters linked by likely_same_as (accepted links)
    search: NeighbourSearch = field(default_factory=NeighbourSearch)


@dataclass(frozen=True)
class FaceSet:
    """Faces in face-id order: the only order the clustering ever sees."""

    face_ids: np.ndarray  # str, unique
    image_ids: np.ndarray  # str
    encodings: np.ndarray  # (n, 128) float32

    @classmethod
    def of(cls, face_ids: object, image_ids: object, encodings: np.ndarray) -> FaceSet:
        faces, images = np.asarray(face_ids, dtype=str), np.asarray(image_ids, dtype=str)
        vectors = np.ascontiguousarray(encodings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(faces) or len(images) != len(faces):
            raise ValueError(f"{len(faces)} face ids, {len(images)} image ids, encodings {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("encodings must be finite (validation quarantines the others)")
        order = np.argsort(faces, kind="stable")
        if len(faces) and (faces[order][1:] == faces[order][:-1]).any():
            raise ValueError("face ids must be unique")
        return cls(faces[order], images[order], vectors[order])

    @classmethod
    def from_table(cls, faces: pa.Table) -> FaceSet:
        """From `library_faces` rows (face_id, image_id, encoding as a fixed-size list of float32)."""
        encodings = faces["encoding"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
        return cls.of(
            faces["face_id"].to_numpy(zero_copy_only=False),
            faces["image_id"].to_numpy(zero_copy_only=False),
            encodings.reshape(faces.num_rows, -1),
        )


@dataclass(frozen=True)
class FaceClustering:
    faces: pa.Table  # FACE_SCHEMA
    clusters: pa.Table  # CLUSTER_SCHEMA

    def document(self) -> dict:
        return clusters_document(self.faces, self.clusters)


def cluster_faces(faces: FaceSet, params: ClusterParams = ClusterParams()) -> FaceClustering:
    """Clusters every face from scratch."""
    labels = merge_looks(faces.encodings, _looks(faces, params), params)
    return _result(faces, labels, _anchor_names(faces, labels), params)


def extend_clustering(previous: pa.Table, faces: FaceSet, params: ClusterParams = ClusterParams()) -> FaceClustering:
    """Adds faces to an earlier result: every face that had a cluster keeps it; the others (new faces and
    earlier noise) go where clustering the whole library from scratch puts them, into the earlier cluster
    that shares their look (their person, if their look has no earlier face) or else a new cluster. So a new
    photo of a known person in another look joins that person. On an unchanged library: the earlier result."""
    labels, names = _previous_labels(previous, faces)
    if pc.all(pc.is_in(pa.array(faces.face_ids), value_set=previous["face_id"].combine_chunks())).as_py():
        return _result(faces, labels, names, params)
    looks = _looks(faces, params)
    labels = join_earlier(labels, looks, merge_looks(faces.encodings, looks, params))
    names = names + _anchor_names(faces, labels, frozenset(names))[len(names) :]
    return _result(faces, labels, names, params)


def _looks(faces: FaceSet, params: ClusterParams) -> np.ndarray:
    """Labels of clusters of one look each (seeds, assignment, isolated groups), before looks are merged."""
    neighbours = nearest_neighbours(faces.encodings, params.neighbours, params.search)
    graph = seed_graph(neighbours, params)
    average = average_face(faces.encodings, people_in(graph, params), params)
    labels = seed_labels(faces.encodings, graph, params, average)
    everyone = np.arange(len(labels))
    labels = assign(faces.encodings, labels, everyone, neighbours, params, average)
    return isolated_groups(faces.encodings, labels, everyone, neighbours, params, average)


def _result(faces: FaceSet, labels: np.ndarray, names: list[str], params: ClusterParams) -> FaceClustering:
    """The tables: names for labels, each face's person, a representative and the likely-same hints per cluster."""
    present = np.unique(labels[labels != NOISE])
    hints = _hints(faces.encodings, labels, present, [names[i] for i in present], params)
    persons = _persons(labels, names, hints) if params.merge_likely_same_person else np.arange(len(names))
    by_label = np.array(names + [None], dtype=object)
    clustered = np.where(labels == NOISE, len(names), labels)
    table = face_table(faces.face_ids, faces.image_ids, by_label[clustered], by_label[np.r_[persons, -1][clustered]])
    representatives = _representatives(faces, labels, centroids(faces.encodings, labels))
    return FaceClustering(table, cluster_table(table, {names[i]: representatives[i] for i in present}, hints))


def _persons(labels: np.ndarray, names: list[str], hints: dict[str, list[str]]) -> np.ndarray:
    """Per label, the label of its person: of the clusters linked to it through `hints` (either way, in a
    chain), the one holding their first row (smallest face id), so the person keeps its id as faces arrive."""
    if not hints:
        return np.arange(len(names))
    position = {name: label for label, name in enumerate(names)}
    pairs = np.array([(position[a], position[b]) for a, others in hints.items() for b in others], dtype=np.int64)
    pairs = pairs.reshape(-1, 2)
    links = sparse.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(names), len(names)))
    _, person = connected_components(links, directed=False)
    order = np.lexsort((_first_rows(labels, len(names)), person))  # by person, then first row
    ordered = person[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]][: len(order)]
    leader = np.zeros(len(names), dtype=np.int64)
    leader[ordered[first]] = order[first]
    return leader[person]


def _representatives(faces: FaceSet, labels: np.ndarray, means: np.ndarray) -> dict[int, str]:
    """Per cluster, the face nearest its centroid (ties: the smaller face id)."""
    members = np.flatnonzero(labels != NOISE)
    distance = np.linalg.norm(faces.encodings[members] - means[labels[members]], axis=1)
    order = np.lexsort((members, distance, labels[members]))
    ordered = labels[members][order]
    first = np.r_[True, ordered[1:] != ordered[:-1]][: len(ordered)]
    return dict(zip(ordered[first].tolist(), faces.face_ids[members[order][first]].tolist(), strict=True))


def _hints(
    encodings: np.ndarray, labels: np.ndarray, present: np.ndarray, names: list[str], params: ClusterParams
) -> dict[str, list[str]]:
    """For each cluster, the others whose direction is at least `hint_similarity` alike, most alike first."""
    if len(names) < 2:
        return {}
    units = directions(encodings, labels)[present]
    rows, similarity = similar(units, min(params.max_hints, len(names) - 1), params)
    alike = similarity >= params.hint_similarity
    return {names[i]: [names[j] for j in rows[i][alike[i]]] for i in np.flatnonzero(alike.any(axis=1))}


def _previous_labels(previous: pa.Table, faces: FaceSet) -> tuple[np.ndarray, list[str]]:
    """Labels of the faces as the earlier result had them (noise for new faces) and the clusters' names."""
    had = previous.filter(previous["cluster_id"].is_valid()).select(["face_id", "cluster_id"])
    current = pa.table({"face_id": faces.face_ids, "row": np.arange(len(faces.face_ids))})
    joined = current.join(had, "face_id", join_type="inner")
    names, inverse = np.unique(joined["cluster_id"].to_numpy(zero_copy_only=False).astype(str), return_inverse=True)
    labels = np.full(len(faces.face_ids), NOISE)
    labels[joined["row"].to_numpy()] = inverse
    return labels, names.tolist()


def _anchor_names(faces: FaceSet, labels: np.ndarray, taken: frozenset[str] = frozenset()) -> list[str]:
    """Each cluster named after its smallest face id, so a name survives renumbering; a name already
    `taken` (an earlier cluster's, whose anchor face was deleted and its id reused) gets a suffix."""
    names = [""] * count(labels)
    for label, row in enumerate(_first_rows(labels, len(names))):
        if row < len(labels):
            name = base = "face-cluster-" + hashlib.sha256(faces.face_ids[row].encode()).hexdigest()[:16]
            suffix = 1
            while name in taken:
                suffix += 1
                name = f"{base}-{suffix}"
            names[label] = name
    return names


def _first_rows(labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Per label, its first row (rows are in face-id order: its smallest face id); len(labels) if it has none."""
    members = np.flatnonzero(labels != NOISE)
    first_rows = np.full(n_labels, len(labels))
    np.minimum.at(first_rows, labels[members], members)
    return first_rows
