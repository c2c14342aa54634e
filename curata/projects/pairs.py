"""Chosen-versus-rejected pairs of one finished project, from its sandbox stages and kept winners."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from curata import rules
from curata.projects.naming import group_hint, group_time
from curata.projects.scan import ProjectFile, pixel_digest
from curata.projects.tables import HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_STATS
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation

PROJECT_FILE = "project_file"
PROJECT_GROUP = "project_group"


@dataclass
class ProjectPairs:
    groups: pa.Table
    pairs: pa.Table
    quarantined: pa.Table
    stats: pa.Table
    file_outcomes: dict[str, list[str]] = field(default_factory=dict)  # for reconciliation


@dataclass
class _Match:
    winner: ProjectFile
    member: ProjectFile
    method: str


def mine_project(
    project: str,
    files: list[ProjectFile],
    data_root: Path,
    pixel_hash: Callable[[Path], tuple[tuple[int, int], str]] = pixel_digest,
    workers: int = 1,
) -> ProjectPairs:
    """Groups sandbox stages by timestamp, matches winners by name, then bytes, then pixels."""
    quarantine: list[dict] = []
    outcome_ids: dict[str, list[str]] = defaultdict(list)

    def refuse(kind: str, record_id: str, rule: rules.Rule, file: str, detail: str) -> None:
        quarantine.append(quarantine_row(kind, record_id, project, Violation(rule, file, detail)))

    groups: dict[str, list[ProjectFile]] = defaultdict(list)
    winners: list[ProjectFile] = []
    for f in files:
        stray = (f.role == "sandbox" and f.parsed is None) or not f.is_image_name
        if f.rule is not None and not stray:
            refuse(PROJECT_FILE, f.path, f.rule, f.path, f.error or "failed the image inspection")
            outcome_ids["image_refused"].append(f.path)
        elif f.sha256 is None or stray:
            detail = f"name {f.name!r} has no YYYYMMDD_HHMMSS_stageN" if stray else f"{f.error}"
            refuse(PROJECT_FILE, f.path, rules.PROJECT_STRAY_FILE, f.path, detail)
            outcome_ids["stray"].append(f.path)
        elif f.role == "sandbox":
            groups[f.parsed.group].append(f)
            outcome_ids["grouped"].append(f.path)
        else:
            winners.append(f)

    members_by_name = {(m.parsed.group, m.name): m for ms in groups.values() for m in ms}
    members_by_sha: dict[str, list[ProjectFile]] = defaultdict(list)
    for ms in groups.values():
        for m in ms:
            members_by_sha[m.sha256].append(m)
    pixel_cache: dict[str, tuple[tuple[int, int], str] | None] = {}
    refused_winners: set[str] = set()

    def pixels(f: ProjectFile) -> tuple[tuple[int, int], str] | None:
        if f.path not in pixel_cache:
            try:
                pixel_cache[f.path] = pixel_hash(data_root / f.path)
            except Exception as exc:  # inspected, but changed since or undecodable in full: quarantined
                pixel_cache[f.path] = None
                if f.role == "winner":
                    refuse(PROJECT_FILE, f.path, rules.PROJECT_UNREADABLE, f.path, f"{type(exc).__name__}: {exc}")
                    refused_winners.add(f.path)
        return pixel_cache[f.path]

    index_by_size: dict[tuple[int, int], dict[str, list[ProjectFile]]] = {}

    def pixel_index(size: tuple[int, int]) -> dict[str, list[ProjectFile]]:
        """Pixel hash -> members, over every member of this size; built once, on first need."""
        if size not in index_by_size:
            members = [m for ms in groups.values() for m in ms if m.path not in pixel_cache]
            n = max(1, workers)
            with ThreadPoolExecutor(max_workers=n) as pool:  # Pillow's decoders release the GIL
                list(
                    pool.map(
                        lambda chunk: [m.size == size and pixels(m) for m in chunk],
                        [members[i::n] for i in range(n)],
                    )
                )
            index: dict[str, list[ProjectFile]] = defaultdict(list)
            for m in (m for ms in groups.values() for m in ms):
                if pixel_cache.get(m.path) is not None and pixel_cache[m.path][0] == size:
                    index[pixel_cache[m.path][1]].append(m)
            index_by_size[size] = index
        return index_by_size[size]

    matches: list[_Match] = []
    for w in winners:
        match = _match_winner(w, members_by_name, members_by_sha, groups, pixels, pixel_index)
        if match is None:
            if w.path not in refused_winners:
                detail = "matches no single group by name, bytes or pixels (none, or stages of several groups)"
                refuse(PROJECT_FILE, w.path, rules.PROJECT_WINNER_WITHOUT_GROUP, w.path, detail)
            outcome_ids["winner_unmatched"].append(w.path)
        else:
            matches.append(match)
            outcome_ids["winner_matched"].append(w.path)

    chosen_by_group: dict[str, dict[str, _Match]] = defaultdict(dict)
    for m in matches:
        chosen_by_group[m.member.parsed.group].setdefault(m.member.path, m)

    group_rows, pair_rows = [], []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda m: (m.parsed.stage, m.name))
        chosen = list(chosen_by_group.get(key, {}).values())
        row = {
            "project": project,
            "group_key": key,
            "group_time": group_time(key),
            "members": [m.path for m in members],
            "stages": [m.parsed.stage for m in members],
            "chosen_path": None,
            "chosen_stage": None,
            "winner_path": None,
            "match_method": None,
            "anomaly": False,
        }
        if len(chosen) > 1:
            names = ", ".join(sorted(c.winner.name for c in chosen))
            refuse(PROJECT_GROUP, f"{project}/{key}", rules.PROJECT_TWO_WINNERS, chosen[0].winner.path, names)
            group_rows.append({**row, "outcome": "quarantined"})
            continue
        if not chosen:
            group_rows.append({**row, "outcome": "none_kept"})
            continue
        (c,) = chosen
        rejected = [m for m in members if m.path != c.member.path]
        anomaly = any(r.parsed.stage > c.member.parsed.stage for r in rejected)
        group_rows.append(
            {
                **row,
                "outcome": "chosen",
                "chosen_path": c.member.path,
                "chosen_stage": c.member.parsed.stage,
                "winner_path": c.winner.path,
                "match_method": c.method,
                "anomaly": anomaly,
            }
        )
        for r in rejected:
            pair_rows.append(
                {
                    "project": project,
                    "group_key": key,
                    "group_time": row["group_time"],
                    "chosen_path": c.member.path,
                    "rejected_path": r.path,
                    "chosen_stage": c.member.parsed.stage,
                    "rejected_stage": r.parsed.stage,
                    "chosen_sha256": c.member.sha256,
                    "rejected_sha256": r.sha256,
                    "anomaly": r.parsed.stage > c.member.parsed.stage,
                    "match_method": c.method,
                }
            )

    stats = _stats(project, files, outcome_ids, group_rows, pair_rows)
    return ProjectPairs(
        groups=pa.Table.from_pylist(group_rows, schema=HISTORICAL_GROUPS.schema),
        pairs=pa.Table.from_pylist(pair_rows, schema=HISTORICAL_PAIRS.schema),
        quarantined=quarantine_table(quarantine),
        stats=pa.Table.from_pylist([stats], schema=PROJECT_STATS.schema),
        file_outcomes=dict(outcome_ids),
    )


PixelFacts = tuple[tuple[int, int], str] | None


def _match_winner(
    w: ProjectFile,
    members_by_name: dict[tuple[str, str], ProjectFile],
    members_by_sha: dict[str, list[ProjectFile]],
    groups: dict[str, list[ProjectFile]],
    pixels: Callable[[ProjectFile], PixelFacts],
    pixel_index: Callable[[tuple[int, int]], dict[str, list[ProjectFile]]],
) -> _Match | None:
    """Name first; then identical bytes; then identical pixels, trying the group the name hints at
    before an index of every member of the same pixel size."""
    if w.parsed is not None and (w.parsed.group, w.name) in members_by_name:
        return _Match(w, members_by_name[(w.parsed.group, w.name)], "name")
    same_bytes = members_by_sha.get(w.sha256, [])
    if len({m.parsed.group for m in same_bytes}) == 1:
        return _Match(w, same_bytes[0], "content")
    mine = pixels(w)
    if mine is None:
        return None
    for m in groups.get(group_hint(w.name) or "", []):
        if pixels(m) == mine:
            return _Match(w, m, "pixels")
    candidates = pixel_index(mine[0]).get(mine[1], [])
    if len({m.parsed.group for m in candidates}) == 1:
        return _Match(w, candidates[0], "pixels")
    return None


def _stats(
    project: str,
    files: list[ProjectFile],
    outcome_ids: dict[str, list[str]],
    group_rows: list[dict],
    pair_rows: list[dict],
) -> dict:
    chosen = [g for g in group_rows if g["outcome"] == "chosen"]
    anomalies = sum(g["anomaly"] for g in chosen)
    return {
        "project": project,
        "files_seen": len(files),
        "sandbox_files": sum(f.role == "sandbox" for f in files),
        "winner_files": sum(f.role == "winner" for f in files),
        "grouped_files": len(outcome_ids.get("grouped", [])),
        "stray_files": len(outcome_ids.get("stray", [])),
        "image_refused_files": len(outcome_ids.get("image_refused", [])),
        "groups": len(group_rows),
        "groups_chosen": len(chosen),
        "groups_none_kept": sum(g["outcome"] == "none_kept" for g in group_rows),
        "groups_quarantined": sum(g["outcome"] == "quarantined" for g in group_rows),
        "winners_matched": len(outcome_ids.get("winner_matched", [])),
        "winners_unmatched": len(outcome_ids.get("winner_unmatched", [])),
        "pairs": len(pair_rows),
        "anomalies": anomalies,
        "anomaly_rate": anomalies / len(chosen) if chosen else 0.0,
    }
