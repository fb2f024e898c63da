"""Building blocks of SCR-Net (Wu et al., AAAI 2021, Method section).

Every block takes and returns NCHW float tensors. Shapes in docstrings use
N (batch), C (channels), H and W (height and width in pixels of that scale).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# One convention for every resampling in the network: pixel centres, as in
# F.interpolate(mode="bilinear", align_corners=False). The SCM base grid below
# uses the same convention, so a zero offset reproduces bilinear upsampling.
ALIGN_CORNERS = False


class ConvBNReLU(nn.Sequential):
    """k x k convolution (no bias), batch norm, ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class DoubleConv(nn.Sequential):
    """One encoder stage: two 3x3 ConvBNReLU (paper Fig. 2, as in U-Net)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(ConvBNReLU(in_ch, out_ch), ConvBNReLU(out_ch, out_ch))


def upsample_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of (N, C, h, w) to (N, C, *size)."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=ALIGN_CORNERS)


class PPM(nn.Module):
    """Pyramid pooling module (Zhao et al. 2017) on the top encoder stage.

    (N, C, H, W) -> (N, C, H, W). Each bin size b pools to b x b, reduces to
    C/4 channels with a 1x1 conv, is upsampled back and concatenated with the
    input; a 1x1 ConvBNReLU fuses the 2C channels back to C.
    """

    def __init__(self, channels: int, bins: tuple[int, ...] = (1, 2, 3, 6)) -> None:
        super().__init__()
        reduced = max(channels // len(bins), 1)
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), ConvBNReLU(channels, reduced, kernel=1)) for b in bins
        )
        self.fuse = ConvBNReLU(channels + reduced * len(bins), channels, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = (x.shape[-2], x.shape[-1])
        pooled = [upsample_to(stage(x), size) for stage in self.stages]
        return self.fuse(torch.cat([x, *pooled], dim=1))


class BilinearFusion(nn.Module):
    """FPN top-down fusion of the baseline: I_i = X_i + Up(Conv1x1(I_{i+1}))."""

    def __init__(self, high_ch: int, low_ch: int) -> None:
        super().__init__()
        self.lateral = nn.Conv2d(high_ch, low_ch, 1, bias=False)

    def forward(self, high: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """high: (N, Ch, H, W), low: (N, Cl, 2H, 2W) -> (N, Cl, 2H, 2W)."""
        return low + upsample_to(self.lateral(high), (low.shape[-2], low.shape[-1]))


class SCM(nn.Module):
    """Semantic calibration module (paper eq. 1-3), in place of bilinear upsampling.

    X'_{i+1} = Up(Conv1x1(X_{i+1}))                      (eq. 1)
    S_{i+1}  = Conv3x3(Cat(X'_{i+1}, X_i))  -> 2 channels (eq. 2), in pixels of X_i
    I_i      = X_i + Map(Conv1x1(X_{i+1}), S_{i+1})       (eq. 3)

    Map samples the reduced high-level map at every output pixel's own
    position plus its learned offset (grid_sample, bilinear). Sampling the
    low-resolution map directly is eq. 3 without a second interpolation: with
    a zero offset it equals Up(Conv1x1(X_{i+1})) exactly.
    """

    def __init__(self, high_ch: int, low_ch: int) -> None:
        super().__init__()
        self.lateral = nn.Conv2d(high_ch, low_ch, 1, bias=False)
        self.offset = nn.Conv2d(2 * low_ch, 2, 3, padding=1, bias=False)
        # Start as plain bilinear upsampling; training learns the calibration.
        nn.init.zeros_(self.offset.weight)
        self._grids: dict[tuple[int, int, torch.device, torch.dtype], torch.Tensor] = {}

    def base_grid(self, h: int, w: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """(1, h, w, 2) normalised (x, y) pixel centres, built once per shape and device.

        Under torch.compile / torch.export the grid is built in the graph instead (frozen weights fold it into a
        constant): a dict that the first call fills fails the compiled graph's guard on the second call, which then
        compiled the whole model again (31-37 s on the 2-core dev machine)."""
        if torch.compiler.is_compiling():
            return self._make_grid(h, w, device, dtype)
        key = (h, w, device, dtype)
        grid = self._grids.get(key)
        if grid is None:
            grid = self._grids[key] = self._make_grid(h, w, device, dtype)
        return grid

    @staticmethod
    def _make_grid(h: int, w: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        ys = (torch.arange(h, device=device, dtype=dtype) * 2 + 1) / h - 1
        xs = (torch.arange(w, device=device, dtype=dtype) * 2 + 1) / w - 1
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        return torch.stack((gx, gy), dim=-1).unsqueeze(0)

    def forward(self, high: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """high: (N, Ch, H, W), low: (N, Cl, 2H, 2W) -> (N, Cl, 2H, 2W)."""
        h, w = low.shape[-2], low.shape[-1]
        reduced = self.lateral(high)
        up = upsample_to(reduced, (h, w))
        flow = self.offset(torch.cat([up, low], dim=1))  # (N, 2, h, w) pixels
        # Pixel offsets to normalised units: one pixel is 2/size (align_corners=False).
        scale = torch.tensor([2.0 / w, 2.0 / h], device=low.device, dtype=flow.dtype)
        grid = self.base_grid(h, w, low.device, flow.dtype) + flow.permute(0, 2, 3, 1) * scale
        warped = F.grid_sample(
            reduced,
            grid.to(reduced.dtype),
            mode="bilinear",
            padding_mode="border",
            align_corners=ALIGN_CORNERS,
        )
        return low + warped


class SRM(nn.Module):
    """Semantic refinement module (paper eq. 4-7).

    U_v = GAP(I_{i+1}); U^_v = ReLU(Conv1x1(U_v)); O_i = I_i * sigmoid(U^_v + I_i).
    """

    def __init__(self, high_ch: int, low_ch: int) -> None:
        super().__init__()
        self.rescale = nn.Conv2d(high_ch, low_ch, 1)

    def forward(self, high: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """high: (N, Ch, H, W), low: (N, Cl, 2H, 2W) -> (N, Cl, 2H, 2W)."""
        context = F.relu(self.rescale(F.adaptive_avg_pool2d(high, 1)))  # (N, Cl, 1, 1)
        return low * torch.sigmoid(context + low)
