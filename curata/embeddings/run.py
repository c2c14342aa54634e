"""`python -m curata.embeddings.run`: embed what the accepted records reference, outside Dagster too."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from curata.embeddings.compute import embed_missing
from curata.embeddings.model import load_model
from curata.embeddings.spec import ModelSpec
from curata.embeddings.store import EmbeddingStore
from curata.embeddings.wanted import SOURCES, WantedImage, wanted_images
from curata.layout import DataRoot
from curata.storage import Store
from curata.warehouse import Warehouse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--store", default=None, help="where output lives (a local folder); default: the data root")
    parser.add_argument("--architecture", default="ViT-B-32")
    parser.add_argument("--pretrained", default=None, help="tag, or path of a local checkpoint")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--wanted", help="JSON list of {sha256, path}; default: every accepted record's images")
    parser.add_argument("--throttle-seconds", type=float, default=0.0, help="pause after each shard")
    args = parser.parse_args(argv)
    layout = DataRoot(Path(args.data_root).resolve())
    spec = ModelSpec(args.architecture, args.pretrained, args.cache_dir, args.device, args.precision, args.batch_size)
    model = load_model(spec)
    store = Store.at(args.store or layout.root)
    if args.wanted:
        wanted = [WantedImage(**w) for w in json.loads(Path(args.wanted).read_text())]
    else:
        warehouse = Warehouse(store)
        wanted = wanted_images({table: warehouse.read_all(table) for table in SOURCES})
    report = embed_missing(model, EmbeddingStore(store), wanted, layout.root, throttle_seconds=args.throttle_seconds)
    print(json.dumps(asdict(report)))


if __name__ == "__main__":
    main()
