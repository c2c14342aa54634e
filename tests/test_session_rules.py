"""Each session rule with an input that breaks it, and the clean case that passes them all."""

import os
import time

import pytest

from curata import rules
from curata.images import ImageLimits
from curata.sample.session_defects import SESSION_DEFECTS
from curata.sessions.validate import DEFAULT_LIMITS, Limits, validate_session
from tests.conftest import PSEUDONYM_KEY


def run(root, folder, **limits):
    """Validates as if the folder had settled: the defects just written are hours old by then."""
    settled_now = time.time() + 3600
    return validate_session(folder, data_root=root.root, key=PSEUDONYM_KEY, now=settled_now, limits=Limits(**limits))


def test_clean_session_is_accepted_with_relative_paths_and_pseudonym(root, make_session):
    files = make_session()
    outcome = run(root, files.folder)
    assert outcome.status == "accepted", outcome.violations
    row = outcome.accepted
    assert row["original_path"] == f"sessions/{files.folder.name}/{files.original.name}"
    assert (row["original_width"], row["original_height"]) == (160, 120)
    assert row["user_pseudonym"] == PSEUDONYM_KEY.pseudonymize("ana@example.com")
    assert "ana@example.com" not in str(row)


def test_anonymous_user_has_no_pseudonym(root, make_session):
    outcome = run(root, make_session(email="anonymous").folder)
    assert outcome.status == "accepted"
    assert outcome.accepted["user_pseudonym"] is None


@pytest.mark.parametrize("defect", sorted(SESSION_DEFECTS))
def test_each_generator_defect_is_quarantined_under_its_rule(root, make_session, defect):
    files = make_session()
    expected_rule = SESSION_DEFECTS[defect](files)
    outcome = run(root, files.folder)
    assert outcome.status == "quarantined"
    violation = outcome.violations[0]
    assert violation.rule.id == expected_rule
    assert violation.file and violation.detail and violation.rule.hint


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"originalFilename": "/etc/passwd"}, rules.PATH_ESCAPES),
        ({"originalFilename": "..\\..\\x.jpg"}, rules.PATH_ESCAPES),
        ({"originalFilename": "sub/x.jpg"}, rules.PATH_ESCAPES),
        ({"originalSize": True}, rules.FIELD_TYPE),
        ({"userEmail": 42}, rules.FIELD_TYPE),
        ({"timestamp": "yesterday"}, rules.FIELD_TYPE),
        ({"instruction": None}, rules.FIELD_TYPE),
    ],
)
def test_hostile_or_mistyped_metadata(root, make_session, changes, rule):
    files = make_session()
    files.write_meta({**files.meta(), **changes})
    assert run(root, files.folder).violations[0].rule is rule


def test_invalid_email_is_not_echoed_in_the_quarantine_detail(root, make_session):
    files = make_session(email="secret-person at example")
    violation = run(root, files.folder).violations[0]
    assert violation.rule is rules.EMAIL_INVALID
    assert "secret-person" not in violation.detail


def test_metadata_that_is_not_utf8_is_unparseable(root, make_session):
    files = make_session()
    files.metadata.write_bytes(b"\xff\xfe{not json")
    assert run(root, files.folder).violations[0].rule is rules.METADATA_UNPARSEABLE


def test_file_over_the_byte_limit_is_refused_before_reading(root, make_session):
    files = make_session()
    assert run(root, files.folder, image=ImageLimits(max_bytes=1000)).violations[0].rule is rules.FILE_TOO_LARGE


def test_symlink_inside_the_folder_is_allowed(root, make_session):
    files = make_session()
    real = files.folder / "real.jpg"
    files.original.rename(real)
    os.symlink(real.name, files.original)
    assert run(root, files.folder).status == "accepted"


def test_folder_still_being_written_is_deferred_then_accepted_once_settled(root, make_session):
    files = make_session(settled=False)
    files.edited.unlink()
    now = time.time()
    first = validate_session(files.folder, data_root=root.root, key=PSEUDONYM_KEY, now=now)
    assert first.status == "deferred" and not first.violations
    files.edited.write_bytes(files.original.read_bytes())
    files.write_meta({**files.meta(), "reimaginedSize": files.original.stat().st_size})
    later = validate_session(files.folder, data_root=root.root, key=PSEUDONYM_KEY, now=time.time() + 3600)
    assert later.status == "accepted"


def test_symlinked_session_folder_is_quarantined_and_listed(root, make_session, tmp_path):
    from curata.sessions.inventory import list_session_folders

    outside = make_session().folder.rename(tmp_path / "elsewhere")
    link = root.sessions / "session-2025-01-15T10-30-45-123Z"
    os.symlink(outside, link)
    dangling = root.sessions / "session-2025-01-15T11-00-00-000Z"
    os.symlink(root.root / "nowhere", dangling)
    assert len(list_session_folders(root.sessions, DEFAULT_LIMITS.max_metadata_bytes)) == 2
    assert run(root, link).violations[0].rule is rules.LINK_OUTSIDE_ROOT  # tests/test_links.py has the rest
    assert run(root, dangling).violations[0].rule is rules.FOLDER_IS_LINK


def test_unreadable_file_is_quarantined_not_raised(root, make_session, monkeypatch):
    files = make_session()
    real_read = type(files.original).read_bytes

    def failing(path):
        if path.name.startswith("reimagined"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(type(files.original), "read_bytes", failing)
    violation = run(root, files.folder).violations[0]
    assert violation.rule is rules.IMAGE_UNREADABLE
    assert violation.file.endswith(files.edited.name)
    assert "Permission denied" in violation.detail
