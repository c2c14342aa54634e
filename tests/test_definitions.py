"""The code location as the UI shows it: every asset owned, versioned, with its kinds, and every table declared."""

from curata.catalog import TABLES
from definitions import build_definitions


def test_every_asset_has_owners_kinds_and_a_code_version():
    graph = build_definitions("/nonexistent").resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        described = (bool(node.owners), bool(node.kinds), node.code_version is not None)
        assert all(described), f"{key.to_user_string()}: owners, kinds, code version = {described}"


def test_every_table_asset_is_a_declared_table():
    """A warehouse table (a parquet asset that is not an export) has one declaration its columns come from."""
    graph = build_definitions("/nonexistent").resolve_asset_graph()
    tables = [
        k
        for k in graph.get_all_asset_keys()
        if "parquet" in graph.get(k).kinds and graph.get(k).tags.get("layer") != "export"
    ]
    assert len(tables) > 20
    assert sorted(k.to_user_string() for k in tables if k.path[-1] not in TABLES) == []
