"""The tagged photo library and what it teaches: tag co-occurrence, description patterns, synonyms,
tag suggestions, face clusters and the training report, published together as a versioned export."""

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    MaterializeResult,
    Output,
    asset,
    multi_asset,
)

from assets.checks import actionable_check, actionable_spec, problems_check, reconciliation_check
from assets.pictures import picture
from assets.policies import IO_RETRY, described, table_out
from assets.quality import quality_output
from curata.export.bundle import publish_bundle
from curata.export.verify import export_problems
from curata.export.versioned import Provenance
from curata.layout import DataRootError
from curata.library import LIBRARY
from curata.library.analyses import PATTERNS_SUMMARY, analyse_tags
from curata.library.changes import library_digests
from curata.library.contact_sheet import cluster_sheet
from curata.library.face_tables import FACE_CLUSTER_ASSIGNMENTS, FACE_CLUSTERS, clusters_document
from curata.library.faces import ClusterParams, FaceSet, cluster_faces, extend_clustering
from curata.library.records import library_record_ids, read_library
from curata.library.tables import (
    DESCRIPTION_PATTERNS,
    LIBRARY_DIGESTS,
    LIBRARY_DOCUMENTS,
    LIBRARY_FACES,
    LIBRARY_IMAGES,
    LIBRARY_QUARANTINE,
    SYNONYM_GROUPS,
    TAG_COUNTS,
    TAG_PAIRS,
    TAG_SUGGESTIONS,
    documents_of,
    documents_table,
)
from curata.quality_tables import LIBRARY_IMAGE_QUALITY
from curata.quarantine import counts_by_rule
from curata.reconcile import reconcile
from curata.tables import TableSpec
from curata.warehouse import UNPARTITIONED
from resources import CurataSettings

GROUP = "library"
EXPORT = "library_patterns"
SHEETS_IN_UI = 4  # the largest clusters' contact sheets shown on the asset page; every sheet is in the export
SHEETS_EXPORTED = 500
TAG_TABLES = (TAG_COUNTS, TAG_PAIRS, DESCRIPTION_PATTERNS, SYNONYM_GROUPS, TAG_SUGGESTIONS)
FACE_TABLES = (FACE_CLUSTER_ASSIGNMENTS, FACE_CLUSTERS)
RECORD_TABLES = (LIBRARY_IMAGES, LIBRARY_FACES, LIBRARY_QUARANTINE, LIBRARY_DIGESTS, LIBRARY_IMAGE_QUALITY)
RECONCILES = "library_records_reconcile"
ACCOUNTED = "every_face_accounted"
MATCHES_MANIFEST = "export_matches_manifest"


def _outs(*specs: TableSpec) -> dict[str, AssetOut]:
    return {spec.name: table_out(spec.name, "library") for spec in specs}


@multi_asset(
    group_name=GROUP,
    outs=_outs(*RECORD_TABLES),
    check_specs=[
        AssetCheckSpec(
            RECONCILES,
            asset=LIBRARY_IMAGES.name,
            blocking=True,
            description="records in the metadata export = accepted + quarantined, by record id",
        ),
        actionable_spec(LIBRARY_QUARANTINE.name),
    ],
)
def library_records(context: AssetExecutionContext, curata: CurataSettings) -> Iterator[Output | AssetCheckResult]:
    layout = curata.layout
    curata.require(LIBRARY)
    read = read_library(layout, curata.library_limits, threads=curata.workers)
    if read.source is None:
        raise DataRootError(f"{layout.library} holds no images_metadata.jsonl or images_metadata.json")
    warehouse = curata.warehouse
    digests = LIBRARY_DIGESTS.name
    previous = warehouse.read(digests) if warehouse.exists(digests) else None  # spares rehashing
    quarantine = read.quarantined.to_pylist()
    yield Output(read.images, output_name=LIBRARY_IMAGES.name, metadata={"accepted": read.images.num_rows})
    yield Output(read.faces, output_name=LIBRARY_FACES.name, metadata={"faces": read.faces.num_rows})
    yield quality_output(read.quality, LIBRARY_IMAGE_QUALITY.name)
    yield Output(
        read.quarantined,
        output_name=LIBRARY_QUARANTINE.name,
        metadata={"quarantined": len(quarantine), **counts_by_rule(quarantine), "ignored": ", ".join(read.ignored)},
    )
    yield Output(library_digests(layout, curata.max_library_record_bytes, previous), output_name=LIBRARY_DIGESTS.name)
    rec = reconcile(
        library_record_ids(layout),
        {
            "accepted": read.images.column("record_id").to_pylist(),
            "quarantined": read.quarantined.column("record_id").to_pylist(),
        },
    )
    yield reconciliation_check(LIBRARY_IMAGES.name, RECONCILES, rec)
    yield actionable_check(LIBRARY_QUARANTINE.name, quarantine)


@multi_asset(
    group_name=GROUP,
    outs=_outs(*TAG_TABLES, LIBRARY_DOCUMENTS),
)
def tag_analyses(library_images: pa.Table, library_quarantine: pa.Table) -> Iterator[Output]:
    """Co-occurrence with lift and PMI, synonyms, suggestions, description patterns and the training report."""
    analyses = analyse_tags(library_images)
    for name, table in analyses.tables().items():
        yield Output(table, output_name=name, metadata={"rows": table.num_rows})
    documents = analyses.documents(quarantined=library_quarantine.num_rows)
    synonyms = analyses.synonyms.table()
    yield Output(
        documents_table(documents),
        output_name=LIBRARY_DOCUMENTS.name,
        metadata={"documents": len(documents), "synonym_groups": len(set(synonyms.column("group_id").to_pylist()))},
    )


@multi_asset(
    group_name=GROUP,
    outs=_outs(*FACE_TABLES),
    check_specs=[
        AssetCheckSpec(
            ACCOUNTED,
            asset=FACE_CLUSTERS.name,
            blocking=True,
            description="each face is in one cluster or none, and cluster sizes add up",
        )
    ],
)
def face_clusters(
    context: AssetExecutionContext, curata: CurataSettings, library_faces: pa.Table, library_images: pa.Table
) -> Iterator[Output | AssetCheckResult]:
    """A re-run keeps every earlier face in its cluster (same ids); new faces join or cluster among themselves."""
    faces = FaceSet.from_table(library_faces)
    warehouse = curata.warehouse  # this asset's own earlier output: what keeps clusters put
    assignments = FACE_CLUSTER_ASSIGNMENTS.name
    previous = warehouse.read(assignments) if warehouse.exists(assignments) else None
    params = ClusterParams(merge_likely_same_person=curata.merge_likely_same_person)
    result = cluster_faces(faces, params) if previous is None else extend_clustering(previous, faces, params)
    clusters = result.clusters.to_pylist()
    sheets = contact_sheets(clusters[:SHEETS_IN_UI], library_faces, library_images, curata.layout.root)
    yield Output(result.faces, output_name=FACE_CLUSTER_ASSIGNMENTS.name, metadata={"faces": result.faces.num_rows})
    yield Output(
        result.clusters,
        output_name=FACE_CLUSTERS.name,
        metadata={
            "clusters": len(clusters),
            "largest": clusters[0]["size"] if clusters else 0,
            "unclustered": result.faces.filter(result.faces["cluster_id"].is_null()).num_rows,
            "incremental": previous is not None,
            **{f"contact_sheet_{k + 1}": picture(png, name) for k, (name, png) in enumerate(sheets.items())},
        },
    )
    yield problems_check(FACE_CLUSTERS.name, ACCOUNTED, face_problems(result.faces, result.clusters))


def face_problems(faces: pa.Table, clusters: pa.Table) -> list[str]:
    """A face in two clusters, or a cluster whose size is not its member count."""
    seen: set[str] = set()
    problems = [f"face {f} listed twice" for f in faces.column("face_id").to_pylist() if f in seen or seen.add(f)]
    for row in clusters.to_pylist():
        if row["size"] != len(row["face_ids"]):
            problems.append(f"{row['cluster_id']}: size {row['size']} but {len(row['face_ids'])} members")
    return problems


def contact_sheets(clusters: list[dict], faces: pa.Table, images: pa.Table, root: Path) -> dict[str, bytes]:
    """PNG per cluster, from the accepted images only (they passed the image inspection)."""
    boxes = {
        r["face_id"]: (r["top"], r["right"], r["bottom"], r["left"])
        for r in faces.select(["face_id", "top", "right", "bottom", "left"]).to_pylist()
    }
    accepted = {r["id"]: root / r["path"] for r in images.select(["id", "path"]).to_pylist()}
    return {f"{c['cluster_id']}.png": cluster_sheet(c, boxes, accepted) for c in clusters}


@asset(
    group_name=GROUP,
    retry_policy=IO_RETRY,
    **described("export", {"json", "parquet"}),
    check_specs=[
        AssetCheckSpec(
            MATCHES_MANIFEST, asset=EXPORT, blocking=True, description="files and sha256 as the manifest says"
        )
    ],
)
def library_patterns(
    context: AssetExecutionContext,
    curata: CurataSettings,
    library_documents: pa.Table,
    library_tag_counts: pa.Table,
    library_tag_pairs: pa.Table,
    library_description_patterns: pa.Table,
    library_synonym_groups: pa.Table,
    library_tag_suggestions: pa.Table,
    library_face_assignments: pa.Table,
    library_face_clusters: pa.Table,
    library_faces: pa.Table,
    library_images: pa.Table,
    library_quarantine: pa.Table,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Every analysis in the seed's shapes, with its tables and a contact sheet per face cluster."""
    documents = documents_of(library_documents)
    documents["face_clusters.json"] = clusters_document(library_face_assignments, library_face_clusters)
    published = (library_tag_counts, library_tag_pairs, library_description_patterns, library_synonym_groups)
    published += (library_tag_suggestions, library_face_assignments, library_face_clusters)
    tables = {spec.name: table for spec, table in zip((*TAG_TABLES, *FACE_TABLES), published, strict=True)}
    clusters = library_face_clusters.slice(0, SHEETS_EXPORTED).to_pylist()
    sheets = contact_sheets(clusters, library_faces, library_images, curata.layout.root)
    provenance = Provenance({LIBRARY_IMAGES.name: [UNPARTITIONED]}, counts_by_rule(library_quarantine.to_pylist()))
    result = publish_bundle(curata.store, EXPORT, documents, tables, sheets, provenance, summary=PATTERNS_SUMMARY)
    yield MaterializeResult(
        metadata={
            "version": result.version,
            "path": result.key,
            "reused": result.reused,
            "documents": ", ".join(sorted(documents)),
            "contact_sheets": len(sheets),
        }
    )
    yield problems_check(EXPORT, MATCHES_MANIFEST, export_problems(curata.store, result.key))


LIBRARY_ASSETS = [library_records, tag_analyses, face_clusters, library_patterns]
