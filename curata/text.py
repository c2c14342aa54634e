"""Cleaning of text people typed (edit instructions, captions): one normal form, and the text that is no text.

Two spellings of one instruction must be one instruction (duplicates, the log audit), and a placeholder or a
lone emoji must never become a training label.
"""

from __future__ import annotations

import string
import unicodedata

from curata import rules
from curata.rules import Refused, Rule

# Whole texts (after cleaning, case and edge punctuation ignored) that hold no instruction: typed to try the app.
PLACEHOLDERS = frozenset(
    {"test", "testing", "asdf", "qwerty", "lorem ipsum", "xxx", "n/a", "none", "null", "todo", "tbd", "placeholder"}
)
_SHOWN = 60  # characters of a refused text quoted in a detail


def clean_text(raw: str) -> str:
    """NFC, every run of whitespace (newlines, tabs, NBSP included) as one space, stripped; case kept."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


def has_control_characters(text: str) -> bool:
    """A NUL byte or an escape sequence: accepted as text, it breaks every tool downstream."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def text_fault(cleaned: str) -> tuple[Rule, str] | None:
    """The rule a cleaned text breaks, with a detail, or None when it is real text."""
    shown = repr(cleaned[:_SHOWN])
    if not cleaned:
        return rules.INSTRUCTION_EMPTY, "empty or only whitespace"
    if has_control_characters(cleaned):
        return rules.INSTRUCTION_CONTROL, f"{shown} holds control characters"
    if cleaned.casefold().strip(string.punctuation + " ") in PLACEHOLDERS:
        return rules.INSTRUCTION_PLACEHOLDER, f"{shown} is placeholder text"
    if not any(c.isalnum() for c in cleaned):
        return rules.INSTRUCTION_NO_WORDS, f"{shown} has no letter or digit"
    return None


def cleaned_instruction(raw: str, where: str) -> str:
    """The cleaned text, or Refused with the rule it breaks."""
    cleaned = clean_text(raw)
    fault = text_fault(cleaned)
    if fault is not None:
        raise Refused(fault[0], where, f"instruction {fault[1]}")
    return cleaned


def caption_text(raw: str | None) -> str | None:
    """A source's caption cleaned, or None when it is no text: a caption is never invented, nor a placeholder."""
    if raw is None:
        return None
    cleaned = clean_text(raw)
    return None if text_fault(cleaned) else cleaned
