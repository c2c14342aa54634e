"""A table declared with a column that can hold a person, and registered, is reached by the erasure, by its
proof and by a key rotation with no other edit: what they look for is read from the columns' roles, not a list."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from curata import catalog
from curata.erasure.context import ErasureContext
from curata.erasure.erase import erase_request
from curata.erasure.index import refresh_indexes
from curata.erasure.proof import remaining
from curata.erasure.requests import new_request
from curata.erasure.rotation import rotate_key
from curata.layout import DataRoot
from curata.privacy import PseudonymKey
from curata.sample.session_defects import SessionFiles
from curata.sessions.tables import SESSION_PEOPLE
from curata.tables import PSEUDONYM, SESSION_FOLDER, TableSpec, col, image_path
from curata.warehouse import UNPARTITIONED
from tests.conftest import PSEUDONYM_KEY
from tests.test_erasure_helpers import DAY_KEY, context

ANA_EMAIL = "ana@example.com"
ANA, BOB = PSEUDONYM_KEY.pseudonymize(ANA_EMAIL), PSEUDONYM_KEY.pseudonymize("bob@example.com")
ANA_FOLDER, BOB_FOLDER = "session-2025-01-15T10-30-45-123Z", "session-2025-01-15T11-00-00-000Z"

# Unpartitioned, found by pseudonym only: erasure rewrites it in place.
NOTES = TableSpec(
    "test_session_notes",
    "A note per person (declared by this test only).",
    (col("user_pseudonym", pa.string(), "whose note", PSEUDONYM), col("note", pa.string(), "the note")),
)
# One partition per day, found by folder and by image path: erasure rewrites the person's days.
THUMBNAILS = TableSpec(
    "test_session_thumbnails",
    "A thumbnail per session image (declared by this test only).",
    (
        col("session_folder", pa.string(), "the folder", SESSION_FOLDER),
        col("thumbnail_path", pa.string(), "the thumbnail, inside the folder", image_path()),
    ),
    SESSION_PEOPLE.partitioned_by,
)
ROWS = {
    NOTES: [{"user_pseudonym": ANA, "note": "ana's"}, {"user_pseudonym": BOB, "note": "bob's"}],
    THUMBNAILS: [
        {"session_folder": ANA_FOLDER, "thumbnail_path": f"sessions/{ANA_FOLDER}/thumb.jpg"},
        {"session_folder": "another-copy", "thumbnail_path": f"sessions/{ANA_FOLDER}/copy.jpg"},
        {"session_folder": BOB_FOLDER, "thumbnail_path": f"sessions/{BOB_FOLDER}/thumb.jpg"},
    ],
}
PARTITION = {NOTES: UNPARTITIONED, THUMBNAILS: DAY_KEY}  # as the warehouse lists them


@pytest.fixture
def people(root: DataRoot) -> ErasureContext:
    """Two people's sessions in `session_people` and the indexes: what a request finds them by."""
    ctx = context(root)
    rows = [
        {"session_folder": f, "partition_date": DAY_KEY, "outcome": "accepted", "user_pseudonym": p}
        for f, p in ((ANA_FOLDER, ANA), (BOB_FOLDER, BOB))
    ]
    ctx.warehouse.write(SESSION_PEOPLE.name, SESSION_PEOPLE.from_rows(rows), DAY_KEY)
    refresh_indexes(ctx.warehouse)
    return ctx


def register(monkeypatch: pytest.MonkeyPatch, spec: TableSpec) -> None:
    monkeypatch.setattr(catalog, "SPECS", (*catalog.SPECS, spec))
    monkeypatch.setitem(catalog.TABLES, spec.name, spec)


@pytest.mark.parametrize("spec", [NOTES, THUMBNAILS], ids=lambda spec: spec.name)
def test_a_registered_table_with_a_role_column_is_erased_and_proven_clean(
    people: ErasureContext, monkeypatch: pytest.MonkeyPatch, spec: TableSpec
) -> None:
    ctx, partition = people, PARTITION[spec]
    register(monkeypatch, spec)
    ctx.warehouse.write(spec.name, spec.from_rows(ROWS[spec]), partition)
    request = new_request(ctx.store, pseudonym=ANA, key_id=PSEUDONYM_KEY.key_id)

    entry = erase_request(ctx, request.id)

    left = ctx.warehouse.read(spec.name, partition).to_pylist()
    assert left == [r for r in ROWS[spec] if BOB in r.values() or BOB_FOLDER in r.values()]
    assert entry["removed"]["tables"][spec.name] == {partition: len(ROWS[spec]) - 1}
    assert remaining(ctx) == []


@pytest.mark.parametrize("spec", [NOTES, THUMBNAILS], ids=lambda spec: spec.name)
def test_the_proof_names_a_registered_table_that_still_holds_an_erased_person(
    people: ErasureContext, monkeypatch: pytest.MonkeyPatch, spec: TableSpec
) -> None:
    ctx, partition = people, PARTITION[spec]
    register(monkeypatch, spec)
    erase_request(ctx, new_request(ctx.store, pseudonym=ANA, key_id=PSEUDONYM_KEY.key_id).id)
    assert remaining(ctx) == []

    ctx.warehouse.write(spec.name, spec.from_rows(ROWS[spec]), partition)

    assert remaining(ctx) == [f"{spec.name}[{partition}]: {len(ROWS[spec]) - 1} row(s) of erased people"]


def test_a_rotation_rekeys_a_registered_table_with_a_pseudonym_column(
    root: DataRoot, make_session: Callable[..., SessionFiles], monkeypatch: pytest.MonkeyPatch
) -> None:
    register(monkeypatch, NOTES)
    make_session(email=ANA_EMAIL)  # ana's email is still in a session's metadata; bob's is nowhere
    ctx = context(root)
    ctx.warehouse.write(NOTES.name, NOTES.from_rows(ROWS[NOTES]))
    new = PseudonymKey(b"another-pseudonym-key-0123456789")

    summary = rotate_key(ctx, new)

    ana, bob = ROWS[NOTES]
    assert ctx.warehouse.read(NOTES.name).to_pylist() == [ana | {"user_pseudonym": new.pseudonymize(ANA_EMAIL)}, bob]
    assert summary["tables"][NOTES.name] == {"rows_rekeyed": 1, "rows_left_with_the_old_key": 1}
