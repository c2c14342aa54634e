"""Columns as Hugging Face `datasets` sees them: the feature of each Arrow column, in Parquet and in the card.

A column's feature is derived from its Arrow type (Value, Sequence, dict of features) unless the
field's metadata names one (an Image, a ClassLabel). Features are written in the form `datasets` 3
writes and every later version still reads (`Sequence` in Parquet, `sequence:` in the card).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from curata.tables import col

Feature = dict[str, Any]

FEATURE = b"hf_feature"
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
_VALUE_DTYPES = {
    pa.binary(): "binary",
    pa.string(): "string",
    pa.bool_(): "bool",
    pa.int32(): "int32",
    pa.int64(): "int64",
    pa.float32(): "float32",
    pa.float64(): "float64",
}


def image_col(name: str, doc: str) -> pa.Field:
    """An image column: `datasets` decodes it to a PIL image (a struct of the file's bytes and its name)."""
    return with_feature(col(name, IMAGE_TYPE, doc), {"_type": "Image"})


def with_feature(field: pa.Field, feature: Feature) -> pa.Field:
    return field.with_metadata({**(field.metadata or {}), FEATURE: json.dumps(feature).encode("utf-8")})


def value(dtype: str) -> Feature:
    return {"dtype": dtype, "_type": "Value"}


def sequence(feature: Feature, length: int | None = None) -> Feature:
    return {"feature": feature, "_type": "Sequence"} | ({"length": length} if length is not None else {})


def class_label(names: list[str]) -> Feature:
    return {"names": names, "_type": "ClassLabel"}


def image_cell(data: bytes, name: str) -> dict[str, object]:
    return {"bytes": data, "path": name}


def feature_of(field: pa.Field) -> Feature:
    explicit = (field.metadata or {}).get(FEATURE)
    return json.loads(explicit) if explicit else _derived(field.type, field.name)


def hf_schema(columns: tuple[pa.Field, ...]) -> pa.Schema:
    """The Arrow schema with the `huggingface` metadata that makes `datasets` use these features."""
    features = {f.name: feature_of(f) for f in columns}
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode("utf-8")}
    return pa.schema(list(columns)).with_metadata(meta)


def yaml_features(schema: pa.Schema) -> list[dict[str, Any]]:
    """`dataset_info.features` of a dataset card: the same features in the card's YAML form."""
    return [_named(f.name, feature_of(f)) for f in schema]


def _derived(type_: pa.DataType, name: str) -> Feature:
    if type_ in _VALUE_DTYPES:
        return value(_VALUE_DTYPES[type_])
    if pa.types.is_timestamp(type_):
        return value(f"timestamp[{type_.unit}, tz={type_.tz}]" if type_.tz else f"timestamp[{type_.unit}]")
    if pa.types.is_fixed_size_list(type_):
        return sequence(_derived(type_.value_type, name), type_.list_size)
    if pa.types.is_list(type_):
        return sequence(_derived(type_.value_type, name))
    raise TypeError(f"no datasets feature for column {name} of type {type_}; give it one with with_feature")


def _named(name: str, feature: Feature) -> dict[str, Any]:
    return {"name": name, **_yaml(feature)}


def _yaml(feature: Feature) -> dict[str, Any]:
    kind = feature.get("_type")
    if kind is None:  # a dict of features
        return {"struct": [_named(k, v) for k, v in feature.items()]}
    if kind == "Value":
        return {"dtype": feature["dtype"]}
    if kind == "Image":
        return {"dtype": "image"}
    if kind == "ClassLabel":
        return {"dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(feature["names"])}}}}
    inner = feature["feature"]
    if "_type" not in inner:  # a Sequence of a dict: the card lists its named fields
        items: Any = [_named(k, v) for k, v in inner.items()]
    else:
        typed = _yaml(inner)
        items = typed["dtype"] if list(typed) == ["dtype"] else typed
    return {"sequence": items} | ({"length": feature["length"]} if "length" in feature else {})
