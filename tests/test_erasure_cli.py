"""`curata forget` from the command line: the address never reaches a file, a table, a run's config, tags or
logs, in the data root or in the Dagster instance's storage; `--email -` keeps it off the command line too."""

from __future__ import annotations

import io

import pytest
from dagster import DagsterInstance

import cli
from curata.layout import DATA_ROOT_ENV
from curata.privacy import PSEUDONYM_KEY_ENV
from tests.conftest import KEY, later
from tests.dagster_helpers import ingest, publish
from tests.embedding_helpers import TINY
from tests.test_erasure_helpers import ANA, DAY_KEY, all_bytes_under

pytestmark = pytest.mark.e2e


@pytest.fixture
def ran(root, make_session, tmp_path, monkeypatch):
    """Two people's sessions ingested and published (embeddings, export) in the instance the commands use."""
    make_session(later(0), seed=1, email=ANA)
    make_session(later(5), seed=2, email="bob@example.com")
    make_session(later(9), seed=3, email=ANA.upper())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())
    monkeypatch.setenv(DATA_ROOT_ENV, str(root.root))  # set by the commands: restored after the test
    _, runner = cli.prepare_environment(root.root)
    defs = runner.build_definitions_for(root.root, TINY.architecture)
    with DagsterInstance.get() as instance:
        assert ingest(defs, DAY_KEY, instance).success and publish(defs, instance).success
    return root, tmp_path / "home"


def holding(address: str, *folders) -> list[str]:
    """Every file below the folders whose bytes hold the address, in any letter case."""
    needle = address.lower().encode()
    return [str(path) for path, data in all_bytes_under(*folders) if needle in data.lower()]


def test_the_address_is_written_nowhere(ran, capsys):
    root, home = ran
    assert holding(ANA, root.root) != []  # her metadata: what the search must find if it is there

    assert cli.main(["--root", str(root.root), "forget", "--email", ANA]) == 0

    out = capsys.readouterr().out
    assert "erased 2 session(s) over 1 day(s) from every tier" in out
    request_id = out.split("erasure request ", 1)[1].split()[0]
    assert holding(request_id, home)  # the run is in the instance's storage, its config and logs searched too
    assert holding(ANA, root.root, home) == []
    assert holding("bob@example.com", root.root) != []


def test_the_address_can_come_from_standard_input_and_a_second_request_finds_nothing(ran, monkeypatch, capsys):
    root, home = ran
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ANA}\n"))
    assert cli.main(["--root", str(root.root), "forget", "--email", "-"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ANA}\n"))

    assert cli.main(["--root", str(root.root), "forget", "--email", "-"]) == 0

    assert "no data found for this person" in capsys.readouterr().out
    assert holding(ANA, root.root, home) == []


def test_a_malformed_address_or_session_id_is_refused_before_anything_is_written(ran, capsys):
    root, _ = ran
    requests = root.root / "erasure" / "requests"

    assert cli.main(["--root", str(root.root), "forget", "--email", "anonymous"]) == 2
    assert cli.main(["--root", str(root.root), "forget", "--session-id", "../etc"]) == 2

    assert "not a session id" in capsys.readouterr().err
    assert not requests.exists() or not any(requests.iterdir())
