"""Keyed pseudonyms: emails never reach a derived table in clear, yet a deletion request can find them."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

PSEUDONYM_KEY_ENV = "CURATA_PSEUDONYM_KEY"
ANONYMOUS = "anonymous"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def pseudonym_key_from_env() -> bytes:
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if len(key) < 16:
        raise RuntimeError(
            f"{PSEUDONYM_KEY_ENV} must hold a secret of at least 16 characters; "
            "it keys the pseudonyms that replace emails in every derived table."
        )
    return key.encode("utf-8")


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 254


def pseudonymize(email: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 of the normalised address; None for anonymous users."""
    if email is None or email.strip().lower() in ("", ANONYMOUS):
        return None
    normalised = email.strip().lower().encode("utf-8")
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()[:32]
