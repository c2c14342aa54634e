"""Every table the pipeline writes, by name: the registry that writers, the IO manager, the UI and the docs share."""

from __future__ import annotations

from curata.archive.tables import ARCHIVE_INVENTORY
from curata.curation.tables import CURATION_QUARANTINE, VALIDATED_CROPS, VALIDATED_SELECTIONS
from curata.embeddings.tables import IMAGE_EMBEDDINGS
from curata.erasure.tables import IMAGE_INDEX, PERSON_INDEX
from curata.library.face_tables import FACE_CLUSTER_ASSIGNMENTS, FACE_CLUSTERS
from curata.library.tables import LIBRARY_TABLES
from curata.projects.tables import HISTORICAL_GROUPS, HISTORICAL_PAIRS, PROJECT_QUARANTINE, PROJECT_STATS
from curata.quality_tables import QUALITY_TABLES
from curata.sessions.tables import (
    DEFERRED_SESSIONS,
    RAW_SESSIONS,
    SESSION_PEOPLE,
    SESSION_QUARANTINE,
    TRAINING_LOG_LINES,
    TRAINING_LOG_QUARANTINE,
    VALIDATED_SESSIONS,
)
from curata.tables import TableSpec, render_markdown
from curata.tombstones import ERASURE_TOMBSTONES
from curata.training.tables import TRAINING_TABLES

SPECS: tuple[TableSpec, ...] = (
    RAW_SESSIONS,
    VALIDATED_SESSIONS,
    SESSION_QUARANTINE,
    DEFERRED_SESSIONS,
    SESSION_PEOPLE,
    TRAINING_LOG_LINES,
    TRAINING_LOG_QUARANTINE,
    VALIDATED_SELECTIONS,
    VALIDATED_CROPS,
    CURATION_QUARANTINE,
    HISTORICAL_GROUPS,
    HISTORICAL_PAIRS,
    PROJECT_STATS,
    PROJECT_QUARANTINE,
    IMAGE_EMBEDDINGS,
    ARCHIVE_INVENTORY,
    ERASURE_TOMBSTONES,
    PERSON_INDEX,
    IMAGE_INDEX,
    *LIBRARY_TABLES,
    FACE_CLUSTER_ASSIGNMENTS,
    FACE_CLUSTERS,
    *TRAINING_TABLES,
    *QUALITY_TABLES,
)
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in SPECS}


def spec_of(table: str) -> TableSpec:
    try:
        return TABLES[table]
    except KeyError:
        raise KeyError(
            f"{table!r} is not a declared table; declare it in a tables module and list it in SPECS"
        ) from None


if __name__ == "__main__":
    print(render_markdown(list(SPECS)), end="")
