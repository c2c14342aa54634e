"""The library reader: every rule on real files, tag normalisation, the JSON array's torn tail, reconciliation."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits
from curata.layout import DataRoot
from curata.library.claims import IdClaims
from curata.library.jsonarray import iter_array_elements
from curata.library.records import LibraryLimits, iter_library_batches, library_record_ids, read_library
from curata.library.source import JSON_NAME, JSONL_NAME
from curata.library.tags import normalise_tag
from curata.reconcile import reconcile
from curata.sample.scenes import jpeg_bytes

LIMITS = LibraryLimits(DEFAULT_IMAGE_LIMITS)
FACE = {"encoding": [0.05] * 128, "location": [10, 60, 50, 20]}  # inside a 96x72 image


def record(**changes) -> dict:
    base = {
        "id": 1,
        "file_path": "a.jpg",
        "description": "a red square",
        "detailed_description": "a red square on grey",
        "meta_tags": ["red", "square"],
        "faces": [FACE],
        "created_at": "2025-01-02T03:04:05Z",
    }
    return {k: v for k, v in (base | changes).items() if v is not ...}


@pytest.fixture
def lib(tmp_path: Path) -> DataRoot:
    """A data root whose library holds real JPEGs a.jpg and b.jpg (96x72), and outside.jpg beside images/."""
    root = DataRoot(tmp_path / "data")
    images = root.library / "images"
    images.mkdir(parents=True)
    for name in ("a.jpg", "b.jpg"):
        Image.new("RGB", (96, 72), (200, 30, 30)).save(images / name)
    Image.new("RGB", (96, 72)).save(root.library / "outside.jpg")
    return root


def write_jsonl(root: DataRoot, records: list, tail: str = "") -> None:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    (root.library / JSONL_NAME).write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")


def outcomes(root: DataRoot, limits: LibraryLimits = LIMITS) -> dict[str, str | None]:
    read = read_library(root, limits, threads=2)
    got = {r["record_id"]: None for r in read.images.to_pylist()}
    got |= {q["record_id"]: q["rule_id"] for q in read.quarantined.to_pylist()}
    check = reconcile(library_record_ids(root), {"accepted": read.images["record_id"].to_pylist(), "q": list(got)})
    assert not check.missing and not check.unexpected, check.describe()
    assert all(q["hint"] and q["file"] and q["detail"] for q in read.quarantined.to_pylist())
    return got


CASES = [
    ("bad_json", '{"id": 2, "meta_tags": ["a",}', "library.record_malformed"),
    ("not_an_object", '["a", "b"]', "library.record_malformed"),
    ("no_id", record(id=...), "library.id_missing"),
    ("null_id", record(id=None), "library.id_missing"),
    ("empty_id", record(id="  "), "library.id_missing"),
    ("boolean_id", record(id=True), "library.id_missing"),
    ("duplicate_id", record(id=1, file_path="b.jpg"), "library.id_duplicate"),
    ("path_dotdot", record(id=2, file_path="../outside.jpg"), "library.path_escapes"),
    ("path_absolute", record(id=2, file_path="/etc/hostname"), "library.path_escapes"),
    ("path_drive", record(id=2, file_path="C:\\photos\\a.jpg"), "library.path_escapes"),
    ("path_windows_dotdot", record(id=2, file_path="..\\outside.jpg"), "library.path_escapes"),
    ("image_missing", record(id=2, file_path="gone.jpg"), "library.image_missing"),
    ("file_path_missing", record(id=2, file_path=...), "library.field_invalid"),
    ("file_path_number", record(id=2, file_path=7), "library.field_invalid"),
    ("description_number", record(id=2, description=42), "library.field_invalid"),
    ("faces_not_list", record(id=2, faces={"encoding": []}), "library.field_invalid"),
    ("face_not_object", record(id=2, faces=[[1, 2]]), "library.field_invalid"),
    ("faces_empty_string", record(id=2, faces=""), "library.field_invalid"),
    ("tags_string", record(id=2, meta_tags="red, square"), "library.tags_invalid"),
    ("tags_missing", record(id=2, meta_tags=...), "library.tags_invalid"),
    ("tags_null", record(id=2, meta_tags=None), "library.tags_invalid"),
    ("tag_blank", record(id=2, meta_tags=["red", " \t "]), "library.tags_invalid"),
    ("tag_number", record(id=2, meta_tags=["red", 3]), "library.tags_invalid"),
    ("encoding_short", record(id=2, faces=[FACE | {"encoding": [0.1] * 127}]), "library.encoding_invalid"),
    ("encoding_long", record(id=2, faces=[FACE | {"encoding": [0.1] * 129}]), "library.encoding_invalid"),
    ("encoding_missing", record(id=2, faces=[{"location": [1, 2, 3, 0]}]), "library.encoding_invalid"),
    ("encoding_text", record(id=2, faces=[FACE | {"encoding": ["0.1"] * 128}]), "library.encoding_invalid"),
    ("encoding_bool", record(id=2, faces=[FACE | {"encoding": [True] * 128}]), "library.encoding_invalid"),
    ("encoding_nan", record(id=2, faces=[FACE | {"encoding": [float("nan")] * 128}]), "library.encoding_invalid"),
    ("encoding_inf", record(id=2, faces=[FACE | {"encoding": [1e39] + [0.0] * 127}]), "library.encoding_invalid"),
    ("box_right_outside", record(id=2, faces=[FACE | {"location": [10, 97, 50, 20]}]), "library.face_box_outside"),
    ("box_bottom_outside", record(id=2, faces=[FACE | {"location": [10, 60, 73, 20]}]), "library.face_box_outside"),
    ("box_negative", record(id=2, faces=[FACE | {"location": [-1, 60, 50, 20]}]), "library.face_box_outside"),
    ("box_huge", record(id=2, faces=[FACE | {"location": [0, 2**40, 50, 20]}]), "library.face_box_outside"),
    ("box_inverted", record(id=2, faces=[FACE | {"location": [50, 60, 10, 20]}]), "library.face_box_invalid"),
    ("box_three", record(id=2, faces=[FACE | {"location": [10, 60, 50]}]), "library.face_box_invalid"),
    ("box_fractional", record(id=2, faces=[FACE | {"location": [10.5, 60, 50, 20]}]), "library.face_box_invalid"),
    ("date_text", record(id=2, created_at="last tuesday"), "library.date_invalid"),
    ("date_number", record(id=2, created_at=1735787045), "library.date_invalid"),
    ("date_missing", record(id=2, created_at=...), "library.date_invalid"),
]


@pytest.mark.parametrize(("defect", "line", "rule"), CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_quarantined_with_its_rule_and_the_rest_accepted(lib, defect, line, rule):
    good = record(id=10, file_path="b.jpg")
    write_jsonl(lib, [record(), line, good])
    assert outcomes(lib) == {f"{JSONL_NAME}:1": None, f"{JSONL_NAME}:2": rule, f"{JSONL_NAME}:3": None}


def test_symlinks_are_followed_and_must_stay_inside_the_images_folder(lib):
    images = lib.library / "images"
    (images / "link.jpg").symlink_to(lib.library / "outside.jpg")
    (images / "album").mkdir()
    (images / "album" / "b.jpg").symlink_to(images / "b.jpg")
    (images / "linked_album").symlink_to(images / "album")
    (images / "away").symlink_to(lib.library)
    write_jsonl(
        lib,
        [
            record(id=1, file_path="link.jpg"),
            record(id=2, file_path="album/b.jpg"),
            record(id=3, file_path="linked_album/b.jpg"),
            record(id=4, file_path="./linked_album//b.jpg"),
            record(id=5, file_path="away/outside.jpg"),
            record(id=6, file_path="album"),
            record(id=7, file_path="a.jpg/b.jpg"),
        ],
    )
    assert outcomes(lib) == {
        f"{JSONL_NAME}:1": "library.path_escapes",
        f"{JSONL_NAME}:2": None,
        f"{JSONL_NAME}:3": None,
        f"{JSONL_NAME}:4": None,
        f"{JSONL_NAME}:5": "library.path_escapes",
        f"{JSONL_NAME}:6": "library.image_missing",
        f"{JSONL_NAME}:7": "library.image_missing",
    }
    paths = read_library(lib, LIMITS).images["path"].to_pylist()
    assert paths == ["library/images/album/b.jpg"] + ["library/images/linked_album/b.jpg"] * 2


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (lambda data: data[: len(data) * 3 // 4], "image.truncated"),
        (lambda data: b"a text file, not a photo", "image.undecodable"),
        (lambda data: jpeg_bytes(Image.new("RGB", (4000, 3000))), "image.too_many_pixels"),
    ],
    ids=["truncated", "not_an_image", "too_many_pixels"],
)
def test_an_image_failing_the_inspection_is_quarantined_with_the_image_rule(lib, content, rule):
    noisy = np.random.default_rng(0).integers(0, 255, (72, 96, 3), dtype=np.uint8)
    (lib.library / "images" / "c.jpg").write_bytes(content(jpeg_bytes(Image.fromarray(noisy))))
    write_jsonl(lib, [record(id=3, file_path="c.jpg")])
    limits = LibraryLimits(ImageLimits(max_pixels=1_000_000))
    read = read_library(lib, limits)
    assert [(q["rule_id"], q["file"]) for q in read.quarantined.to_pylist()] == [(rule, "library/images/c.jpg")]


def test_a_torn_last_line_is_truncated_but_a_complete_unterminated_one_is_accepted(lib):
    write_jsonl(lib, [record()], tail=json.dumps(record(id=2))[:30])
    assert outcomes(lib) == {f"{JSONL_NAME}:1": None, f"{JSONL_NAME}:2": "library.record_truncated"}
    write_jsonl(lib, [record()], tail=json.dumps(record(id=2)))
    assert outcomes(lib) == {f"{JSONL_NAME}:1": None, f"{JSONL_NAME}:2": None}


def test_a_line_over_the_record_limit_is_refused_without_being_loaded(lib):
    write_jsonl(lib, [record(description="x" * 5000), record(id=2)])
    got = outcomes(lib, LibraryLimits(DEFAULT_IMAGE_LIMITS, max_record_bytes=3000))
    assert got == {f"{JSONL_NAME}:1": "library.record_malformed", f"{JSONL_NAME}:2": None}


def test_blank_lines_are_not_records_and_line_numbers_stay_physical(lib):
    write_jsonl(lib, [record(), "", "   ", record(id=2)])
    assert outcomes(lib) == {f"{JSONL_NAME}:1": None, f"{JSONL_NAME}:4": None}


def test_accepted_rows_carry_the_image_facts_normalised_tags_and_faces(lib):
    decomposed = unicodedata.normalize("NFD", "Café")
    write_jsonl(
        lib, [record(id="IMG-7", meta_tags=[" Red  Square", decomposed, "red square", "CAFÉ"], faces=[FACE] * 2)]
    )
    read = read_library(lib, LIMITS)
    (row,) = read.images.to_pylist()
    assert (row["id"], row["path"], row["width"], row["height"]) == ("IMG-7", "library/images/a.jpg", 96, 72)
    assert row["tags"] == ["red square", "café"]
    assert row["face_count"] == 2 and row["created_at"].isoformat() == "2025-01-02T03:04:05+00:00"
    faces = read.faces.to_pylist()
    assert [f["face_id"] for f in faces] == ["IMG-7#0", "IMG-7#1"]
    assert [(f["top"], f["right"], f["bottom"], f["left"]) for f in faces] == [(10, 60, 50, 20)] * 2
    assert np.allclose(faces[0]["encoding"], 0.05) and len(faces[0]["encoding"]) == 128


def test_optional_fields_may_be_null_or_absent(lib):
    write_jsonl(lib, [record(description=None, detailed_description=..., faces=...), record(id=2, faces=None)])
    read = read_library(lib, LIMITS)
    assert read.images["description"].to_pylist() == ["", "a red square"]
    assert read.images["face_count"].to_pylist() == [0, 0] and read.faces.num_rows == 0


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("Sunset", "sunset"), ("  golden   hour\t", "golden hour"), ("STRASSE", "strasse"), ("Straße", "strasse")],
)
def test_tag_normalisation(raw, normal):
    assert normalise_tag(raw) == normal
    assert normalise_tag(unicodedata.normalize("NFD", "É")) == "é" == unicodedata.normalize("NFC", "é")


@pytest.mark.parametrize(
    "created_at", ["2025-01-02 03:04:05", "2025-01-02T03:04:05.000000Z", "2025-01-02T04:04:05+01:00"]
)
def test_dates_in_the_formats_exporters_write_are_read_as_utc(lib, created_at):
    write_jsonl(lib, [record(created_at=created_at)])
    (row,) = read_library(lib, LIMITS).images.to_pylist()
    assert row["created_at"].isoformat() == "2025-01-02T03:04:05+00:00"


def test_the_json_array_loses_only_its_torn_tail(lib):
    elements = [record(id=1), record(id=2, file_path="b.jpg"), record(id=3)]
    text = "[\n" + ",\n".join(json.dumps(e) for e in elements)
    (lib.library / JSON_NAME).write_text(text[: len(text) - 20])
    got = outcomes(lib)
    assert got == {f"{JSON_NAME}:1": None, f"{JSON_NAME}:2": None, f"{JSON_NAME}:3": "library.record_truncated"}
    read = read_library(lib, LIMITS)
    assert read.source == f"library/{JSON_NAME}" and read.quarantined["file"].to_pylist() == [f"library/{JSON_NAME}:4"]


def test_a_bad_element_of_the_json_array_costs_only_itself(lib):
    good = json.dumps(record(id=5))
    text = f'[{json.dumps(record())}, {{"id": 2, "meta_tags": ["a",]}}, "text", {good}]'
    (lib.library / JSON_NAME).write_text(text)
    assert outcomes(lib) == {
        f"{JSON_NAME}:1": None,
        f"{JSON_NAME}:2": "library.record_malformed",
        f"{JSON_NAME}:3": "library.record_malformed",
        f"{JSON_NAME}:4": None,
    }


def test_json_array_elements_are_found_across_read_chunks(tmp_path, monkeypatch):
    import curata.library.jsonarray as jsonarray

    monkeypatch.setattr(jsonarray, "CHUNK_CHARS", 7)
    values = [{"a": "x, ] } {" * k, "n": 12345678} for k in range(5)] + [123456789, "s"]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(values, indent=1))
    elements = list(iter_array_elements(path))
    assert [e.value for e in elements] == values
    assert [e.line for e in elements][:2] == [2, 6]


def test_a_file_that_is_not_an_array_is_one_malformed_record(lib):
    (lib.library / JSON_NAME).write_text(json.dumps(record()))
    assert outcomes(lib) == {f"{JSON_NAME}:1": "library.record_malformed"}


def test_the_jsonl_export_is_read_when_both_exist_and_the_other_is_reported(lib):
    write_jsonl(lib, [record()])
    (lib.library / JSON_NAME).write_text("[]")
    read = read_library(lib, LIMITS)
    assert read.source == f"library/{JSONL_NAME}" and read.ignored == [f"library/{JSON_NAME}"]


def test_no_export_gives_empty_tables_of_the_declared_schemas(lib):
    read = read_library(lib, LIMITS)
    assert read.source is None and read.images.num_rows == read.faces.num_rows == read.quarantined.num_rows == 0
    assert read.faces.schema.field("encoding").type.list_size == 128


def test_duplicates_are_found_across_batches_and_name_the_first_record(lib):
    write_jsonl(lib, [record(id=k) for k in range(7)] + [record(id=3)])
    batches = list(iter_library_batches(lib, LIMITS, batch_records=3))
    assert [b.images.num_rows for b in batches] == [3, 3, 1]
    (row,) = batches[-1].quarantined
    assert row["rule_id"] == "library.id_duplicate" and f"{JSONL_NAME}:4" in row["detail"]


def test_id_claims_report_the_first_claimant_within_and_across_batches():
    claims = IdClaims()
    assert claims.claim(["a", "b", "a"], [1, 2, 3]) == [None, None, 1]
    assert claims.claim(["c", "b", "c", "d"], [4, 5, 6, 7]) == [None, 2, 4, None]
    assert len(claims) == 4
