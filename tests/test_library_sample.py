"""The generated library against its planted truth: every record, every face, and the analyses' quality."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from curata.images import DEFAULT_IMAGE_LIMITS
from curata.layout import DataRoot
from curata.library.analyses import analyse_tags
from curata.library.cooccurrence import tag_cooccurrence
from curata.library.records import LibraryLimits, library_record_ids, read_library
from curata.library.source import JSONL_NAME
from curata.library.synonyms import MIN_TAG_COUNT, synonym_groups
from curata.library.tables import LIBRARY_TABLES
from curata.library.tag_index import TagIndex
from curata.reconcile import reconcile
from curata.rules import RULES
from curata.sample.library import _person_style, generate_library, used_synonym_groups
from curata.sample.library_quality import library_quality, record_mismatches, synonym_quality

LIMITS = LibraryLimits(DEFAULT_IMAGE_LIMITS)
TABLES = {spec.name: spec for spec in LIBRARY_TABLES}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = DataRoot(tmp_path_factory.mktemp("library"))
    truth = generate_library(root, n_images=400, seed=11, image_size=(160, 120))
    return root, truth, read_library(root, LIMITS, threads=2)


def test_every_record_and_face_matches_the_ground_truth(sample):
    root, truth, read = sample
    assert record_mismatches(truth, read.images, read.quarantined, read.faces) == []
    outcomes = {
        "accepted": read.images["record_id"].to_pylist(),
        "quarantined": read.quarantined["record_id"].to_pylist(),
    }
    assert reconcile(library_record_ids(root), outcomes).ok
    assert json.loads((root.ground_truth / "library.json").read_text()) == truth


def test_every_library_rule_is_planted(sample):
    _, truth, _ = sample
    planted = set(truth["summary"]["quarantined_by_rule"])
    assert {r.id for r in RULES if r.id.startswith("library.")} <= planted
    assert {"image.truncated", "image.undecodable"} <= planted


def test_the_comparison_reports_a_record_whose_outcome_differs(sample):
    _, truth, read = sample
    accepted = read.images.slice(1)  # the first accepted record goes missing
    problems = record_mismatches(truth, accepted, read.quarantined, read.faces)
    assert problems and problems[0].startswith(f"{JSONL_NAME}:1 (clean): expected ('accepted'")


def test_people_recur_some_in_several_looks_and_some_images_have_no_face(sample):
    _, truth, read = sample
    photos_per_person = Counter(truth["faces"].values())
    assert np.median(list(photos_per_person.values())) >= 3
    assert any(lobes > 1 for lobes in truth["people"].values())
    assert len(truth["images_without_faces"]) > read.images.num_rows // 3
    assert read.faces.num_rows == len(truth["faces"]) == int(np.sum(read.images["face_count"].to_numpy()))


def test_each_face_is_drawn_in_its_persons_colour(sample):
    root, truth, read = sample
    people = sorted(truth["people"])  # person-000000, ...: their drawing index
    paths = dict(zip(read.images["id"].to_pylist(), read.images["path"].to_pylist(), strict=True))
    painted = []  # per face: the share of its box in its person's colour
    for face in read.faces.to_pylist():
        pixels = np.asarray(Image.open(root.root / paths[face["image_id"]]).convert("RGB"), dtype=int)
        box = pixels[face["top"] : face["bottom"], face["left"] : face["right"]]
        colour = _person_style(people.index(truth["faces"][face["face_id"]]))[1]
        painted.append(np.mean(np.abs(box - colour).max(axis=2) < 40))
    assert min(painted) > 0.2
    assert len({_person_style(p) for p in range(len(people))}) == len(people)


def test_planted_companions_have_high_lift(sample):
    _, truth, read = sample
    pairs = {
        (r["tag_a"], r["tag_b"]): r["lift"]
        for r in tag_cooccurrence(TagIndex.from_table(read.images)).pairs_table().to_pylist()
    }
    lifts = [pairs[tuple(sorted(pair))] for pair in truth["together"]]
    assert min(lifts) > 2.0
    assert pairs[("beach", "outdoor")] < 2.0  # the tag on half the library is related to everything a little


def test_synonyms_and_suggestions_reach_the_quality_bar(sample):
    _, truth, read = sample
    quality = library_quality(truth, read.images)
    assert quality["synonyms"]["recall"] >= 0.9 and quality["synonyms"]["precision"] >= 0.8
    suggestions = quality["suggestions"]
    assert suggestions["hit_rate"] >= 1.5 * suggestions["baseline_hit_rate"]
    assert suggestions["hit_rate"] >= suggestions["baseline_hit_rate"] + 0.2


def test_the_same_seed_writes_the_same_library(tmp_path):
    roots = [DataRoot(tmp_path / name) for name in ("a", "b")]
    truths = [generate_library(root, n_images=30, seed=5, image_size=(64, 48)) for root in roots]
    assert truths[0] == truths[1]
    files = [sorted(p.relative_to(r.library) for p in r.library.rglob("*.jpg")) for r in roots]
    assert files[0] == files[1]
    assert all(
        (roots[0].library / f).read_bytes() == (roots[1].library / f).read_bytes()
        for f in files[0]
        if "link" not in str(f)
    )
    assert (roots[0].library / JSONL_NAME).read_bytes() == (roots[1].library / JSONL_NAME).read_bytes()


def test_a_library_without_defects_is_all_accepted(tmp_path):
    root = DataRoot(tmp_path)
    truth = generate_library(root, n_images=25, seed=2, image_size=(64, 48), defects=False)
    read = read_library(root, LIMITS)
    assert read.quarantined.num_rows == 0 and read.images.num_rows == 25 == truth["summary"]["accepted"]
    assert record_mismatches(truth, read.images, read.quarantined, read.faces) == []


def test_the_analyses_give_the_seed_documents_and_the_same_output_on_a_rerun(sample):
    root, truth, read = sample
    first, second = analyse_tags(read.images), analyse_tags(read_library(root, LIMITS).images)
    documents = first.documents(quarantined=read.quarantined.num_rows)
    assert json.dumps(documents) == json.dumps(second.documents(quarantined=read.quarantined.num_rows))
    assert all(first.tables()[name].equals(table) for name, table in second.tables().items())
    report = documents["training_report.json"]
    assert report["total_images"] == truth["summary"]["accepted"] and report["status"] == "completed"
    assert report["images_with_faces"] == truth["summary"]["accepted"] - len(truth["images_without_faces"])
    assert documents["search_index.json"]["synonyms"]["automobile"] == ["car", "vehicle"]
    assert set(documents["improved_descriptions.json"]) == set(read.images["id"].to_pylist())
    sunset = documents["description_patterns.json"]["sunset"]
    assert sunset["count"] > 0 and sunset["common_words"]
    for name, table in first.tables().items():
        assert table.schema.equals(TABLES[name].schema), name


def test_a_small_library_finds_every_synonym_group_whose_variants_are_each_used_five_times(tmp_path):
    truth = generate_library(DataRoot(tmp_path), n_images=150, seed=7, image_size=(64, 48), defects=False)
    tag_lists = [r["tags"] for r in truth["records"] if r["expected"] == "accepted"]
    found = synonym_groups(tag_cooccurrence(TagIndex.from_lists(tag_lists)))
    evidenced = used_synonym_groups(truth["synonym_groups"], tag_lists, MIN_TAG_COUNT)
    assert ["people", "person"] in evidenced  # on every image with faces: a broad context, cosine 0.69 here
    assert synonym_quality(evidenced, found)["recall"] == 1.0, (evidenced, found.groups)
    assert synonym_quality(truth["synonym_groups"], found)["precision"] == 1.0, found.groups
