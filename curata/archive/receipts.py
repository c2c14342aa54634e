"""Receipts in the hot store: which days live in the cold tier, and whether their hot copy is removed.

A receipt is written, atomically, after the read-back verified the object and before the first hot
folder is removed, so the store always knows a day that is (being) removed. The inventory table
the IO manager writes after the run says the same for Dagster; this is what the code trusts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from curata.archive.manifest import ArchiveError
from curata.archive.tables import InventoryEntry
from curata.layout import ARCHIVE_RECEIPTS
from curata.storage import Store

RECEIPTS = f"{ARCHIVE_RECEIPTS}/sessions"
REMOVED = "removed"  # the day's session folders are only in the cold tier (or being removed)
RESTORED = "restored"  # brought back by `restore_day`; the object stays in the cold tier


class DayArchived(ArchiveError):
    """The day's folders were moved to the cold tier: listing it now would find none and wipe its tables."""

    def __init__(self, day: str):
        super().__init__(f"day {day} is archived; run `curata restore {day}` first")


@dataclass(frozen=True)
class Receipt:
    entry: InventoryEntry
    folders: tuple[str, ...]  # the session folders the object holds
    hot_copy: str  # REMOVED or RESTORED

    def restored(self) -> Receipt:
        return replace(self, hot_copy=RESTORED)


def receipt_key(day: str) -> str:
    return f"{RECEIPTS}/{day}.json"


def read_receipt(store: Store, day: str) -> Receipt | None:
    key = receipt_key(day)
    if not store.exists(key):
        return None
    data = json.loads(store.read_text(key))
    return Receipt(InventoryEntry.from_json(data["entry"]), tuple(data["folders"]), data["hot_copy"])


def write_receipt(store: Store, receipt: Receipt) -> None:
    data = {"entry": receipt.entry.to_json(), "folders": list(receipt.folders), "hot_copy": receipt.hot_copy}
    store.write_text(receipt_key(receipt.entry.day), json.dumps(data, indent=1))


def receipts(store: Store) -> list[Receipt]:
    days = [name.removesuffix(".json") for name in store.children(RECEIPTS) if name.endswith(".json")]
    return [r for r in (read_receipt(store, d) for d in sorted(days)) if r is not None]


def archived_days_of(store: Store) -> set[str]:
    """Days whose session folders are in the cold tier only: `raw_sessions` must refuse to list them."""
    return {r.entry.day for r in receipts(store) if r.hot_copy == REMOVED}


def refuse_if_archived(store: Store, day: str) -> None:
    receipt = read_receipt(store, day)
    if receipt is not None and receipt.hot_copy == REMOVED:
        raise DayArchived(day)
