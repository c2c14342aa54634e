"""What an erasure (and a key rotation) works on: the store, the data root, the cold tier, the key and the limits."""

from __future__ import annotations

from dataclasses import dataclass

from curata.archive.cold import ColdStorageError, ColdTier
from curata.archive.days import Tiers
from curata.erasure.cascade import Inputs
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sessions.validate import Limits
from curata.storage import Store
from curata.warehouse import Warehouse


@dataclass(frozen=True)
class ErasureContext:
    """Where everything is: the store, the data root, the cold tier (None: none configured), key and limits."""

    store: Store
    layout: DataRoot
    key: PseudonymKey
    limits: Limits
    cold: ColdTier | None = None
    workers: int = 1
    compression_level: int = 1

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.store)

    @property
    def inputs(self) -> Inputs:
        return Inputs(self.layout, self.warehouse, self.limits.image, self.workers)

    def tiers(self, why: str) -> Tiers:
        if self.cold is None or not self.cold.bucket:
            raise ColdStorageError(f"{why}, but no cold storage is configured; set the cold storage's bucket")
        return Tiers(self.layout.sessions, self.store, self.cold, self.limits.max_metadata_bytes)
