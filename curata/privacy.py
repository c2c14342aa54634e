"""Keyed pseudonyms: emails never reach a derived table in clear, yet a deletion request can find them."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

PSEUDONYM_KEY_ENV = "CURATA_PSEUDONYM_KEY"
MIN_KEY_CHARS = 16
ANONYMOUS = "anonymous"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PseudonymKeyError(ValueError):
    """The configured key is unusable; raised before anything is written."""


@dataclass(frozen=True, repr=False)
class PseudonymKey:
    """The secret that keys pseudonyms, and its public id (recorded beside every pseudonym it made)."""

    secret: bytes

    @classmethod
    def from_secret(cls, secret: str) -> PseudonymKey:
        if len(secret.strip()) < MIN_KEY_CHARS:
            raise PseudonymKeyError(
                f"{PSEUDONYM_KEY_ENV} must hold a secret of at least {MIN_KEY_CHARS} non-blank characters; "
                "it keys the pseudonyms that replace emails in every derived table."
            )
        return cls(secret.encode("utf-8"))

    @classmethod
    def from_env(cls) -> PseudonymKey:
        return cls.from_secret(os.environ.get(PSEUDONYM_KEY_ENV, ""))

    @property
    def key_id(self) -> str:
        """A public name for the key: an HMAC of a fixed label, so it reveals nothing of the secret."""
        return "k-" + hmac.new(self.secret, b"curata key id", hashlib.sha256).hexdigest()[:12]

    def pseudonymize(self, email: str | None) -> str | None:
        """HMAC-SHA256 of the normalised address; None for anonymous users."""
        if email is None or email.strip().lower() in ("", ANONYMOUS):
            return None
        normalised = email.strip().lower().encode("utf-8")
        return hmac.new(self.secret, normalised, hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"PseudonymKey({self.key_id})"


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 254
