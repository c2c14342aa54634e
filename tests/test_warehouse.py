import pyarrow as pa
import pytest

from curata.atomic import publish_folder
from curata.warehouse import Warehouse


def test_write_read_and_list_partitions(tmp_path):
    wh = Warehouse(tmp_path)
    wh.write("t", pa.table({"x": [1]}), "2025-01-01")
    wh.write("t", pa.table({"x": [2, 3]}), "2025-01-02")
    assert wh.partitions("t") == ["2025-01-01", "2025-01-02"]
    assert wh.read_partitions("t").column("x").to_pylist() == [1, 2, 3]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path)
    wh.write("t", pa.table({"x": [1]}))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("curata.warehouse.pq.write_table", broken)
    with pytest.raises(OSError):
        wh.write("t", pa.table({"x": [9]}))
    assert wh.read("t").column("x").to_pylist() == [1]
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["_all.parquet"]


@pytest.mark.parametrize("partition", ["..", ".hidden"])
def test_unsafe_partition_keys_are_refused(tmp_path, partition):
    with pytest.raises(ValueError):
        Warehouse(tmp_path).path("t", partition)


@pytest.mark.parametrize("table", ["../escape", "a/b", ".t"])
def test_unsafe_table_names_are_refused(tmp_path, table):
    with pytest.raises(ValueError):
        Warehouse(tmp_path).path(table)


def test_published_folders_are_never_overwritten(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "target").mkdir()
    with pytest.raises(FileExistsError):
        publish_folder(tmp_path / "staging", tmp_path / "target")


def test_partition_keys_with_spaces_and_slashes_round_trip(tmp_path):
    wh = Warehouse(tmp_path)
    wh.write("t", pa.table({"x": [1]}), "harbor lofts/2025")
    assert wh.partitions("t") == ["harbor lofts/2025"]
    assert wh.read("t", "harbor lofts/2025").num_rows == 1
    assert [p.parent for p in (tmp_path / "t").iterdir()] == [tmp_path / "t"]


def test_rows_span_every_partition_and_are_empty_before_anything_is_stored(tmp_path):
    wh = Warehouse(tmp_path)
    assert wh.rows("t") == []
    wh.write("t", pa.table({"x": [1]}), "a")
    wh.write("t", pa.table({"x": [2]}), "b")
    wh.write("u", pa.table({"y": [3]}))
    assert wh.rows("t") == [{"x": 1}, {"x": 2}]
    assert wh.rows("u") == [{"y": 3}]
