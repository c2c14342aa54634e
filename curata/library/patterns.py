"""Seed 001's category and description patterns: per tag, example descriptions, companions and typical words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from curata.library.cooccurrence import TagCooccurrence
from curata.library.tables import DESCRIPTION_PATTERNS
from curata.library.tag_index import TagIndex

COMMON_TAGS = 20  # `common_tags` of category_patterns.json
PATTERN_TAGS = 100  # tags (most frequent first) that get example descriptions
PATTERN_EXAMPLES = 5  # example descriptions per tag
COMMON_WORDS = 5  # `common_words` per tag
MIN_WORD_IMAGES = 2  # a typical word appears in at least this many of the tag's descriptions
WORD_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"  # words of 3+ letters; English stop words are dropped too


def category_patterns(images: pa.Table, cooc: TagCooccurrence) -> dict:
    """category_patterns.json: the commonest tags, example descriptions per tag, and related tags by lift."""
    index = cooc.index
    counts = cooc.counts_table()
    common = [[t, c] for t, c in zip(counts["tag"].to_pylist(), counts["count"].to_pylist(), strict=True)]
    descriptions = images.column("description")
    order = np.lexsort((index.image_of, index.codes))  # entries by tag, then by image
    codes, holders = index.codes[order], index.image_of[order]
    patterns: dict[str, list[dict]] = {}
    for tag in counts["tag"].to_pylist()[:PATTERN_TAGS]:
        code = index.code_of(tag)
        start, end = np.searchsorted(codes, [code, code + 1])
        patterns[tag] = [
            {"description": descriptions[i].as_py(), "other_tags": [t for t in index.image_tags(i) if t != tag]}
            for i in holders[start : min(end, start + PATTERN_EXAMPLES)].tolist()
        ]
    return {"common_tags": common[:COMMON_TAGS], "patterns": patterns, "related_tags": cooc.related()}


def tag_matrix(index: TagIndex) -> sparse.csr_matrix:
    """(images, tags) incidence matrix, 1 where the image carries the tag."""
    data = np.ones(len(index.codes), dtype=np.float32)
    return sparse.csr_matrix((data, index.codes, index.offsets), shape=(index.n_images, index.n_tags))


def description_patterns(images: pa.Table, index: TagIndex) -> pa.Table:
    """library_description_patterns: per tag, its count, typical words and mean description length.

    A word is typical of a tag when it is frequent among the tag's descriptions and rarer elsewhere:
    score = images(tag, word) * lift(tag, word), among words in MIN_WORD_IMAGES+ of them.
    """
    descriptions = images.column("description").to_pylist()
    texts = [f"{d} {dd}" for d, dd in zip(descriptions, images.column("detailed_description").to_pylist(), strict=True)]
    entries = pd.DataFrame({"tag": index.codes, "length": np.array([len(d) for d in descriptions])[index.image_of]})
    per_tag = entries.groupby("tag")["length"].agg(["count", "mean"])
    words = _typical_words(texts, index, per_tag["count"])
    return pa.Table.from_pydict(
        {
            "tag": index.tags[per_tag.index].tolist(),
            "count": per_tag["count"].to_numpy(),
            "common_words": [words.get(code, []) for code in per_tag.index],
            "avg_length": per_tag["mean"].round(1).to_numpy(),
        },
        schema=DESCRIPTION_PATTERNS.schema,
    )


def _typical_words(texts: list[str], index: TagIndex, tag_counts: pd.Series) -> dict[int, list[str]]:
    vectorizer = CountVectorizer(binary=True, stop_words="english", token_pattern=WORD_PATTERN)
    try:
        has_word = vectorizer.fit_transform(texts)
    except ValueError:  # no description has a single word
        return {}
    together = (tag_matrix(index).T @ has_word).tocoo()  # (tags, words): images with both
    word_images = np.asarray(has_word.sum(axis=0)).ravel()
    pairs = pd.DataFrame({"tag": together.row, "word": together.col, "n": together.data.astype(np.int64)})
    pairs["tag_images"] = tag_counts.reindex(pairs["tag"]).to_numpy()
    pairs = pairs[pairs["n"] >= np.minimum(MIN_WORD_IMAGES, pairs["tag_images"])]
    lift = pairs["n"] * index.n_images / (pairs["tag_images"] * word_images[pairs["word"]])
    pairs = pairs.assign(score=pairs["n"] * lift, text=vectorizer.get_feature_names_out()[pairs["word"]])
    top = pairs.sort_values(["tag", "score", "text"], ascending=[True, False, True]).groupby("tag").head(COMMON_WORDS)
    return top.groupby("tag")["text"].agg(list).to_dict()


def description_patterns_json(table: pa.Table) -> dict:
    """description_patterns.json: {tag: {count, common_words, avg_length}}, most frequent tag first."""
    rows = sorted(table.to_pylist(), key=lambda r: (-r["count"], r["tag"]))
    return {r.pop("tag"): r for r in rows}
