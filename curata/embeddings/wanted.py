"""Every image the accepted records reference: what the embedding store must cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from curata.catalog import SPECS
from curata.tables import IMAGE_PATH, TableSpec, column_role, columns_with


@dataclass(frozen=True)
class WantedImage:
    sha256: str
    path: str  # relative to the data root


def image_columns(spec: TableSpec) -> list[tuple[str, str]]:
    """(path column, hash column) pairs of the table's image paths that have a hash; a list column holds several."""
    roles = ((f.name, column_role(f)) for f in columns_with(spec.columns, IMAGE_PATH))
    return [(path, role.hash_column) for path, role in roles if role is not None and role.hash_column]


# table -> its image columns, for every table whose images the embedder covers (its accepted records').
SOURCES: dict[str, list[tuple[str, str]]] = {spec.name: image_columns(spec) for spec in SPECS if spec.images_embedded}


def wanted_images(tables: Mapping[str, pa.Table]) -> list[WantedImage]:
    """One entry per (hash, path) referenced by any accepted row of the given tables (a table left out has none)."""
    out: set[WantedImage] = set()
    for table, columns in SOURCES.items():
        data = tables.get(table)
        if data is None:
            continue
        for path_column, hash_column in columns:
            paths, hashes = data.column(path_column).to_pylist(), data.column(hash_column).to_pylist()
            for path, sha in zip(paths, hashes, strict=True):
                if isinstance(path, list):
                    out.update(WantedImage(s, p) for p, s in zip(path, sha, strict=True))
                elif path is not None:
                    out.add(WantedImage(sha, path))
    return sorted(out, key=lambda w: (w.sha256, w.path))
