"""The photo library's tables, declared once: its records, their faces, and the analyses' large outputs."""

from __future__ import annotations

import json

import pyarrow as pa

from curata.quarantine import quarantine_spec
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

ENCODING_DIM = 128  # face_recognition (dlib ResNet) encodings
ENCODING_TYPE = pa.list_(pa.float32(), ENCODING_DIM)
RECORD_ID_DOC = "`<metadata file>:<n>`: the line of images_metadata.jsonl, or the element of images_metadata.json"

LIBRARY_IMAGES = TableSpec(
    "library_images",
    "One row per accepted library record: the image, its descriptions and normalised tags.",
    (
        col("record_id", pa.string(), RECORD_ID_DOC),
        col("id", pa.string(), "the library's image id (integers written as decimal strings)"),
        col("path", pa.string(), "the image, relative to the data root (`library/images/...`)", image_path("sha256")),
        col("sha256", pa.string(), "content hash of the image", IMAGE_HASH),
        col("width", pa.int32(), "width in pixels, from the decoded image"),
        col("height", pa.int32(), "height in pixels"),
        col("description", pa.string(), "the short caption; empty when the record has none"),
        col("detailed_description", pa.string(), "the long caption; empty when the record has none"),
        col("tags", pa.list_(pa.string()), "meta_tags normalised (NFC, case-folded, spaces collapsed), deduplicated"),
        col("created_at", pa.timestamp("us", tz="UTC"), "when the photo was added (a time without zone is UTC)"),
        col("face_count", pa.int32(), "faces detected in the image"),
    ),
    read_as_dictionary=("tags.list.element",),  # the co-occurrence counts codes, never re-hashes a tag string
    reached_by_erasure=False,
)

LIBRARY_FACES = TableSpec(
    "library_faces",
    "One row per face of an accepted library image, with its 128-d encoding and box.",
    (
        col("face_id", pa.string(), "`<image id>#<k>`, k the 0-based position in the record's faces"),
        col("image_id", pa.string(), "the image's library id (`library_images.id`)"),
        col("encoding", ENCODING_TYPE, "the face_recognition encoding, as float32"),
        col("top", pa.int32(), "box in pixels, face_recognition order: top"),
        col("right", pa.int32(), "right (exclusive)"),
        col("bottom", pa.int32(), "bottom (exclusive)"),
        col("left", pa.int32(), "left"),
    ),
)

LIBRARY_QUARANTINE = quarantine_spec("library_quarantine", "One row per refused library record: rule, file, hint.")

TAG_COUNTS = TableSpec(
    "library_tag_counts",
    "How many accepted images carry each tag.",
    (
        col("tag", pa.string(), "normalised tag"),
        col("count", pa.int64(), "images with the tag"),
        col("share", pa.float64(), "count / images"),
    ),
)

TAG_PAIRS = TableSpec(
    "library_tag_pairs",
    "Every pair of tags seen together on at least one image, with how much more often than by chance.",
    (
        col("tag_a", pa.string(), "the pair's first tag (alphabetical order)"),
        col("tag_b", pa.string(), "the second"),
        col("count", pa.int64(), "images carrying both"),
        col("lift", pa.float64(), "count * images / (count_a * count_b): 1 when independent"),
        col("pmi", pa.float64(), "log2(lift)"),
        col("npmi", pa.float64(), "pmi / -log2(count / images), in [-1, 1]: 1 when the tags only appear together"),
    ),
)

DESCRIPTION_PATTERNS = TableSpec(
    "library_description_patterns",
    "Per tag: how many images carry it, the words typical of their descriptions, and the descriptions' length.",
    (
        col("tag", pa.string(), "normalised tag"),
        col("count", pa.int64(), "images with the tag"),
        col("common_words", pa.list_(pa.string()), "words typical of those descriptions, most typical first"),
        col("avg_length", pa.float64(), "mean description length in characters"),
    ),
)

SYNONYM_GROUPS = TableSpec(
    "library_synonym_groups",
    "Tags used interchangeably: rarely on one image together, with the same companions.",
    (
        col("group_id", pa.string(), "the group's most frequent tag"),
        col("tag", pa.string(), "a member"),
        col("count", pa.int64(), "images with the member"),
    ),
)

TAG_SUGGESTIONS = TableSpec(
    "library_tag_suggestions",
    "Per accepted image, the tags it does not have that its other tags most often come with.",
    (
        col("image_id", pa.string(), "the image's library id"),
        col("rank", pa.int32(), "1 = best suggestion"),
        col("tag", pa.string(), "suggested tag"),
        col("score", pa.float64(), "sum over the image's tags s of P(tag | s), plus a tie-breaking prior"),
    ),
)

LIBRARY_DIGESTS = TableSpec(
    "library_digests",
    "One row per metadata record: what it and its image were at the last run, to count changes cheaply.",
    (
        col("key", pa.string(), "the library id, or the record id for a record without a usable or unique id"),
        col("record_id", pa.string(), RECORD_ID_DOC),
        col("record_sha256", pa.string(), "hash of the record's bytes"),
        col(
            "image_path",
            pa.string(),
            "the image, relative to the data root; null if the record names none",
            image_path("image_sha256"),
        ),
        col("image_size", pa.int64(), "its size in bytes at the last hash; -1 if missing"),
        col("image_mtime_ns", pa.int64(), "its modification time at the last hash; -1 if missing"),
        col("image_sha256", pa.string(), "its content hash; empty if missing", IMAGE_HASH),
        col("digest", pa.string(), "hash of record_sha256 and image_sha256: the record's identity for change counts"),
    ),
    reached_by_erasure=False,
)

LIBRARY_DOCUMENTS = TableSpec(
    "library_documents",
    "The seed's JSON documents (category_patterns.json, search_index.json, ...), one row each.",
    (
        col("name", pa.string(), "the file name the photo library reads"),
        col("content", pa.string(), "the document, as JSON text"),
    ),
)


def documents_table(documents: dict[str, dict]) -> pa.Table:
    rows = [{"name": name, "content": json.dumps(doc, sort_keys=True)} for name, doc in sorted(documents.items())]
    return LIBRARY_DOCUMENTS.from_rows(rows)


def documents_of(table: pa.Table) -> dict[str, dict]:
    return {r["name"]: json.loads(r["content"]) for r in table.to_pylist()}


LIBRARY_TABLES = (
    LIBRARY_IMAGES,
    LIBRARY_FACES,
    LIBRARY_QUARANTINE,
    TAG_COUNTS,
    TAG_PAIRS,
    DESCRIPTION_PATTERNS,
    SYNONYM_GROUPS,
    TAG_SUGGESTIONS,
    LIBRARY_DIGESTS,
    LIBRARY_DOCUMENTS,
)
