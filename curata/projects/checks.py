"""Integrity rules re-checked on a project's mined pairs, independent of the miner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def pair_problems(pairs: Iterable[dict], data_root: Path) -> list[str]:
    """Pairs whose images are missing, identical, or whose chosen image is also rejected in its group."""
    problems: list[str] = []
    rejected_by_group: dict[tuple[str, str], set[str]] = defaultdict(set)
    chosen_by_group: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in pairs:
        group = (p["project"], p["group_key"])
        rejected_by_group[group].add(p["rejected_path"])
        chosen_by_group[group].add(p["chosen_path"])
        for column in ("chosen_path", "rejected_path"):
            if not (data_root / p[column]).is_file():
                problems.append(f"{p[column]}: missing on disk")
        if p["chosen_path"] == p["rejected_path"] or p["chosen_sha256"] == p["rejected_sha256"]:
            problems.append(f"{p['chosen_path']} vs {p['rejected_path']}: the same image on both sides")
    for group, chosen in chosen_by_group.items():
        if len(chosen) > 1:
            problems.append(f"{group[0]}/{group[1]}: {len(chosen)} chosen images")
        both = chosen & rejected_by_group[group]
        if both:
            problems.append(f"{group[0]}/{group[1]}: {sorted(both)} both chosen and rejected")
    return problems


def anomaly_rate_in_band(rate: float, low: float, high: float) -> bool:
    return low <= rate <= high
