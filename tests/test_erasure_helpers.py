"""A data root with two people, an anonymous user, curation logs and a project that reuse their images,
ingested and published through the real jobs: what the erasure tests start from. (Helpers, no tests.)"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from dagster import DagsterInstance, Definitions, materialize

from assets.curation import curation_outcomes
from assets.projects import historical_project_pairs
from curata.curation.collect import CurationLogger
from curata.erasure.context import ErasureContext
from curata.erasure.holdings import Erased, table_holdings
from curata.hashing import sha256_file
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sample.session_defects import SessionFiles
from curata.sample.sessions import backdate, write_session
from curata.sessions.naming import iso_stamp
from curata.sessions.validate import Limits
from curata.storage import Store
from tests.conftest import DAY, KEY, later, small_pair
from tests.dagster_helpers import ingest, publish, resources_for, warehouse_of

ANA, BOB = "Ana@Example.com", "bob@example.com"
DAY_KEY, NEXT_KEY = DAY.date().isoformat(), (DAY + timedelta(days=1)).date().isoformat()
PROJECT = "porch"


@dataclass
class World:
    root: DataRoot
    ana: list[SessionFiles] = field(default_factory=list)  # accepted ones, on two days
    ana_refused: SessionFiles | None = None  # quarantined (empty instruction): found by pseudonym all the same
    bob: list[SessionFiles] = field(default_factory=list)  # the second one shares ana's first original photo
    anonymous: SessionFiles | None = None

    @property
    def ana_folders(self) -> list[str]:
        return sorted(f.folder.name for f in [*self.ana, self.ana_refused] if f is not None)

    @property
    def bob_folders(self) -> list[str]:
        return sorted(f.folder.name for f in self.bob)

    def hashes(self, files: list[SessionFiles]) -> set[str]:
        return {sha256_file(p) for f in files for p in (f.original, f.edited)}


def context(root: DataRoot, key: bytes = KEY, cold=None) -> ErasureContext:  # noqa: ANN001
    return ErasureContext(Store.at(root.root), root, PseudonymKey(key), Limits(), cold=cold)


def write_sessions(root: DataRoot, make_session) -> World:  # noqa: ANN001
    world = World(root)
    world.ana = [
        make_session(later(0), seed=1, email=ANA),
        make_session(later(5), seed=2, email=ANA),
        make_session(DAY + timedelta(days=1), seed=5, email=ANA.lower()),
    ]
    world.bob = [make_session(later(9), seed=3, email=BOB)]
    shared = write_session(root.sessions, later(30), "paint it blue", BOB, small_pair(1)[0], small_pair(7)[1])
    backdate(shared.folder, later(30))
    world.bob.append(shared)
    world.anonymous = make_session(later(12), seed=4, email="anonymous")
    refused = make_session(later(20), seed=6, email=ANA)
    meta = refused.meta()
    refused.write_meta(meta | {"instruction": "   "})
    backdate(refused.folder, later(20))
    world.ana_refused = refused
    write_training_log(root, [*world.ana, *world.bob, world.anonymous, refused])
    return world


def write_training_log(root: DataRoot, sessions: list[SessionFiles]) -> None:
    """The app's master log: one line per session in time order, and a line that is not JSON in the middle."""
    lines = []
    for files in sorted(sessions, key=lambda f: f.folder.name):
        meta = files.meta()
        lines.append(
            json.dumps(
                {"timestamp": meta["timestamp"], "instruction": meta["instruction"], "sessionId": meta["sessionId"]}
            )
        )
    lines.insert(3, "{not json")
    root.training_log.write_text("\n".join(lines) + "\n")


def write_curation_and_project(root: DataRoot, world: World) -> None:
    """A selection whose chosen image is a copy of ana's edited image, one of bob's, and a project whose
    rejected stage is ana's second original photo."""
    sets = root.curation / "sets"
    sets.mkdir(parents=True, exist_ok=True)
    shutil.copy(world.ana[0].edited, sets / "ana_edit.jpg")
    shutil.copy(world.bob[0].edited, sets / "bob_edit.jpg")
    shutil.copy(world.bob[0].original, sets / "bob_photo.jpg")
    log = CurationLogger(root.root)
    stamp = iso_stamp(later(40))
    log.log_selection(
        session_id="c1",
        set_id="set_1",
        chosen_path=sets / "ana_edit.jpg",
        neg_paths=[sets / "bob_photo.jpg"],
        timestamp=stamp,
    )
    log.log_selection(
        session_id="c2",
        set_id="set_2",
        chosen_path=sets / "bob_edit.jpg",
        neg_paths=[sets / "bob_photo.jpg"],
        timestamp=stamp,
    )
    sandbox, winners = root.projects / PROJECT / "sandbox" / PROJECT, root.projects / PROJECT / PROJECT
    sandbox.mkdir(parents=True)
    winners.mkdir(parents=True)
    shutil.copy(world.ana[1].original, sandbox / "20250115_103045_stage1.jpg")
    shutil.copy(world.bob[0].edited, sandbox / "20250115_103045_stage2.jpg")
    shutil.copy(world.bob[0].edited, winners / "20250115_103045_stage2.jpg")
    shutil.copy(world.anonymous.original, sandbox / "20250115_113000_stage1.jpg")
    shutil.copy(world.anonymous.edited, sandbox / "20250115_113000_stage2.jpg")
    shutil.copy(world.anonymous.edited, winners / "20250115_113000_stage2.jpg")


def ingest_all(defs: Definitions, instance: DagsterInstance, root: DataRoot, curation: bool = True) -> None:
    for day in (DAY_KEY, NEXT_KEY):
        assert ingest(defs, day, instance).success
    if curation:
        resources = resources_for(root)
        assert materialize([curation_outcomes], instance=instance, resources=resources).success
        instance.add_dynamic_partitions("historical_projects", [PROJECT])
        assert materialize(
            [historical_project_pairs], partition_key=PROJECT, instance=instance, resources=resources
        ).success
    assert publish(defs, instance).success


def rows_holding(root: DataRoot, erased: Erased) -> dict[str, int]:
    """table -> rows of `erased` in it, over every partition of every table that can hold a person."""
    wh = warehouse_of(root)
    out = {}
    for holding in table_holdings():
        for partition in wh.partitions(holding.name):
            table = wh.read(holding.name, partition, columns=holding.columns)
            count = pa.compute.sum(holding.matches(table, erased)).as_py() or 0
            if count:
                out[f"{holding.name}[{partition}]"] = count
    return out


def all_bytes_under(*folders: Path) -> list[tuple[Path, bytes]]:
    return [
        (p, p.read_bytes())
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    ]
