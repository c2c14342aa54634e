"""The API collection tools call instead of writing CSV rows by hand.

Each call validates the row with the very rules the pipeline applies (so a written row is accepted
by construction), raises a clear error naming the rule otherwise, and appends the whole row in one
locked, fsynced write, so a crash never leaves half a row glued to the next one.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from curata import rules
from curata.curation.crops import crop_header, validate_crop
from curata.curation.logs import CROP_LOG, SELECTION_LOG, TRUNCATION_MARKER
from curata.curation.paths import PathResolver
from curata.curation.selections import SELECTION_HEADER, validate_selection
from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits
from curata.rules import Refused, Rule


class CurationRecordError(ValueError):
    """A decision that would be quarantined downstream; nothing was written."""

    def __init__(self, rule: Rule, detail: str):
        super().__init__(f"{rule.id}: {detail}. {rule.hint}")
        self.rule = rule
        self.detail = detail


class CurationLogger:
    """Appends validated rows to `<data root>/curation/{selection_only_log,select_crop_log}.csv`."""

    def __init__(self, data_root: Path, limits: ImageLimits = DEFAULT_IMAGE_LIMITS):
        self.data_root = Path(data_root).resolve()
        self.folder = self.data_root / "curation"
        self.resolver = PathResolver(self.data_root, limits)

    def log_selection(
        self,
        *,
        session_id: str,
        set_id: str,
        chosen_path: str | Path,
        neg_paths: Sequence[str | Path],
        timestamp: str | None = None,
    ) -> dict:
        fields = [timestamp or _now(), session_id, set_id, str(chosen_path), json.dumps([str(p) for p in neg_paths])]
        row = self._check(validate_selection, fields)
        fields[3], fields[4] = row["chosen_path"], json.dumps(row["rejected_paths"])
        self._append(SELECTION_LOG, SELECTION_HEADER, fields)
        return row

    def log_crop(
        self,
        *,
        session_id: str,
        set_id: str,
        directory: str,
        image_paths: Sequence[str | Path],
        image_stages: Sequence[str],
        chosen_idx: int,
        crop_box: tuple[float, float, float, float],
        image_sizes: Sequence[tuple[int, int]] | None = None,
        timestamp: str | None = None,
    ) -> dict:
        """Sizes are read from the files; sizes passed in must agree with them, (0, 0) is refused."""
        if len(image_stages) != len(image_paths):
            raise ValueError("image_stages must name the stage of every image in image_paths")
        if image_sizes is not None and any(w <= 0 or h <= 0 for w, h in image_sizes):
            raise CurationRecordError(rules.SIZE_DISAGREES, f"sizes {list(image_sizes)} must be positive")
        for path in image_paths:  # name a missing file as such: the API reads sizes, the caller logged none
            resolved = self.resolver.resolve(str(path))
            if resolved.path is None:
                raise CurationRecordError(resolved.rule or rules.CURATION_FILE_MISSING, resolved.detail)
        sizes = image_sizes or [("", "")] * len(image_paths)
        slots = [v for p, s, (w, h) in zip(image_paths, image_stages, sizes, strict=True) for v in (str(p), s, w, h)]
        chosen = str(image_paths[chosen_idx]) if 0 <= chosen_idx < len(image_paths) else ""
        fields = [timestamp or _now(), session_id, set_id, directory, chosen_idx, chosen, *slots, *crop_box]
        row = self._check(validate_crop, [str(f) for f in fields])
        normalised = [
            v
            for k, p in enumerate(row["image_paths"])
            for v in (p, image_stages[k], row["image_widths"][k], row["image_heights"][k])
        ]
        fields = [fields[0], session_id, set_id, directory, chosen_idx, row["chosen_path"], *normalised, *crop_box]
        self._append(CROP_LOG, crop_header(len(image_paths)), fields)
        return row

    def _check(self, validator, fields: list[str]) -> dict:
        try:
            return validator(fields, "new", "new row", self.resolver)
        except Refused as refused:
            raise CurationRecordError(refused.violation.rule, refused.violation.detail) from None

    def _append(self, name: str, header: list[str], fields: list) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(fields)
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            prefix = ""
            if size == 0:
                h = io.StringIO()
                csv.writer(h, lineterminator="\n").writerow(header)
                prefix = h.getvalue()
            elif not _ends_with_newline(self.folder / name, size):
                # A crashed writer left a partial line. Ending it with a plain newline would make it look
                # complete; the marker keeps it on disk and tells the pipeline to quarantine it.
                prefix = "\n" + TRUNCATION_MARKER + "\n"
            os.write(fd, (prefix + buf.getvalue()).encode("utf-8"))
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _ends_with_newline(path: Path, size: int) -> bool:
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
