import pytest

from curata.privacy import PseudonymKey, PseudonymKeyError, is_email
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
    key, other = PseudonymKey.from_secret("k" * 16), PseudonymKey.from_secret("j" * 16)
    assert key.pseudonymize("Ana@Example.com ") == key.pseudonymize("ana@example.com")
    assert key.pseudonymize("ana@example.com") != other.pseudonymize("ana@example.com")
    assert key.pseudonymize("anonymous") is None and key.pseudonymize(None) is None
    assert key.key_id != other.key_id and "k" * 16 not in key.key_id + repr(key)


@pytest.mark.parametrize("secret", ["short", " " * 16, "\t" * 20, " abc " * 3])
def test_a_short_or_blank_key_is_refused(secret):
    with pytest.raises(PseudonymKeyError, match="at least 16 non-blank"):
        PseudonymKey.from_secret(secret)


@pytest.mark.parametrize(("value", "ok"), [("a@b.co", True), ("a at b", False), ("a@b", False), ("@b.co", False)])
def test_is_email(value, ok):
    assert is_email(value) is ok
