"""Storage stats in the shape of the collection service's (seed 004): records and bytes per tier, monthly cost
per tier, savings from archiving, and recommendations in plain sentences.

Hot is what the data root and the store hold now (session folders, pipeline output); cold is what the
inventory says the bucket holds. A day restored from the cold tier is in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from curata.archive.days import Tiers
from curata.archive.receipts import receipts
from curata.layout import ARCHIVE_RECEIPTS, EMBEDDINGS, EXPORTS, REPORTS, WAREHOUSE
from curata.sessions.inventory import list_session_folders
from curata.storage import Store

GB = 1 << 30  # the providers bill GB-months of 2^30 bytes
OUTPUTS = (WAREHOUSE, EXPORTS, EMBEDDINGS, REPORTS, ARCHIVE_RECEIPTS)
SHOWN = 5


@dataclass(frozen=True)
class Prices:
    """USD per GB-month of each tier (the resource holds the defaults and where they come from)."""

    hot_per_gb_month: float
    cold_per_gb_month: float


def output_bytes(store: Store) -> dict[str, int]:
    """Bytes under each output prefix of the store (one listing each, local or S3)."""
    return {p: int(store.fs.du(store.full(p), total=True)) if store.exists(p) else 0 for p in OUTPUTS}


def measure_storage(tiers: Tiers, inventory: pa.Table, prices: Prices, retention_days: int, today: date) -> dict:
    """The stats: every figure from the disk, the store and the inventory as they are now."""
    folders = list_session_folders(tiers.sessions_dir, tiers.max_metadata_bytes)
    hot_days: dict[str, int] = {}
    for f in folders:
        hot_days[f.partition_date] = hot_days.get(f.partition_date, 0) + f.total_bytes
    hot = hot_tier(len(folders), hot_days, output_bytes(tiers.store))
    rows = inventory.to_pylist()
    cold_only = [r for r in rows if r["day"] not in hot_days]
    due = days_due(hot_days, {r["day"] for r in rows}, tiers.store, retention_days, today)
    stats = {
        "overview": {
            "total_records": hot["records"] + sum(r["records"] for r in cold_only),
            "hot_records": hot["records"],
            "archived_records": sum(r["records"] for r in cold_only),
            "restored_records": sum(r["records"] for r in rows if r["day"] in hot_days),
        },
        "storage": {"hot": hot, "cold": cold_tier(rows)},
        "costs": costs(
            hot["bytes"], sum(r["bytes_packed"] for r in rows), sum(r["bytes_raw"] for r in cold_only), prices
        ),
        "retention": {
            "retention_days": retention_days,
            "days_due_not_archived": due,
            "bytes_due_not_archived": sum(hot_days[d] for d in due),
            "days_restored": sorted(r["day"] for r in rows if r["day"] in hot_days),
        },
    }
    return stats | {"recommendations": recommendations(stats, prices)}


def days_due(
    hot_days: Iterable[str], inventoried: set[str], store: Store, retention_days: int, today: date
) -> list[str]:
    """Days with session folders on disk, past the retention, never archived (a restored day is left alone)."""
    archived = inventoried | {r.entry.day for r in receipts(store)}
    return sorted(d for d in hot_days if d not in archived and (today - date.fromisoformat(d)).days >= retention_days)


def due_for_archiving(tiers: Tiers, retention_days: int, today: date) -> list[str]:
    """What a nightly schedule asks `archived_days` to do: one partition per day listed."""
    hot = {f.partition_date for f in list_session_folders(tiers.sessions_dir, tiers.max_metadata_bytes)}
    return days_due(hot, set(), tiers.store, retention_days, today)


def hot_tier(records: int, day_bytes: dict[str, int], outputs: dict[str, int]) -> dict:
    sessions_bytes = sum(day_bytes.values())
    return {
        "records": records,
        "days": len(day_bytes),
        "bytes": sessions_bytes + sum(outputs.values()),
        "sessions_bytes": sessions_bytes,
        "output_bytes": outputs,
    }


def cold_tier(rows: list[dict]) -> dict:
    packed, raw = sum(r["bytes_packed"] for r in rows), sum(r["bytes_raw"] for r in rows)
    return {
        "records": sum(r["records"] for r in rows),
        "days": len(rows),
        "bytes": packed,
        "bytes_before_compression": raw,
        "compression_ratio": round(packed / raw, 4) if raw else None,
    }


def costs(hot_bytes: int, cold_bytes: int, raw_archived: int, prices: Prices) -> dict:
    hot = hot_bytes / GB * prices.hot_per_gb_month
    cold = cold_bytes / GB * prices.cold_per_gb_month
    without = (hot_bytes + raw_archived) / GB * prices.hot_per_gb_month
    savings = without - hot - cold
    return {
        "hot_per_gb_month_usd": prices.hot_per_gb_month,
        "cold_per_gb_month_usd": prices.cold_per_gb_month,
        "hot_monthly_usd": hot,
        "cold_monthly_usd": cold,
        "total_monthly_usd": hot + cold,
        "without_archiving_monthly_usd": without,
        "savings_monthly_usd": savings,
        "savings_percentage": round(100 * savings / without, 1) if without else 0.0,
    }


def recommendations(stats: dict, prices: Prices) -> list[str]:
    """What a person could do next, one plain sentence each."""
    ret, cold, cost = stats["retention"], stats["storage"]["cold"], stats["costs"]
    out = []
    if ret["days_due_not_archived"]:
        due, size = ret["days_due_not_archived"], ret["bytes_due_not_archived"]
        saving = size / GB * (prices.hot_per_gb_month - prices.cold_per_gb_month)
        out.append(
            f"{len(due)} day(s) older than the {ret['retention_days']}-day retention are only in the hot tier "
            f"({_some(due)}): materialize archived_days for them to move {human_bytes(size)} to the cold tier, "
            f"about {usd(saving)} a month less (a day whose folders are still being written waits)."
        )
    if ret["days_restored"]:
        out.append(
            f"{len(ret['days_restored'])} restored day(s) are in both tiers ({_some(ret['days_restored'])}): "
            "materialize archived_days for them when you are done, to remove the hot copy again."
        )
    ratio = cold["compression_ratio"]
    if ratio is None:
        out.append("Nothing is archived yet.")
    elif ratio > 0.9:
        out.append(
            f"Archives are {ratio:.0%} of the original size: the session images are already compressed, "
            "so the savings come from the cold tier's price, not from compression."
        )
    else:
        out.append(f"Compression shrinks archived days to {ratio:.0%} of their original size.")
    if prices.cold_per_gb_month >= prices.hot_per_gb_month:
        out.append("The cold tier's price is not below the hot tier's, so archiving saves nothing: check the prices.")
    elif cost["savings_monthly_usd"] > 0:
        out.append(
            f"Archiving saves {usd(cost['savings_monthly_usd'])} a month, {cost['savings_percentage']:.0f}% of "
            "what keeping every day in the hot tier would cost."
        )
    return out


def usd(amount: float) -> str:
    """Cents for real bills, more digits for the tiny sums of a sample day."""
    return f"${amount:,.2f}" if abs(amount) >= 1 else f"${amount:.6f}".rstrip("0").rstrip(".")


def _some(items: list[str]) -> str:
    return ", ".join(items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


HEADER = ("tier", "records", "bytes", "per month")


def stats_rows(stats: dict) -> list[tuple[str, str, str, str]]:
    """(tier, records, bytes, monthly cost) per tier and in total: the table the UI and the CLI show."""
    hot, cold, cost = stats["storage"]["hot"], stats["storage"]["cold"], stats["costs"]
    total = stats["overview"]["total_records"]
    return [
        ("hot", f"{hot['records']:,}", human_bytes(hot["bytes"]), usd(cost["hot_monthly_usd"])),
        ("cold", f"{cold['records']:,}", human_bytes(cold["bytes"]), usd(cost["cold_monthly_usd"])),
        ("all hot (no archive)", f"{total:,}", "", usd(cost["without_archiving_monthly_usd"])),
        ("savings", "", "", f"{usd(cost['savings_monthly_usd'])} ({cost['savings_percentage']:.0f}%)"),
    ]


def stats_markdown(stats: dict) -> str:
    lines = [f"| {' | '.join(HEADER)} |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in stats_rows(stats)]
    return "\n".join(lines + ["", *[f"- {r}" for r in stats["recommendations"]]])


def stats_text(stats: dict) -> str:
    rows = [HEADER, *stats_rows(stats)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines + ["", *stats["recommendations"]])
