"""The face clustering's outputs: one row per face, one row per cluster, and the JSON document.

Tables are declared here once; the JSON keeps the seed's `face_clusters` shape (a `clusters` list, as
the photo library's loader reads it), with ids instead of positions and no encodings.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curata.tables import TableSpec, col

FACE_CLUSTER_ASSIGNMENTS = TableSpec(
    "library_face_assignments",
    "One row per face: the cluster (person) it was put in, or none.",
    (
        col("face_id", pa.string(), "`library_faces.face_id`"),
        col("image_id", pa.string(), "the image's library id"),
        col("cluster_id", pa.string(), "`face-cluster-<hash of its smallest face id>`; null: a face like no other yet"),
        col(
            "person_id",
            pa.string(),
            "the person: the cluster_id, or with `merge_likely_same_person` one cluster_id for every cluster "
            "linked to it through likely_same_as (the one holding their smallest face id)",
        ),
    ),
)

FACE_CLUSTERS = TableSpec(
    "library_face_clusters",
    "One row per face cluster (a recurring person), largest first.",
    (
        col("cluster_id", pa.string(), "stable name: kept by incremental runs, the same on every re-run"),
        col("size", pa.int64(), "faces in the cluster"),
        col("representative_face_id", pa.string(), "the member nearest the cluster's centroid"),
        col("face_ids", pa.list_(pa.string()), "member faces, sorted"),
        col("image_ids", pa.list_(pa.string()), "the image of each face in face_ids (same order)"),
        col("likely_same_as", pa.list_(pa.string()), "clusters likely of the same person (other looks), nearest first"),
    ),
)
FACE_SCHEMA = FACE_CLUSTER_ASSIGNMENTS.schema
CLUSTER_SCHEMA = FACE_CLUSTERS.schema


def face_table(face_ids: np.ndarray, image_ids: np.ndarray, cluster_ids: np.ndarray, persons: np.ndarray) -> pa.Table:
    """One row per face; `cluster_ids` and `persons` (person ids) hold None for noise."""
    return pa.table([face_ids, image_ids, cluster_ids, persons], schema=FACE_SCHEMA)


def cluster_table(faces: pa.Table, representatives: dict[str, str], likely_same_as: dict[str, list[str]]) -> pa.Table:
    """One row per cluster, largest first (ties by id), built from the face table."""
    clustered = faces.filter(faces["cluster_id"].is_valid())
    order = clustered.sort_by([("cluster_id", "ascending"), ("face_id", "ascending")])
    cluster_col = order["cluster_id"].to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, cluster_col[1:] != cluster_col[:-1]]) if len(cluster_col) else np.array([], int)
    offsets = pa.array(np.r_[starts, len(cluster_col)].astype(np.int32))
    ids = cluster_col[starts]
    table = pa.table(
        {
            "cluster_id": pa.array(ids, pa.string()),
            "size": pa.array(np.diff(offsets.to_numpy()), pa.int64()),
            "representative_face_id": pa.array([representatives[c] for c in ids], pa.string()),
            "face_ids": pa.ListArray.from_arrays(offsets, order["face_id"].combine_chunks()),
            "image_ids": pa.ListArray.from_arrays(offsets, order["image_id"].combine_chunks()),
            "likely_same_as": pa.array([likely_same_as.get(c, []) for c in ids], pa.list_(pa.string())),
        },
        schema=CLUSTER_SCHEMA,
    )
    return table.sort_by([("size", "descending"), ("cluster_id", "ascending")])


def clusters_document(faces: pa.Table, clusters: pa.Table) -> dict:
    """The seed's `face_clusters` as JSON: every cluster with its members, and the faces left unclustered."""
    noise = faces.filter(faces["cluster_id"].is_null())["face_id"].to_pylist()
    return {
        "total_faces": faces.num_rows,
        "clustered_faces": faces.num_rows - len(noise),
        "clusters": clusters.to_pylist(),
        "unclustered_face_ids": sorted(noise),
    }
