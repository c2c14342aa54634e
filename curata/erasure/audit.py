"""The audit log: one entry per completed request (when, which pseudonym, what was removed where, by which run).

Entries live in the store (`erasure/audit/<id>.json`); the `erasure_audit` asset shows them as a table.
"""

from __future__ import annotations

import json

from curata.erasure.store_keys import AUDIT, audit_key
from curata.storage import Store


def write_audit(store: Store, entry: dict) -> dict:
    store.write_text(audit_key(entry["request_id"]), json.dumps(entry, indent=1, sort_keys=True, default=str))
    return entry


def read_audit(store: Store, request_id: str) -> dict | None:
    key = audit_key(request_id)
    return json.loads(store.read_text(key)) if store.exists(key) else None


def audit_entries(store: Store) -> list[dict]:
    """Every entry, oldest first."""
    names = sorted(n for n in store.children(AUDIT) if n.endswith(".json"))
    return [json.loads(store.read_text(f"{AUDIT}/{n}")) for n in names]


def counts(entry: dict) -> dict[str, int]:
    """What one entry removed, counted per place."""
    removed = entry["removed"]
    return {
        "sessions": len(entry["found"]["sessions"]),
        "hot_folders": len(removed["hot_folders"]),
        "archives_rewritten": sum(a["status"] != "unchanged" for a in removed["archives"].values()),
        "table_rows": sum(n for parts in removed["tables"].values() for n in parts.values()),
        "log_lines": removed["training_log"]["lines"],
        "curation_rows": removed["curation"]["rows"],
        "project_pairs": sum(p["pairs"] for p in removed["projects"].values()),
        "vectors": sum(removed["embedding_store"].values()),
        "export_versions": len(removed["exports"]),
        "input_files": len(removed["curation"]["files_removed"])
        + sum(len(p["files_removed"]) for p in removed["projects"].values()),
    }


def audit_markdown(entries: list[dict]) -> str:
    """The audit log as a table a person reads in the UI; object keys of rewritten archives and export versions."""
    head = (
        "| request | requested | completed | pseudonym | sessions | hot folders | archives | table rows | log lines "
        "| curation rows | project pairs | vectors | export versions | input files | run |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for e in entries:
        c = counts(e)
        archives = ", ".join(f"`{a['new_key'] or a['old_key']}`" for a in e["removed"]["archives"].values()) or "-"
        exports = ", ".join(_replaced(x) for x in e["removed"]["exports"]) or "-"
        rows.append(
            f"| {e['request_id']} | {e['requested_at'][:19]} | {e['completed_at'][:19]} | "
            f"`{e['pseudonym'] or 'by session id'}` | {c['sessions']} | {c['hot_folders']} | {archives} | "
            f"{c['table_rows']} | {c['log_lines']} | {c['curation_rows']} | {c['project_pairs']} | {c['vectors']} | "
            f"{exports} | {c['input_files']} | {e['run_id'] or '-'} |"
        )
    return "\n".join([head, *rows]) if rows else "No erasure request has completed yet."


def _replaced(record: dict) -> str:
    then = f"`{record['replaced_by']}`" if record["replaced_by"] else "withdrawn"
    return f"`{record['dataset']}/{record['version']}` -> {then}"
