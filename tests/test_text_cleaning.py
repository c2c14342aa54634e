"""Instruction and caption cleaning: one normal form, the raw text kept beside it, text that is no text refused."""

import json
import time
import unicodedata

import pyarrow as pa
import pytest

from curata import rules
from curata.export.edit_triplets import export_edit_triplets
from curata.export.preference_pairs import pair_table
from curata.export.versioned import Provenance
from curata.quarantine import quarantine_row
from curata.sessions.batch import SESSION_RECORD, nothing_elsewhere, validate_partition
from curata.sessions.training_log import audit_training_log
from curata.sessions.validate import validate_session
from curata.text import caption_text, clean_text, text_fault
from tests.conftest import DAY, PSEUDONYM_KEY, later
from tests.test_export_support import context, historical_table, selections_table, sessions_table

DECOMPOSED = "cafe\u0301"  # e + combining acute: two code points
COMPOSED = "caf\u00e9"


def test_nfc_joins_decomposed_characters():
    assert clean_text(f"paint the {DECOMPOSED} blue") == f"paint the {COMPOSED} blue"
    assert unicodedata.is_normalized("NFC", clean_text(DECOMPOSED))


def test_every_run_of_whitespace_becomes_one_space_and_the_ends_are_stripped():
    assert clean_text(" \tmake\u00a0 it\n\nmodern\r\n  ") == "make it modern"
    assert clean_text("make\u2003it\u3000modern") == "make it modern"  # em space, ideographic space


def test_case_and_punctuation_are_kept():
    assert clean_text("Make It MODERN, please!") == "Make It MODERN, please!"


REAL = ["make it modern farmhouse style", "Paint the door red.", "变成现代风格", "add 2 trees"]


@pytest.mark.parametrize("text", REAL)
def test_real_text_is_accepted_unchanged(text):
    assert clean_text(text) == text
    assert text_fault(text) is None


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", rules.INSTRUCTION_EMPTY),
        (" \n\t\u00a0", rules.INSTRUCTION_EMPTY),
        ("test", rules.INSTRUCTION_PLACEHOLDER),
        ("  TEST ", rules.INSTRUCTION_PLACEHOLDER),
        ("asdf", rules.INSTRUCTION_PLACEHOLDER),
        ("Qwerty!", rules.INSTRUCTION_PLACEHOLDER),
        ("lorem   ipsum", rules.INSTRUCTION_PLACEHOLDER),
        ("N/A", rules.INSTRUCTION_PLACEHOLDER),
        ("todo", rules.INSTRUCTION_PLACEHOLDER),
        ("placeholder", rules.INSTRUCTION_PLACEHOLDER),
        ("\U0001f3e0", rules.INSTRUCTION_NO_WORDS),  # a lone emoji
        ("\U0001f44d\U0001f3fd", rules.INSTRUCTION_NO_WORDS),  # an emoji with its skin-tone modifier
        ("?!...", rules.INSTRUCTION_NO_WORDS),
        ("make it\x00 modern", rules.INSTRUCTION_CONTROL),
        ("make it \x1b[31mred", rules.INSTRUCTION_CONTROL),
    ],
)
def test_text_that_is_no_text_is_refused_with_its_rule(raw, rule):
    fault = text_fault(clean_text(raw))
    assert fault is not None and fault[0] is rule
    assert rule.id in rules.RULES.rules and rule.hint


def test_a_placeholder_word_inside_real_text_is_real_text():
    assert text_fault(clean_text("test a modern facade")) is None


def test_captions_are_cleaned_and_none_is_never_invented():
    assert caption_text(f"  a {DECOMPOSED}\n door ") == f"a {COMPOSED} door"
    assert [caption_text(t) for t in (None, "", "asdf", "\U0001f3e0")] == [None] * 4


# -- sessions -------------------------------------------------------------------------------------------------
def settled(root, folder):
    return validate_session(folder, data_root=root.root, key=PSEUDONYM_KEY, now=time.time() + 3600)


def test_accepted_session_keeps_the_raw_instruction_beside_the_cleaned_one(root, make_session):
    raw = f"\tMake it a {DECOMPOSED}\u00a0 front \n"
    outcome = settled(root, make_session(instruction=raw).folder)
    assert outcome.status == "accepted", outcome.violations
    assert outcome.accepted["instruction"] == f"Make it a {COMPOSED} front"
    assert outcome.accepted["instruction_raw"] == raw


def test_a_placeholder_session_is_quarantined_with_the_rule_the_file_and_the_hint(root, make_session):
    files = make_session(instruction="  Test ")
    outcome = settled(root, files.folder)
    assert outcome.status == "quarantined"
    row = quarantine_row(SESSION_RECORD, files.folder.name, "2025-01-15", outcome.violations[0])
    assert row["rule_id"] == "session.instruction_placeholder"
    assert row["file"] == f"sessions/{files.folder.name}/{files.metadata.name}"
    assert "'Test' is placeholder text" in row["detail"]
    assert row["hint"] == rules.INSTRUCTION_PLACEHOLDER.hint


def test_two_spellings_of_one_instruction_are_one_duplicate(root, make_session):
    first = make_session(ts=later(0), instruction="make it modern")
    second = make_session(ts=later(5), instruction="  make  it\nmodern ")  # same images (seed), same text
    result = validate_partition(
        root.sessions,
        [first.folder.name, second.folder.name],
        "2025-01-15",
        data_root=root.root,
        key=PSEUDONYM_KEY,
        accepted_elsewhere=nothing_elsewhere,
        now=time.time() + 3600,
    )
    assert result.accepted.column("session_folder").to_pylist() == [first.folder.name]
    assert result.quarantined.column("rule_id").to_pylist() == ["session.duplicate_content"]


def test_the_log_audit_compares_cleaned_text(tmp_path):
    log = tmp_path / "training-log.jsonl"
    stamp = DAY.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    lines = [
        {"sessionId": "session-a", "timestamp": stamp, "instruction": f"paint\u00a0the  {DECOMPOSED}\n"},
        {"sessionId": "session-b", "timestamp": stamp, "instruction": "paint the house"},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines))
    accepted = {"session-a": (stamp, f"paint the {COMPOSED}"), "session-b": (stamp, "Paint the house")}
    audit = audit_training_log(log, "sessions/training-log.jsonl", accepted, set(accepted))
    assert audit.lines.column("status").to_pylist() == ["consistent", "quarantined"]  # case is kept, so it differs
    assert audit.quarantined.column("rule_id").to_pylist() == ["training_log.disagrees_with_folder"]


# -- exports --------------------------------------------------------------------------------------------------
def test_edit_triplets_export_the_cleaned_and_raw_text_and_the_card_counts_the_changes(bank, store):
    sessions = sessions_table(bank, list(range(6)))
    raw = sessions.column("instruction_raw").to_pylist()
    raw[1], raw[4] = f"  {raw[1]}", raw[4].replace(" ", "\n", 1)
    sessions = sessions.set_column(
        sessions.schema.get_field_index("instruction_raw"), "instruction_raw", pa.array(raw, pa.string())
    )
    result = export_edit_triplets(sessions, context(store, bank), Provenance({"validated_sessions": ["2025-01-15"]}))
    manifest = json.loads(store.read_text(f"{result.key}/manifest.json"))
    assert manifest["instructions_cleaned"] == 2
    assert "Cleaning changed 2 of 6 instructions" in store.read_text(f"{result.key}/README.md")
    card = store.read_text(f"{result.key}/README.md")
    assert "`session.instruction_placeholder`" in card and "`session.instruction_no_words`" in card


def test_preference_captions_are_cleaned_and_placeholders_dropped(bank):
    selections = selections_table(bank, 3)
    selections = selections.append_column("prompt", pa.array([f" a {DECOMPOSED}\tdoor", "asdf", "\U0001f3e0"]))
    pairs = pair_table(historical_table(bank, "mojo", 0), selections)
    assert pairs.column("caption").to_pylist() == [f"a {COMPOSED} door"] * 2 + [None] * 4
