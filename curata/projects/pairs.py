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


class _Mining:
    """One project's mining state: the quarantine and every file's outcome, filled in as the steps run."""

    def __init__(self, project: str):
        self.project = project
        self.quarantine: list[dict] = []
        self.outcomes: dict[str, list[str]] = defaultdict(list)

    def refuse(self, kind: str, record_id: str, rule: rules.Rule, file: str, detail: str) -> None:
        self.quarantine.append(quarantine_row(kind, record_id, self.project, Violation(rule, file, detail)))


def mine_project(
    project: str,
    files: list[ProjectFile],
    data_root: Path,
    pixel_hash: Callable[[Path], tuple[tuple[int, int], str]] = pixel_digest,
    workers: int = 1,
) -> ProjectPairs:
    """Groups sandbox stages by timestamp, matches winners by name, then bytes, then pixels."""
    mining = _Mining(project)
    groups, winners = _sort_files(files, mining)
    matcher = _WinnerMatcher(groups, data_root, pixel_hash, workers, mining)
    matches = _match_winners(winners, matcher, mining)
    group_rows, pair_rows = _decide_groups(project, groups, matches, mining)
    stats = _stats(project, files, mining.outcomes, group_rows, pair_rows)
    return ProjectPairs(
        groups=HISTORICAL_GROUPS.from_rows(group_rows),
        pairs=HISTORICAL_PAIRS.from_rows(pair_rows),
        quarantined=quarantine_table(mining.quarantine),
        stats=PROJECT_STATS.from_rows([stats]),
        file_outcomes=dict(mining.outcomes),
    )


def _sort_files(files: list[ProjectFile], mining: _Mining) -> tuple[dict[str, list[ProjectFile]], list[ProjectFile]]:
    """Sandbox stages into groups by timestamp, winners aside; refused images and strays quarantined."""
    groups: dict[str, list[ProjectFile]] = defaultdict(list)
    winners: list[ProjectFile] = []
    for f in files:
        stray = (f.role == "sandbox" and f.parsed is None) or not f.is_image_name
        if f.rule is rules.LINK_OUTSIDE_ROOT or (f.rule is not None and not stray):  # a link out: never a stray
            mining.refuse(PROJECT_FILE, f.path, f.rule, f.path, f.error or "failed the image inspection")
            mining.outcomes["image_refused"].append(f.path)
        elif f.sha256 is None or stray:
            detail = f"name {f.name!r} has no YYYYMMDD_HHMMSS_stageN" if stray else f"{f.error}"
            mining.refuse(PROJECT_FILE, f.path, rules.PROJECT_STRAY_FILE, f.path, detail)
            mining.outcomes["stray"].append(f.path)
        elif f.role == "sandbox":
            groups[f.parsed.group].append(f)
            mining.outcomes["grouped"].append(f.path)
        else:
            winners.append(f)
    return groups, winners


PixelFacts = tuple[tuple[int, int], str] | None


class _WinnerMatcher:
    """Where a winner came from: its name, identical bytes, or identical decoded pixels (decoded once each)."""

    def __init__(
        self,
        groups: dict[str, list[ProjectFile]],
        data_root: Path,
        pixel_hash: Callable[[Path], tuple[tuple[int, int], str]],
        workers: int,
        mining: _Mining,
    ):
        self.groups = groups
        self.data_root = data_root
        self.pixel_hash = pixel_hash
        self.workers = workers
        self.mining = mining
        self.members = [m for ms in groups.values() for m in ms]
        self.by_name = {(m.parsed.group, m.name): m for m in self.members}
        self.by_sha: dict[str, list[ProjectFile]] = defaultdict(list)
        for m in self.members:
            self.by_sha[m.sha256].append(m)
        self.pixel_cache: dict[str, PixelFacts] = {}
        self.refused_winners: set[str] = set()
        self.index_by_size: dict[tuple[int, int], dict[str, list[ProjectFile]]] = {}

    def pixels(self, f: ProjectFile) -> PixelFacts:
        if f.path not in self.pixel_cache:
            try:
                self.pixel_cache[f.path] = self.pixel_hash(self.data_root / f.path)
            except Exception as exc:  # inspected, but changed since or undecodable in full: quarantined
                self.pixel_cache[f.path] = None
                if f.role == "winner":
                    detail = f"{type(exc).__name__}: {exc}"
                    self.mining.refuse(PROJECT_FILE, f.path, rules.PROJECT_UNREADABLE, f.path, detail)
                    self.refused_winners.add(f.path)
        return self.pixel_cache[f.path]

    def pixel_index(self, size: tuple[int, int]) -> dict[str, list[ProjectFile]]:
        """Pixel hash -> members, over every member of this size; built once, on first need."""
        if size not in self.index_by_size:
            todo = [m for m in self.members if m.path not in self.pixel_cache]
            n = max(1, self.workers)
            with ThreadPoolExecutor(max_workers=n) as pool:  # Pillow's decoders release the GIL
                list(
                    pool.map(
                        lambda chunk: [m.size == size and self.pixels(m) for m in chunk], [todo[i::n] for i in range(n)]
                    )
                )
            index: dict[str, list[ProjectFile]] = defaultdict(list)
            for m in self.members:
                facts = self.pixel_cache.get(m.path)
                if facts is not None and facts[0] == size:
                    index[facts[1]].append(m)
            self.index_by_size[size] = index
        return self.index_by_size[size]

    def match(self, w: ProjectFile) -> _Match | None:
        """Name first; then identical bytes; then identical pixels, trying the group the name hints at
        before an index of every member of the same pixel size."""
        if w.parsed is not None and (w.parsed.group, w.name) in self.by_name:
            return _Match(w, self.by_name[(w.parsed.group, w.name)], "name")
        same_bytes = self.by_sha.get(w.sha256, [])
        if len({m.parsed.group for m in same_bytes}) == 1:
            return _Match(w, same_bytes[0], "content")
        mine = self.pixels(w)
        if mine is None:
            return None
        for m in self.groups.get(group_hint(w.name) or "", []):
            if self.pixels(m) == mine:
                return _Match(w, m, "pixels")
        candidates = self.pixel_index(mine[0]).get(mine[1], [])
        if len({m.parsed.group for m in candidates}) == 1:
            return _Match(w, candidates[0], "pixels")
        return None


def _match_winners(winners: list[ProjectFile], matcher: _WinnerMatcher, mining: _Mining) -> list[_Match]:
    matches = []
    for w in winners:
        match = matcher.match(w)
        if match is None:
            if w.path not in matcher.refused_winners:
                detail = "matches no single group by name, bytes or pixels (none, or stages of several groups)"
                mining.refuse(PROJECT_FILE, w.path, rules.PROJECT_WINNER_WITHOUT_GROUP, w.path, detail)
            mining.outcomes["winner_unmatched"].append(w.path)
        else:
            matches.append(match)
            mining.outcomes["winner_matched"].append(w.path)
    return matches


def _decide_groups(
    project: str, groups: dict[str, list[ProjectFile]], matches: list[_Match], mining: _Mining
) -> tuple[list[dict], list[dict]]:
    """Each group chosen (one winner), none kept, or quarantined (two winners); a pair per rejected stage."""
    chosen_by_group: dict[str, dict[str, _Match]] = defaultdict(dict)
    for m in matches:
        chosen_by_group[m.member.parsed.group].setdefault(m.member.path, m)
    group_rows, pair_rows = [], []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda m: (m.parsed.stage, m.name))
        chosen = list(chosen_by_group.get(key, {}).values())
        row = _group_row(project, key, members)
        if len(chosen) > 1:
            names = ", ".join(sorted(c.winner.name for c in chosen))
            mining.refuse(PROJECT_GROUP, f"{project}/{key}", rules.PROJECT_TWO_WINNERS, chosen[0].winner.path, names)
            group_rows.append({**row, "outcome": "quarantined"})
        elif not chosen:
            group_rows.append({**row, "outcome": "none_kept"})
        else:
            (c,) = chosen
            rejected = [m for m in members if m.path != c.member.path]
            group_rows.append(_chosen_row(row, c, rejected))
            pair_rows += [_pair_row(row, c, r) for r in rejected]
    return group_rows, pair_rows


def _group_row(project: str, key: str, members: list[ProjectFile]) -> dict:
    return {
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


def _chosen_row(row: dict, c: _Match, rejected: list[ProjectFile]) -> dict:
    return {
        **row,
        "outcome": "chosen",
        "chosen_path": c.member.path,
        "chosen_stage": c.member.parsed.stage,
        "winner_path": c.winner.path,
        "match_method": c.method,
        "anomaly": any(r.parsed.stage > c.member.parsed.stage for r in rejected),
    }


def _pair_row(row: dict, c: _Match, r: ProjectFile) -> dict:
    return {
        "project": row["project"],
        "group_key": row["group_key"],
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
