"""Rules of one `selection_only_log.csv` row: which image of a group a person chose, which they rejected."""

from __future__ import annotations

import json

from curata import rules
from curata.curation.paths import PathResolver
from curata.curation.refusal import check_ids, inspect_all, resolve_all
from curata.rules import Refused

SELECTION_HEADER = ["timestamp", "session_id", "set_id", "chosen_path", "neg_paths"]


def validate_selection(fields: list[str], record_id: str, where: str, resolver: PathResolver) -> dict:
    """The accepted row, or raises Refused with the rule broken; extra trailing columns are ignored."""
    if len(fields) < len(SELECTION_HEADER):
        raise Refused(rules.ROW_MALFORMED, where, f"{len(fields)} columns, need {len(SELECTION_HEADER)}")
    timestamp, session_id, set_id, chosen, neg_text = fields[:5]
    check_ids(where, session_id=session_id, set_id=set_id)
    try:
        negs = json.loads(neg_text)
    except json.JSONDecodeError as exc:
        raise Refused(rules.NEG_PATHS_MALFORMED, where, f"neg_paths {neg_text[:80]!r}: {exc.msg}") from exc
    if not isinstance(negs, list) or not all(isinstance(n, str) and n for n in negs):
        raise Refused(rules.NEG_PATHS_MALFORMED, where, f"neg_paths {neg_text[:80]!r} is not a list of paths")
    (chosen_path, *rejected), methods = resolve_all([chosen, *negs], resolver, where)
    if chosen_path in rejected:
        raise Refused(rules.CHOSEN_AMONG_REJECTED, where, f"{chosen_path} is chosen and rejected")
    chosen_facts, *rejected_facts = inspect_all([chosen_path, *rejected], resolver, where)
    return {
        "record_id": record_id,
        "timestamp": timestamp,
        "session_id": session_id,
        "set_id": set_id,
        "chosen_path": chosen_path,
        "chosen_sha256": chosen_facts.sha256,
        "rejected_paths": rejected,
        "rejected_sha256": [f.sha256 for f in rejected_facts],
        "path_methods": methods,
    }
