"""The tags of every image as integer codes in one flat array: what every tag analysis computes on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class TagIndex:
    """`codes[offsets[i]:offsets[i + 1]]` are image i's tags, as positions in the sorted vocabulary `tags`.

    Tags are unique per image (the reader deduplicates them).
    """

    tags: np.ndarray  # (V,) str, sorted
    offsets: np.ndarray  # (N + 1,) int64
    codes: np.ndarray  # (nnz,) int32

    @classmethod
    def from_table(cls, images: pa.Table, column: str = "tags") -> TagIndex:
        """From a list<string> column (library_images.tags), encoded by Arrow's hash table, not Python.

        A column read with `pq.read_table(..., read_dictionary=["tags.list.element"])` arrives encoded
        already: Parquet stores it so, and no string is built or hashed again.
        """
        lists = images.column(column).combine_chunks() if images.num_rows else pa.array([], pa.list_(pa.string()))
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy().astype(np.int64)
        flat = pc.list_flatten(lists)
        encoded = flat if pa.types.is_dictionary(flat.type) else flat.dictionary_encode()
        vocabulary = encoded.dictionary.to_numpy(zero_copy_only=False).astype(str)
        order = np.argsort(vocabulary, kind="stable")
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        codes = rank[indices] if len(rank) else np.empty(0, np.int32)
        return cls(vocabulary[order], np.concatenate([[0], np.cumsum(lengths)]), codes)

    @classmethod
    def from_lists(cls, tag_lists: list[list[str]]) -> TagIndex:
        return cls.from_table(pa.table({"tags": pa.array(tag_lists, pa.list_(pa.string()))}))

    @property
    def n_images(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tags(self) -> int:
        return len(self.tags)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def image_of(self) -> np.ndarray:
        """For each entry of `codes`, the image it belongs to."""
        return np.repeat(np.arange(self.n_images), self.lengths)

    def counts(self) -> np.ndarray:
        """Images per tag."""
        return np.bincount(self.codes, minlength=self.n_tags)

    def code_of(self, tag: str) -> int:
        pos = int(np.searchsorted(self.tags, tag))
        if pos >= self.n_tags or self.tags[pos] != tag:
            raise KeyError(tag)
        return pos

    def image_tags(self, i: int) -> list[str]:
        return self.tags[self.codes[self.offsets[i] : self.offsets[i + 1]]].tolist()

    def keep(self, entries: np.ndarray) -> TagIndex:
        """The same images and vocabulary with only the entries where `entries` (bool, per code) is True."""
        lengths = np.bincount(self.image_of[entries], minlength=self.n_images)
        return TagIndex(self.tags, np.concatenate([[0], np.cumsum(lengths)]), self.codes[entries])
