import json

from curata.sessions.training_log import audit_training_log, count_log_lines

ACCEPTED = {"session-a": ("2025-01-15T10:30:45.123Z", "make it modern")}
KNOWN = {"session-a", "session-b"}


def line(sid, ts="2025-01-15T10:30:45.123Z", instruction="make it modern"):
    return json.dumps({"sessionId": sid, "timestamp": ts, "instruction": instruction})


def audit(tmp_path, lines):
    log = tmp_path / "training-log.jsonl"
    log.write_text("\n".join(lines))
    result = audit_training_log(log, "sessions/training-log.jsonl", ACCEPTED, KNOWN)
    statuses = {r["line_no"]: r["status"] for r in result.lines.to_pylist()}
    rules = {int(r["record_id"].rsplit(":", 1)[1]): r["rule_id"] for r in result.quarantined.to_pylist()}
    return statuses, rules, count_log_lines(log)


def test_every_line_gets_a_status_and_bad_ones_a_rule(tmp_path):
    statuses, rules, numbers = audit(
        tmp_path,
        [
            line("session-a"),
            line("session-b"),
            "",
            line("session-zzz"),
            line("session-a"),
            '{"sessionId": "session-c", "timest',
        ],
    )
    assert statuses == {1: "consistent", 2: "pending", 4: "quarantined", 5: "quarantined", 6: "quarantined"}
    assert rules == {
        4: "training_log.no_session_folder",
        5: "training_log.duplicate_line",
        6: "training_log.malformed_line",
    }
    assert numbers == [1, 2, 4, 5, 6]


def test_disagreement_with_the_folder_is_quarantined(tmp_path):
    _, rules, _ = audit(tmp_path, [line("session-a", instruction="something else")])
    assert rules == {1: "training_log.disagrees_with_folder"}
    _, rules, _ = audit(tmp_path, [line("session-a", ts="2025-01-15T11:30:45.123Z")])
    assert rules == {1: "training_log.disagrees_with_folder"}


def test_non_object_and_binary_lines_are_malformed(tmp_path):
    log = tmp_path / "training-log.jsonl"
    log.write_bytes(b"[1, 2]\n\xff\xfe\n")
    result = audit_training_log(log, "x", ACCEPTED, KNOWN)
    assert [r["rule_id"] for r in result.quarantined.to_pylist()] == ["training_log.malformed_line"] * 2


def test_an_enormous_line_is_measured_not_loaded_and_later_lines_survive(tmp_path):
    log = tmp_path / "training-log.jsonl"
    with open(log, "wb") as handle:
        handle.write(b'{"sessionId": "' + b"x" * (5 << 20) + b'"}\n')
        handle.write(line("session-a").encode() + b"\n")
    result = audit_training_log(log, "x", ACCEPTED, KNOWN)
    assert [r["rule_id"] for r in result.quarantined.to_pylist()] == ["training_log.malformed_line"]
    assert {r["line_no"]: r["status"] for r in result.lines.to_pylist()} == {1: "quarantined", 2: "consistent"}
    assert count_log_lines(log) == [1, 2]
