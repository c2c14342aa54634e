"""Every tag and description analysis of the accepted library, computed once, as the seed's documents and as tables.

A thin convenience for the pipeline and the demo; each analysis is also usable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from curata.library.cooccurrence import TagCooccurrence, tag_cooccurrence
from curata.library.patterns import category_patterns, description_patterns, description_patterns_json
from curata.library.report import training_report
from curata.library.suggestions import TagSuggestions, improved_descriptions, suggest_tags
from curata.library.synonyms import SynonymGroups, synonym_groups
from curata.library.tables import DESCRIPTION_PATTERNS, SYNONYM_GROUPS, TAG_COUNTS, TAG_PAIRS, TAG_SUGGESTIONS
from curata.library.tag_index import TagIndex

PATTERNS_SUMMARY = (
    "What the tagged photo library teaches: tag counts and co-occurrence (lift, PMI), description patterns, "
    "synonym groups, tag suggestions per image, face clusters with their contact sheets, and the training report. "
    "The JSON documents keep the shapes of the photo library's own analyses (`category_patterns`, "
    "`description_patterns`, `face_clusters`, `search_index`, `training_report`); the same analyses are tables "
    "under `tables/`. It is a bundle of analyses, not one training dataset: load a table by its config name."
)


@dataclass(frozen=True)
class TagAnalyses:
    images: pa.Table  # library_images
    cooccurrence: TagCooccurrence
    synonyms: SynonymGroups
    suggestions: TagSuggestions
    descriptions: pa.Table  # library_description_patterns

    def tables(self) -> dict[str, pa.Table]:
        """The warehouse tables, by name."""
        return {
            TAG_COUNTS.name: self.cooccurrence.counts_table(),
            TAG_PAIRS.name: self.cooccurrence.pairs_table(),
            DESCRIPTION_PATTERNS.name: self.descriptions,
            SYNONYM_GROUPS.name: self.synonyms.table(),
            TAG_SUGGESTIONS.name: self.suggestions.table(self.images.column("id").to_pylist()),
        }

    def documents(self, quarantined: int, generated_at: str | None = None) -> dict[str, dict]:
        """The seed's JSON files, by file name (face_clusters comes from the face clustering)."""
        return {
            "category_patterns.json": category_patterns(self.images, self.cooccurrence),
            "description_patterns.json": description_patterns_json(self.descriptions),
            "search_index.json": self.synonyms.search_index(),
            "improved_descriptions.json": improved_descriptions(self.images, self.suggestions),
            "training_report.json": training_report(self.images, self.cooccurrence, quarantined, generated_at),
        }


def analyse_tags(images: pa.Table) -> TagAnalyses:
    """Co-occurrence, synonyms, suggestions and description patterns of library_images."""
    index = TagIndex.from_table(images)
    cooc = tag_cooccurrence(index)
    synonyms = synonym_groups(cooc)
    suggestions = suggest_tags(cooc, synonyms=synonyms.groups)  # never a synonym of a tag the image has
    return TagAnalyses(images, cooc, synonyms, suggestions, description_patterns(images, index))
