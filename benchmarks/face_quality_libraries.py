"""Face clustering and synonym quality on many small generated libraries (the demo's kind), faces against
scikit-learn DBSCAN.

A single library says little at this size (a few hundred faces of 20 to 160 people): this scores 20
libraries per size, each from its own seed, and compares ours with DBSCAN three ways: at the eps and
min_samples that score best on that very library (an oracle: it needs the truth labels), at the one
grid setting that scores best over all 20 (what a user tuning on a labelled sample could get), and
as it comes (eps 0.5, min_samples 5). Each library is also clustered from 90% of its faces and grown
to all of them (`extend_clustering`), against clustering all from scratch.

Multi-look libraries (every person in 2 or 3 looks) score ours as clustered and with the likely-same-person
links accepted (`merge_likely_same_person`: linked clusters count as one person), against the DBSCAN oracle.

Synonyms: recall counts only the planted groups whose variants are each on at least `MIN_TAG_COUNT`
(5) images (a variant used less is cut from its group, a group left with one variant is dropped);
precision counts a found pair right when both tags share any planted group.

Usage: python -m benchmarks.face_quality_libraries [--sizes 150,300,400,1200,2000] [--multi-look-sizes
150,300,400,1200] [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.common import write_results
from curata.layout import DataRoot
from curata.library.cooccurrence import tag_cooccurrence
from curata.library.faces import ClusterParams, FaceSet, cluster_faces, extend_clustering
from curata.library.source import JSONL_NAME
from curata.library.synonyms import MIN_TAG_COUNT, synonym_groups
from curata.library.tag_index import TagIndex
from curata.sample.face_quality import DBSCAN_GRID, dbscan_grid_scores, default_dbscan, labels_of, score_clustering
from curata.sample.library import generate_library, used_synonym_groups
from curata.sample.library_quality import synonym_quality

EARLIER_SHARE = 0.9  # of a library's faces clustered first; the rest arrive later
MULTI_LOOK = 1.0  # share of people in several looks in the multi-look libraries
ACCEPTING_LINKS = ClusterParams(merge_likely_same_person=True)


@dataclass(frozen=True)
class Generated:
    faces: FaceSet
    people: np.ndarray  # the person behind each face
    tag_lists: list[list[str]]  # the accepted images' tags
    synonym_groups: list[list[str]]  # planted


def generated_library(n_images: int, seed: int, lobe_share: float = 0.2) -> Generated:
    """The faces and tags of a generated library (no defects, tiny images) and its truth."""
    with tempfile.TemporaryDirectory() as folder:
        root = DataRoot(Path(folder))
        truth = generate_library(
            root, n_images=n_images, seed=seed, image_size=(64, 48), defects=False, lobe_share=lobe_share
        )
        records = [json.loads(line) for line in (root.library / JSONL_NAME).read_text().splitlines() if line]
    faces = [
        (f"{r['id']}#{k}", str(r["id"]), face["encoding"]) for r in records for k, face in enumerate(r.get("faces", []))
    ]
    face_ids, image_ids, encodings = zip(*faces, strict=True)
    face_set = FaceSet.of(face_ids, image_ids, np.array(encodings, dtype=np.float32))
    tag_lists = [r["tags"] for r in truth["records"] if r["expected"] == "accepted"]
    people = np.array([truth["faces"][f] for f in face_set.face_ids])
    return Generated(face_set, people, tag_lists, truth["synonym_groups"])


def by_person(faces: pa.Table) -> pa.Table:
    """The face table with each face's person in place of its cluster, for scoring."""
    return faces.drop_columns(["cluster_id"]).rename_columns(["face_id", "image_id", "cluster_id"])


def grown_ari(faces: FaceSet, people: np.ndarray, seed: int) -> tuple[float, bool]:
    """ARI after clustering a random 90% of the faces and extending to all; whether every earlier face kept its id."""
    earlier = np.sort(np.random.default_rng(seed).permutation(len(people))[: int(EARLIER_SHARE * len(people))])
    before = cluster_faces(FaceSet.of(faces.face_ids[earlier], faces.image_ids[earlier], faces.encodings[earlier]))
    after = extend_clustering(before.faces, faces)
    had = before.faces.filter(before.faces["cluster_id"].is_valid())
    kept = after.faces.join(had, "face_id", right_suffix="_before", join_type="inner")
    same = kept["cluster_id"].to_pylist() == kept["cluster_id_before"].to_pylist()
    return score_clustering(labels_of(after.faces, faces.face_ids), people).ari, same


def synonym_scores(library: Generated) -> dict[str, float]:
    found = synonym_groups(tag_cooccurrence(TagIndex.from_lists(library.tag_lists)))
    evidenced = used_synonym_groups(library.synonym_groups, library.tag_lists, MIN_TAG_COUNT)
    return {
        "recall": synonym_quality(evidenced, found)["recall"],
        "precision": synonym_quality(library.synonym_groups, found)["precision"],
    }


def score_libraries(n_images: int, seeds: range) -> dict:
    """Per seed: our ARI and purity (from scratch and grown), DBSCAN's at every grid setting and at its defaults,
    and the synonyms' recall and precision."""
    rows = []
    for seed in seeds:
        library = generated_library(n_images, seed)
        faces, people = library.faces, library.people
        ours = score_clustering(labels_of(cluster_faces(faces).faces, faces.face_ids), people)
        grown, kept = grown_ari(faces, people, seed)
        grid = dbscan_grid_scores(faces.encodings, people)
        defaults = default_dbscan(faces.encodings, people)
        synonyms = synonym_scores(library)
        rows.append(
            {"seed": seed, "faces": len(people), "ours": ours, "grown": grown, "kept": kept, "grid": grid}
            | {"defaults": defaults, "synonyms": synonyms}
        )
    return _summary(n_images, rows)


def score_multi_look(n_images: int, seeds: range) -> dict:
    """Per seed of a multi-look library: our ARI as clustered, with links accepted and grown, and DBSCAN's oracle."""
    rows = []
    for seed in seeds:
        library = generated_library(n_images, seed, lobe_share=MULTI_LOOK)
        faces, people = library.faces, library.people
        ours = score_clustering(labels_of(cluster_faces(faces).faces, faces.face_ids), people)
        linked = score_clustering(
            labels_of(by_person(cluster_faces(faces, ACCEPTING_LINKS).faces), faces.face_ids), people
        )
        grown, kept = grown_ari(faces, people, seed)
        oracle = max(s.ari for s in dbscan_grid_scores(faces.encodings, people))
        rows.append(
            {"ours": ours.ari, "linked": linked.ari, "linked_purity": linked.purity, "grown": grown}
            | {"kept": kept, "oracle": oracle, "faces": len(people)}
        )
    ours, linked, grown, oracle = (np.array([r[k] for r in rows]) for k in ("ours", "linked", "grown", "oracle"))
    return {
        "images": n_images,
        "libraries": len(rows),
        "faces_median": float(np.median([r["faces"] for r in rows])),
        "ours_ari": float(ours.mean()),
        "linked_ari": float(linked.mean()),
        "linked_worst_purity": min(r["linked_purity"] for r in rows),
        "oracle_ari": float(oracle.mean()),
        "wins_ours_vs_oracle": int((ours >= oracle).sum()),
        "wins_linked_vs_oracle": int((linked >= oracle).sum()),
        **_growth(ours, grown, rows),
    }


def _growth(scratch: np.ndarray, grown: np.ndarray, rows: list[dict]) -> dict:
    return {
        "grown_ari": float(grown.mean()),
        "grown_worst_drop": float((scratch - grown).max()),
        "grown_all_kept": all(r["kept"] for r in rows),
    }


def _summary(n_images: int, rows: list[dict]) -> dict:
    ours = np.array([r["ours"].ari for r in rows])
    grid = np.array([[s.ari for s in r["grid"]] for r in rows])
    fixed = int(grid.mean(axis=0).argmax())
    defaults = np.array([r["defaults"].ari for r in rows])
    return {
        "images": n_images,
        "libraries": len(rows),
        "faces_median": float(np.median([r["faces"] for r in rows])),
        "ours_ari": float(ours.mean()),
        "ours_worst_purity": min(r["ours"].purity for r in rows),
        "oracle_ari": float(grid.max(axis=1).mean()),
        "wins_vs_oracle": int((ours >= grid.max(axis=1)).sum()),
        "fixed_setting": list(DBSCAN_GRID[fixed]),
        "fixed_ari": float(grid[:, fixed].mean()),
        "wins_vs_fixed": int((ours >= grid[:, fixed]).sum()),
        "defaults_ari": float(defaults.mean()),
        "wins_vs_defaults": int((ours >= defaults).sum()),
        **_growth(ours, np.array([r["grown"] for r in rows]), rows),
        "synonym_recall": float(np.mean([r["synonyms"]["recall"] for r in rows])),
        "synonym_precision": float(np.mean([r["synonyms"]["precision"] for r in rows])),
        "synonym_worst_precision": min(r["synonyms"]["precision"] for r in rows),
    }


def _table(results: dict[str, dict], multi_look: dict[str, dict]) -> str:
    lines = [
        "Mean ARI over the libraries; wins = libraries where ours is at least as high. Grown: clustered from a",
        f"random {EARLIER_SHARE:.0%} of the faces, then extended to all (every earlier face kept its cluster id:",
        "kept); worst drop = the largest ARI lost against clustering all from scratch (negative: grown scored higher",
        "on every library).",
        "",
        "| images | libraries | faces (median) | ours | worst purity (ours) | DBSCAN oracle per library | wins "
        "| DBSCAN one setting for all | wins | DBSCAN defaults | wins | grown | worst drop | kept |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        eps, min_samples = r["fixed_setting"]
        lines.append(
            f"| {r['images']} | {r['libraries']} | {r['faces_median']:.0f} | {r['ours_ari']:.4f} "
            f"| {r['ours_worst_purity']:.3f} | {r['oracle_ari']:.4f} | {r['wins_vs_oracle']} "
            f"| {r['fixed_ari']:.4f} (eps {eps}, min_samples {min_samples}) | {r['wins_vs_fixed']} "
            f"| {r['defaults_ari']:.4f} | {r['wins_vs_defaults']} | {r['grown_ari']:.4f} "
            f"| {r['grown_worst_drop']:+.4f} | {'all' if r['grown_all_kept'] else 'NOT all'} |"
        )
    lines += [
        "",
        f"Multi-look libraries: every person in 2 or 3 looks (`lobe_share` {MULTI_LOOK}). Links accepted: clusters",
        "linked by `likely_same_as` count as one person (`merge_likely_same_person`, the `person_id` column).",
        "",
        "| images | libraries | faces (median) | ours | wins vs oracle | ours, links accepted | worst purity "
        "| wins vs oracle | DBSCAN oracle per library | grown | worst drop | kept |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in multi_look.values():
        lines.append(
            f"| {r['images']} | {r['libraries']} | {r['faces_median']:.0f} | {r['ours_ari']:.4f} "
            f"| {r['wins_ours_vs_oracle']} | {r['linked_ari']:.4f} | {r['linked_worst_purity']:.3f} "
            f"| {r['wins_linked_vs_oracle']} | {r['oracle_ari']:.4f} | {r['grown_ari']:.4f} "
            f"| {r['grown_worst_drop']:+.4f} | {'all' if r['grown_all_kept'] else 'NOT all'} |"
        )
    lines += [
        "",
        f"Synonym groups, mean over the same libraries. Recall counts only planted groups whose variants are each "
        f"on {MIN_TAG_COUNT}+ images (rarer variants cut from their group); precision: found pairs within a "
        "planted group.",
        "",
        "| images | recall (variants used 5+ times) | precision | worst precision |",
        "|---|---|---|---|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['images']} | {r['synonym_recall']:.3f} | {r['synonym_precision']:.3f} "
            f"| {r['synonym_worst_precision']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="150,300,400,1200,2000")
    parser.add_argument("--multi-look-sizes", default="150,300,400,1200")
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    results, multi_look = {}, {}
    for n in (int(s) for s in args.sizes.split(",")):
        results[f"images {n}"] = score_libraries(n, seeds)
        print(json.dumps(results[f"images {n}"]), flush=True)
    for n in (int(s) for s in args.multi_look_sizes.split(",")):
        multi_look[f"multi-look images {n}"] = score_multi_look(n, seeds)
        print(json.dumps(multi_look[f"multi-look images {n}"]), flush=True)
    table = _table(results, multi_look)
    path = write_results("face_quality_libraries", results | multi_look, table)
    print(table)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
