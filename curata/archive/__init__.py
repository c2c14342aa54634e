"""The cold tier: verified archiving of old session days to an S3-compatible bucket, restore, inventory and stats.

Plain Python, no Dagster: the assets in `assets/archive.py` and the `curata` command call these.
"""

from curata.archive.cold import ColdStorageError, ColdTier
from curata.archive.days import ArchivePolicy, DayOutcome, Tiers, archive_day
from curata.archive.manifest import ArchiveError
from curata.archive.receipts import DayArchived, archived_days_of, refuse_if_archived
from curata.archive.restore import NotArchived, RestoreConflict, RestoreOutcome, restore_day
from curata.archive.stats import Prices, due_for_archiving, measure_storage, stats_markdown, stats_text
from curata.archive.tables import ARCHIVE_INVENTORY, InventoryEntry, inventory_entries, inventory_table
from curata.archive.verify import VerificationFailed, inventory_problems

__all__ = [
    "ARCHIVE_INVENTORY",
    "ArchiveError",
    "ArchivePolicy",
    "ColdStorageError",
    "ColdTier",
    "DayArchived",
    "DayOutcome",
    "InventoryEntry",
    "NotArchived",
    "Prices",
    "RestoreConflict",
    "RestoreOutcome",
    "Tiers",
    "VerificationFailed",
    "archive_day",
    "archived_days_of",
    "due_for_archiving",
    "inventory_entries",
    "inventory_problems",
    "inventory_table",
    "measure_storage",
    "refuse_if_archived",
    "restore_day",
    "stats_markdown",
    "stats_text",
]
