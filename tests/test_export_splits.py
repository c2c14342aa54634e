"""Splits that do not leak: groups and near-duplicates stay whole, and the proof catches a crafted leak."""

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PIL import Image

from curata.export import neardup
from curata.export.edit_triplets import EDIT_TRIPLETS, export_edit_triplets, plan_edit_triplets
from curata.export.neardup import load_vectors, near_duplicate_pairs
from curata.export.preference_pairs import export_preference_pairs
from curata.export.splits import SPLITS, Grouping, SplitSettings, assign_splits, split_leaks
from curata.export.verify import export_leaks
from curata.export.versioned import Plan, Provenance, split_file
from curata.health import dataset_health, new_report, render_text
from curata.quarantine import quarantine_table
from curata.sample.scenes import jpeg_bytes, render_house
from curata.sessions.health import SESSIONS_HEALTH, SessionTables, session_health, training_log_health
from curata.sessions.tables import TRAINING_LOG_LINES
from curata.storage import Store
from tests.test_export_support import (
    SIZE,
    context,
    historical_table,
    selections_table,
    sessions_table,
)

PROVENANCE = Provenance({"validated_sessions": ["2025-01-15"]})


@pytest.fixture
def with_copies(bank):
    """Twelve sessions; the originals of sessions 1 and 2 are a re-encoded and a resized copy of session 0's."""
    first = render_house(0, SIZE)
    resized = Image.open(io.BytesIO(jpeg_bytes(first))).resize((SIZE[0] - 8, SIZE[1] - 6), Image.BICUBIC)
    return sessions_table(bank, list(range(12)), originals={1: jpeg_bytes(first, quality=60), 2: jpeg_bytes(resized)})


def splits_of_copies(plan: Plan) -> set[str]:
    return set(plan.ordered().column("split").to_pylist()[:3])  # rows are sorted by time: sessions 0, 1, 2 first


def test_near_duplicate_copies_land_in_one_split(bank, store, with_copies):
    # A seed under which the three sessions would scatter if near-duplicates were not joined (cosine 1.0: off).
    seeds = [f"seed-{i}" for i in range(40)]
    apart = [
        s
        for s in seeds
        if len(splits_of_copies(plan_edit_triplets(with_copies, context(store, bank, **_near(s, 1.0))))) > 1
    ]
    assert apart, "no seed scatters the copies: the test would prove nothing"
    seed = apart[0]
    naive = plan_edit_triplets(with_copies, context(store, bank, **_near(seed, 1.0))).ordered()
    joined = plan_edit_triplets(with_copies, context(store, bank, **_near(seed, 0.95)))
    assert len(splits_of_copies(joined)) == 1
    copies = set(with_copies.column("original_sha256").to_pylist()[:3])
    vectors = load_vectors(sorted(copies), bank.vectors_for)
    assert len(near_duplicate_pairs(vectors.matrix, 0.95)[0]) == 3  # the copies are near-duplicates pairwise
    assert joined.split["near_duplicate_groups"] >= 1
    leaks = split_leaks(naive, EDIT_TRIPLETS.grouping, bank.vectors_for, 0.95).leaks
    assert leaks and all(leak.startswith("near-duplicates") for leak in leaks)
    assert split_leaks(joined.ordered(), EDIT_TRIPLETS.grouping, bank.vectors_for, 0.95).leaks == []


def test_the_health_report_shows_the_near_duplicate_groups_of_each_published_dataset(bank, store, with_copies):
    assert dataset_health(store) == {"edit_triplets": None, "preference_pairs": None, "crop_boxes": None}
    result = export_edit_triplets(with_copies, context(store, bank, **_near("seed-0", 0.95)), PROVENANCE)
    shown = dataset_health(store)["edit_triplets"]
    assert shown["version"] == result.version and shown["rows"] == with_copies.num_rows
    assert shown["near_duplicate_groups"] == result.manifest["split"]["near_duplicate_groups"] >= 1
    report = new_report(
        sessions=session_health(SessionTables({}, {}, {}, {}), []),
        training_log=training_log_health(TRAINING_LOG_LINES.empty(), quarantine_table([])),
        never_materialized=[],
        datasets=dataset_health(store),
    )
    text = render_text(report, (SESSIONS_HEALTH,))
    assert (
        f"edit_triplets: {with_copies.num_rows} rows in {result.version}, {shown['near_duplicate_groups']} near-dup"
        in text
    )
    assert "crop_boxes: not published" in text


def test_leak_proof_fails_on_a_crafted_leak(bank, store, with_copies):
    result = export_edit_triplets(
        with_copies, context(store, bank, validation_fraction=0.3, test_fraction=0.3), PROVENANCE
    )
    assert export_leaks(store, result.key, bank.vectors_for).leaks == []
    # Craft the leak: a copy of a train row appears in another split's file as well.
    source, target = [f"{result.key}/{split_file(s)}" for s, n in result.rows.items() if n][:2]
    stolen = _read(store, source).slice(0, 1)
    with store.writing(target) as tmp:
        pq.write_table(pa.concat_tables([_read(store, target), stolen]), tmp)
    leaks = export_leaks(store, result.key, bank.vectors_for).leaks
    session = stolen.column("session_id")[0].as_py()
    assert any(leak.startswith(f"session_id:{session} is in") for leak in leaks)
    assert any(leak.startswith(f"image:{stolen.column('original_sha256')[0].as_py()}") for leak in leaks)


def test_projects_and_selection_sessions_stay_whole(bank, store):
    historical = pa.concat_tables([historical_table(bank, f"p{i}", 3, seed=i) for i in range(6)])
    selections = selections_table(bank, 12)
    ctx = context(store, bank, validation_fraction=0.3, test_fraction=0.3)
    result = export_preference_pairs(historical, selections, ctx, Provenance({}))
    assert sum(1 for n in result.rows.values() if n) >= 2
    assert export_leaks(store, result.key, bank.vectors_for).leaks == []
    rows = pa.concat_tables(
        [
            _read(store, f"{result.key}/{rel}")
            .select(["project", "session_id"])
            .append_column("split", pa.array([rel.split("/")[1].split("-")[0]] * f["rows"]))
            for rel, f in result.manifest["files"].items()
        ]
    )
    for column in ("project", "session_id"):
        for value in pc.unique(rows.column(column).drop_null()).to_pylist():
            assert len(set(rows.filter(pc.equal(rows.column(column), value)).column("split").to_pylist())) == 1


def test_assignment_is_deterministic_whatever_the_row_order_and_follows_the_fractions():
    hashes = [f"{i:064x}" for i in range(400)]
    table = pa.table({"session_id": [f"s{i // 2}" for i in range(400)], "sha": hashes})
    grouping = Grouping(key_columns=("session_id",), image_columns=("sha",))
    no_vectors = load_vectors(hashes, lambda hs: {})
    settings = SplitSettings(validation_fraction=0.2, test_fraction=0.1)
    first = assign_splits(table, grouping, no_vectors, settings)
    order = np.random.default_rng(0).permutation(400)
    shuffled = assign_splits(table.take(order), grouping, no_vectors, settings)
    assert first.codes[order].tolist() == shuffled.codes.tolist()
    assert first.groups == 200 and len(first.images_without_vectors) == 400
    counts = {s: (first.codes == i).mean() for i, s in enumerate(SPLITS)}
    assert counts["train"] == pytest.approx(0.7, abs=0.08) and counts["validation"] == pytest.approx(0.2, abs=0.08)
    names = pa.array([SPLITS[c] for c in first.codes])
    assert split_leaks(table.append_column("split", names), grouping, lambda hs: {}, 0.95).leaks == []
    half = assign_splits(table, grouping, no_vectors, settings, keep=np.arange(0, 400, 2))
    assert half.groups == 200 and half.codes[::2].tolist() == first.codes[::2].tolist()


def test_inverted_file_index_finds_the_same_pairs_as_the_exact_search(monkeypatch):
    rng = np.random.default_rng(1)
    base = rng.normal(size=(400, 32)).astype(np.float32)
    copies = base[:12] + rng.normal(scale=0.01, size=(12, 32)).astype(np.float32)
    matrix = np.concatenate([base, copies])
    exact, _ = near_duplicate_pairs(matrix, 0.98)
    monkeypatch.setattr(neardup, "EXACT_LIMIT", 100)
    approximate, _ = near_duplicate_pairs(matrix, 0.98)
    assert (
        sorted(map(tuple, exact.tolist()))
        == sorted(map(tuple, approximate.tolist()))
        == [(i, 400 + i) for i in range(12)]
    )


def test_settings_refuse_fractions_that_leave_no_train():
    with pytest.raises(ValueError):
        SplitSettings(validation_fraction=0.6, test_fraction=0.4)
    with pytest.raises(ValueError):
        SplitSettings(near_duplicate_cosine=0)


def _near(seed: str, cosine: float) -> dict:
    return {"seed": seed, "near_duplicate_cosine": cosine, "validation_fraction": 0.3, "test_fraction": 0.3}


def _read(store: Store, key: str) -> pa.Table:
    with store.open(key) as handle:
        return pq.read_table(handle)


def _two_sources(selection_groups: int, historical_groups: int) -> pa.Table:
    """Two rows per selection session and three per project; one image shared by both sources (one group)."""
    rows = [("selection", f"s{g}", None, f"sel-{g}-{k}") for g in range(selection_groups) for k in range(2)]
    rows += [("historical", None, f"p{g}", f"his-{g}-{k}") for g in range(historical_groups) for k in range(3)]
    rows[-1] = (*rows[-1][:3], rows[0][3])  # the last project row shows the first selection row's image
    source, session, project, sha = zip(*rows, strict=True)
    return pa.table({"source": source, "session_id": session, "project": project, "sha": sha})


STRATA_GROUPING = Grouping(key_columns=("session_id", "project"), image_columns=("sha",))


def _sources_per_split(table: pa.Table, codes: np.ndarray) -> dict[str, set[str]]:
    return {s: set(table.filter(pa.array(codes == i)).column("source").to_pylist()) for i, s in enumerate(SPLITS)}


def test_each_source_with_enough_groups_is_split_on_its_own():
    table = _two_sources(12, 11)  # 22 groups: the last project joins the first session
    no_vectors = load_vectors(table.column("sha").to_pylist(), lambda hs: {})
    lopsided = [
        seed
        for seed in (f"seed-{i}" for i in range(30))
        if any(
            len(v) < 2
            for v in _sources_per_split(
                table, assign_splits(table, STRATA_GROUPING, no_vectors, SplitSettings(seed=seed)).codes
            ).values()
        )
    ]
    assert lopsided, "no seed leaves a split without a source: the test would prove nothing"
    settings = SplitSettings(seed=lopsided[0])
    plain = assign_splits(table, STRATA_GROUPING, no_vectors, settings)
    result = assign_splits(table, STRATA_GROUPING, no_vectors, settings, stratum="source")
    assert all(v == {"selection", "historical"} for v in _sources_per_split(table, result.codes).values())
    assert result.group_of_row.tolist() == plain.group_of_row.tolist()  # the same groups, whole
    names = pa.array([SPLITS[c] for c in result.codes])
    assert split_leaks(table.append_column("split", names), STRATA_GROUPING, lambda hs: {}, 0.95).leaks == []
    facts = result.facts(settings, STRATA_GROUPING)
    assert facts["groups_by_stratum"] == {"historical": 11, "selection": 11}  # the shared group: first by name
    assert facts["stratified"] == ["historical", "selection"] and facts["stratify_from_groups"] == 10
    assert facts["rows_by_stratum"]["validation"]["historical"] == 3  # one project (of three rows) of eleven
    assert sum(facts["share_by_stratum"][s]["selection"] for s in SPLITS) == pytest.approx(1.0, abs=1e-3)
    assert sum(sum(by.values()) for by in facts["rows_by_stratum"].values()) == table.num_rows


def test_a_source_with_too_few_groups_is_split_by_the_hash_and_the_card_warns(bank, store):
    historical = historical_table(bank, "mojo", 3)  # one project: one group, in one split only
    result = export_preference_pairs(historical, selections_table(bank, 12), context(store, bank), PROVENANCE)
    split = result.manifest["split"]
    assert split["stratified"] == [] and split["groups_by_stratum"]["historical"] == 1
    (home,) = [s for s in SPLITS if split["rows_by_stratum"][s]["historical"]]
    card = store.read_text(f"{result.key}/README.md")
    assert "| split | rows | historical (1 groups) | selection (" in card
    for s in SPLITS:
        warned = f"**Warning:** `{s}` has no `historical` rows" in card
        assert warned == (s != home), s
