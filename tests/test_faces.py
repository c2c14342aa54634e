"""Face clustering on synthetic identities with planted truth: realistic encodings, ids that stay put,
no chaining, one person's looks kept together, and at least DBSCAN's quality."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sklearn.metrics import pairwise_distances

from curata.library.face_linkage import isolated_groups, merge_looks
from curata.library.face_neighbours import NeighbourSearch, nearest_neighbours
from curata.library.face_tables import CLUSTER_SCHEMA, FACE_SCHEMA
from curata.library.faces import ClusterParams, FaceClustering, FaceSet, cluster_faces, extend_clustering
from curata.sample.face_quality import NOISE, best_dbscan, labels_of, score_clustering
from curata.sample.faces import LOBE_OFFSET, FaceSample, draw_encodings, make_identities, sample_faces


def _faceset(sample: FaceSample, rows: np.ndarray | None = None) -> FaceSet:
    rows = np.arange(len(sample.face_ids)) if rows is None else rows
    return FaceSet.of(sample.face_ids[rows], sample.image_ids[rows], sample.encodings[rows])


def _labels(clustering: FaceClustering, sample: FaceSample) -> np.ndarray:
    return labels_of(clustering.faces, sample.face_ids)


@pytest.fixture(scope="module")
def library() -> FaceSample:
    return sample_faces(6000, np.random.default_rng(2024))


@pytest.fixture(scope="module")
def clustered(library: FaceSample) -> FaceClustering:
    return cluster_faces(_faceset(library))


def test_encodings_behave_like_face_recognition_ones() -> None:
    rng = np.random.default_rng(5)
    people = make_identities(600, rng)
    looks = np.array([len(p.centers) for p in people])
    assert 0.15 < (looks > 1).mean() < 0.25 and set(looks) <= {1, 2, 3}
    for person in people:
        offsets = np.linalg.norm(person.centers[1:] - person.centers[0], axis=1)
        assert ((offsets >= LOBE_OFFSET[0]) & (offsets <= LOBE_OFFSET[1])).all()
    one_look = [p for p in people if len(p.centers) == 1][:400]
    encodings = np.vstack([draw_encodings(p, 6, rng) for p in one_look])
    assert encodings.dtype == np.float32 and encodings.shape == (2400, 128)
    who = np.repeat(np.arange(len(one_look)), 6)
    distances = pairwise_distances(encodings)
    upper = np.triu(np.ones_like(distances, dtype=bool), k=1)
    same = distances[upper & (who[:, None] == who[None, :])]
    other = distances[upper & (who[:, None] != who[None, :])]
    assert 0.35 < np.median(same) < 0.45 and (same < 0.6).mean() > 0.97
    assert 0.8 < np.median(other) < 0.9 and (other < 0.6).mean() < 0.01
    assert 0.0 < (other < 0.6).mean()  # some hard cases
    assert 0.8 < np.median(np.linalg.norm(encodings, axis=1)) < 1.3


def test_same_library_in_any_order_gives_the_same_clusters(library: FaceSample, clustered: FaceClustering) -> None:
    shuffled = np.random.default_rng(1).permutation(len(library.face_ids))
    again = cluster_faces(_faceset(library, shuffled))
    assert again.faces.equals(clustered.faces)
    assert again.clusters.equals(clustered.clusters)
    assert clustered.clusters.num_rows > 100


def test_no_cluster_of_ten_or_more_chains_people(library: FaceSample, clustered: FaceClustering) -> None:
    scores = score_clustering(_labels(clustered, library), library.person_ids)
    assert scores.clusters > 100 and scores.largest_cluster_purity >= 0.95
    assert scores.worst_purity_10 >= 0.95


def test_quality_at_least_dbscan_at_its_best_eps(library: FaceSample, clustered: FaceClustering) -> None:
    dbscan = best_dbscan(library.encodings, library.person_ids)
    ours = score_clustering(_labels(clustered, library), library.person_ids)
    assert ours.ari >= dbscan.ari and ours.purity >= dbscan.purity
    assert ours.ari > 0.9


def test_one_persons_looks_end_in_one_cluster_or_are_marked_alike() -> None:
    rng = np.random.default_rng(77)
    people = make_identities(400, rng, lobe_share=0.5)
    many_looks = [p for p in people if len(p.centers) > 1][:40]
    chosen = many_looks + [p for p in people if len(p.centers) == 1][:150]
    sizes = np.r_[np.full(len(many_looks), 45), rng.integers(3, 30, len(chosen) - len(many_looks))]
    encodings = np.vstack([draw_encodings(p, int(k), rng) for p, k in zip(chosen, sizes, strict=True)])
    persons = np.repeat([p.person_id for p in chosen], sizes)
    ids = np.array([f"face-{i:05d}" for i in range(len(persons))])
    result = cluster_faces(FaceSet.of(ids, ids, encodings))
    cluster_of = dict(zip(result.faces["face_id"].to_pylist(), result.faces["cluster_id"].to_pylist(), strict=True))
    alike = {r["cluster_id"]: set(r["likely_same_as"]) for r in result.clusters.to_pylist()}
    for person in many_looks:
        clusters = pd.Series([cluster_of[f] for f in ids[persons == person.person_id]]).dropna().value_counts()
        parts = sorted(clusters[clusters >= 5].index)
        assert parts, person.person_id
        linked = _linked(parts[0], alike)
        assert set(parts) <= linked, f"{person.person_id}: {len(person.centers)} looks in {clusters.to_dict()}"


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=128)
    return v / np.linalg.norm(v)


def _around(centre: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    return (centre + rng.normal(size=(n, 128)) * spread / np.sqrt(128)).astype(np.float32)


def test_a_few_photos_apart_from_everyone_are_a_cluster_but_not_beside_a_stranger() -> None:
    rng = np.random.default_rng(8)
    a, b = _unit(rng), _unit(rng)
    encodings = np.vstack(
        [
            _around(a, 5, 0.25, rng),  # 0-4: a person, clustered
            a + 0.42 * _unit(rng),  # 5: a stranger 0.42 from the person's centre ...
            np.zeros((1, 128)),  # 6: ... placed below
            _around(b, 2, 0.3, rng),  # 7-8: a pair far from everyone
        ]
    ).astype(np.float32)
    encodings[6] = encodings[5] + 0.45 * _unit(rng)  # 5 and 6 alike, but 5 as near the person as to 6
    labels = np.array([0] * 5 + [NOISE] * 4)
    params = ClusterParams()
    neighbours = nearest_neighbours(encodings, 3, params.search)
    rows = np.arange(len(labels))
    found = isolated_groups(encodings, labels, rows, neighbours, params, None)
    assert (found[:5] == 0).all() and found[7] == found[8] == 1
    assert (found[5:7] == NOISE).all(), np.linalg.norm(encodings[5] - encodings[:5], axis=1)


def test_a_small_cluster_joins_a_look_only_if_every_face_points_its_way() -> None:
    rng = np.random.default_rng(9)
    others = [_around(_unit(rng), 12, 0.3, rng) for _ in range(40)]  # many people: the mean is near 0
    person, stranger = _unit(rng), _unit(rng)
    look = (0.9 * person + np.sqrt(1 - 0.81) * _unit(rng)).astype(np.float32)  # a second look, cosine 0.9
    parts = [_around(person, 6, 0.3, rng), _around(look, 5, 0.3, rng)]
    mixed = np.vstack([_around(look, 3, 0.3, rng), _around(stranger, 2, 0.3, rng)])
    for small, merged in ((parts[1], True), (mixed, False)):
        encodings = np.vstack([*others, parts[0], small])
        labels = np.repeat(np.arange(42), [12] * 40 + [6, 5])
        after = merge_looks(encodings, labels, ClusterParams())
        assert (after[-5:] == after[-6]).all() == merged
        assert (after[:-5] == labels[:-5]).all()


def _linked(start: str, alike: dict[str, set[str]]) -> set[str]:
    """Every cluster reachable from `start` through likely_same_as, in either direction."""
    both = {c: set(a) for c, a in alike.items()}
    for c, others in alike.items():
        for o in others:
            both.setdefault(o, set()).add(c)
    seen, todo = {start}, [start]
    while todo:
        for o in both.get(todo.pop(), ()):
            if o not in seen:
                seen.add(o)
                todo.append(o)
    return seen


def test_ten_percent_more_faces_leave_earlier_faces_where_they_were(library: FaceSample) -> None:
    grown = sample_faces(6600, np.random.default_rng(2024))  # same people; the last 10% arrive later
    earlier = np.arange(6000)
    before = cluster_faces(_faceset(grown, earlier))
    after = extend_clustering(before.faces, _faceset(grown))
    old = before.faces.to_pandas().set_index("face_id")["cluster_id"]
    new = after.faces.to_pandas().set_index("face_id")["cluster_id"]
    had = old.dropna()
    assert (new.reindex(had.index) == had).mean() >= 0.99
    added = new.drop(old.index)
    assert added.notna().mean() > 0.5  # most new faces found their person
    known = set(had)
    born = set(new.dropna()) - known
    members_of_new = new[new.isin(born)].index
    assert set(members_of_new) <= set(added.index) | set(old[old.isna()].index)  # only new or earlier noise
    assert score_clustering(_labels(after, grown), grown.person_ids).worst_purity_10 >= 0.95
    assert set(after.clusters["cluster_id"].to_pylist()) >= known


def test_a_grown_library_with_several_looks_per_person_scores_as_one_clustered_from_scratch() -> None:
    grown = sample_faces(2200, np.random.default_rng(4), lobe_share=0.5)  # half the people in 2-3 looks
    earlier = np.arange(2000)
    before = cluster_faces(_faceset(grown, earlier))
    after = extend_clustering(before.faces, _faceset(grown))
    scratch = cluster_faces(_faceset(grown))
    ari = {
        name: score_clustering(_labels(c, grown), grown.person_ids).ari
        for name, c in (("grown", after), ("scratch", scratch))
    }
    assert abs(ari["grown"] - ari["scratch"]) <= 0.005, ari
    old = before.faces.to_pandas().set_index("face_id")["cluster_id"].dropna()
    new = after.faces.to_pandas().set_index("face_id")["cluster_id"]
    assert (new.reindex(old.index) == old).all()


def test_accepting_likely_same_person_links_gives_linked_clusters_one_person_id() -> None:
    sample = sample_faces(1500, np.random.default_rng(12), lobe_share=1.0)  # everyone in 2-3 looks
    apart = cluster_faces(_faceset(sample))
    together = cluster_faces(_faceset(sample), ClusterParams(merge_likely_same_person=True))
    assert together.faces["cluster_id"].equals(apart.faces["cluster_id"])  # clusters stay; only persons change
    assert apart.faces["person_id"].equals(apart.faces["cluster_id"])
    person = dict(zip(together.faces["cluster_id"].to_pylist(), together.faces["person_id"].to_pylist(), strict=True))
    alike = {r["cluster_id"]: set(r["likely_same_as"]) for r in together.clusters.to_pylist()}
    linked = [c for c, others in alike.items() if others]
    assert len(linked) > 10
    for cluster in linked:
        group = _linked(cluster, alike)
        assert {person[c] for c in group} == {person[cluster]} and person[cluster] in group
    by_person = together.faces.drop_columns(["cluster_id"]).rename_columns(["face_id", "image_id", "cluster_id"])
    scores = {
        name: score_clustering(labels_of(table, sample.face_ids), sample.person_ids)
        for name, table in (("clusters", apart.faces), ("persons", by_person))
    }
    assert scores["persons"].ari > scores["clusters"].ari and scores["persons"].purity >= 0.99, scores


def test_tables_and_document_are_consistent(clustered: FaceClustering) -> None:
    assert clustered.faces.schema.equals(FACE_SCHEMA) and clustered.clusters.schema.equals(CLUSTER_SCHEMA)
    rows = clustered.clusters.to_pylist()
    clustered_faces = clustered.faces.filter(clustered.faces["cluster_id"].is_valid())
    assert sum(r["size"] for r in rows) == clustered_faces.num_rows
    images = dict(zip(clustered.faces["face_id"].to_pylist(), clustered.faces["image_id"].to_pylist(), strict=True))
    ids = {r["cluster_id"] for r in rows}
    for r in rows:
        assert r["size"] == len(r["face_ids"]) == len(r["image_ids"]) and r["representative_face_id"] in r["face_ids"]
        assert [images[f] for f in r["face_ids"]] == r["image_ids"]
        assert set(r["likely_same_as"]) <= ids - {r["cluster_id"]}
    assert [r["size"] for r in rows] == sorted((r["size"] for r in rows), reverse=True)
    document = json.loads(json.dumps(clustered.document()))
    assert document["total_faces"] == clustered.faces.num_rows
    assert len(document["clusters"]) == len(rows) and document["clusters"][0]["cluster_id"] == rows[0]["cluster_id"]
    assert document["clustered_faces"] + len(document["unclustered_face_ids"]) == document["total_faces"]


def test_faceset_refuses_what_validation_should_have_quarantined() -> None:
    good = np.zeros((2, 128), dtype=np.float32)
    with pytest.raises(ValueError, match="unique"):
        FaceSet.of(["a", "a"], ["i", "i"], good)
    with pytest.raises(ValueError, match="finite"):
        FaceSet.of(["a", "b"], ["i", "i"], np.full((2, 128), np.nan))
    with pytest.raises(ValueError):
        FaceSet.of(["a", "b"], ["i"], good)


def test_scores_count_noise_as_singletons_and_see_chaining() -> None:
    truth = np.repeat(["ann", "bob", "cy"], 10)
    perfect = score_clustering(np.repeat([0, 1, 2], 10), truth)
    assert perfect.ari == 1.0 and perfect.purity == 1.0 and perfect.noise_share == 0.0
    all_noise = score_clustering(np.full(30, NOISE), truth)
    assert all_noise.ari == 0.0 and all_noise.noise_share == 1.0 and all_noise.clusters == 0
    chained = score_clustering(np.repeat([0, 0, 1], 10), truth)
    assert chained.largest_cluster_purity == 0.5 and chained.worst_purity_10 == 0.5 and chained.ari < 1.0


def test_faceset_reads_the_library_faces_table() -> None:
    from curata.library.tables import LIBRARY_FACES

    sample = sample_faces(50, np.random.default_rng(3))
    table = pa.table(
        {
            "face_id": sample.face_ids,
            "image_id": sample.image_ids,
            "encoding": pa.FixedSizeListArray.from_arrays(pa.array(sample.encodings.ravel()), 128),
            "top": np.zeros(50, np.int32),
            "right": np.ones(50, np.int32),
            "bottom": np.ones(50, np.int32),
            "left": np.zeros(50, np.int32),
        },
        schema=LIBRARY_FACES.schema,
    )
    faces = FaceSet.from_table(table)
    assert faces.encodings.shape == (50, 128) and faces.encodings.dtype == np.float32
    order = np.argsort(sample.face_ids)
    assert (faces.face_ids == sample.face_ids[order]).all()
    assert np.array_equal(faces.encodings, sample.encodings[order])


def test_cell_search_finds_the_close_neighbours_an_exhaustive_search_finds() -> None:
    sample = sample_faces(4000, np.random.default_rng(8))
    x = sample.encodings
    exact = nearest_neighbours(x, 10, NeighbourSearch())
    search = NeighbourSearch(exact_below=0)
    cells = nearest_neighbours(x, 10, search)
    assert (cells.rows != np.arange(len(x))[:, None]).all()  # never itself
    assert (np.diff(cells.distances, axis=1) >= 0).all()  # nearest first
    close = exact.distances < 0.45
    found = np.array([np.isin(exact.rows[i][close[i]], cells.rows[i]).sum() for i in range(len(x))])
    settled = cells.distances[:, -1] <= search.settled_distance  # k close ones in its own cell: looked no further
    assert 0.1 < settled.mean() < 0.9
    assert found[~settled].sum() / close[~settled].sum() > 0.9
    assert found.sum() / close.sum() > 0.8
    some = np.arange(0, 4000, 7)
    subset = nearest_neighbours(x, 10, search, queries=some)
    assert np.array_equal(subset.rows, cells.rows[some])


def test_approximate_search_is_still_deterministic_under_shuffling() -> None:
    sample = sample_faces(3000, np.random.default_rng(4))
    params = ClusterParams(search=NeighbourSearch(exact_below=0))
    first = cluster_faces(_faceset(sample), params)
    shuffled = cluster_faces(_faceset(sample, np.random.default_rng(5).permutation(3000)), params)
    assert first.faces.equals(shuffled.faces) and first.clusters.equals(shuffled.clusters)
    assert score_clustering(_labels(first, sample), sample.person_ids).worst_purity_10 >= 0.95


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_tiny_libraries_cluster_and_extend(n: int) -> None:
    x = (np.random.default_rng(0).normal(size=(n, 128)) * 0.01).astype(np.float32)
    ids = [f"face-{i}" for i in range(n)]
    result = cluster_faces(FaceSet.of(ids, ids, x))
    assert result.faces.num_rows == n and result.document()["total_faces"] == n
    assert result.clusters["size"].to_pylist() == ([n] if n >= 2 else [])  # two alike photos, apart: a person
    again = extend_clustering(result.faces, FaceSet.of(ids, ids, x))
    assert again.faces.equals(result.faces) and again.clusters.equals(result.clusters)


def test_a_new_cluster_never_takes_an_earlier_clusters_name() -> None:
    rng = np.random.default_rng(6)
    near = lambda centre, n: (centre + rng.normal(size=(n, 128)) * 0.02).astype(np.float32)  # noqa: E731
    a, b = rng.normal(size=128) * 0.1, rng.normal(size=128) * 0.1
    first = cluster_faces(FaceSet.of(["x0", "x1", "x2", "x3"], ["i"] * 4, near(a, 4)))
    (name,) = first.clusters["cluster_id"].to_pylist()  # named after x0
    kept = first.faces.filter(pc.not_equal(first.faces["face_id"], "x0"))  # x0 deleted ...
    ids = ["x1", "x2", "x3", "x0", "y1", "y2", "y3"]  # ... and its id reused for someone else
    later = extend_clustering(kept, FaceSet.of(ids, ["i"] * 7, np.vstack([near(a, 3), near(b, 4)])))
    names = later.clusters["cluster_id"].to_pylist()
    assert len(names) == 2 and name in names and f"{name}-2" in names
