"""Parquet files that Hugging Face `datasets` reads with its own feature types (Image, Value)."""

from __future__ import annotations

import json

import pyarrow as pa

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def image_cell(data: bytes, name: str) -> dict[str, object]:
    return {"bytes": data, "path": name}


def with_hf_features(schema: pa.Schema) -> pa.Schema:
    """Adds the `huggingface` schema metadata that makes `datasets` decode image columns as Image."""
    features: dict[str, dict[str, str]] = {}
    for field in schema:
        if field.type == IMAGE_TYPE:
            features[field.name] = {"_type": "Image"}
        elif pa.types.is_string(field.type):
            features[field.name] = {"dtype": "string", "_type": "Value"}
        elif pa.types.is_integer(field.type):
            features[field.name] = {"dtype": str(field.type), "_type": "Value"}
        elif pa.types.is_timestamp(field.type):
            features[field.name] = {"dtype": f"timestamp[{field.type.unit}, tz={field.type.tz}]", "_type": "Value"}
        else:
            raise TypeError(f"no datasets feature for column {field.name} of type {field.type}")
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode("utf-8")}
    return schema.with_metadata(meta)
