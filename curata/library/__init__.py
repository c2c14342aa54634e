"""The tagged photo library (seed 001): its records and the pattern analyses learned from them."""

from curata.kinds import InputFolder

LIBRARY = InputFolder("library", "the tagged photo library: `images_metadata.jsonl` (or `.json`) and `images/`")
