"""The archive inventory, declared once: one row per day whose session folders were packed into the cold tier."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa

from curata.tables import TableSpec, col

ARCHIVE_INVENTORY = TableSpec(
    "archive_inventory",
    "One row per day packed into the cold tier: where its object is, what it holds, and its checksum.",
    (
        col("day", pa.string(), "the sessions' day (UTC), as in raw_sessions"),
        col("bucket", pa.string(), "the cold bucket"),
        col("object_key", pa.string(), "key of the `.tar.zst` object in that bucket"),
        col("records", pa.int64(), "session folders packed"),
        col("files", pa.int64(), "files and links packed (folders not counted)"),
        col("bytes_raw", pa.int64(), "their sizes added up, before compression"),
        col("bytes_packed", pa.int64(), "size of the object in the bucket"),
        col("sha256", pa.string(), "sha256 of the object, as uploaded and read back"),
        col("etag", pa.string(), "the bucket's ETag of the object: changes whenever the object is replaced"),
        col("archived_at", pa.timestamp("ms", tz="UTC"), "when the read-back verified the object"),
    ),
    "day",
)


@dataclass(frozen=True)
class InventoryEntry:
    """One row of `archive_inventory` (a test keeps the fields equal to the declared columns)."""

    day: str
    bucket: str
    object_key: str
    records: int
    files: int
    bytes_raw: int
    bytes_packed: int
    sha256: str
    etag: str
    archived_at: datetime

    def to_json(self) -> dict:
        return asdict(self) | {"archived_at": self.archived_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> InventoryEntry:
        return cls(**(data | {"archived_at": datetime.fromisoformat(data["archived_at"])}))


def inventory_table(entries: list[InventoryEntry]) -> pa.Table:
    return ARCHIVE_INVENTORY.from_rows([asdict(e) for e in entries])


def inventory_entries(table: pa.Table) -> list[InventoryEntry]:
    return [InventoryEntry(**row) for row in table.select(ARCHIVE_INVENTORY.schema.names).to_pylist()]
