"""Every table is declared once: the declarations, the docs and the IO manager's schema metadata agree."""

from pathlib import Path

from curata.catalog import SPECS, TABLES
from curata.tables import column_doc, render_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "tables.md"


def test_docs_are_rendered_from_the_declarations():
    assert DOCS.read_text() == render_markdown(list(SPECS)), "regenerate: python -m curata.catalog > docs/tables.md"


def test_every_column_says_what_it_means_and_names_are_unique():
    assert len(TABLES) == len(SPECS)
    for spec in SPECS:
        assert spec.description, spec.name
        assert len({f.name for f in spec.columns}) == len(spec.columns), spec.name
        assert all(column_doc(f) for f in spec.columns), spec.name
