"""The embedding store: only missing work is done, failures are recorded once, vectors never mix."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from curata.embeddings.checks import embedding_catalog, orphan_embeddings, vector_problems
from curata.embeddings.compute import embed_missing
from curata.embeddings.legacy import import_legacy_cache
from curata.embeddings.model import load_model
from curata.embeddings.preprocess import decode_for_model
from curata.embeddings.spec import ModelSpec
from curata.embeddings.store import EmbeddingStore, FingerprintMismatch
from curata.embeddings.tables import FAILED, MISSING, OK
from curata.embeddings.wanted import WantedImage
from curata.storage import Store
from tests.embedding_helpers import TINY, write_images


@pytest.fixture(scope="module")
def model():
    return load_model(TINY)


@pytest.fixture
def store(tmp_path):
    return EmbeddingStore(Store.at(tmp_path))


def paths_with(status, store, fingerprint, wanted):
    catalog = embedding_catalog(store, fingerprint, wanted).to_pylist()
    return sorted(r["path"] for r in catalog if r["status"] == status)


def test_embeds_everything_once_with_unit_vectors(tmp_path, model, store):
    wanted = write_images(tmp_path, 30)
    report = embed_missing(model, store, wanted + wanted[:3], tmp_path)  # repeats are one image each
    assert (report.wanted, report.embedded, report.failed) == (30, 30, [])
    assert set(store.listing(model.fingerprint)) == {w.sha256 for w in wanted}
    assert vector_problems(store, model.fingerprint, model.dim) == []
    assert paths_with(MISSING, store, model.fingerprint, wanted) == []
    assert store.model_description(model.fingerprint)["weights"] == "random(seed=0)"


def test_one_percent_new_images_embeds_only_those(tmp_path, model, store):
    wanted = write_images(tmp_path, 100)
    embed_missing(model, store, wanted, tmp_path)
    new = write_images(tmp_path, 1, start=100)
    report = embed_missing(model, store, wanted + new, tmp_path)
    assert (report.already_stored, report.embedded) == (100, 1)


def test_corrupt_image_is_recorded_once_not_fatal_and_not_retried(tmp_path, model, store):
    wanted = write_images(tmp_path, 10)
    bad = tmp_path / "library" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    broken = WantedImage(hashlib.sha256(bad.read_bytes()).hexdigest(), "library/broken.jpg")
    first = embed_missing(model, store, [*wanted, broken], tmp_path)
    assert first.embedded == 10 and first.failed == ["library/broken.jpg"]
    assert store.listing(model.fingerprint)[broken.sha256] == FAILED
    second = embed_missing(model, store, [*wanted, broken], tmp_path)
    assert (second.embedded, second.failed) == (0, [])
    assert paths_with(FAILED, store, model.fingerprint, [*wanted, broken]) == ["library/broken.jpg"]
    assert paths_with(MISSING, store, model.fingerprint, [*wanted, broken]) == []
    (row,) = [r for r in embedding_catalog(store, model.fingerprint, [broken]).to_pylist()]
    assert row["rule_id"] == "embedding.failed" and row["error"]


def test_image_changed_since_validation_is_reported_not_stored(tmp_path, model, store):
    wanted = write_images(tmp_path, 3)
    (tmp_path / wanted[0].path).write_bytes((tmp_path / wanted[1].path).read_bytes())
    report = embed_missing(model, store, wanted, tmp_path)
    assert report.changed == [wanted[0].path]
    assert wanted[0].sha256 not in store.listing(model.fingerprint)


def test_two_models_never_share_vectors(tmp_path, model, store):
    other = load_model(ModelSpec(architecture="curata-tiny-vit", batch_size=8, seed=1))
    assert other.fingerprint != model.fingerprint
    wanted = write_images(tmp_path, 4)
    embed_missing(model, store, wanted, tmp_path)
    assert paths_with(MISSING, store, other.fingerprint, wanted) == sorted(w.path for w in wanted)
    with pytest.raises(FingerprintMismatch):
        store.vectors(model.fingerprint, [w.sha256 for w in wanted], expected=other.fingerprint)
    assert len(store.vectors(model.fingerprint, [w.sha256 for w in wanted], expected=model.fingerprint)) == 4


def test_integrity_check_catches_bad_norm_and_conflicting_duplicates(tmp_path, model, store):
    wanted = write_images(tmp_path, 2)
    embed_missing(model, store, wanted, tmp_path)
    vec = np.zeros(model.dim, dtype=np.float32)
    vec[0] = 3.0
    store.write_shard(
        model.fingerprint,
        model.dim,
        [
            {
                "sha256": wanted[0].sha256,
                "status": OK,
                "vector": vec.tolist(),
                "source_path": wanted[0].path,
                "error": None,
            }
        ],
    )
    problems = vector_problems(store, model.fingerprint, model.dim)
    assert any("norm 3.0000" in p for p in problems)
    assert any("stored twice with different vectors" in p for p in problems)


def test_orphans_are_named_by_path(tmp_path, model, store):
    wanted = write_images(tmp_path, 3)
    embed_missing(model, store, wanted, tmp_path)
    assert orphan_embeddings(store, model.fingerprint, wanted[:2]) == [wanted[2].path]


def test_legacy_cache_import_reports_missing_and_unreadable_files_for_recomputation(tmp_path, model, store):
    wanted = write_images(tmp_path, 3)
    cache = tmp_path / "legacy"
    (cache / "embeddings").mkdir(parents=True)
    lines = [json.dumps({"image_path": w.path, "hash": w.sha256}) for w in wanted] + ["{not json"]
    (cache / "processed_images.jsonl").write_text("\n".join(lines) + "\n")
    np.save(cache / "embeddings" / f"{wanted[0].sha256}.npy", np.ones(model.dim, dtype=np.float32))
    (cache / "embeddings" / f"{wanted[1].sha256}.npy").write_bytes(b"corrupt")
    result = import_legacy_cache(cache, store, model.fingerprint, model.dim, model.description)
    assert result.imported == 1
    assert any(p.startswith(wanted[1].path) and "unreadable" in p for p in result.problems)
    assert any(p.startswith(wanted[2].path) and "missing on disk" in p for p in result.problems)
    assert any("processed_images.jsonl:4" in p for p in result.problems)
    report = embed_missing(model, store, wanted, tmp_path)
    assert (report.already_stored, report.embedded) == (1, 2)


def test_reduced_size_jpeg_decoding_is_faithful_to_the_model_input(tmp_path, model):
    wanted = write_images(tmp_path, 6, size=(1024, 768))
    full, reduced = [], []
    for w in wanted:
        data = (tmp_path / w.path).read_bytes()
        full.append(model.preprocess(decode_for_model(data, model.image_size, reduced=False)))
        small = decode_for_model(data, model.image_size, reduced=True)
        assert min(small.size) >= model.image_size and small.size[0] < 1024
        reduced.append(model.preprocess(small))
    a, b = model.encode(torch.stack(full)), model.encode(torch.stack(reduced))
    assert float((a * b).sum(-1).min()) > 0.99


def test_two_writers_on_overlapping_work_lose_nothing_and_leave_each_hash_once(tmp_path, model):
    """Two processes embed overlapping sets at once (as two runs can); after compaction every hash is there once."""
    wanted = write_images(tmp_path, 40)
    first, second = wanted[:30], wanted[10:]
    for name, part in (("a.json", first), ("b.json", second)):
        (tmp_path / name).write_text(json.dumps([w.__dict__ for w in part]))
    command = [sys.executable, "-m", "curata.embeddings.run", "--data-root", str(tmp_path), "--architecture"]
    command += [TINY.architecture, "--batch-size", str(TINY.batch_size), "--wanted"]
    writers = [subprocess.Popen([*command, str(tmp_path / n)], stderr=subprocess.PIPE) for n in ("a.json", "b.json")]
    assert all(w.wait(timeout=300) == 0 for w in writers), [w.stderr.read() for w in writers]
    store = EmbeddingStore(Store.at(tmp_path))
    stored = store.read(model.fingerprint, ["sha256"]).column("sha256").to_pylist()
    assert set(stored) == {w.sha256 for w in wanted}  # nothing lost
    store.compact(model.fingerprint)
    stored = store.read(model.fingerprint, ["sha256"]).column("sha256").to_pylist()
    assert sorted(stored) == sorted({w.sha256 for w in wanted})  # each hash once
    assert vector_problems(store, model.fingerprint, model.dim) == []


def test_compaction_keeps_the_first_shard_of_a_repeated_hash_and_loses_nothing(tmp_path, model):
    wanted = write_images(tmp_path, 6)
    store = EmbeddingStore(Store.at(tmp_path))
    embed_missing(model, store, wanted[:4], tmp_path)
    rows = store.read(model.fingerprint).to_pylist()
    extra = [r for r in rows if r["sha256"] in {w.sha256 for w in wanted[2:4]}]
    store.write_shard(model.fingerprint, model.dim, extra)  # what a second writer of the same work leaves
    embed_missing(model, store, wanted, tmp_path)
    before = store.read(model.fingerprint, ["sha256"]).column("sha256").to_pylist()
    assert len(before) == 8  # 6 images, 2 of them twice
    assert store.compact(model.fingerprint) == 2
    after = store.read(model.fingerprint, ["sha256"]).column("sha256").to_pylist()
    assert sorted(after) == sorted(w.sha256 for w in wanted)
    assert store.compact(model.fingerprint) == 0
