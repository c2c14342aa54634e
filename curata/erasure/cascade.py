"""Curation and project rows that point at a person's images: their copies of the bytes are deleted from the
data root, and the tables are derived again from the inputs, so every log row and project file still
reconciles (a row whose image is gone is quarantined with the rule for a missing file, as any other).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curata.curation import CURATION
from curata.curation.logs import CROP_LOG, SELECTION_LOG, validate_log
from curata.curation.paths import PathResolver
from curata.curation.quality import curation_image_quality
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.erasure.holdings import Erased, Holding, holdings_of
from curata.hashing import sha256_file
from curata.images import ImageLimits
from curata.layout import DataRoot
from curata.projects import PROJECTS
from curata.projects.pairs import mine_project
from curata.projects.scan import accepted_images, scan_project
from curata.projects.tables import HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_QUARANTINE, PROJECT_STATS
from curata.quality_tables import CURATION_IMAGE_QUALITY, PROJECT_IMAGE_QUALITY, quality_table
from curata.warehouse import Warehouse

# The tables derived again from the curation logs, and from a project's files (in the order mining returns them).
CURATION_TABLES = (VALIDATED_SELECTIONS, VALIDATED_CROPS, CURATION_QUARANTINE, CURATION_IMAGE_QUALITY)
PROJECT_TABLES = (HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_QUARANTINE, PROJECT_STATS, PROJECT_IMAGE_QUALITY)
PAIRS_HOLDING = Holding.of(HISTORICAL_PAIRS.name, HISTORICAL_PAIRS.columns)  # a project is mined again if they hit


@dataclass(frozen=True)
class Inputs:
    """Where the inputs are and how they are inspected: what deriving their tables again needs."""

    layout: DataRoot
    warehouse: Warehouse
    limits: ImageLimits
    workers: int = 1


def erase_from_curation(inputs: Inputs, erased: Erased) -> dict:
    """Rows of the selection and crop logs holding the person's images; their image files; the tables again."""
    wh = inputs.warehouse
    hit_paths: set[str] = set()
    rows = 0
    for holding in holdings_of(CURATION_TABLES):
        if not wh.exists(holding.name):
            continue
        table = wh.read(holding.name, columns=holding.columns)
        hit = table.filter(holding.matches(table, erased))
        rows += hit.num_rows
        hit_paths.update(_paths(hit, holding.paths))
    if not rows:
        return {"rows": 0, "files_removed": []}
    removed = remove_copies(inputs.layout.root, hit_paths, erased.hashes)
    folder = inputs.layout.require(CURATION)
    resolver = PathResolver(inputs.layout.root, inputs.limits)
    logs = {
        n: validate_log(folder / n, (folder / n).relative_to(inputs.layout.root).as_posix(), resolver)
        for n in (SELECTION_LOG, CROP_LOG)
    }
    wh.write(VALIDATED_SELECTIONS.name, logs[SELECTION_LOG].accepted)
    wh.write(VALIDATED_CROPS.name, logs[CROP_LOG].accepted)
    wh.write(CURATION_QUARANTINE.name, pa.concat_tables([r.quarantined for r in logs.values()]))
    selections, crops = logs[SELECTION_LOG].accepted, logs[CROP_LOG].accepted
    wh.write(CURATION_IMAGE_QUALITY.name, curation_image_quality(selections, crops, resolver))
    return {"rows": rows, "files_removed": removed}


def erase_from_projects(inputs: Inputs, erased: Erased) -> dict:
    """Projects whose pairs hold the person's images: those files are deleted and the project mined again."""
    wh = inputs.warehouse
    out: dict[str, dict] = {}
    if not erased.hashes:
        return out
    for project in wh.partitions(PAIRS_HOLDING.name):
        pairs = wh.read(PAIRS_HOLDING.name, project, columns=PAIRS_HOLDING.columns)
        rows = pc.sum(PAIRS_HOLDING.matches(pairs, erased)).as_py() or 0
        if not rows:
            continue
        project_dir = inputs.layout.require(PROJECTS) / project
        files = scan_project(project_dir, inputs.layout.root, inputs.limits, workers=inputs.workers)
        doomed = [f.path for f in files if f.sha256 in erased.hashes]
        removed = remove_copies(inputs.layout.root, set(doomed), erased.hashes)
        files = scan_project(project_dir, inputs.layout.root, inputs.limits, workers=inputs.workers)
        mined = mine_project(project, files, inputs.layout.root, workers=inputs.workers)
        quality = quality_table(PROJECT_IMAGE_QUALITY, accepted_images(files, mined.groups))
        tables = (mined.groups, mined.pairs, mined.quarantined, mined.stats, quality)
        for spec, table in zip(PROJECT_TABLES, tables, strict=True):
            wh.write(spec.name, table, project)
        out[project] = {"pairs": rows, "files_removed": removed}
    return out


def remove_copies(root: Path, paths: set[str], hashes: frozenset[str]) -> list[str]:
    """Deletes each path (relative to the data root) that holds one of the hashes; returns those deleted."""
    removed = []
    for rel in sorted(paths):
        path = root / rel
        try:
            if path.is_symlink() or not path.is_file() or sha256_file(path) not in hashes:
                continue
            os.remove(path)
        except OSError:
            continue
        removed.append(rel)
    return removed


def _paths(table: pa.Table, columns: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for c in columns:
        for v in table.column(c).to_pylist():
            out.update(v if isinstance(v, list) else [v] if v else [])
    return out
