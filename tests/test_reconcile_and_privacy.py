import pytest

from curata.privacy import is_email, pseudonymize
from curata.reconcile import reconcile


def test_reconcile_passes_when_every_input_has_one_outcome():
    rec = reconcile(["a", "b", "c"], {"accepted": ["a"], "quarantined": ["b"], "deferred": ["c"]})
    assert rec.ok and rec.outcomes == {"accepted": 1, "quarantined": 1, "deferred": 1}


def test_reconcile_names_lost_invented_and_double_counted_records():
    rec = reconcile(["a", "b", "c"], {"accepted": ["a", "x"], "quarantined": ["a"]})
    assert not rec.ok
    assert rec.missing == ["b", "c"]
    assert rec.unexpected == ["x"]
    assert rec.in_two_outcomes == ["a"]
    assert "lost" in rec.describe()


def test_lost_and_invented_records_do_not_cancel_out():
    assert not reconcile(["a", "b"], {"accepted": ["a", "z"]}).ok


def test_pseudonyms_are_keyed_normalised_and_none_for_anonymous():
    key = b"k" * 16
    assert pseudonymize("Ana@Example.com ", key) == pseudonymize("ana@example.com", key)
    assert pseudonymize("ana@example.com", key) != pseudonymize("ana@example.com", b"j" * 16)
    assert pseudonymize("anonymous", key) is None and pseudonymize(None, key) is None


@pytest.mark.parametrize(("value", "ok"), [("a@b.co", True), ("a at b", False), ("a@b", False), ("@b.co", False)])
def test_is_email(value, ok):
    assert is_email(value) is ok
