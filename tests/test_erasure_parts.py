"""The pieces an erasure is built from: the indexes, the tombstones at ingestion, the training-log rewrite,
and the pseudonym key record."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from curata import rules
from curata.erasure.index import BY_PERSON, lookup, refresh_indexes
from curata.erasure.keys import KeyChanged, check_key, complete_rotation, declare_rotation, read_key_record
from curata.erasure.log_lines import LogChanged, plan_log, renumber, rewrite_log
from curata.erasure.people import fill_missing_people
from curata.privacy import PseudonymKey
from curata.quarantine import quarantine_row, quarantine_table
from curata.rules import Violation
from curata.sessions import batch
from curata.sessions.tables import SESSION_PEOPLE, TRAINING_LOG_LINES
from curata.sessions.tombstones import Tombstones
from curata.sessions.training_log import line_record_id
from curata.sessions.validate import Limits
from curata.storage import Store
from curata.tombstones import CONTENT, PSEUDONYM, SESSION
from curata.warehouse import Warehouse
from tests.conftest import PSEUDONYM_KEY, later
from tests.dagster_helpers import warehouse_of

DAYS = [f"2025-02-{d:02d}" for d in range(1, 29)]


def pseudonym(i: int) -> str:
    return hashlib.sha256(f"person {i}".encode()).hexdigest()[:32]


def people_day(day: str, first: int, count: int) -> pa.Table:
    return SESSION_PEOPLE.from_rows(
        [
            {
                "session_folder": f"session-{day}T10-00-{i % 60:02d}-{i % 1000:03d}Z-{i}",
                "partition_date": day,
                "outcome": "accepted",
                "user_pseudonym": pseudonym(i),
                "pseudonym_key_id": "k-test",
                "original_sha256": hashlib.sha256(f"photo {i}".encode()).hexdigest(),
                "edited_sha256": hashlib.sha256(f"edit {i}".encode()).hexdigest(),
            }
            for i in range(first, first + count)
        ]
    )


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    wh = Warehouse(Store.at(tmp_path / "store"))
    for n, day in enumerate(DAYS):
        wh.write(SESSION_PEOPLE.name, people_day(day, n * 1000, 1000), day)
    refresh_indexes(wh)
    return wh


@pytest.fixture
def reads(warehouse, monkeypatch) -> list[str]:
    """Every warehouse file a lookup reads, by key."""
    seen: list[str] = []
    real = Warehouse.read_key

    def counted(self, key, columns=None, dictionary=()):
        seen.append(key)
        return real(self, key, columns, dictionary)

    monkeypatch.setattr(Warehouse, "read_key", counted)
    return seen


def test_a_lookup_reads_the_one_shard_that_can_hold_the_pseudonym(warehouse, reads):
    wanted = pseudonym(17_123)

    found = lookup(warehouse, BY_PERSON, [wanted]).to_pylist()

    assert reads == [warehouse.key(BY_PERSON.spec.name, wanted[:2])]
    assert len(warehouse.partitions(BY_PERSON.spec.name)) == 256
    everything = warehouse.read_all(BY_PERSON.spec.name).to_pylist()
    assert found == [r for r in everything if r["user_pseudonym"] == wanted] and found[0]["partition_date"] == DAYS[17]


def test_a_day_written_since_the_index_is_read_directly_until_a_refresh_merges_it(warehouse, reads):
    day = DAYS[3]
    warehouse.write(SESSION_PEOPLE.name, people_day(day, 99_000, 5), day)  # re-ingested: other folders now
    warehouse.store.delete(warehouse.key(SESSION_PEOPLE.name, DAYS[4]))

    found = lookup(warehouse, BY_PERSON, [pseudonym(99_002), pseudonym(3_002), pseudonym(4_002)])

    assert found.column("partition_date").to_pylist() == [day]  # the stale shards' rows of both days are ignored
    assert warehouse.key(SESSION_PEOPLE.name, day) in reads and len(reads) == 4  # three shards and the day
    assert refresh_indexes(warehouse) == [day]
    reads.clear()
    assert lookup(warehouse, BY_PERSON, [pseudonym(99_002)]).column("partition_date").to_pylist() == [day]
    assert reads == [warehouse.key(BY_PERSON.spec.name, pseudonym(99_002)[:2])]
    assert refresh_indexes(warehouse) == []  # up to date: nothing read


def test_days_ingested_before_the_index_existed_are_filled_from_their_tables(root, make_session, tmp_path):
    accepted = make_session(later(0), seed=1, email="ana@example.com")
    refused = make_session(later(5), seed=2, email="ana@example.com")
    result = batch.validate_partition(
        root.sessions,
        [accepted.folder.name],
        "2025-01-15",
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=batch.nothing_elsewhere,
    )
    wh = warehouse_of(root)
    wh.write("raw_sessions", pa.table({"session_folder": [accepted.folder.name, refused.folder.name]}), "2025-01-15")
    wh.write("validated_sessions", result.accepted, "2025-01-15")
    violation = Violation(rules.SIZE_MISMATCH, "x", "y")
    wh.write(
        "session_quarantine",
        quarantine_table([quarantine_row("session_folder", refused.folder.name, "2025-01-15", violation)]),
        "2025-01-15",
    )

    assert fill_missing_people(wh, root.sessions, PSEUDONYM_KEY, Limits()) == ["2025-01-15"]

    rows = {r["session_folder"]: r for r in wh.read(SESSION_PEOPLE.name, "2025-01-15").to_pylist()}
    assert {r["user_pseudonym"] for r in rows.values()} == {PSEUDONYM_KEY.pseudonymize("ana@example.com")}
    assert rows[refused.folder.name]["outcome"] == "quarantined" and rows[refused.folder.name]["edited_sha256"]


def test_ingestion_refuses_an_erased_pseudonym_image_or_folder_with_its_own_rule(root, make_session):
    ana = make_session(later(0), seed=1, email="ana@example.com")
    copy_of_erased_image = make_session(later(5), seed=2, email="bob@example.com")
    named = make_session(later(9), seed=3, email="anonymous")
    kept = make_session(later(12), seed=4, email="carol@example.com")
    erased_image = hashlib.sha256(copy_of_erased_image.edited.read_bytes()).hexdigest()
    stones = Tombstones(
        {
            PSEUDONYM: {PSEUDONYM_KEY.pseudonymize("ana@example.com"): "e1"},
            CONTENT: {erased_image: "e2"},
            SESSION: {named.folder.name: "e3"},
        }
    )
    folders = [f.folder.name for f in (ana, copy_of_erased_image, named, kept)]

    result = batch.validate_partition(
        root.sessions,
        folders,
        "2025-01-15",
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=batch.nothing_elsewhere,
        tombstones=stones,
    )

    assert result.accepted.column("session_folder").to_pylist() == [kept.folder.name]
    refused = {r["record_id"]: r for r in result.quarantined.to_pylist()}
    assert {f: r["detail"].split()[3].rstrip(";") for f, r in refused.items()} == dict(
        zip(folders[:3], ["e1", "e2", "e3"], strict=True)
    )
    assert {r["rule_id"] for r in refused.values()} == {rules.ERASED.id}
    people = {r["session_folder"]: r["outcome"] for r in result.people.to_pylist()}
    assert people == {**dict.fromkeys(folders[:3], "quarantined"), kept.folder.name: "accepted"}


def test_the_log_loses_only_the_persons_lines_and_the_audit_tables_follow(tmp_path):
    log = tmp_path / "training-log.jsonl"
    lines = [
        '\ufeff{"sessionId": "session-A"}',
        "",
        '{"sessionId": "session-B"}',
        "{broken session-A",
        '{"sessionId": "session-C"}',
    ]
    log.write_text("\n".join(lines) + "\n" + '{"sessionId": "session-A", "partial')
    plan = plan_log(log, ["session-A"])
    assert plan.removed == [1, 4, 6]
    with open(log, "a") as app:  # the app appends after the plan: kept (and the person's appended line goes)
        app.write('\n{"sessionId": "session-D"}\n{"sessionId": "session-A"}\n')

    assert rewrite_log(log, plan, ["session-A"]) == 4

    assert log.read_text().splitlines() == [
        "",
        '{"sessionId": "session-B"}',
        '{"sessionId": "session-C"}',
        '{"sessionId": "session-D"}',
    ]
    assert rewrite_log(log, plan, ["session-A"]) == 0  # done already: nothing to do
    audited = TRAINING_LOG_LINES.from_rows(
        [{"line_no": n, "session_id": s, "status": "consistent"} for n, s in ((1, "A"), (3, "B"), (5, "C"))]
    )
    quarantine = quarantine_table(
        [
            quarantine_row(
                "training_log_line", line_record_id(4), "training_log", Violation(rules.LOG_MALFORMED, "log:4", "x")
            )
        ]
    )
    new_lines, new_quarantine = renumber(audited, quarantine, plan.removed, "sessions/training-log.jsonl")
    assert new_lines.to_pylist() == [
        {"line_no": 2, "session_id": "B", "status": "consistent"},
        {"line_no": 3, "session_id": "C", "status": "consistent"},
    ]
    assert new_quarantine.num_rows == 0


def test_a_log_rewritten_in_the_middle_by_someone_else_is_planned_again(tmp_path):
    log = tmp_path / "training-log.jsonl"
    log.write_text('{"sessionId": "session-A"}\n{"sessionId": "session-B"}\n')
    plan = plan_log(log, ["session-A"])
    log.write_text('{"sessionId": "session-B"}\n{"sessionId": "session-A"}\n')  # not an append

    with pytest.raises(LogChanged):
        rewrite_log(log, plan, ["session-A"])


def test_the_store_records_the_first_key_and_a_rotation_moves_it(tmp_path):
    store = Store.at(tmp_path)
    new = PseudonymKey(b"another-key-0123456789-abcdef")
    check_key(store, PSEUDONYM_KEY)
    assert read_key_record(store).active == PSEUDONYM_KEY.key_id
    with pytest.raises(KeyChanged, match="curata rotate-key"):
        check_key(store, new)

    declare_rotation(store, PSEUDONYM_KEY, new)
    complete_rotation(store)

    assert check_key(store, new).retired[0]["key_id"] == PSEUDONYM_KEY.key_id
    with pytest.raises(KeyChanged, match="retired by a rotation"):
        check_key(store, PSEUDONYM_KEY)
    assert b"another-key" not in store.read_bytes("erasure/pseudonym-key.json")
