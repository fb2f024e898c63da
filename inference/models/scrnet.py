"""SCR-Net and its ablation variants (paper Fig. 2 and Table 1), plus U-Net (Table 2).

`forward` maps (N, 3, H, W) normalised RGB to (N, 1, H, W) logits. H and W
must be multiples of 16 (four 2x2 poolings); the engine pads to that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from inference.models.blocks import PPM, SCM, SRM, BilinearFusion, ConvBNReLU, DoubleConv, upsample_to

VARIANTS = ("baseline", "baseline+scm", "baseline+srm", "scrnet", "unet")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a network; saved inside every checkpoint."""

    variant: str = "scrnet"
    # Encoder stage widths, shallow to deep (paper reference: 16, 32, 64, 128, 128).
    widths: tuple[int, ...] = (16, 32, 64, 128, 128)
    # Decoder widths, deep to shallow; the last (full resolution) stage has 8 channels.
    decoder_widths: tuple[int, ...] = (64, 32, 16, 8)
    ppm_bins: tuple[int, ...] = (1, 2, 3, 6)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown model variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if len(self.decoder_widths) != len(self.widths) - 1:
            raise ValueError("decoder_widths needs one entry per fusion (len(widths) - 1)")

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this."""
        return 2 ** (len(self.widths) - 1)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(sorted(unknown))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class Encoder(nn.Module):
    """Five stages of DoubleConv with 2x2 max-pooling between them."""

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        chans = (3, *widths)
        self.stages = nn.ModuleList(DoubleConv(chans[i], chans[i + 1]) for i in range(len(widths)))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(N, 3, H, W) -> [X_1 (N, w1, H, W), ..., X_5 (N, w5, H/16, W/16)]."""
        feats = []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        return feats


class SCRNet(nn.Module):
    """FPN + PPM baseline with optional SCM (encoder fusions) and SRM (decoder gates).

    Top-down pyramid: I_5 = PPM(X_5); I_i = fuse(I_{i+1}, X_i) for i = 4..1,
    where fuse is SCM or bilinear upsampling plus addition.
    Decoder: D_5 = I_5; D_i = ConvBNReLU(Cat(O_i, Up(D_{i+1}))), with
    O_i = SRM(I_{i+1}, I_i) or O_i = I_i. Every D_i has a 1x1 side output; the
    side outputs are upsampled to full resolution and fused by a 1x1 conv.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        w, d = config.widths, config.decoder_widths
        use_scm = config.variant in ("baseline+scm", "scrnet")
        use_srm = config.variant in ("baseline+srm", "scrnet")
        levels = len(w)
        self.encoder = Encoder(w)
        self.ppm = PPM(w[-1], config.ppm_bins)
        fusion = SCM if use_scm else BilinearFusion
        # fusions[j] merges level j+1 into level j (0-based, shallow first).
        self.fusions = nn.ModuleList(fusion(w[j + 1], w[j]) for j in range(levels - 1))
        self.srms = nn.ModuleList(SRM(w[j + 1], w[j]) for j in range(levels - 1)) if use_srm else None
        # decoders[j] produces D at level j; its input is O_j plus the decoder map above.
        above = [w[-1], *d[:-1]]  # channels of D_{j+1}, deep to shallow
        self.decoders = nn.ModuleList()
        self.sides = nn.ModuleList()
        for k in range(levels - 1):  # k = 0 is the deepest fusion
            j = levels - 2 - k
            self.decoders.append(ConvBNReLU(w[j] + above[k], d[k]))
            self.sides.append(nn.Conv2d(d[k], 1, 1))
        self.fuse = nn.Conv2d(levels - 1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 1, H, W) logits."""
        size = (x.shape[-2], x.shape[-1])
        feats = self.encoder(x)
        pyramid = [torch.empty(0)] * len(feats)
        pyramid[-1] = self.ppm(feats[-1])
        for j in range(len(feats) - 2, -1, -1):
            pyramid[j] = self.fusions[j](pyramid[j + 1], feats[j])
        dec = pyramid[-1]
        sides = []
        for k, (decoder, side) in enumerate(zip(self.decoders, self.sides, strict=True)):
            j = len(feats) - 2 - k
            o = self.srms[j](pyramid[j + 1], pyramid[j]) if self.srms is not None else pyramid[j]
            up = upsample_to(dec, (o.shape[-2], o.shape[-1]))
            dec = decoder(torch.cat([o, up], dim=1))
            sides.append(upsample_to(side(dec), size) if dec.shape[-2:] != size else side(dec))
        return self.fuse(torch.cat(sides, dim=1))


class UNet(nn.Module):
    """U-Net (Ronneberger et al. 2015) at the same encoder widths, the paper's Table 2 reference."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        w = config.widths
        self.encoder = Encoder(w)
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for j in range(len(w) - 2, -1, -1):
            self.ups.append(nn.ConvTranspose2d(w[j + 1], w[j], 2, stride=2))
            self.decoders.append(DoubleConv(2 * w[j], w[j]))
        self.head = nn.Conv2d(w[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 1, H, W) logits."""
        feats = self.encoder(x)
        y = feats[-1]
        for k, (up, decoder) in enumerate(zip(self.ups, self.decoders, strict=True)):
            skip = feats[len(feats) - 2 - k]
            y = decoder(torch.cat([skip, up(y)], dim=1))
        return self.head(y)


def kaiming_init(model: nn.Module) -> None:
    """Kaiming (He et al. 2015) initialisation, as in the paper's implementation details.

    SCM offset convolutions keep their zero start (exact bilinear upsampling).
    """
    offsets = {id(m.offset) for m in model.modules() if isinstance(m, SCM)}
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and id(m) not in offsets:
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def build_model(config: ModelConfig | str = "scrnet") -> nn.Module:
    """Factory by name or config: one of VARIANTS."""
    if isinstance(config, str):
        config = ModelConfig(variant=config)
    model: nn.Module = UNet(config) if config.variant == "unet" else SCRNet(config)
    kaiming_init(model)
    return model


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_flops(model: nn.Module, size: int = 448) -> float:
    """Forward FLOPs (2 x multiply-adds) of one size x size frame, by torch's flop counter."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=next(model.parameters()).device))
    model.train(was_training)
    return float(counter.get_total_flops())


__all__ = ["VARIANTS", "ModelConfig", "SCRNet", "UNet", "build_model", "count_params", "count_flops"]
