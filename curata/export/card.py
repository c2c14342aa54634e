"""The dataset card (`README.md`): the Hugging Face YAML header, then what a person needs to trust the data.

The header is what `datasets` reads (configs with data files per split, features, split sizes); the
text says where the rows came from, how they were validated, what was refused and why, how the
splits were made, and how to load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from curata.export.features import yaml_features
from curata.export.splits import SPLITS
from curata.rules import RULES
from curata.tables import column_doc

if TYPE_CHECKING:
    from curata.export.versioned import DatasetSpec


def render_card(spec: DatasetSpec, manifest: dict, notes: tuple[str, ...]) -> str:
    sections = [
        f"# {spec.title}\n\nVersion `{manifest['version']}`, exported by Curata {manifest['code_version']}.\n\n"
        f"{spec.summary}",
        _sources(spec, manifest),
        _validation(spec, manifest),
        _splits(manifest),
        "## Columns\n\n| column | type | meaning |\n|---|---|---|\n"
        + "\n".join(f"| `{f.name}` | {f.type} | {column_doc(f)} |" for f in spec.columns),
        _loading(spec),
    ]
    if notes:
        sections.insert(4, "## Notes\n\n" + "\n".join(f"- {n}" for n in notes))
    return f"---\n{yaml.safe_dump(_header(spec, manifest), sort_keys=False)}---\n\n" + "\n\n".join(sections) + "\n"


def _header(spec: DatasetSpec, manifest: dict) -> dict:
    split_bytes = manifest["split_num_bytes"]  # only splits with rows: those have a file
    files = manifest["files"]
    return {
        "pretty_name": spec.title,
        "tags": ["curata"],
        "configs": [
            {"config_name": "default", "data_files": [{"split": s, "path": f"data/{s}-*"} for s in split_bytes]}
        ],
        "dataset_info": {
            "features": yaml_features(spec.schema),
            "splits": [
                {"name": s, "num_bytes": n, "num_examples": manifest["rows"][s]} for s, n in split_bytes.items()
            ],
            "download_size": sum(f["bytes"] for f in files.values()),
            "dataset_size": sum(split_bytes.values()),
        },
    }


def _sources(spec: DatasetSpec, manifest: dict) -> str:
    return f"## Where the data came from\n\n{spec.sources}\n\nRead from the warehouse tables:\n\n" + _partition_lines(
        manifest
    )


def _partition_lines(manifest: dict) -> str:
    """One line per source table: how many partitions were read, and their span."""
    sources = manifest["source_partitions"].items()
    return "\n".join(f"- `{table}`: {len(parts)} partitions ({_span(parts)})" for table, parts in sources)


def _refused_table(refused: dict[str, int]) -> str:
    """The records each rule refused, with what the rule refuses; a sentence when none was."""
    if not refused:
        return "No record was refused."
    return "| rule | records refused | what it refuses |\n|---|---|---|\n" + "\n".join(
        f"| `{rule}` | {n} | {_summary(rule)} |" for rule, n in refused.items()
    )


def _validation(spec: DatasetSpec, manifest: dict) -> str:
    refused = manifest["quarantine_by_rule"]
    text = (
        f"## How it was validated\n\n{spec.validation}\n\n"
        f"{manifest['accepted_records']} records were accepted and {manifest['quarantined_records']} quarantined. "
        "Every refused record is kept in the pipeline's quarantine tables with the file, the detail and a hint.\n\n"
    )
    text += _refused_table(refused)
    rules = [r for r in RULES if r.id.startswith(spec.rule_prefixes)]
    return (
        text
        + "\n\n### Rules every record had to pass\n\n| rule | what it refuses |\n|---|---|\n"
        + "\n".join(f"| `{r.id}` | {r.summary} |" for r in rules)
    )


def _splits(manifest: dict) -> str:
    split = manifest["split"]
    keys = ", ".join(f"`{c}`" for c in split["key_columns"])
    images = ", ".join(f"`{c}`" for c in split["image_columns"])
    fractions = ", ".join(f"{s} {f:.0%}" for s, f in split["fractions"].items())
    rows = "\n".join(f"| {s} | {manifest['rows'][s]} |" for s in SPLITS)
    return (
        "## Splits\n\n"
        f"Rows that share a value of {keys}, or an image ({images}), are one group, and so are images whose "
        f"CLIP vectors have a cosine similarity of at least {split['near_duplicate_cosine']} (faiss range "
        f"search). Each group goes whole to one split, chosen by the SHA-256 of seed `{split['seed']}` and the "
        f"group's smallest key, against the fractions of groups: {fractions}. No group and no near-duplicate "
        "pair crosses splits.\n\n"
        f"{split['groups']} groups; {split['near_duplicate_groups']} groups of near-duplicate images "
        f"({split['near_duplicate_pairs']} pairs); {split['images_without_vectors']} images had no vector and "
        "were grouped by their hash only.\n\n| split | rows |\n|---|---|\n" + rows + _strata(split, manifest["rows"])
    )


def _strata(split: dict, rows: dict[str, int]) -> str:
    """Each split's rows and share per stratum (source), and a warning for each split a source is missing from."""
    if "rows_by_stratum" not in split:
        return ""
    by, share, groups = split["rows_by_stratum"], split["share_by_stratum"], split["groups_by_stratum"]
    strata = list(groups)
    column = split["stratum_column"]
    table = "\n".join(
        f"| {s} | {rows[s]} | " + " | ".join(f"{by[s][t]} ({share[s][t]:.0%})" for t in strata) + " |" for s in SPLITS
    )
    missing = [
        f"- **Warning:** `{s}` has no `{t}` rows, so it does not measure that {column}: `{t}` has {groups[t]} "
        f"groups, fewer than the {split['stratify_from_groups']} needed to split it on its own."
        if t not in split["stratified"]
        else f"- **Warning:** `{s}` has no `{t}` rows."
        for s in SPLITS
        for t in strata
        if split["fractions"][s] > 0 and not by[s][t] and sum(by[x][t] for x in SPLITS)
    ]
    stratified = ", ".join(f"`{t}`" for t in split["stratified"]) or "none"
    return (
        f"\n\nBy `{column}` (the share is of that {column}'s rows). A {column} with at least "
        f"{split['stratify_from_groups']} groups is split on its own: its groups, ordered by the same hash, are "
        f"dealt to the splits by the fractions, at least one each. Split on its own: {stratified}.\n\n"
        f"| split | rows | " + " | ".join(f"{t} ({groups[t]} groups)" for t in strata) + " |\n"
        "|---|---|" + "---|" * len(strata) + "\n" + table + ("\n\n" + "\n".join(missing) if missing else "")
    )


def _loading(spec: DatasetSpec) -> str:
    return (
        "## How to load it\n\n```python\nfrom datasets import load_dataset\n\n"
        f'ds = load_dataset("exports/{spec.name}")  # the latest version, always one version\n'
        f'ds = load_dataset("exports/{spec.name}/<version>")  # this version, for a run to reproduce\n```\n\n'
        + LATEST_PATH
        + "\n\n"
        + spec.usage
    )


LATEST_PATH = (
    "The dataset's folder loads its latest version only: its own `README.md` is this card with the data files "
    "pointing into the latest `v*/` folder (and `LATEST` names that version), rewritten after each version is "
    "published, so the versions in the folder are never mixed."
)


def root_card(card: str, version: str) -> str:
    """A version's card for the dataset's folder: every config's data files inside `version/`, said on top."""
    _, header, body = card.split("---\n", 2)
    meta = yaml.safe_load(header)
    for config in meta.get("configs", []):
        for entry in config["data_files"]:
            entry["path"] = f"{version}/{entry['path']}"
    lead = f"> The latest version of this dataset, `{version}/`. {LATEST_PATH}\n\n"
    return f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n{lead}{body.lstrip()}"


def _summary(rule_id: str) -> str:
    return RULES[rule_id].summary if rule_id in RULES.rules else "(not in this version's rule book)"


def _span(parts: list[str]) -> str:
    return "none" if not parts else parts[0] if len(parts) == 1 else f"{parts[0]} to {parts[-1]}"


def render_bundle_card(summary: str, manifest: dict) -> str:
    """The card of a bundle of analyses: one `datasets` config per table (no default: a bundle is not one
    dataset), then what each file is and where it came from."""
    tables = sorted(manifest["rows"])
    header = {
        "pretty_name": manifest["dataset"],
        "tags": ["curata"],
        "configs": [
            {"config_name": t, "data_files": [{"split": "train", "path": f"tables/{t}.parquet"}]} for t in tables
        ],
    }
    files = sorted(manifest["files"])
    documents = [f for f in files if "/" not in f]
    pictures = [f for f in files if f.startswith("pictures/")]
    sections = [
        f"# {manifest['dataset']}\n\nVersion `{manifest['version']}`, exported by Curata {manifest['code_version']}."
        f"\n\n{summary}",
        "## Tables\n\nEach table is a `datasets` config of its own, with one split (`train`):\n\n"
        f'```python\nfrom datasets import load_dataset\n\nds = load_dataset("exports/{manifest["dataset"]}", "'
        f'{tables[0] if tables else "<table>"}")  # the latest version\n```\n\n{LATEST_PATH}\n\n'
        "| config | rows |\n|---|---|\n" + "\n".join(f"| `{t}` | {manifest['rows'][t]} |" for t in tables),
        "## Documents\n\n" + ("\n".join(f"- `{d}`" for d in documents) or "None."),
        f"## Pictures\n\n{len(pictures)} files under `pictures/`.",
        "## Where the data came from\n\n" + (_partition_lines(manifest) or "No source partitions."),
        "## What was refused\n\n" + _refused_table(manifest["quarantine_by_rule"]),
    ]
    return f"---\n{yaml.safe_dump(header, sort_keys=False)}---\n\n" + "\n\n".join(sections) + "\n"
