"""The vision tasks, the crops they read, and crop extraction from a frame of any size.

Every crop is a layout rectangle (``fgo_env.screens.layout``, fractions of the 16:9 game area)
widened by the largest offset a randomised `Look` may give an element (``MAX_JITTER_POS`` of the
area width in x, that times 16/9 of the height in y, plus the ±5 % scale), mapped onto the frame's
game area (``layout.game_area``: the largest centred 16:9 rectangle, whatever the frame's aspect
ratio) and resized to ``size``×``size`` pixels with antialiased bilinear filtering. The dataset
generator and the parser call the same `extract_crops`, so training and inference see identical
pixels.

Tasks (each has its own dataset, as in Tonks):

===========  ==========================  ======================================  ==============
task         crops per sample            label                                   classes
===========  ==========================  ======================================  ==============
phase        ``screen`` (whole area)     screen kind                             command/cards/other
attack       ``attack``                  Attack button present (command screen)  absent/present
wave         ``wave`` ("n/N" digits)     n of "Battle n/N"                       1/2/3
wave_total   ``wave``                    N of "Battle n/N"                       1/2/3
card_type    ``card{i}`` (face card)     Arts/Buster/Quick                       arts/buster/quick
card_owner   ``portrait{i}`` + the 3     front slot whose NP card (one that is   slot0/slot1/slot2/
             ``npcard{j}``               shown) shows the same servant; "none"   none
                                         when the owner's NP card is not shown
same_owner   ``portrait{i}`` +           face cards i and j (i < j) belong to    different/same
             ``portrait{j}``             the same servant
np_ready     ``npcard{j}`` (card screen) NP card lit / NP gauge full             no/yes
             or ``gauge{s}`` (others)
back         ``back`` (card screen)      Back button active / greyed             greyed/active
breaks       ``breaks{e}`` (every frame) break-bar pips still lit on enemy e     0/1/2/3
channels     ``screen`` (derived from    R and B swapped in the capture          rgb/bgr
             phase's samples)
===========  ==========================  ======================================  ==============

The wave digits can also be read one a crop (``wave_n``, ``wave_N``: a digit and its jitter
margins, a square), so a digit keeps about 10 px of the crop's 32 at every frame size where the
"n/N" crop (44×27 px at 640×360, squeezed to 32×32) leaves it about 6: ``fgo vision data
--wave-crops digits`` (`task_specs`). `TaskSpec.crop` says which crop a head reads; a spec saved
without one (weights and datasets of before 2026-12-06) reads ``wave`` (`LEGACY_CROPS`). Whether a
digit can be seen (a status bar over it, the legibility probe) is judged on the ``wave`` region for
both (`LABEL_REGIONS`), so both kinds of folder score the same labels.

``breaks`` reads each enemy slot's break-bar pips (0 where no enemy or no boss is shown); the
parser's ``Features.breaks_left`` is the largest of the three.

Card owners, the way the real card screen allows. The real game shows an NP card above the face
cards only for a servant whose NP is ready (no dimmed cards for the others); the classic look
shows all three (lit or dimmed). So ownership is read in two parts:

* ``same_owner`` (head "pair"): do face cards i and j show the same servant's art? A symmetric
  Siamese scorer on the two portraits' backbone features. The 10 pairs of a hand give the
  same-servant grouping of the cards, which is all a brave chain needs
  (`feature_models.grouping`).
* ``card_owner`` (head "match"): the slot of a card's servant, read by matching its portrait
  against the NP cards. Each (card portrait, NP card) pair is scored by a shared pair scorer; a
  learned "none" score competes with them, and a softmax over slot0..2 + none picks the answer.
  Only NP cards actually shown are candidates: the label is "none" when the owner's NP card is
  not shown (real family: its NP is not ready; the crop there shows background, which the head
  learns never to match). It never learns servant identities, so it works for servants it has
  never seen (any key of ``Scene.example``, any generated quest).

The parser names a group's slot from a shown NP card that matches it and assigns the other groups
by elimination (``Reading.owners_known``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from fgo_env.features import MAX_BREAKS, N_CARDS, N_FRONT
from fgo_env.screens import layout
from fgo_env.screens.layout import ASPECT, Rect
from fgo_env.screens.look import MAX_JITTER_POS, MAX_JITTER_SCALE

CROP_SIZE = 32  # default side of every crop fed to the network
N_ENEMIES = 3

_MX = MAX_JITTER_POS + 0.002  # x margin, fraction of the game-area width
_MY = _MX * ASPECT  # y margin, fraction of the game-area height


def _pad(rect: Rect, mx: float = _MX, my: float = _MY) -> Rect:
    """``rect`` grown by the jitter margins (offset and scale) and clipped to the game area."""
    gx = mx + rect.w * MAX_JITTER_SCALE / 2
    gy = my + rect.h * MAX_JITTER_SCALE / 2
    x0, y0 = max(0.0, rect.x - gx), max(0.0, rect.y - gy)
    x1, y1 = min(1.0, rect.right + gx), min(1.0, rect.bottom + gy)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _union(*rects: Rect) -> Rect:
    x0, y0 = min(r.x for r in rects), min(r.y for r in rects)
    x1, y1 = max(r.right for r in rects), max(r.bottom for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _crop_rects() -> dict[str, Rect]:
    out = {"screen": Rect(0.0, 0.0, 1.0, 1.0),
           "attack": _pad(layout.attack_button()),
           "wave": _pad(_union(layout.wave_digit_current(), layout.wave_digit_total())),
           "wave_n": _pad(layout.wave_digit_current()), "wave_N": _pad(layout.wave_digit_total())}
    for i in range(N_CARDS):
        out[f"card{i}"] = _pad(layout.card(i))
        out[f"portrait{i}"] = _pad(layout.card_portrait(i))
    for j in range(N_FRONT):
        out[f"npcard{j}"] = _pad(layout.np_card(j))
        out[f"gauge{j}"] = _pad(_union(layout.servant_np_label(j), layout.servant_np(j), layout.np_bar(j)))
    out["back"] = _pad(layout.back_button())
    for e in range(N_ENEMIES):
        out[f"breaks{e}"] = _pad(layout.enemy_break(e))
    return out


CROP_RECTS: dict[str, Rect] = _crop_rects()
CROP_NAMES: tuple[str, ...] = tuple(CROP_RECTS)
# The region whose visibility decides a crop's label, where it is not the crop itself: a digit's
# label is scored when the "n/N" counter is (one rule for the old and the new crops).
LABEL_REGIONS = {"wave_n": "wave", "wave_N": "wave"}
# The crops the wave heads can read: "counter", both digits off the "n/N" crop (the shipped weights);
# "digits", one digit a crop (`fgo vision data --wave-crops digits`).
WAVE_CROPS = {"counter": {"wave": "wave", "wave_total": "wave"}, "digits": {"wave": "wave_n", "wave_total": "wave_N"}}
# The crop a head reads when its spec names none (weights and datasets saved before 2026-12-06).
LEGACY_CROPS = WAVE_CROPS["counter"]


def label_region(crop: str) -> str:
    """The crop whose visibility decides ``crop``'s label (`LABEL_REGIONS`)."""
    return LABEL_REGIONS.get(crop, crop)


@dataclass(frozen=True)
class TaskSpec:
    """One vision task.

    Attributes:
        name: task (and head) name.
        classes: class names; the head has ``len(classes)`` outputs.
        head: "classify" (one crop -> logits); "match" (``n_crops`` crops: an anchor then
            ``n_crops - 1`` candidates; logit k = pair score of the anchor with candidate k, plus
            one learned "none" logit when ``len(classes) == n_crops``); "pair" (2 crops -> logits,
            symmetric in the two crops).
        n_crops: crops per sample (1 for "classify").
        description: what the label means.
        crop: the crop a classify head of a fixed crop reads ("" where the sample says: the
            card, gauge and pip heads read one of several); a wave head given none reads the
            "n/N" crop (`LEGACY_CROPS`).
    """

    name: str
    classes: tuple[str, ...]
    head: str = "classify"
    n_crops: int = 1
    description: str = ""
    crop: str = ""

    def __post_init__(self) -> None:
        """A wave head given no crop reads what every one did before 2026-12-06 (`LEGACY_CROPS`);
        a crop that is none of `CROP_RECTS` is refused."""
        if not self.crop and self.name in LEGACY_CROPS:
            object.__setattr__(self, "crop", LEGACY_CROPS[self.name])
        if self.crop and self.crop not in CROP_RECTS:
            raise ValueError(f"task {self.name!r} reads crop {self.crop!r}, which is none of {sorted(CROP_RECTS)}")

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def indexed(self) -> bool:
        """Samples of several crops (match and pair heads): stored as distinct crops + an index."""
        return self.head in ("match", "pair")

    def to_dict(self) -> dict:
        out = {"name": self.name, "classes": list(self.classes), "head": self.head,
               "n_crops": self.n_crops, "description": self.description}
        return {**out, "crop": self.crop} if self.crop else out

    @classmethod
    def from_dict(cls, d: dict) -> "TaskSpec":
        """A saved spec; one saved without ``crop`` reads what it read then (`__post_init__`)."""
        return cls(name=str(d["name"]), classes=tuple(d["classes"]), head=str(d.get("head", "classify")),
                   n_crops=int(d.get("n_crops", 1)), description=str(d.get("description", "")),
                   crop=str(d.get("crop", "")))


TASKS: dict[str, TaskSpec] = {t.name: t for t in (
    TaskSpec("phase", ("command", "cards", "other"), description="screen kind from the whole game area"),
    TaskSpec("attack", ("absent", "present"), description="Attack button present (command screen)"),
    TaskSpec("wave", ("1", "2", "3"), description="n of 'Battle n/N'"),
    TaskSpec("wave_total", ("1", "2", "3"), description="N of 'Battle n/N'"),
    TaskSpec("card_type", ("arts", "buster", "quick"), description="type of one face card"),
    TaskSpec("card_owner", ("slot0", "slot1", "slot2", "none"), head="match", n_crops=1 + N_FRONT,
             description="front slot whose shown NP card matches the face card's portrait; none: the "
                         "owner's NP card is not shown"),
    TaskSpec("same_owner", ("different", "same"), head="pair", n_crops=2,
             description="two face cards (portraits) belong to the same servant"),
    TaskSpec("np_ready", ("no", "yes"), description="NP card lit (card screen) / NP gauge full (others)"),
    TaskSpec("back", ("greyed", "active"), description="the card screen's Back button active (Backs left)"),
    TaskSpec("breaks", tuple(str(k) for k in range(MAX_BREAKS + 1)),
             description="break-bar pips still lit on one enemy slot (0: none shown)"),
)}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
# Tasks whose datasets are made from another's samples, not rendered: {task: (spec, source task)}.
# ``channels`` is the phase dataset's battle screens, every second one with R and B swapped
# (`data.channels_data`): a head that tells a BGR capture from an RGB one, so the parser can read a
# frame the right way round instead of a BGR command screen as a confident card screen.
DERIVED_TASKS: dict[str, tuple[TaskSpec, str]] = {
    "channels": (TaskSpec("channels", ("rgb", "bgr"), crop="screen",
                          description="channel order of the whole game area: RGB, or R and B swapped (BGR)"),
                 "phase"),
}


def task_specs(wave_crops: str = "counter") -> dict[str, TaskSpec]:
    """`TASKS` with the wave heads reading ``wave_crops``' crops (`WAVE_CROPS`)."""
    if wave_crops not in WAVE_CROPS:
        raise ValueError(f"wave_crops must be one of {sorted(WAVE_CROPS)}, got {wave_crops!r}")
    return {t: replace(s, crop=WAVE_CROPS[wave_crops].get(t, s.crop)) for t, s in TASKS.items()}


@dataclass
class CropBoxes:
    """Pixel boxes (x0, y0, x1, y1) of every crop on a frame of one shape."""

    shape: tuple[int, int]
    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


_BOX_CACHE: dict[tuple[int, int], CropBoxes] = {}


def crop_boxes(height: int, width: int, area: tuple[int, int, int, int] | None = None) -> CropBoxes:
    """Pixel boxes of all crops on a ``width``×``height`` frame whose game area is ``area``
    (``(x, y, w, h)`` px; None = ``layout.game_area``, the largest centred 16:9 rectangle); cached
    per (shape, area)."""
    key = (int(height), int(width))
    if area is not None:
        area = tuple(int(v) for v in area)
        if area == layout.game_area(width, height):
            area = None
    cache_key = key if area is None else key + area
    hit = _BOX_CACHE.get(cache_key)
    if hit is not None:
        return hit
    gx, gy, gw, gh = layout.game_area(width, height) if area is None else area
    if gw < 1 or gh < 1:
        raise ValueError(f"game area {area} is empty")
    boxes = {}
    for name, r in CROP_RECTS.items():
        x0 = gx + int(np.floor(r.x * gw))
        y0 = gy + int(np.floor(r.y * gh))
        x1 = gx + int(np.ceil(r.right * gw))
        y1 = gy + int(np.ceil(r.bottom * gh))
        x0, y0 = max(0, min(x0, width - 1)), max(0, min(y0, height - 1))
        x1, y1 = max(x0 + 1, min(x1, width)), max(y0 + 1, min(y1, height))
        boxes[name] = (x0, y0, x1, y1)
    out = CropBoxes(key, boxes)
    if len(_BOX_CACHE) > 64:
        _BOX_CACHE.clear()
    _BOX_CACHE[cache_key] = out
    return out


def extract_crops(frame: np.ndarray, names, size: int = CROP_SIZE,
                  area: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The crops ``names`` of ``frame`` (H×W×3 uint8, any size and aspect ratio) as a
    (len(names), size, size, 3) uint8 array.

    ``area`` is the game area ``(x, y, w, h)`` in the frame's pixels (e.g. from
    `feature_models.game_area.find_game_area`); None takes ``layout.game_area`` (the largest
    centred 16:9 rectangle, which is where the renderer draws it).

    A region larger than the crop is first thinned by the largest integer stride that keeps at
    least ``size`` pixels per side, then resized with Pillow's antialiased bilinear filter; the
    dataset generator and the parser both use this function, so their pixels agree exactly.
    """
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected an H×W×3 uint8 frame, got {frame.dtype} {frame.shape}")
    boxes = crop_boxes(frame.shape[0], frame.shape[1], area).boxes
    out = np.empty((len(names), size, size, 3), np.uint8)
    for k, name in enumerate(names):
        x0, y0, x1, y1 = boxes[name]
        step = max(1, min(y1 - y0, x1 - x0) // size)
        region = frame[y0:y1:step, x0:x1:step]
        if region.shape[:2] == (size, size):
            out[k] = region
        else:
            img = Image.fromarray(np.ascontiguousarray(region))
            out[k] = np.asarray(img.resize((size, size), Image.BILINEAR))
    return out


__all__ = ["CROP_NAMES", "CROP_RECTS", "CROP_SIZE", "DERIVED_TASKS", "LABEL_REGIONS", "LEGACY_CROPS", "TASKS",
           "TASK_NAMES",
           "TaskSpec", "WAVE_CROPS", "crop_boxes", "extract_crops", "label_region", "task_specs"]
