"""What model to embed with: plain settings, importable without torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    architecture: str = "ViT-B-32"
    pretrained: str | None = None  # a tag ("laion2b_s34b_b79k"), a local checkpoint path, or None (random)
    cache_dir: str | None = None  # where open_clip keeps downloaded weights
    device: str = "cpu"  # cpu, cuda, or auto (cuda when present)
    precision: str = "fp32"  # fp32; bf16 on CPU; fp16 or bf16 on CUDA
    batch_size: int = 32
    seed: int = 0  # fixes random weights when pretrained is None
