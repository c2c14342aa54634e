"""Deletion on request that reaches every copy, and pseudonym key rotation that keeps one pseudonym per person.

Plain Python, no Dagster: `assets/erasure.py` and the `curata forget` / `curata rotate-key` commands call
`erase.erase_request` and `rotation.rotate_key`. What an erasure leaves behind is the request, its journal,
its audit entry and its tombstones (pseudonym, image hashes, session ids): never an email.
"""
