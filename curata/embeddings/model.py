"""Loads an open_clip image encoder and names the exact vectors it makes with a fingerprint.

The fingerprint hashes the architecture, the preprocessing, the precision and the loaded weights
themselves, so random weights (pretrained=None), a hub tag and a local checkpoint can never be
mistaken for one another, and vectors of two fingerprints are never combined.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import open_clip
import torch

from curata.embeddings.spec import ModelSpec

CONFIG_DIR = Path(__file__).resolve().parent / "model_configs"
open_clip.add_model_config(CONFIG_DIR)  # curata-tiny-vit: a real open_clip ViT, small enough for tests
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any
    preprocess: Any
    device: torch.device
    dtype: torch.dtype
    image_size: int
    dim: int
    fingerprint: str
    description: dict

    @torch.inference_mode()
    def encode(self, batch: torch.Tensor) -> torch.Tensor:
        """L2-normalised float32 vectors of a preprocessed batch."""
        pinned = batch.pin_memory() if self.device.type == "cuda" else batch
        x = pinned.to(self.device, dtype=self.dtype, non_blocking=True)
        features = self.model.encode_image(x).float()
        return torch.nn.functional.normalize(features, dim=-1).cpu()


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_model(spec: ModelSpec) -> LoadedModel:
    """Real open_clip loading; with pretrained=None the weights are random but fixed by `seed`."""
    if spec.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, not {spec.precision!r}")
    device = resolve_device(spec.device)
    if spec.precision == "fp16" and device.type == "cpu":
        raise ValueError("fp16 is for CUDA; on CPU use bf16")
    torch.manual_seed(spec.seed)
    model, _, preprocess = open_clip.create_model_and_transforms(
        spec.architecture, pretrained=spec.pretrained, cache_dir=spec.cache_dir, device=device
    )
    dtype = PRECISIONS[spec.precision]
    model = model.to(dtype=dtype).eval()
    image_size = model.visual.image_size
    image_size = image_size[0] if isinstance(image_size, tuple | list) else int(image_size)
    dim = int(model.visual.output_dim)
    description = {
        "architecture": spec.architecture,
        "weights": _weights_identity(spec),
        "weights_sha256": _state_digest(model),
        "precision": spec.precision,
        "preprocess": repr(preprocess),
        "open_clip": open_clip.__version__,
    }
    fingerprint = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]
    return LoadedModel(spec, model, preprocess, device, dtype, image_size, dim, fingerprint, description)


def _weights_identity(spec: ModelSpec) -> str:
    if spec.pretrained is None:
        return f"random(seed={spec.seed})"
    path = Path(spec.pretrained)
    return f"file:{path.name}" if path.is_file() else f"tag:{spec.pretrained}"


def _state_digest(model: torch.nn.Module) -> str:
    """sha256 of the image tower's weights: the identity that really decides the vectors."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.visual.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
