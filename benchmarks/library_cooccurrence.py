"""Tag co-occurrence of 1,000,000 images x 8 tags from a 1,000-tag vocabulary: time and peak memory against
the floor of one np.bincount over the pair keys of a ready (images, 8) code matrix, measured in the same run
in fresh processes.

Usage: python -m benchmarks.library_cooccurrence [--images 1000000] [--with-pandas]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import RATIO_HEADER, best_runs, ratio_rows, run_step, step_result, write_results
from curata.library.cooccurrence import tag_cooccurrence
from curata.library.tag_index import TagIndex

WORK = Path(__file__).resolve().parent / ".work"
VOCABULARY = 1000
TAGS_PER_IMAGE = 8
ZIPF = 0.8  # tag popularity ~ 1 / rank^0.8: the top tag on ~30% of images, the last on ~0.3%
GOAL_SECONDS, GOAL_MIB = 1.0, 500


def tag_names() -> np.ndarray:
    return np.array([f"tag-{k:04d}" for k in range(VOCABULARY)])


def generate(folder: Path, images: int) -> None:
    """(images, 8) distinct tag codes per image, as .npy, and the same tags as a list<string> Parquet column."""
    rng = np.random.default_rng(7)
    weights = 1.0 / np.arange(1, VOCABULARY + 1) ** ZIPF
    codes = np.empty((images, TAGS_PER_IMAGE), dtype=np.int32)
    todo = np.arange(images)
    while len(todo):
        draws = np.sort(rng.choice(VOCABULARY, (len(todo), 16), p=weights / weights.sum()), axis=1)
        draws[:, 1:][np.diff(draws, axis=1) == 0] = VOCABULARY  # repeats sort to the end
        draws = np.sort(draws, axis=1)[:, :TAGS_PER_IMAGE]
        full = draws[:, -1] < VOCABULARY
        codes[todo[full]] = rng.permuted(draws[full], axis=1)
        todo = todo[~full]
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "codes.npy", codes)
    tags = pa.array(tag_names()).take(pa.array(codes.ravel()))
    offsets = pa.array(np.arange(0, codes.size + 1, TAGS_PER_IMAGE, dtype=np.int32))
    pq.write_table(pa.table({"tags": pa.ListArray.from_arrays(offsets, tags)}), folder / "tags.parquet")


def floor(codes: np.ndarray) -> int:
    """Pair keys of the 28 column pairs of the row-sorted matrix, counted by one bincount: nothing less will do."""
    ordered = np.sort(codes, axis=1)
    first, second = np.triu_indices(TAGS_PER_IMAGE, 1)
    counts = np.bincount((ordered[:, first] * VOCABULARY + ordered[:, second]).ravel(), minlength=VOCABULARY**2)
    return int(np.count_nonzero(counts))


def from_codes(codes: np.ndarray) -> int:
    offsets = np.arange(0, codes.size + 1, TAGS_PER_IMAGE, dtype=np.int64)
    cooc = tag_cooccurrence(TagIndex(tag_names(), offsets, codes.ravel()))
    return len(cooc.count)


def from_table(table: pa.Table) -> int:
    """What the asset does: library_images.tags -> counts and pairs with lift and PMI, as Arrow tables."""
    cooc = tag_cooccurrence(TagIndex.from_table(table))
    cooc.counts_table()
    return cooc.pairs_table().num_rows


def pandas_explode_merge(table: pa.Table) -> int:
    """The approach the issue measured at 8.5 s and 2.3 GB: explode to (image, tag) rows, self-merge, group."""
    frame = table.to_pandas().reset_index(names="image").explode("tags")
    pairs = frame.merge(frame, on="image")
    pairs = pairs[pairs["tags_x"] < pairs["tags_y"]]
    return len(pairs.groupby(["tags_x", "tags_y"]).size())


STEPS = {
    "floor": ("floor (np.bincount of ready pair keys)", "codes", floor),
    "codes": ("tag_cooccurrence from codes", "codes", from_codes),
    "dictionary": ("from library_images.tags read as dictionary (count + tables)", "dictionary", from_table),
    "table": ("from library_images.tags read as strings (encode + count + tables)", "table", from_table),
    "pandas": ("pandas explode + merge (reference)", "table", pandas_explode_merge),
}


def run(folder: Path, step: str) -> None:
    _, data, fn = STEPS[step]
    if data == "codes":
        loaded = np.load(folder / "codes.npy")
    else:  # Parquet stores the tags dictionary-encoded; read so, no string is built or hashed again
        encoded = ["tags.list.element"] if data == "dictionary" else None
        loaded = pq.read_table(folder / "tags.parquet", read_dictionary=encoded)
    step_result(lambda: fn(loaded))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--step", choices=list(STEPS))
    parser.add_argument("--with-pandas", action="store_true", help="also run the slow pandas reference")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = WORK / f"cooccurrence-{args.images}"
    if args.step:
        return run(folder, args.step)
    if not (folder / "tags.parquet").exists():
        print(f"generating {args.images:,} images x {TAGS_PER_IMAGE} tags ...")
        generate(folder, args.images)
    extra = ["--images", str(args.images)]
    module = "benchmarks.library_cooccurrence"
    run_step(module, "floor", *extra)  # warm the page cache
    steps = [(key, label) for key, (label, _, _) in STEPS.items() if key != "pandas" or args.with_pandas]
    results = best_runs(module, steps, extra, repeats=args.repeats)
    floor_label = STEPS["floor"][0]
    table = _report(args.images, results, floor_label)
    path = write_results("library_cooccurrence", {"images": args.images, "results": results}, table)
    print(table)
    print(f"written to {path}")


def _report(images: int, results: dict[str, dict], floor_label: str) -> str:
    main_step = results[STEPS["dictionary"][0]]
    verdict = (
        f"Goal: within {GOAL_SECONDS:.0f} s and under {GOAL_MIB} MB from library_images.tags: "
        f"{main_step['seconds']:.2f} s, {main_step['peak_rss_mib']:.0f} MiB peak RSS of the whole process "
        "(interpreter, numpy, pyarrow and the loaded column included; loading is not timed)."
    )
    return (
        f"{images:,} images x {TAGS_PER_IMAGE} distinct tags from {VOCABULARY:,} (Zipf {ZIPF}); warm page cache, "
        "best of the runs, each in a fresh process. items = distinct pairs found.\n\n"
        + RATIO_HEADER
        + "\n".join(ratio_rows(results, floor_label, "pairs"))
        + f"\n\n{verdict}\n\n"
        "What bounds it: counting is the floor's bincount, fed from a fixed 16 MB key buffer (images grouped by tag "
        "count, one key array per column pair), so it stays near the floor at a fraction of its memory. Read as "
        "a dictionary column (`read_dictionary=['tags.list.element']`), the tags arrive as codes and only the "
        "dictionaries of the row groups are unified; read as strings, Arrow hashes all 8,000,000 of them again, and "
        "loading them alone peaks near 350 MiB. The pair table (lift, PMI, normalised PMI) is a few vector "
        "operations over the ~500,000 pairs."
    )


if __name__ == "__main__":
    main()
