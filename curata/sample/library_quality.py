"""The library analyses against a generator's planted truth: record outcomes, synonym groups, tag suggestions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curata.library.cooccurrence import tag_cooccurrence
from curata.library.suggestions import SUGGESTIONS, suggest_tags
from curata.library.synonyms import SynonymGroups, synonym_groups
from curata.library.tag_index import TagIndex

HIDDEN_TAG_SEED = 0


def record_mismatches(truth: dict, images: pa.Table, quarantined: pa.Table, faces: pa.Table) -> list[str]:
    """Every record whose outcome, rule or tags differ from the truth, and every face not where it should be."""
    got: dict[str, tuple] = {r["record_id"]: ("accepted", None, r["tags"]) for r in images.to_pylist()}
    got.update({q["record_id"]: ("quarantined", q["rule_id"], None) for q in quarantined.to_pylist()})
    problems = []
    for record in truth["records"]:
        expected = (record["expected"], record["rule"], record.get("tags"))
        actual = got.pop(record["record_id"], ("missing", None, None))
        if actual != expected:
            problems.append(f"{record['record_id']} ({record['defect'] or 'clean'}): expected {expected}, got {actual}")
    problems += [f"{k}: not in the ground truth, got {v}" for k, v in got.items()]
    face_ids = set(faces.column("face_id").to_pylist())
    planted = set(truth["faces"])
    problems += [f"face {f}: planted, not read" for f in sorted(planted - face_ids)]
    problems += [f"face {f}: read, not planted" for f in sorted(face_ids - planted)]
    return problems


def synonym_quality(planted: list[list[str]], found: SynonymGroups) -> dict:
    """Recall and precision over tag pairs: a pair is right when both tags share a planted group."""
    truth = {frozenset((a, b)) for g in planted for i, a in enumerate(g) for b in g[i + 1 :]}
    pairs = found.pairs()
    hits = len(truth & pairs)
    return {
        "planted_pairs": len(truth),
        "found_pairs": len(pairs),
        "recall": hits / len(truth) if truth else 1.0,
        "precision": hits / len(pairs) if pairs else 1.0,
    }


def hidden_tag_hit_rates(index: TagIndex, k: int = SUGGESTIONS, seed: int = HIDDEN_TAG_SEED) -> dict:
    """Hide one tag of every image with 2+ tags, learn from the rest, and count how often the top `k`
    suggestions contain it, against suggesting the `k` most common tags the image does not have."""
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero(index.lengths >= 2)
    hidden = index.offsets[eligible] + (rng.random(len(eligible)) * index.lengths[eligible]).astype(np.int64)
    keep = np.ones(len(index.codes), dtype=bool)
    keep[hidden] = False
    cooc = tag_cooccurrence(index.keep(keep))
    rates = {}
    for name, baseline in (("hit_rate", False), ("baseline_hit_rate", True)):
        codes = suggest_tags(cooc, k, baseline=baseline).codes[eligible]
        rates[name] = float((codes == index.codes[hidden][:, None]).any(axis=1).mean()) if len(eligible) else 0.0
    return {"images": len(eligible), "k": k, **rates}


def library_quality(truth: dict, images: pa.Table) -> dict:
    """The quality figures the demo and the benchmark report."""
    index = TagIndex.from_table(images)
    found = synonym_groups(tag_cooccurrence(index))
    return {"synonyms": synonym_quality(truth["synonym_groups"], found), "suggestions": hidden_tag_hit_rates(index)}
