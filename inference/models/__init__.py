"""Network definitions: blocks, SCR-Net and its variants, and a factory by name."""

from inference.models.scrnet import VARIANTS, ModelConfig, build_model, count_flops, count_params

__all__ = ["VARIANTS", "ModelConfig", "build_model", "count_flops", "count_params"]
