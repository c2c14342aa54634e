"""The open_clip model as a configurable resource: architecture, weights, device, precision, batch size."""

from functools import lru_cache
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

from curata.embeddings.spec import ModelSpec
from curata.export.splits import RANDOM_WEIGHTS_COSINE, TRAINED_WEIGHTS_COSINE

if TYPE_CHECKING:
    from curata.embeddings.model import LoadedModel


@lru_cache(maxsize=2)
def _cached(spec: ModelSpec) -> "LoadedModel":
    from curata.embeddings.model import load_model  # torch loads only in runs that embed

    return load_model(spec)


class ClipModel(ConfigurableResource):
    """Defaults run anywhere: ViT-B-32 with random weights fixed by `seed` (no download needed).

    For real weights set `pretrained` to an open_clip tag (e.g. laion2b_s34b_b79k, with `cache_dir`
    holding the downloaded file) or to the path of a local checkpoint.
    """

    architecture: str = "ViT-B-32"
    pretrained: str | None = None
    cache_dir: str | None = None
    device: str = "auto"
    precision: str = "fp32"
    batch_size: int = 32
    seed: int = 0
    decode_workers: int = 2
    chunks: int = 2  # steps the missing images are split into, by hash range; they run in parallel

    @property
    def near_duplicate_cosine(self) -> float:
        """From which cosine two of this model's vectors count as one image (curata/export/splits.py says why)."""
        return TRAINED_WEIGHTS_COSINE if self.pretrained else RANDOM_WEIGHTS_COSINE

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec(
            self.architecture, self.pretrained, self.cache_dir, self.device, self.precision, self.batch_size, self.seed
        )

    def load(self) -> "LoadedModel":
        return _cached(self.spec)
