"""How good a face clustering is against planted truth: the figures the tests, benchmark and demo report.

Noise faces count as clusters of one (what a person sees: a face grouped with nobody), so a method
cannot look pure by leaving everything unclustered: the adjusted Rand index drops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import radius_neighbors_graph

NOISE = -1
DBSCAN_GRID = [(round(float(eps), 2), m) for eps in np.arange(0.30, 0.49, 0.02) for m in (2, 4)]


@dataclass(frozen=True)
class ClusteringScores:
    ari: float  # adjusted Rand index against the people
    purity: float  # share of faces in clusters of 2+ that belong to their cluster's main person
    largest_cluster_purity: float
    worst_purity_10: float  # the least pure cluster of 10+ faces (1.0 when there is none)
    noise_share: float
    clusters: int  # of 2+ faces

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def labels_of(faces: pa.Table, face_ids: np.ndarray) -> np.ndarray:
    """Integer cluster labels for `face_ids` from a face table (FACE_SCHEMA), NOISE where unclustered."""
    cluster = faces.to_pandas().set_index("face_id")["cluster_id"].reindex(face_ids)
    labels = pd.factorize(cluster)[0]  # NaN -> -1
    return np.where(cluster.isna().to_numpy(), NOISE, labels)


def score_clustering(labels: np.ndarray, truth: np.ndarray) -> ClusteringScores:
    """Scores integer `labels` (NOISE for unclustered) against `truth` (a person per face)."""
    noise = labels == NOISE
    singletons = labels.copy()
    singletons[noise] = labels.max(initial=0) + 1 + np.arange(noise.sum())
    frame = pd.DataFrame({"cluster": singletons, "person": pd.factorize(truth)[0]})
    sizes = frame.groupby("cluster").size()
    main = frame.groupby(["cluster", "person"]).size().groupby("cluster").max()
    shared = sizes >= 2
    big = sizes >= 10
    purity = main[shared].sum() / sizes[shared].sum() if shared.any() else 1.0
    return ClusteringScores(
        ari=float(adjusted_rand_score(frame["person"], frame["cluster"])),
        purity=float(purity),
        largest_cluster_purity=float(main[sizes.idxmax()] / sizes.max()),
        worst_purity_10=float((main[big] / sizes[big]).min()) if big.any() else 1.0,
        noise_share=float(noise.mean()),
        clusters=int(shared.sum()),
    )


def best_dbscan(encodings: np.ndarray, truth: np.ndarray, present: np.ndarray | None = None) -> ClusteringScores:
    """scikit-learn DBSCAN at the eps and min_samples that score best (ARI) against the truth itself: the most it
    can do, the bar our clustering must reach. Faces not `present` (quarantined) count as noise, as in ours."""
    return max(dbscan_grid_scores(encodings, truth, present), key=lambda s: s.ari)


def dbscan_grid_scores(
    encodings: np.ndarray, truth: np.ndarray, present: np.ndarray | None = None
) -> list[ClusteringScores]:
    """DBSCAN's scores at every (eps, min_samples) of DBSCAN_GRID, in its order, from one radius graph."""
    reach = max(eps for eps, _ in DBSCAN_GRID)
    within = radius_neighbors_graph(encodings, reach, mode="distance", include_self=True)
    runs = (DBSCAN(eps=eps, min_samples=m, metric="precomputed").fit_predict(within) for eps, m in DBSCAN_GRID)
    return [_scored(labels, truth, present) for labels in runs]


def default_dbscan(encodings: np.ndarray, truth: np.ndarray, present: np.ndarray | None = None) -> ClusteringScores:
    """scikit-learn DBSCAN as it comes (eps 0.5, min_samples 5): what a user without labels starts from."""
    return _scored(DBSCAN().fit_predict(encodings), truth, present)


def _scored(labels: np.ndarray, truth: np.ndarray, present: np.ndarray | None) -> ClusteringScores:
    full = np.full(len(truth), NOISE)
    full[np.ones(len(truth), dtype=bool) if present is None else present] = labels
    return score_clustering(full, truth)
