"""The images the embedder covers are read from the columns' roles in the catalog, not listed: the embedding
asset reads every table the catalog marks as embedded, and wants the image paths that have a hash."""

import pyarrow as pa

from assets.embeddings import image_embeddings
from curata import catalog
from curata.embeddings.wanted import SOURCES, WantedImage, image_columns, wanted_images
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.tables import IMAGE_HASH, TableSpec, col, image_path

SHOTS = TableSpec(
    "test_shots",
    "Shots of a record (declared by this test only).",
    (
        col("shot_path", pa.string(), "the shot", image_path("shot_sha256")),
        col("shot_sha256", pa.string(), "its bytes' hash", IMAGE_HASH),
        col("preview_path", pa.string(), "a preview with no hash: nothing to key a vector by", image_path()),
        col("angle_paths", pa.list_(pa.string()), "more shots", image_path("angle_sha256")),
        col("angle_sha256", pa.list_(pa.string()), "their hashes", IMAGE_HASH),
    ),
    images_embedded=True,
)


def test_a_tables_image_columns_are_read_from_their_roles():
    assert image_columns(SHOTS) == [("shot_path", "shot_sha256"), ("angle_paths", "angle_sha256")]


def test_the_embedding_asset_reads_every_table_the_catalog_marks_as_embedded():
    embedded = {spec.name for spec in catalog.SPECS if spec.images_embedded}
    read = {key.path[-1] for key in image_embeddings.keys_by_input_name.values()}
    assert read == set(SOURCES) == embedded and VALIDATED_SESSIONS.name in read
    assert SOURCES[VALIDATED_SESSIONS.name] == [("original_path", "original_sha256"), ("edited_path", "edited_sha256")]


def test_wanted_images_cover_every_image_column_of_a_source_table():
    row = {
        "original_path": "sessions/s/original.jpg",
        "original_sha256": "a" * 64,
        "edited_path": "sessions/s/edited.jpg",
        "edited_sha256": "b" * 64,
    }
    table = pa.Table.from_pylist([row])
    assert wanted_images({VALIDATED_SESSIONS.name: table}) == [
        WantedImage("a" * 64, "sessions/s/original.jpg"),
        WantedImage("b" * 64, "sessions/s/edited.jpg"),
    ]
