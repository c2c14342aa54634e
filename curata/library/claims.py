"""First-come claims on library ids, in 16 bytes an id, so a million-record export reads in flat memory."""

from __future__ import annotations

import hashlib

import numpy as np


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class IdClaims:
    """Which ids earlier records claimed, and on which record number, as sorted 64-bit hashes.

    Two different ids share a hash with probability about n^2 / 2^65 (3e-8 for a million ids); the
    later one would then be reported as a duplicate of the record the detail names.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)
        self._numbers = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._hashes)

    def claim(self, ids: list[str], numbers: list[int]) -> list[int | None]:
        """For each id in order: None if this record claims it first, else the number of the record that did."""
        hashes = np.fromiter((_hash64(i) for i in ids), dtype=np.uint64, count=len(ids))
        numbers_in = np.asarray(numbers, dtype=np.int64)
        earlier = np.full(len(ids), -1, dtype=np.int64)
        unique, first = np.unique(hashes, return_index=True)
        owner = first[np.searchsorted(unique, hashes)]  # the first record of this batch with the same hash
        repeated = owner != np.arange(len(ids))
        earlier[repeated] = numbers_in[owner[repeated]]
        pos = np.searchsorted(self._hashes, hashes)
        known = pos < len(self._hashes)
        known[known] = self._hashes[pos[known]] == hashes[known]
        earlier[known] = self._numbers[pos[known]]
        fresh = earlier < 0
        order = np.argsort(hashes[fresh], kind="stable")
        new_hashes, new_numbers = hashes[fresh][order], numbers_in[fresh][order]
        at = np.searchsorted(self._hashes, new_hashes)
        self._hashes = np.insert(self._hashes, at, new_hashes)
        self._numbers = np.insert(self._numbers, at, new_numbers)
        return [None if e < 0 else int(e) for e in earlier]
