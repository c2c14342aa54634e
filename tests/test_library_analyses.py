"""The tag and description analyses on small hand-made libraries whose answers are known."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

import curata.library.changes as changes
import curata.library.cooccurrence as cooccurrence
from curata.layout import DataRoot
from curata.library.changes import count_changes, library_digests
from curata.library.cooccurrence import tag_cooccurrence
from curata.library.patterns import category_patterns, description_patterns, description_patterns_json
from curata.library.report import training_report
from curata.library.source import JSONL_NAME, MAX_RECORD_BYTES
from curata.library.suggestions import improved_descriptions, suggest_tags
from curata.library.synonyms import synonym_groups
from curata.library.tables import LIBRARY_IMAGES
from curata.library.tag_index import TagIndex
from curata.sample.library_quality import hidden_tag_hit_rates, synonym_quality

SMALL = [["outdoor", "beach", "sea"], ["outdoor", "beach"], ["outdoor", "city"], ["outdoor", "city", "car"], []]


def images_table(tag_lists: list[list[str]], descriptions: list[str] | None = None) -> pa.Table:
    n = len(tag_lists)
    descriptions = descriptions or [f"photo {i}" for i in range(n)]
    rows = [
        {
            "record_id": f"{JSONL_NAME}:{i + 1}",
            "id": str(100 + i),
            "path": f"library/images/{i}.jpg",
            "sha256": "0" * 64,
            "width": 10,
            "height": 10,
            "description": descriptions[i],
            "detailed_description": "more" if i % 2 else "",
            "tags": tags,
            "created_at": datetime(2025, 1, 1 + i % 28, tzinfo=UTC),
            "face_count": i % 3,
        }
        for i, tags in enumerate(tag_lists)
    ]
    return LIBRARY_IMAGES.from_rows(rows)


def test_counts_lift_and_pmi_have_the_values_worked_out_by_hand():
    cooc = tag_cooccurrence(TagIndex.from_lists(SMALL))
    pairs = {(r["tag_a"], r["tag_b"]): r for r in cooc.pairs_table().to_pylist()}
    assert set(pairs) == {
        ("beach", "outdoor"),
        ("beach", "sea"),
        ("car", "city"),
        ("car", "outdoor"),
        ("city", "outdoor"),
        ("outdoor", "sea"),
    }
    beach_sea = pairs[("beach", "sea")]  # 1 image of 5; beach on 2, sea on 1: lift 1 * 5 / (2 * 1)
    assert beach_sea["count"] == 1 and beach_sea["lift"] == pytest.approx(2.5)
    assert beach_sea["pmi"] == pytest.approx(math.log2(2.5))
    assert beach_sea["npmi"] == pytest.approx(math.log2(2.5) / math.log2(5))
    assert pairs[("beach", "outdoor")]["lift"] == pytest.approx(2 * 5 / (2 * 4))
    counts = cooc.counts_table().to_pylist()
    assert counts[0] == {"tag": "outdoor", "count": 4, "share": 0.8} and len(counts) == 5


def brute_force_pairs(tag_lists: list[list[str]]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for tags in tag_lists:
        for a, b in combinations(sorted(tags), 2):
            out[(a, b)] = out.get((a, b), 0) + 1
    return out


@pytest.mark.parametrize("dense", [True, False])
def test_pair_counts_equal_a_brute_force_count_on_ragged_lists(monkeypatch, dense):
    rng = np.random.default_rng(4)
    vocabulary = [f"t{i:02d}" for i in range(40)]
    lengths = rng.choice([0, 1, 2, 3, 5, 8, 17], size=300)
    tag_lists = [rng.choice(vocabulary, size=n, replace=False).tolist() for n in lengths]
    monkeypatch.setattr(cooccurrence, "PAIR_CHUNK", 64)  # many flushes, images split across chunks
    if not dense:
        monkeypatch.setattr(cooccurrence, "DENSE_BINS", 10)
    table = tag_cooccurrence(TagIndex.from_lists(tag_lists)).pairs_table()
    got = {(r["tag_a"], r["tag_b"]): r["count"] for r in table.to_pylist()}
    assert got == brute_force_pairs(tag_lists)


def test_related_tags_rank_by_lift_so_a_tag_on_every_image_does_not_dominate():
    tag_lists = [["outdoor", "beach", "sea"]] * 6 + [["outdoor", "beach"]] * 4 + [["outdoor", "city"]] * 10
    related = tag_cooccurrence(TagIndex.from_lists(tag_lists)).related()
    assert [r["tag"] for r in related["sea"]] == ["beach", "outdoor"]
    assert related["beach"][0] == {"tag": "sea", "count": 6, "lift": 2.0}  # 6 * 20 / (10 * 6)
    by_count = max(related["beach"], key=lambda r: r["count"])
    assert by_count["tag"] == "outdoor" and by_count is not related["beach"][0]


def test_the_index_reads_chunked_tables_and_keeps_each_image_tag_order():
    table = pa.concat_tables([images_table(SMALL[:2]), images_table(SMALL[2:])])
    index = TagIndex.from_table(table)
    assert index.tags.tolist() == ["beach", "car", "city", "outdoor", "sea"]
    assert [index.image_tags(i) for i in range(index.n_images)] == SMALL
    kept = index.keep(index.codes != index.code_of("outdoor"))
    assert [kept.image_tags(i) for i in range(kept.n_images)] == [
        ["beach", "sea"],
        ["beach"],
        ["city"],
        ["city", "car"],
        [],
    ]


def test_a_tags_column_read_dictionary_encoded_gives_the_same_index(tmp_path):
    lists = [["b", "a"], ["c"], [], ["a", "d", "b"], ["e"], ["b"]]
    pq.write_table(pa.table({"tags": pa.array(lists, pa.list_(pa.string()))}), tmp_path / "t.parquet", row_group_size=2)
    encoded = pq.read_table(tmp_path / "t.parquet", read_dictionary=["tags.list.element"])
    assert pa.types.is_dictionary(encoded.schema.field("tags").type.value_type)
    index = TagIndex.from_table(encoded)
    assert index.tags.tolist() == ["a", "b", "c", "d", "e"]
    assert [index.image_tags(i) for i in range(index.n_images)] == lists


def synonym_library() -> list[list[str]]:
    """car/automobile interchangeable (never together, same companions); dog/cat exclusive with companions
    of their own; outdoor everywhere."""
    tags = []
    for k in range(24):
        tags.append(["car" if k % 2 else "automobile", "street", "outdoor"] + (["traffic"] if k % 3 else []))
        tags.append(["dog" if k % 2 else "cat", "pet"] + (["leash", "park"] if k % 2 else ["yarn", "whiskers"]))
        tags.append(["beach", "sea", "outdoor"] + (["sand"] if k % 2 else []))
    return tags


def test_a_planted_synonym_pair_is_found_and_exclusive_look_alikes_are_not():
    found = synonym_groups(tag_cooccurrence(TagIndex.from_lists(synonym_library())))
    assert found.groups == [["automobile", "car"]]
    assert found.search_index() == {
        "synonyms": {"automobile": ["car"], "car": ["automobile"]},
        "groups": {"automobile": ["automobile", "car"]},
    }
    assert found.table().to_pylist()[1] == {"group_id": "automobile", "tag": "car", "count": 12}
    quality = synonym_quality([["car", "automobile"], ["sofa", "couch"]], found)
    assert quality == {"planted_pairs": 2, "found_pairs": 1, "recall": 0.5, "precision": 1.0}


def test_suggestions_come_from_companions_never_repeat_a_tag_and_fall_back_to_common_tags():
    tag_lists = [["beach", "sea", "sand"]] * 5 + [["beach", "sea"]] * 3 + [["city", "car"]] * 2 + [["beach"], []]
    cooc = tag_cooccurrence(TagIndex.from_lists(tag_lists))
    suggestions = suggest_tags(cooc, k=3)
    assert suggestions.tags_of(10)[:2] == ["sea", "sand"]  # P(sea | beach) = 8/9 > P(sand | beach) = 5/9
    assert suggestions.scores[10][0] == pytest.approx(8 / 9 + 1e-3 * 8 / 12)
    assert suggestions.tags_of(11) == ["beach", "sea", "sand"]  # no tags: the commonest
    assert all(not set(suggestions.tags_of(i)) & set(tags) for i, tags in enumerate(tag_lists))
    table = suggestions.table([str(i) for i in range(12)])
    assert table.filter(pa.compute.equal(table["image_id"], "10"))["tag"].to_pylist() == ["sea", "sand", "car"]
    improved = improved_descriptions(images_table(tag_lists), suggestions)
    assert improved["110"] == {
        "description": "photo 10",
        "tags": ["beach"],
        "suggested_tags": ["sea", "sand", "car"],
        "improved_description": "photo 10 (sea, sand, car)",
    }


def test_no_suggestion_is_a_synonym_of_a_tag_the_image_has():
    library = synonym_library()
    cooc = tag_cooccurrence(TagIndex.from_lists(library))
    groups = synonym_groups(cooc).groups
    assert groups == [["automobile", "car"]]
    unaware = suggest_tags(cooc, k=5)
    assert any("automobile" in unaware.tags_of(i) for i, tags in enumerate(library) if "car" in tags)  # the fault
    suggestions = suggest_tags(cooc, k=5, synonyms=groups)
    for i, tags in enumerate(library):
        siblings = {s for g in groups if set(g) & set(tags) for s in g} | set(tags)
        assert not set(suggestions.tags_of(i)) & siblings, (tags, suggestions.tags_of(i))
    assert any(suggestions.tags_of(i) for i in range(len(library)))  # still suggests other tags


def test_hidden_tags_are_found_far_more_often_than_by_suggesting_the_commonest_tags():
    rates = hidden_tag_hit_rates(TagIndex.from_lists(synonym_library()), k=2)
    assert rates["images"] == 72
    assert rates["hit_rate"] > rates["baseline_hit_rate"] + 0.3


def test_description_patterns_count_typical_words_and_average_length():
    descriptions = [
        "golden sky at sunset",
        "golden horizon at sunset",
        "a red car in the street",
        "car in a street",
        "",
    ]
    tag_lists = [["sunset", "sky"], ["sunset"], ["car", "street"], ["car", "street"], ["sky"]]
    table = description_patterns(images_table(tag_lists, descriptions), TagIndex.from_lists(tag_lists))
    patterns = description_patterns_json(table)
    assert list(patterns) == ["car", "sky", "street", "sunset"]
    assert patterns["sunset"] == {"count": 2, "common_words": ["golden", "sunset"], "avg_length": 22.0}
    assert patterns["car"]["common_words"] == ["car", "street"] and patterns["car"]["avg_length"] == 19.0
    assert patterns["sky"]["avg_length"] == 10.0  # an empty description counts as length 0


def test_category_patterns_have_the_seed_shape():
    images = images_table([["outdoor", "beach"]] * 7 + [["outdoor"]])
    patterns = category_patterns(images, tag_cooccurrence(TagIndex.from_table(images)))
    assert patterns["common_tags"] == [["outdoor", 8], ["beach", 7]]
    assert len(patterns["patterns"]["beach"]) == 5
    assert patterns["patterns"]["beach"][0] == {"description": "photo 0", "other_tags": ["outdoor"]}
    assert patterns["related_tags"]["beach"] == [{"tag": "outdoor", "count": 7, "lift": 1.0}]
    json.dumps(patterns)


def test_training_report_totals():
    images = images_table(SMALL)
    report = training_report(images, tag_cooccurrence(TagIndex.from_table(images)), quarantined=3)
    assert report == {
        "timestamp": "2025-01-05T00:00:00+00:00",
        "total_images": 5,
        "total_tags": 5,
        "images_with_faces": 3,
        "images_with_detailed_desc": 2,
        "total_faces": 4,
        "quarantined_records": 3,
        "top_categories": ["outdoor", "beach", "city", "car", "sea"],
        "status": "completed",
    }


@pytest.fixture
def small_library(tmp_path: Path) -> DataRoot:
    root = DataRoot(tmp_path)
    (root.library / "images").mkdir(parents=True)
    for k in range(3):
        Image.new("RGB", (20, 20), (k * 50, 0, 0)).save(root.library / "images" / f"{k}.jpg")
    lines = [json.dumps({"id": k, "file_path": f"{k}.jpg", "meta_tags": ["a"]}) for k in range(3)]
    (root.library / JSONL_NAME).write_text("\n".join(lines) + "\n")
    return root


def digests(root, previous=None):
    return library_digests(root, MAX_RECORD_BYTES, previous)


def test_change_count_sees_added_and_edited_records_and_replaced_images(small_library, monkeypatch):
    root = small_library
    first = digests(root)
    assert count_changes(None, first).added == 3 and count_changes(first, digests(root, first)).added_or_changed == 0
    hashed = []
    monkeypatch.setattr(changes, "sha256_file", lambda path: hashed.append(path) or "h")
    digests(root, first)
    assert hashed == []  # unchanged size and mtime: no image is read again
    lines = (root.library / JSONL_NAME).read_text().splitlines()
    lines[1] = json.dumps({"id": 1, "file_path": "1.jpg", "meta_tags": ["a", "b"]})
    lines.append(json.dumps({"id": 7, "file_path": "0.jpg", "meta_tags": []}))
    (root.library / JSONL_NAME).write_text("\n".join(lines) + "\n")
    Image.new("RGB", (30, 20)).save(root.library / "images" / "2.jpg")
    monkeypatch.undo()
    assert count_changes(first, digests(root, first)) == changes.ChangeCount(added=1, changed=2, removed=0)
