"""A compact residual backbone in plain torch (no torchvision).

``ResNetTiny``: a strided 3×3 stem, then one or more stages of basic residual blocks (two 3×3
convolutions with batch norm, a 1×1 projection when the shape changes), each stage halving the
resolution, then global average pooling concatenated with a coarse 2×2 average-pooling grid (positions
matter: the wave digits). With the default widths (24, 48, 96) on 32×32 crops the backbone has
~0.16M parameters and costs ~2M multiply-adds per crop.

`fuse_conv_bn` folds every batch norm into the convolution before it (inference only), which saves
a third of the layers at batch 1.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class BackboneConfig:
    """Shape of `ResNetTiny`.

    Attributes:
        widths: channels of the stem, then of each stage.
        blocks: residual blocks per stage (``len(widths) - 1`` entries).
        stem_stride: stride of the stem convolution.
        in_size: crop side the network is trained on.
        grid: besides the global average, the last feature map is also average-pooled on a
            ``grid``×``grid`` grid (0: global average only). It keeps coarse positions, which the
            wave digits need (the n left of the slash, the N right of it).
    """

    widths: tuple[int, ...] = (24, 48, 96)
    blocks: tuple[int, ...] = (1, 1)
    stem_stride: int = 2
    in_size: int = 32
    grid: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "blocks", tuple(int(b) for b in self.blocks))
        if len(self.blocks) != len(self.widths) - 1:
            raise ValueError("BackboneConfig: need one block count per stage (len(widths) - 1)")

    @property
    def out_features(self) -> int:
        return self.widths[-1] * (1 + self.grid * self.grid)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"], d["blocks"] = list(self.widths), list(self.blocks)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "BackboneConfig":
        return cls(widths=tuple(d["widths"]), blocks=tuple(d["blocks"]), stem_stride=int(d["stem_stride"]),
                   in_size=int(d["in_size"]), grid=int(d.get("grid", 0)))


class BasicBlock(nn.Module):
    """Two 3×3 conv + BN, ReLU, with an identity or 1×1-projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class ResNetTiny(nn.Module):
    """Crops (B, 3, S, S) float in [0, 1] -> features (B, ``config.out_features``)."""

    def __init__(self, config: BackboneConfig | None = None):
        super().__init__()
        self.config = config or BackboneConfig()
        w = self.config.widths
        self.stem = nn.Sequential(nn.Conv2d(3, w[0], 3, self.config.stem_stride, 1, bias=False),
                                  nn.BatchNorm2d(w[0]), nn.ReLU(inplace=True))
        stages = []
        cin = w[0]
        for cout, n in zip(w[1:], self.config.blocks):
            blocks = [BasicBlock(cin, cout, 2)] + [BasicBlock(cout, cout, 1) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.register_buffer("mean", torch.tensor([0.45, 0.42, 0.42]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1), persistent=False)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():  # zero-init the last BN of each block: blocks start as identity
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    @property
    def out_features(self) -> int:
        return self.config.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.lower(x, 0)))

    def lower(self, x: torch.Tensor, upto: int) -> torch.Tensor:
        """Crops normalised, through the stem and the first ``upto`` stages: what a branch of
        `feature_models.model.MultiTaskModel` starts from."""
        x = self.stem((x - self.mean) / self.std)
        return self.stages[:upto](x) if upto else x

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map -> features: its global average, then the ``grid`` cells' averages."""
        pooled = x.mean(dim=(2, 3))
        if self.config.grid:
            cells = nn.functional.adaptive_avg_pool2d(x, self.config.grid).flatten(1)
            pooled = torch.cat([pooled, cells], dim=1)
        return pooled


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      bias=True)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.data = conv.weight.data * scale.view(-1, 1, 1, 1)
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.data = (bias - bn.running_mean) * scale + bn.bias
    return fused


@torch.no_grad()
def fuse_conv_bn(net: ResNetTiny) -> ResNetTiny:
    """A copy of ``net`` (in eval mode) with every BatchNorm folded into its convolution."""
    net = copy.deepcopy(net).eval()
    net.stem = nn.Sequential(_fold(net.stem[0], net.stem[1]), nn.ReLU(inplace=True))
    for stage in net.stages:
        for b in stage:
            b.conv1, b.bn1 = _fold(b.conv1, b.bn1), nn.Identity()
            b.conv2, b.bn2 = _fold(b.conv2, b.bn2), nn.Identity()
            if isinstance(b.shortcut, nn.Sequential):
                b.shortcut = _fold(b.shortcut[0], b.shortcut[1])
    return net


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = ["BackboneConfig", "BasicBlock", "ResNetTiny", "count_parameters", "fuse_conv_bn"]
