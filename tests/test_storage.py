"""The store and the warehouse on it, on a local folder and on S3 over HTTP (moto's server): same behaviour."""

import os
import stat

import pyarrow as pa
import pytest

from curata.library.tables import LIBRARY_IMAGES
from curata.sessions.tables import VALIDATED_SESSIONS
from curata.storage import Store, StoreKeyError
from curata.warehouse import Warehouse


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> Store:
    if request.param == "local":
        return Store.at(tmp_path / "store")
    s3 = request.getfixturevalue("s3")
    return Store.at(f"s3://{request.getfixturevalue('bucket')}/hot", s3)


def test_write_read_list_and_delete(store):
    store.write_text("a/b.txt", "hello")
    store.write_bytes("a/c/d.bin", b"\0\1")
    assert store.keys() == ["a/b.txt", "a/c/d.bin"]
    assert store.children("a") == ["b.txt", "c"]
    assert store.read_text("a/b.txt") == "hello" and store.size("a/c/d.bin") == 2
    store.delete_prefix("a/c")
    assert store.keys() == ["a/b.txt"]


def test_a_failed_write_leaves_the_old_content_and_nothing_half_written(store):
    store.write_text("t.txt", "old")
    with pytest.raises(OSError), store.writing("t.txt") as tmp:
        tmp.write_text("new, but cut short")
        raise OSError("disk full")
    assert store.read_text("t.txt") == "old"
    assert store.keys(hidden=True) == ["t.txt"]


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a\\b"])
def test_keys_that_leave_the_root_are_refused(store, key):
    with pytest.raises(StoreKeyError):
        store.full(key)


def test_published_folders_appear_whole_and_are_never_overwritten(store):
    store.write_text("exports/.staging-1/data/x.parquet", "x")
    store.write_text("exports/.staging-1/manifest.json", "{}")
    assert store.keys("exports") == []  # staging is hidden from readers
    store.publish_folder("exports/.staging-1", "exports/v1", last="manifest.json")
    assert store.keys("exports") == ["exports/v1/data/x.parquet", "exports/v1/manifest.json"]
    store.write_text("exports/.staging-2/manifest.json", "{}")
    with pytest.raises(FileExistsError):
        store.publish_folder("exports/.staging-2", "exports/v1", last="manifest.json")


def test_local_output_is_readable_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        store = Store.at(tmp_path)
        store.write_text("r.txt", "x")
        Warehouse(store).write("deferred_sessions", pa.table({"x": [1]}), "2025-01-01")
    finally:
        os.umask(old)
    for path in (tmp_path / "r.txt", tmp_path / "warehouse/deferred_sessions/2025-01-01.parquet"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_warehouse_partitions_round_trip_with_any_key(store):
    wh = Warehouse(store)
    wh.write("t", pa.table({"x": [1]}), "2025-01-01")
    wh.write("t", pa.table({"x": [2, 3]}), "harbor lofts/2025")
    assert wh.partitions("t") == ["2025-01-01", "harbor lofts/2025"]
    assert wh.read_all("t").column("x").to_pylist() == [1, 2, 3]
    assert wh.read("t", "harbor lofts/2025").num_rows == 2


def test_an_empty_table_has_its_declared_columns(store):
    wh = Warehouse(store)
    assert wh.rows("deferred_sessions") == []
    assert wh.read_all("deferred_sessions").column_names == ["session_folder", "partition_date", "reason"]


@pytest.mark.parametrize("name", ["..", ".hidden", "a/b"])
def test_unsafe_table_or_partition_names_are_refused(store, name):
    with pytest.raises(ValueError):
        Warehouse(store).key(name)
    if name != "a/b":
        with pytest.raises(ValueError):
            Warehouse(store).key("t", name)


def test_declared_dictionary_columns_come_back_as_codes_with_the_same_values(store):
    """library_images.tags arrive dictionary-encoded, so the co-occurrence never hashes a tag string again."""
    warehouse = Warehouse(store)
    rows = [{"id": str(i), "tags": ["outdoor", "dog"] if i % 2 else ["outdoor"]} for i in range(4)]
    warehouse.write("library_images", LIBRARY_IMAGES.from_rows(rows))
    read = warehouse.read("library_images")
    assert pa.types.is_dictionary(read.schema.field("tags").type.value_type)
    assert read.column("tags").to_pylist() == [r["tags"] for r in rows]
    assert warehouse.read("library_images", columns=["id"]).column_names == ["id"]  # no tags asked, none decoded
    warehouse.write("validated_sessions", VALIDATED_SESSIONS.empty(), "2025-01-15")
    assert warehouse.read("validated_sessions", "2025-01-15").schema == VALIDATED_SESSIONS.schema  # others as written
