"""Full-frame parse speed of the multi-task vision model against the seed's trio of CNNs.

Measured in the same run, on one thread:

* **parse**: `feature_models.FrameParser` with the shipped weights reading whole frames
  (640×360, crop extraction and every head included) at batch 1 and batch 32; and at batch 1
  without the second read of unsure wave digits (``wave_shifts=False``), what that read costs;
* **trio**: Project Pendragon's per-frame pipeline before Tonks, built in plain torch, untrained,
  timed only: a ResNet-34 on the Attack crop, a ResNet-50 on each of the 5 card crops and a
  ResNet-50 on the wave crop, every input resized to 224×224 (7 images per frame), at batch 1
  (one frame) and batch 32 (32 frames: 32 + 192 + 32 images).

Prints a table, then, as the last line, one JSON object with every figure.

    SDL_VIDEODRIVER=dummy .venv/bin/python benchmarks/vision_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from feature_models.baselines import time_call  # noqa: E402


# ------------------------------------------------------------------ plain-torch ResNet-34 / 50
class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
        self.c2, self.b2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
        self.down = None
        if stride != 1 or cin != planes:
            self.down = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        out = planes * 4
        self.c1, self.b1 = nn.Conv2d(cin, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.c2, self.b2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
        self.c3, self.b3 = nn.Conv2d(planes, out, 1, bias=False), nn.BatchNorm2d(out)
        self.down = None
        if stride != 1 or cin != out:
            self.down = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = torch.relu(self.b2(self.c2(y)))
        y = self.b3(self.c3(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    """torchvision's ResNet layout (same parameter counts), classifier with ``n_classes``."""

    def __init__(self, block, layers, n_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        cin, stages = 64, []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for k in range(n):
                blocks.append(block(cin, planes, 2 if (k == 0 and i > 0) else 1))
                cin = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, n_classes)

    def forward(self, x):
        return self.fc(self.stages(self.stem(x)).mean(dim=(2, 3)))


def resnet34(n_classes):
    return ResNet(Basic, (3, 4, 6, 3), n_classes).eval()


def resnet50(n_classes):
    return ResNet(Bottleneck, (3, 4, 6, 3), n_classes).eval()


def nbytes_on_disk(module: nn.Module) -> int:
    from safetensors.torch import save

    return len(save({k: v.contiguous() for k, v in module.state_dict().items()}))


class Trio:
    """The seed's per-frame pipeline: crops resized to 224 and fed to three untrained CNNs."""

    def __init__(self):
        self.attack, self.cards, self.wave = resnet34(2), resnet50(3), resnet50(3)
        self.mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def _prep(self, crops: list[np.ndarray]) -> torch.Tensor:
        x = torch.stack([torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1) for c in crops]).float() / 255
        x = torch.nn.functional.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std

    @torch.inference_mode()
    def read(self, frames: list[np.ndarray]) -> None:
        from feature_models.tasks import crop_boxes

        att, cards, wave = [], [], []
        for f in frames:
            b = crop_boxes(*f.shape[:2]).boxes

            def cut(name, _f=f, _b=b):
                x0, y0, x1, y1 = _b[name]
                return _f[y0:y1, x0:x1]

            att.append(cut("attack"))
            cards += [cut(f"card{i}") for i in range(5)]
            wave.append(cut("wave"))
        self.attack(self._prep(att)).argmax(-1)
        self.cards(self._prep(cards)).argmax(-1)
        self.wave(self._prep(wave)).argmax(-1)

    def parameters(self) -> int:
        return sum(p.numel() for m in (self.attack, self.cards, self.wave) for p in m.parameters())

    def nbytes(self) -> int:
        return sum(nbytes_on_disk(m) for m in (self.attack, self.cards, self.wave))


def timed(fn, repeats: int, warmup: int = 1) -> float:
    """Median seconds of ``fn()`` (the package's own timer)."""
    return time_call(fn, repeats=repeats, warmup=warmup)


def paired(fa, fb, repeats: int) -> tuple[float, float]:
    """Median seconds of ``fa()`` and of ``fb()``, called in turn (which goes first alternating):
    timed one block after the other, the block timed first read slower (docs/vision_experiments.md, "Unsure
    wave digits read a pixel to each side")."""
    fa(), fb()
    ta, tb = [], []
    for r in range(repeats):
        for fn, times in ((fa, ta), (fb, tb))[::1 if r % 2 == 0 else -1]:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return float(np.median(ta)), float(np.median(tb))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--weights", default=None, help="multi-task weights (default: shipped)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    from fgo_env.screens import Look, Renderer, Scene

    from feature_models.parser import DEFAULT_WEIGHTS, FrameParser

    weights = Path(args.weights) if args.weights else DEFAULT_WEIGHTS
    parser = FrameParser(weights)
    plain = FrameParser(weights, wave_shifts=False)
    kinds = ("command", "cards", "command", "cards", "chain", "enemy_turn", "cards", "command")
    frames = []
    for k in range(32):
        r = Renderer(640, 360, Look.random(9_900_000 + k // 8))
        frames.append(r.render(Scene.example(kinds[k % len(kinds)], 777 + k)))
    rep = 3 if args.quick else 15
    parse_b1, plain_b1 = (t / 8 for t in paired(lambda: [parser.parse(f) for f in frames[:8]],
                                                lambda: [plain.parse(f) for f in frames[:8]], rep))
    parse_b32 = timed(lambda: parser.parse_batch(frames), max(2, rep // 3)) / 32
    trio = Trio()
    trio_b1 = timed(lambda: trio.read(frames[:1]), 2 if args.quick else 5)
    trio_b32 = timed(lambda: trio.read(frames), 1, warmup=0) / 32

    mt_params = parser.model.parameter_count()
    mt_bytes = weights.with_name(weights.name + ".safetensors").stat().st_size
    result = {
        "threads": 1, "frame": "640x360", "parse_ms_b1": parse_b1 * 1e3, "parse_ms_b32": parse_b32 * 1e3,
        "parse_ms_b1_no_wave_shifts": plain_b1 * 1e3, "trio_ms_b1": trio_b1 * 1e3, "trio_ms_b32": trio_b32 * 1e3,
        "speedup_b1": trio_b1 / parse_b1, "speedup_b32": trio_b32 / parse_b32,
        "parse_params": mt_params, "trio_params": trio.parameters(),
        "parse_bytes": mt_bytes, "trio_bytes": trio.nbytes(),
        "target_parse_ms": 5.0, "target_speedup": 100.0,
    }
    result["meets_targets"] = bool(parse_b1 * 1e3 <= 5.0 and result["speedup_b1"] >= 100 and result["speedup_b32"] >= 100)
    print("| | multi-task parse | seed trio (ResNet-34 + 2× ResNet-50, 224²) | ratio |")
    print("|---|---|---|---|")
    print(f"| ms per frame, batch 1 | {parse_b1 * 1e3:.2f} | {trio_b1 * 1e3:.1f} | {result['speedup_b1']:.0f}× faster |")
    print(f"| ms per frame, batch 1, no second read of unsure wave digits | {plain_b1 * 1e3:.2f} | | |")
    print(f"| ms per frame, batch 32 | {parse_b32 * 1e3:.2f} | {trio_b32 * 1e3:.1f} | {result['speedup_b32']:.0f}× faster |")
    print(f"| parameters | {mt_params:,} | {trio.parameters():,} | {trio.parameters() / mt_params:.0f}× fewer |")
    print(f"| bytes on disk | {mt_bytes / 1e6:.2f} MB | {trio.nbytes() / 1e6:.1f} MB | {trio.nbytes() / mt_bytes:.0f}× smaller |")
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
