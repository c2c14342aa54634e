"""Storage stats on a small known day: records and bytes per tier, cost from the prices, savings, recommendations."""

from __future__ import annotations

import pytest

from curata.archive import (
    Prices,
    archive_day,
    due_for_archiving,
    inventory_table,
    measure_storage,
    restore_day,
    stats_text,
)
from curata.archive.receipts import receipt_key
from tests.archive_helpers import DAY_KEY, NOW, POLICY, tiers_for, write_day

PRICES = Prices(hot_per_gb_month=0.02, cold_per_gb_month=0.005)
GB = 2**30


@pytest.fixture
def archived(root, make_session, s3, bucket):
    """DAY archived (3 sessions); the next day, 44 days old, still hot."""
    tiers = tiers_for(root, s3, bucket)
    folders = write_day(root, make_session)
    entry = archive_day(DAY_KEY, folders, [], tiers, POLICY, NOW).entry
    return tiers, entry


def test_figures_per_tier_and_costs_on_a_known_day(root, archived):
    tiers, entry = archived
    hot_folder = root.sessions / "session-2025-01-16T10-30-45-123Z"
    sessions_bytes = sum(p.lstat().st_size for p in hot_folder.iterdir())
    receipt_bytes = (root.root / receipt_key(DAY_KEY)).stat().st_size

    stats = measure_storage(tiers, inventory_table([entry]), PRICES, 30, NOW.date())

    assert stats["overview"] == {"total_records": 4, "hot_records": 1, "archived_records": 3, "restored_records": 0}
    hot, cold = stats["storage"]["hot"], stats["storage"]["cold"]
    assert (hot["sessions_bytes"], hot["output_bytes"]["archive"], hot["bytes"]) == (
        sessions_bytes,
        receipt_bytes,
        sessions_bytes + receipt_bytes,
    )
    assert (cold["records"], cold["bytes"], cold["bytes_before_compression"]) == (
        3,
        entry.bytes_packed,
        entry.bytes_raw,
    )
    costs = stats["costs"]
    assert costs["hot_monthly_usd"] == pytest.approx(hot["bytes"] / GB * 0.02)
    assert costs["cold_monthly_usd"] == pytest.approx(entry.bytes_packed / GB * 0.005)
    without = (hot["bytes"] + entry.bytes_raw) / GB * 0.02
    assert costs["without_archiving_monthly_usd"] == pytest.approx(without)
    saved = without - hot["bytes"] / GB * 0.02 - entry.bytes_packed / GB * 0.005
    assert costs["savings_monthly_usd"] == pytest.approx(saved)
    assert costs["savings_percentage"] == round(100 * saved / without, 1)


def test_recommendations_name_days_past_retention_compression_and_savings(archived):
    tiers, entry = archived
    stats = measure_storage(tiers, inventory_table([entry]), PRICES, 30, NOW.date())

    said = stats["recommendations"]
    assert stats["retention"]["days_due_not_archived"] == ["2025-01-16"]
    assert said[0].startswith("1 day(s) older than the 30-day retention are only in the hot tier (2025-01-16)")
    ratio = entry.bytes_packed / entry.bytes_raw
    assert stats["storage"]["cold"]["compression_ratio"] == round(ratio, 4)
    assert any(f"{round(ratio, 4):.0%} of" in s for s in said)
    assert said[-1].startswith("Archiving saves $") and "% of what keeping every day in the hot tier" in said[-1]
    text = stats_text(stats)
    assert text.splitlines()[0].split() == ["tier", "records", "bytes", "per", "month"]
    assert text.splitlines()[2].split()[:2] == ["cold", "3"]


def test_a_restored_day_is_in_both_tiers(archived):
    tiers, entry = archived
    restore_day(DAY_KEY, tiers)

    stats = measure_storage(tiers, inventory_table([entry]), PRICES, 30, NOW.date())

    assert stats["overview"] == {"total_records": 4, "hot_records": 4, "archived_records": 0, "restored_records": 3}
    assert stats["retention"]["days_restored"] == [DAY_KEY]
    assert stats["retention"]["days_due_not_archived"] == ["2025-01-16"]
    assert any(s.startswith(f"1 restored day(s) are in both tiers ({DAY_KEY})") for s in stats["recommendations"])


def test_prices_that_make_archiving_pointless_are_said(archived):
    tiers, entry = archived
    stats = measure_storage(tiers, inventory_table([entry]), Prices(0.01, 0.02), 30, NOW.date())

    assert stats["costs"]["savings_monthly_usd"] < 0
    assert "The cold tier's price is not below the hot tier's" in stats["recommendations"][-1]


def test_the_days_due_are_those_past_retention_never_archived(archived):
    tiers, _entry = archived

    assert due_for_archiving(tiers, 30, NOW.date()) == ["2025-01-16"]
    assert due_for_archiving(tiers, 45, NOW.date()) == []  # 44 days old
    restore_day(DAY_KEY, tiers)
    assert due_for_archiving(tiers, 30, NOW.date()) == ["2025-01-16"]  # a restored day is left to a person
