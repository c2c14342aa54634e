"""The dataset's folder loads its latest version only, after each publish, rewrite and withdrawal."""

import pyarrow.compute as pc
from datasets import load_dataset

from curata.erasure.datasets import take_down
from curata.export.edit_triplets import EDIT_TRIPLETS, export_edit_triplets
from curata.export.versioned import CARD, LATEST, Provenance, dataset_key, version_names
from tests.test_export_support import context, sessions_table

PROVENANCE = Provenance({"validated_sessions": ["2025-01-15"]})
DATASET = dataset_key(EDIT_TRIPLETS.name)


def loaded_sessions(store) -> list[str]:
    ds = load_dataset(str(store.local_path(DATASET)))
    return sorted(s for split in ds.values() for s in split["session_id"])


def test_the_folder_loads_the_latest_of_two_versions_and_follows_erasure(bank, store):
    sessions = sessions_table(bank, list(range(10)))
    first = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    second = export_edit_triplets(sessions.slice(0, 8), context(store, bank), PROVENANCE)
    assert len(version_names(store, EDIT_TRIPLETS.name)) == 2
    all_ids = sorted(sessions.column("session_id").to_pylist())
    assert loaded_sessions(store) == all_ids[:8]  # not 18 rows: the older version is not mixed in
    assert store.read_text(f"{DATASET}/{LATEST}").strip() == second.version
    assert f"`{second.version}/`" in store.read_text(f"{DATASET}/{CARD}")

    gone = all_ids[0]
    take_down(store, second.key, lambda b: b.filter(pc.not_equal(b.column("session_id"), gone)), "erasure")
    (rewritten,) = [v for v in version_names(store, EDIT_TRIPLETS.name) if v != first.version]
    assert loaded_sessions(store) == all_ids[1:8]
    assert store.read_text(f"{DATASET}/{LATEST}").strip() == rewritten

    take_down(store, f"{DATASET}/{rewritten}", lambda b: b.slice(0, 0), "erasure")  # nothing left: withdrawn
    assert loaded_sessions(store) == all_ids  # the only version left is the first
    take_down(store, first.key, lambda b: b.slice(0, 0), "erasure")
    assert not store.exists(f"{DATASET}/{CARD}") and not store.exists(f"{DATASET}/{LATEST}")


def test_a_reused_export_keeps_the_pointer_and_writes_one_when_missing(bank, store):
    sessions = sessions_table(bank, list(range(6)))
    first = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    store.delete(f"{DATASET}/{CARD}")
    again = export_edit_triplets(sessions, context(store, bank), PROVENANCE)
    assert again.reused and store.read_text(f"{DATASET}/{LATEST}").strip() == first.version
    assert loaded_sessions(store) == sorted(sessions.column("session_id").to_pylist())
