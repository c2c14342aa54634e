"""The probe reaching the exports: flagged rows kept with their reason, figures in the card, the manifest and status."""

import base64
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import DagsterInstance, materialize
from PIL import Image

from assets.curation import curation_outcomes
from assets.embeddings import image_embeddings
from assets.exports import crop_boxes, preference_pairs
from assets.pictures import SAMPLE_PAIRS, pair_pictures
from assets.training import crop_probe, issue_metadata, pair_probe
from curata.export.preference_pairs import export_preference_pairs
from curata.export.versioned import CARD, Provenance, latest_version
from curata.images import ImageLimits
from curata.sample.curation import generate_curation
from curata.storage import Store
from curata.summary import render_summary_datasets
from curata.training.findings import Findings
from curata.training.pairs import probe_preference_pairs
from curata.training.tables import PAIR_KEYS, PAIR_LABEL_ISSUES
from tests.dagster_helpers import check_results, materialize_only, warehouse_of
from tests.test_export_support import context, historical_table, selections_table
from tests.test_preference_pairs import resources


def exported_rows(store: Store, key: str) -> list[dict]:
    manifest = json.loads(store.read_text(f"{key}/manifest.json"))
    files = [store.local_path(f"{key}/{f}") for f in manifest["files"]]
    columns = ["record_id", "image_0_uid", "image_1_uid", "likely_label_error", "label_error_reason"]
    return pa.concat_tables(pq.read_table(f, columns=columns) for f in files).to_pylist()


def test_a_flagged_pair_is_kept_with_its_reason_and_the_figures_reach_the_card(bank, store):
    historical = pa.concat_tables([historical_table(bank, "mojo", 6), historical_table(bank, "other", 4, seed=1)])
    selections = selections_table(bank, 8)
    ctx = context(store, bank)
    findings = probe_preference_pairs(historical, selections, ctx, "random(seed=0)")
    doubted = historical.slice(0, 1).to_pylist()[0]
    planted = {
        "record_id": f"{doubted['project']}/{doubted['group_key']}",
        "source": "historical",
        **{k: doubted[k] for k in ("chosen_sha256", "rejected_sha256", "chosen_path", "rejected_path")},
        "label_0": 1.0,
        "probability_0": 0.02,
        "reason": "planted",
    }
    with_issue = Findings(findings.figures, PAIR_LABEL_ISSUES.from_rows([planted]), PAIR_KEYS)
    plain = export_preference_pairs(historical, selections, ctx, Provenance({}))
    result = export_preference_pairs(historical, selections, ctx, Provenance({}), with_issue)
    assert result.version != plain.version and sum(result.rows.values()) == sum(plain.rows.values())
    rows = exported_rows(store, result.key)
    flagged = [r for r in rows if r["likely_label_error"]]
    assert len(flagged) == 1 and flagged[0]["label_error_reason"] == "planted"
    assert {flagged[0]["image_0_uid"], flagged[0]["image_1_uid"]} == {
        doubted["chosen_sha256"],
        doubted["rejected_sha256"],
    }
    assert all(r["label_error_reason"] == "" for r in rows if not r["likely_label_error"])
    assert not any(r["likely_label_error"] for r in exported_rows(store, plain.key))
    card = store.read_text(f"{result.key}/{CARD}")
    assert "Learnability probe: a logistic regression" in card and "random weights (random(seed=0))" in card
    assert result.manifest["probe"]["rows"] == findings.figures.column("rows")[0].as_py() > 0
    shown = issue_metadata([planted], pair_pictures([planted], bank.root, ImageLimits()))
    assert shown["label_issues"] == 1 and "| planted |" in shown["issues"].value
    png = base64.b64decode(shown[SAMPLE_PAIRS].value.split("base64,")[1].rstrip(")"))
    assert Image.open(io.BytesIO(png)).width >= 2 * 144  # the chosen thumbnail beside the rejected one


def test_probe_and_export_through_dagster_on_the_sample_with_random_weights(root):
    generate_curation(root, n_sets=30, image_size=(96, 72))
    instance = DagsterInstance.ephemeral()
    assert materialize([curation_outcomes], instance=instance, resources=resources(root)).success
    built = materialize_only(
        [image_embeddings, pair_probe, crop_probe, preference_pairs, crop_boxes],
        instance=instance,
        resources=resources(root),
    )
    assert built.success and all(check_results(built).values()), check_results(built)
    warehouse, store = warehouse_of(root), Store.at(root.root)
    for dataset in ("preference_pairs", "crop_boxes"):
        figures = warehouse.read(f"{dataset}_probe").to_pylist()
        assert figures[0]["weights"].startswith("random") and figures[0]["folds"] >= 2, figures
        assert "random weights" in figures[0]["reading"] and figures[0]["score"] is not None
        latest = latest_version(store, dataset)
        assert latest.manifest["probe"]["score"] == round(figures[0]["score"], 4)
        assert "random weights" in store.read_text(f"{latest.key}/{CARD}")
        issues = warehouse.read(f"{dataset}_label_issues")
        assert latest.manifest["probe"]["label_issues"] == issues.num_rows
    pair_figure = warehouse.read("preference_pairs_probe").column("score")[0].as_py()
    assert 0.2 <= pair_figure <= 0.8  # random weights: no better than a coin, give or take a small sample
    status = render_summary_datasets(store)
    assert any(line.startswith("preference_pairs:") and "probe accuracy" in line for line in status), status
    assert any(line.startswith("crop_boxes:") and "probe mean IoU" in line for line in status), status
