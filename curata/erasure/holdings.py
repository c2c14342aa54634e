"""Where each table and each dataset holds a person, read from the roles of their declared columns: session
folders, pseudonyms, image hashes and image paths. The erasure removes the rows these match; the proof check
looks for them everywhere. A table registered in `curata.catalog` with such a column is reached by both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curata import catalog
from curata.export.published import PUBLISHED
from curata.export.versioned import DatasetSpec
from curata.layout import DataRoot
from curata.sessions.tables import SESSION_PEOPLE
from curata.tables import IMAGE_HASH, IMAGE_PATH, PSEUDONYM, SESSION_FOLDER, TableSpec, columns_with

SESSIONS_PREFIX = f"{DataRoot(Path('.')).sessions.name}/"  # image paths in a session folder: `sessions/<folder>/...`


@dataclass(frozen=True)
class Erased:
    """What to look for: session folders, pseudonyms and image hashes."""

    folders: frozenset[str] = frozenset()
    pseudonyms: frozenset[str] = frozenset()
    hashes: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.folders or self.pseudonyms or self.hashes)


@dataclass(frozen=True)
class Holding:
    """The columns of a table (or dataset) that can hold a person; a list column holds several values."""

    name: str
    folders: tuple[str, ...] = ()
    pseudonyms: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # image paths relative to the data root

    @classmethod
    def of(cls, name: str, columns: tuple[pa.Field, ...]) -> Holding:
        """The holding the columns' roles declare (no columns when none can hold a person)."""
        roles = (SESSION_FOLDER, PSEUDONYM, IMAGE_HASH, IMAGE_PATH)  # in the order of the fields above
        return cls(name, *(tuple(f.name for f in columns_with(columns, role)) for role in roles))

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(self.folders + self.pseudonyms + self.hashes + self.paths))

    def matches(self, table: pa.Table, erased: Erased) -> pa.Array:
        """Per row: does it hold any of `erased`?"""
        hit = pa.array([False] * table.num_rows, pa.bool_())
        for columns, values in ((self.folders, erased.folders), (self.pseudonyms, erased.pseudonyms)):
            for c in columns:
                hit = pc.or_(hit, _any_in(table.column(c), values))
        for c in self.hashes:
            hit = pc.or_(hit, _any_in(table.column(c), erased.hashes))
        for c in self.paths:
            hit = pc.or_(hit, _under_folders(table.column(c), erased.folders))
        return hit


def holdings_of(specs: Iterable[TableSpec | DatasetSpec]) -> list[Holding]:
    """The holdings of those tables (or datasets) that have a column able to hold a person."""
    return [h for h in (Holding.of(spec.name, spec.columns) for spec in specs) if h.columns]


def table_holdings(where: Callable[[TableSpec], bool] = lambda spec: True) -> list[Holding]:
    """The holdings of the registered tables erasure reaches (those `where` selects), read from the registry
    when called."""
    return holdings_of(spec for spec in catalog.SPECS if spec.reached_by_erasure and where(spec))


def by_session_day(spec: TableSpec) -> bool:
    """Partitioned as `session_people` is: a person's rows are in the partitions of their sessions' days."""
    return spec.partitioned_by == SESSION_PEOPLE.partitioned_by


# Published datasets (`exports/<name>/<version>/`): the columns that say whose a row is.
DATASET_HOLDINGS = {h.name: h for h in holdings_of(spec(1) for spec in PUBLISHED.values())}  # roles: any width


def _any_in(column: pa.ChunkedArray, values: frozenset[str]) -> pa.Array:
    """Per row: is the value (or, for a list, any of its values) one of `values`?"""
    if not values:
        return pa.array([False] * len(column), pa.bool_())
    wanted = pa.array(sorted(values), pa.string())
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        flat = pc.is_in(pc.list_flatten(column), wanted)
        parents = pc.list_parent_indices(column)
        hit = [False] * len(column)
        for i in pc.filter(parents, flat).to_pylist():
            hit[i] = True
        return pa.array(hit, pa.bool_())
    return pc.fill_null(pc.is_in(column, wanted), False)


def _under_folders(column: pa.ChunkedArray, folders: frozenset[str]) -> pa.Array:
    """Per row: is the path (or any path of a list) inside one of the session folders?"""
    if not folders:
        return pa.array([False] * len(column), pa.bool_())
    values = column.to_pylist()
    names = set(folders)

    def inside(path: str | None) -> bool:
        return bool(path) and path.startswith(SESSIONS_PREFIX) and path.split("/", 2)[1] in names

    return pa.array([any(map(inside, v)) if isinstance(v, list) else inside(v) for v in values], pa.bool_())
