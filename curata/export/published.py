"""Every dataset Curata publishes, declared once: card rewriting and erasure's holdings both read it."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from curata.export.crop_boxes import CROP_BOXES
from curata.export.edit_triplets import EDIT_TRIPLETS
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.preference_pairs import VECTOR_COLUMN, preference_spec
from curata.export.versioned import DatasetSpec

# name -> its declaration for vectors of a given width (only the preference pairs carry vectors).
PUBLISHED: dict[str, Callable[[int], DatasetSpec]] = {
    EDIT_TRIPLETS.name: lambda dim: EDIT_TRIPLETS,
    PREFERENCE_PAIRS_NAME: preference_spec,
    CROP_BOXES.name: lambda dim: CROP_BOXES,
}


def spec_for(dataset: str, schema: pa.Schema) -> DatasetSpec:
    """The declaration of a published dataset whose files have this schema."""
    vectors = schema.field(VECTOR_COLUMN).type.list_size if VECTOR_COLUMN in schema.names else 0
    return PUBLISHED[dataset](vectors)
