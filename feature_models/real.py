"""Real labelled screenshots: the labels file, per-task datasets from it, and scoring a parser on it.

A *labelled folder* is a folder of screenshots (``.jpg``, ``.jpeg``, ``.png``, ``.webp``, ``.bmp``)
with a ``labels.json`` in the schema of the shared development set (``../shared/real-screens``)::

    {"what": "...", "label_conventions": {...},
     "items": [{"file": "a.jpg", "kind": "cards", "phase": 1, "wave": 1, "wave_total": 3,
                "card_types": [0, 0, 0, 1, 0], "card_owners": [0, 0, 1, 0, 0],
                "np_ready": [false, false, true], "mid_selection": false, "notes": "..."}, ...]}

* ``phase``: 0 command screen, 1 card screen, 2 anything else; null = ambiguous (not scored).
* ``wave``, ``wave_total``: the n/N of "BATTLE n/N" (1..3, ``MAX_WAVES``); null where no counter is shown.
* ``card_types``: 0 Arts, 1 Buster, 2 Quick, left to right (card screens; null elsewhere).
* ``card_owners``: front slot (0-2) of each face card's servant (card screens).
* ``np_ready``: card screen: the slot's NP card is offered; other screens: NP gauge >= 100 %.
* ``kind``: "command", "cards", "other_battle", or a non-battle kind (``NON_BATTLE_KINDS``:
  "menu", "not_game"); derived from ``phase`` when absent. A non-battle kind needs phase 2 or null
  (a menu of phase 0 or 1 is refused); a battle kind is not checked against ``phase`` (the phase is
  what is scored; a hand-corrected phase may leave the model's kind behind).
* optional ``back_available`` (bool) and ``breaks`` (3 ints, break-bar pips lit per enemy slot);
  optional ``rotated`` / ``bgr`` (bool, default false): the capture is upside down / has its
  channels swapped (training crops are taken from the frame turned back).
* any list element may be null (not scored); other keys (source, notes, ...) are kept untouched.

``fgo vision label`` writes entries with ``"labelled_by": "model"`` and the model's read in
``"model_read"``; an entry whose labels differ from its ``model_read`` (a person corrected it), or
that has no ``labelled_by: model``, counts as human-labelled and is kept on re-labelling.

Every problem with a folder is a `RealDataError` whose one-line message names the file, the entry
and the field. Frames are RGB uint8 H×W×3 (Pillow's ``convert("RGB")``; turned upright by their EXIF
orientation, 16-bit grey scaled to 8 bits); images over ``MAX_PIXELS`` are refused.
"""

from __future__ import annotations

import difflib
import inspect
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fgo_env.features import MAX_WAVES, N_CARDS, N_FRONT, PHASE_CARDS, PHASE_COMMAND, PHASE_OTHER, Features

from .data import TaskData, with_derived
from .reading import Reading
from .tasks import CROP_NAMES, CROP_SIZE, TASKS, TaskSpec, extract_crops

LABELS_FILE = "labels.json"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
NON_BATTLE_KINDS = ("menu", "not_game")
KIND_OF_PHASE = {0: "command", 1: "cards", 2: "other_battle"}
KINDS = (*KIND_OF_PHASE.values(), *NON_BATTLE_KINDS)
MAX_PIXELS = 40_000_000  # 8K (7680x4320) is 33 M; anything larger is no screenshot and costs GBs as frames
LABEL_FIELDS = ("phase", "wave", "wave_total", "card_types", "card_owners", "np_ready")
CONVENTIONS = {
    "phase": "0 command (Attack button), 1 card screen, 2 anything else; null = ambiguous (not scored)",
    "wave/wave_total": "the n/N of 'BATTLE n/N' (1 to 3); null where no counter is shown",
    "card_types": "0 Arts, 1 Buster, 2 Quick, left to right; card screens only",
    "card_owners": "front slot (0-2, left to right as in the servant panels) of each card's servant",
    "np_ready": "card screen: the slot's NP card is offered; other screens: NP gauge >= 100 %; null = not scored",
    "kind": "command, cards, other_battle (a battle frame of no decision), menu or not_game (not a battle screen)",
    "labelled_by": "'model' = written by `fgo vision label` and not corrected yet (refreshed on re-labelling); "
                   "correct the labels (or set 'human') and the entry is kept",
}


class RealDataError(ValueError):
    """A labelled folder that cannot be used; the message is one line naming file, entry and field."""


# ------------------------------------------------------------------------------ images
def list_images(folder: str | Path) -> list[Path]:
    """The screenshots of ``folder`` (sorted by name); a `RealDataError` if it has none."""
    folder = Path(folder)
    if not folder.exists():
        raise RealDataError(f"{folder}: folder not found")
    if not folder.is_dir():
        raise RealDataError(f"{folder}: not a folder")
    out = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not out:
        raise RealDataError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in the folder")
    return out


def load_image(path: str | Path) -> np.ndarray:
    """An image file as an RGB uint8 H×W×3 array (`decode_image`), at least 16×16; a
    `RealDataError` if it does not decode."""
    frame = decode_image(path)
    if frame.shape[0] < 16 or frame.shape[1] < 16:
        raise RealDataError(f"{path}: image too small ({frame.shape[1]}x{frame.shape[0]})")
    return frame


def decode_image(path: str | Path) -> np.ndarray:
    """An image file as an RGB uint8 H×W×3 array, as a screenshot is meant: turned upright by
    its EXIF orientation, 16-bit grey scaled to 8 bits, over `MAX_PIXELS` refused before
    decoding (decompression bombs); a `RealDataError` naming the file if it does not decode
    completely. The labelled folders and the pilot's folder client read images with it."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Pillow's warnings are noise here: a decompression bomb is refused below by its size, and a
            # corrupt EXIF field (warned of once each) leaves the pixels good
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                _check_size(path, *im.size)  # before decoding: the header's size costs nothing
                frame = pil_rgb(im)
    except RealDataError:
        raise
    except FileNotFoundError:
        raise RealDataError(f"{path}: image not found") from None
    except Image.DecompressionBombError:  # so large that Pillow will not even open it
        raise RealDataError(f"{path}: image too large (over {2 * Image.MAX_IMAGE_PIXELS:,} pixels; "
                            f"at most {MAX_PIXELS:,})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise RealDataError(f"{path}: cannot be decoded as an image ({' '.join(str(exc).split()) or type(exc).__name__})") from None
    return np.ascontiguousarray(frame)


def _check_size(path: Path, w: int, h: int) -> None:
    if w * h > MAX_PIXELS:
        raise RealDataError(f"{path}: image too large ({w}x{h}, {w * h:,} pixels; at most {MAX_PIXELS:,})")


def pil_rgb(im) -> np.ndarray:
    """A PIL image as a screenshot is meant: upright (`_upright`), RGB uint8 (16-bit grey scaled)."""
    im = _upright(im)
    if im.mode.startswith("I"):  # 16-bit grey ("I;16", "I"): convert("RGB") would clip it to white
        grey = (np.clip(np.asarray(im), 0, 65535).astype(np.uint16) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(im.convert("RGB"))


def _upright(im):
    """``im`` turned as its EXIF orientation says (phones store portrait shots sideways); as stored
    when the EXIF is unreadable: the pixels are still good."""
    from PIL.Image import Transpose

    # orientation -> turn, as `PIL.ImageOps.exif_transpose` (which fails on a corrupt EXIF)
    turns = {2: Transpose.FLIP_LEFT_RIGHT, 3: Transpose.ROTATE_180, 4: Transpose.FLIP_TOP_BOTTOM,
             5: Transpose.TRANSPOSE, 6: Transpose.ROTATE_270, 7: Transpose.TRANSVERSE, 8: Transpose.ROTATE_90}
    im.load()  # a decoding error is the image's (a `RealDataError`), not the EXIF's
    try:
        turn = turns.get(im.getexif().get(0x0112))
    except Exception:  # corrupt EXIF: Pillow's TIFF reader raises struct.error, ValueError, ...
        return im
    return im if turn is None else im.transpose(turn)


# ------------------------------------------------------------------------------ labels
@dataclass
class RealItem:
    """One labelled screenshot (the labels of one ``items`` entry, checked)."""

    file: str
    kind: str
    phase: int | None
    wave: int | None
    wave_total: int | None
    card_types: list[int | None] | None
    card_owners: list[int | None] | None
    np_ready: list[bool | None] | None
    back_available: bool | None = None
    breaks: list[int | None] | None = None
    mid_selection: bool = False
    rotated: bool = False
    bgr: bool = False

    @property
    def battle(self) -> bool:
        """A battle screen (the parser should read it); False for menus and non-game frames."""
        return self.kind not in NON_BATTLE_KINDS

    @property
    def brave_chain(self) -> tuple[int, ...] | None:
        """Indices of the cards of a servant with 3+ cards, from ``card_owners`` (None: no chain or
        owners not fully labelled)."""
        if self.card_owners is None or any(o is None for o in self.card_owners):
            return None
        for slot in sorted(set(self.card_owners)):
            idx = tuple(i for i, o in enumerate(self.card_owners) if o == slot)
            if len(idx) >= 3:
                return idx
        return None

    @property
    def owners_labelled(self) -> bool:
        return self.card_owners is not None and all(o is not None for o in self.card_owners)


@dataclass
class LabelsFile:
    """A parsed ``labels.json``: the document as read (other keys kept) and its checked items."""

    path: Path
    doc: dict
    items: list[RealItem]

    def item(self, file: str) -> RealItem | None:
        return next((it for it in self.items if it.file == file), None)


def _where(path: Path, k: int, entry) -> str:
    name = entry.get("file") if isinstance(entry, dict) else None
    return f"{path}: items[{k}]" + (f" ({name})" if name else "")


def _int_or_none(v, lo: int, hi: int | None, where: str, field: str, allowed: str):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        raise RealDataError(f"{where}: field '{field}' must be {allowed}, got {v!r}")
    return int(v)


def _list_of(v, n: int, check: Callable, where: str, field: str, allowed: str):
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != n:
        raise RealDataError(f"{where}: field '{field}' must be null or a list of {n} ({allowed}), got {v!r}")
    return [check(x, where, f"{field}[{i}]") for i, x in enumerate(v)]


def _bool_or_none(v, where: str, field: str):
    if v is None or isinstance(v, bool):
        return v
    raise RealDataError(f"{where}: field '{field}' must be true, false or null, got {v!r}")


ITEM_FIELDS = ("file", *LABEL_FIELDS, "breaks", "back_available", "mid_selection", "rotated", "bgr", "kind")


def _check_keys(entry: dict, where: str) -> None:
    """A key that looks like a misspelt field is an error: it would be read as absent, and the
    frame scored or trained on without that label. Other keys are the user's own notes."""
    for key in entry:
        if key in ITEM_FIELDS or not isinstance(key, str):
            continue
        close = difflib.get_close_matches(key, ITEM_FIELDS, n=1, cutoff=0.7)
        if close:
            raise RealDataError(f"{where}: unknown field {key!r}: did you mean {close[0]!r}? (the fields are "
                                f"{', '.join(ITEM_FIELDS)}; a misspelt label is not scored)")


def parse_item(entry, where: str) -> RealItem:
    """One ``items`` entry checked into a `RealItem` (``where`` names it in errors)."""
    if not isinstance(entry, dict):
        raise RealDataError(f"{where}: must be an object, got {type(entry).__name__}")
    _check_keys(entry, where)
    file = entry.get("file")
    if not isinstance(file, str) or not file:
        raise RealDataError(f"{where}: field 'file' (the image's file name) is missing or not a string")
    phase = _int_or_none(entry.get("phase"), 0, 2, where, "phase", "0, 1, 2 or null")
    waves = f"1 to {MAX_WAVES} or null"
    wave = _int_or_none(entry.get("wave"), 1, MAX_WAVES, where, "wave", waves)
    total = _int_or_none(entry.get("wave_total"), 1, MAX_WAVES, where, "wave_total", waves)
    if wave is not None and total is not None and wave > total:
        raise RealDataError(f"{where}: field 'wave' ({wave}) is larger than 'wave_total' ({total})")
    types = _list_of(entry.get("card_types"), N_CARDS,
                     lambda x, w, f: _int_or_none(x, 0, 2, w, f, "0 Arts, 1 Buster, 2 Quick or null"),
                     where, "card_types", "0, 1, 2 or null")
    owners = _list_of(entry.get("card_owners"), N_CARDS,
                      lambda x, w, f: _int_or_none(x, 0, N_FRONT - 1, w, f, "a front slot 0, 1, 2 or null"),
                      where, "card_owners", "0, 1, 2 or null")
    ready = _list_of(entry.get("np_ready"), N_FRONT, _bool_or_none, where, "np_ready", "true, false or null")
    breaks = _list_of(entry.get("breaks"), 3,
                      lambda x, w, f: _int_or_none(x, 0, 3, w, f, "0..3 or null"), where, "breaks", "0..3 or null")
    back = _bool_or_none(entry.get("back_available"), where, "back_available")
    mid = _bool_or_none(entry.get("mid_selection", False), where, "mid_selection")
    rotated = _bool_or_none(entry.get("rotated", False), where, "rotated")
    bgr = _bool_or_none(entry.get("bgr", False), where, "bgr")
    kind = _kind(entry.get("kind"), phase, where)
    return RealItem(file, kind, phase, wave, total, types, owners, ready, back, breaks, bool(mid), bool(rotated),
                    bool(bgr))


def kind_fits_phase(kind: str | None, phase: int | None) -> bool:
    """A non-battle kind (menu, not the game) only fits phase "other" or none."""
    return not (kind in NON_BATTLE_KINDS and phase in (PHASE_COMMAND, PHASE_CARDS))


def _kind(kind, phase: int | None, where: str) -> str:
    """The entry's checked ``kind`` (from ``phase`` when absent): a typo would make a menu a battle
    frame, a menu of a battle phase is scored as neither."""
    if kind is None:
        return KIND_OF_PHASE.get(phase, "other_battle")
    if kind not in KINDS:
        raise RealDataError(f"{where}: field 'kind' must be one of {', '.join(KINDS)} (or absent), "
                            f"got {kind!r}")
    if not kind_fits_phase(kind, phase):
        raise RealDataError(f"{where}: field 'kind' ({kind!r}) contradicts 'phase' ({phase}): a non-battle "
                            f"frame has phase 2 or null; a battle frame of phase {phase} is kind "
                            f"{KIND_OF_PHASE[phase]!r}")
    return kind


def read_labels(folder: str | Path, required: bool = True) -> LabelsFile | None:
    """``folder/labels.json`` parsed and checked (None when absent and not ``required``)."""
    path = Path(folder) / LABELS_FILE
    if not path.exists():
        if not required:
            return None
        raise RealDataError(f"{path}: not found (pre-label the folder with `fgo vision label {folder}`, "
                            f"then correct the labels)")
    if path.is_dir():
        raise RealDataError(f"{path}: is a folder; the labels are a JSON file of that name (an object with a list "
                            f"'items'; `fgo vision label {folder}` writes one)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise RealDataError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RealDataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise RealDataError(f"{path}: cannot be read: nested too deep (the schema is an object whose 'items' "
                            f"are flat objects)") from None
    except ValueError as exc:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise RealDataError(f"{path}: cannot be read ({str(exc).split(':')[0].lower()})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise RealDataError(f"{path}: must be an object with a list 'items' (the shared labels.json schema)")
    items, seen = [], set()
    for k, entry in enumerate(doc["items"]):
        where = _where(path, k, entry)
        item = parse_item(entry, where)
        if item.file in seen:
            raise RealDataError(f"{where}: field 'file': {item.file!r} is labelled twice")
        seen.add(item.file)
        items.append(item)
    return LabelsFile(path, doc, items)


@dataclass
class RealSet:
    """A labelled folder: the checked items whose image exists, with the images (RGB, decoded)."""

    folder: Path
    items: list[RealItem]
    frames: list[np.ndarray]
    unlabelled: list[str]

    def __len__(self) -> int:
        return len(self.items)

    def subset(self, idx: Sequence[int]) -> RealSet:
        return RealSet(self.folder, [self.items[i] for i in idx], [self.frames[i] for i in idx], [])


def load_real_set(folder: str | Path) -> RealSet:
    """The labelled images of ``folder`` (every labelled file must exist and decode)."""
    folder = Path(folder)
    images = list_images(folder)
    labels = read_labels(folder)
    assert labels is not None
    if not labels.items:
        raise RealDataError(f"{labels.path}: 'items' is empty: no labelled image")
    names = {p.name for p in images}
    frames = []
    for k, item in enumerate(labels.items):
        if item.file not in names:
            raise RealDataError(f"{labels.path}: items[{k}] ({item.file}): field 'file': no such image in {folder}")
        frames.append(load_image(folder / item.file))
    labelled = {it.file for it in labels.items}
    return RealSet(folder, labels.items, frames, sorted(names - labelled))


# ------------------------------------------------------------------------------ crops
_AREA_ARG = "area" in inspect.signature(extract_crops).parameters


def crops(frame: np.ndarray, names: Sequence[str], size: int = CROP_SIZE, area=None) -> np.ndarray:
    """`tasks.extract_crops`, passing the game ``area`` where that function takes one."""
    if _AREA_ARG and area is not None:
        return extract_crops(frame, names, size, area=area)
    return extract_crops(frame, names, size)


def card_art_crop(i: int) -> str:
    """The crop a pair (same-owner) head compares for face card ``i``: the first of ``portrait{i}``
    (what `feature_models.data` pairs), ``art{i}``, ``card{i}`` that the crop list has."""
    return next(n for n in (f"portrait{i}", f"art{i}", f"card{i}") if n in CROP_NAMES)


def _is_pair_task(spec: TaskSpec) -> bool:
    return spec.n_crops == 2 and spec.n_classes == 2


def label_samples(item: RealItem, specs: Mapping[str, TaskSpec]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Per task of ``specs``, the (crop names, label) samples the labels of ``item`` give — as
    `feature_models.data.frame_samples` does for a rendered scene. Tasks the labels file says
    nothing about get no samples.

    * ``card_owner`` (match against the NP cards): the owner's slot for cards whose owner's NP card
      is shown (``np_ready`` true on a card screen: in the real game an unready servant has no NP
      card); the others get the class "none" where the head has one, else no sample;
    * a pair task (2 crops, 2 classes, e.g. a same-owner head): every pair of labelled face cards,
      class 1 when they share a servant."""
    out: dict[str, list] = {t: [] for t in specs}
    phase, cards = item.phase, item.phase == PHASE_CARDS

    def add(task: str, names: tuple[str, ...], label) -> None:
        if task in out and label is not None and 0 <= int(label) < specs[task].n_classes:
            out[task].append((names, int(label)))

    if phase is not None:
        add("phase", ("screen",), phase)
        add("attack", ("attack",), int(phase == PHASE_COMMAND))
    for task, value in (("wave", item.wave), ("wave_total", item.wave_total)):
        if value is not None and task in specs:  # the crop the head reads (`TaskSpec.crop`)
            add(task, (specs[task].crop,), value - 1)
    if cards:
        for i in range(N_CARDS):
            if item.card_types is not None:
                add("card_type", (f"card{i}",), item.card_types[i])
            owner = item.card_owners[i] if item.card_owners is not None else None
            spec = specs.get("card_owner")
            if owner is not None and item.np_ready is not None and spec is not None and spec.n_crops == 1 + N_FRONT:
                shown = item.np_ready[owner]
                label = owner if shown else (spec.classes.index("none") if "none" in spec.classes else None)
                if shown is not None:
                    add("card_owner", (f"portrait{i}",) + tuple(f"npcard{j}" for j in range(N_FRONT)), label)
        if item.np_ready is not None:
            for j in range(N_FRONT):
                add("np_ready", (f"npcard{j}",), None if item.np_ready[j] is None else int(item.np_ready[j]))
        if item.back_available is not None:
            add("back", ("back",), int(item.back_available))
        if item.owners_labelled:
            for t, spec in specs.items():
                if _is_pair_task(spec):
                    for i in range(N_CARDS):
                        for j in range(i + 1, N_CARDS):
                            out[t].append(((card_art_crop(i), card_art_crop(j)),
                                           int(item.card_owners[i] == item.card_owners[j])))
    elif phase is not None and item.np_ready is not None and item.battle:
        for s in range(N_FRONT):
            add("np_ready", (f"gauge{s}",), None if item.np_ready[s] is None else int(item.np_ready[s]))
    if item.breaks is not None:
        for e, b in enumerate(item.breaks):
            add("breaks", (f"breaks{e}",), b)
    return {t: s for t, s in out.items() if s}


def task_datasets(samples_per_frame: Sequence[Mapping[str, list]], crops_per_frame: Sequence[Mapping[str, np.ndarray]],
                  specs: Mapping[str, TaskSpec], size: int) -> dict[str, TaskData]:
    """Per-task `TaskData` from each frame's samples and its crops ({crop name: S×S×3 uint8}):
    classify tasks store one crop per sample, tasks of several crops store each frame's crops
    once and an index (N, n_crops)."""
    xs: dict[str, list] = {t: [] for t in specs}
    ys: dict[str, list] = {t: [] for t in specs}
    idx: dict[str, list] = {t: [] for t in specs}
    fr: dict[str, list] = {t: [] for t in specs}
    for fid, (samples, cps) in enumerate(zip(samples_per_frame, crops_per_frame)):
        for t, ss in samples.items():
            if t not in specs:
                continue
            multi = specs[t].n_crops > 1
            local: dict[str, int] = {}
            for names, label in ss:
                if multi:
                    for n in names:
                        if n not in local:
                            local[n] = len(xs[t])
                            xs[t].append(cps[n])
                    idx[t].append(tuple(local[n] for n in names))
                else:
                    xs[t].append(cps[names[0]])
                ys[t].append(label)
                fr[t].append(fid)
    out = {}
    for t, spec in specs.items():
        if not ys[t]:
            continue
        x = np.stack(xs[t]).astype(np.uint8)
        index = np.asarray(idx[t], np.int32).reshape(-1, spec.n_crops) if spec.n_crops > 1 else None
        out[t] = TaskData(t, x, np.asarray(ys[t], np.int64), index, np.asarray(fr[t], np.int32), spec.crop)
    return out


def frame_crops(frame: np.ndarray, names, size: int, area=None) -> dict[str, np.ndarray]:
    names = sorted(set(names))
    return dict(zip(names, crops(frame, names, size, area)))


def real_datasets(real: RealSet, specs: Mapping[str, TaskSpec] | None = None, size: int = CROP_SIZE,
                  readings: Sequence[Reading] | None = None) -> dict[str, TaskData]:
    """The labelled folder as per-task datasets (crops through `tasks.extract_crops`). A frame is
    turned back only where its labels say so (``rotated``, ``bgr``: the model's guesses are not
    trusted for training); the game area is that of the frame's reading in ``readings`` when the
    reading saw the frame the same way, else the layout's."""
    specs = dict(specs or TASKS)
    samples, cps = [], []
    for k, (item, frame) in enumerate(zip(real.items, real.frames)):
        frame, area = labelled_view(frame, item, readings[k] if readings is not None else None)
        ss = label_samples(item, specs)
        samples.append(ss)
        cps.append(frame_crops(frame, [n for s in ss.values() for names, _ in s for n in names], size, area))
    return with_derived(task_datasets(samples, cps, specs, size), specs)


def labelled_view(frame: np.ndarray, item: RealItem, reading: Reading | None) -> tuple[np.ndarray, tuple | None]:
    """``frame`` turned as its labels say (``item.rotated``: by 180 degrees; ``item.bgr``: channels
    swapped) and the game area of ``reading`` if it saw the frame the same way (else None)."""
    if item.rotated:
        frame = np.ascontiguousarray(frame[::-1, ::-1])
    if item.bgr:
        frame = np.ascontiguousarray(frame[..., ::-1])
    same = reading is not None and bool(getattr(reading, "rotated", False)) == item.rotated \
        and bool(getattr(reading, "bgr", False)) == item.bgr
    return frame, (getattr(reading, "area", None) if same else None)


def normalised(frame: np.ndarray, reading: Reading) -> tuple[np.ndarray, tuple | None]:
    """``frame`` as the parser read it (turned back if rotated, channels swapped back if BGR) and
    the game area it found."""
    if getattr(reading, "rotated", False):
        frame = np.ascontiguousarray(frame[::-1, ::-1])
    if getattr(reading, "bgr", False):
        frame = np.ascontiguousarray(frame[..., ::-1])
    return frame, getattr(reading, "area", None)


# ------------------------------------------------------------------------------ reading
def _card_groups(owners: Sequence[int]) -> list[int]:
    """Group labels (0, 1, 2 in order of first appearance) from per-card owner slots."""
    seen: dict[int, int] = {}
    out = []
    for o in owners:
        if o < 0:
            out.append(-1)
            continue
        out.append(seen.setdefault(int(o), len(seen)))
    return out


def _wrap_readings(parser, frames: Sequence[np.ndarray]) -> list[Reading]:
    """`Reading`s from a parser without ``read``: `predict_batch` + `decode`, confidence = the
    chosen class's probability per head (the smallest over a head's several reads)."""
    from fgo_env.screens import layout

    out = parser.predict_batch(frames)
    feats = parser.decode(out)
    result = []
    for i, f in enumerate(feats):
        conf = {"phase": float(out["phase"][i].max()), "attack": float(out["attack"][i].max()),
                "wave": float(out["wave"][i].max()), "wave_total": float(out["wave_total"][i].max()),
                "breaks": float(out["breaks"][i].max(-1).min())}
        if f.phase == PHASE_CARDS:
            conf["card_type"] = float(out["card_type"][i].max(-1).min())
            conf["card_owner"] = float(out["card_owner"][i].max(-1).min())
            conf["np_ready"] = float(out["np_card"][i].max(-1).min())
            conf["back"] = float(out["back"][i].max())
            groups, known = _card_groups(f.card_owners), [True] * N_CARDS
        else:
            conf["np_ready"] = float(out["np_gauge"][i].max(-1).min())
            groups, known = [-1] * N_CARDS, [False] * N_CARDS
        h, w = frames[i].shape[:2]
        result.append(Reading(f, conf, None, tuple(int(v) for v in layout.game_area(w, h)), False, False,
                              groups, known))
    return result


def read_frames(parser, frames: Sequence[np.ndarray]) -> list[Reading]:
    """`Reading`s of ``frames``: ``parser.read_batch`` / ``parser.read`` where the parser has them,
    else its ``parse`` results wrapped (`_wrap_readings`). A card-screen read without a grouping
    (``card_groups`` all -1) is grouped by the owners it read."""
    frames = list(frames)
    if not frames:
        return []
    if hasattr(parser, "read_batch"):
        out = list(parser.read_batch(frames))
    elif hasattr(parser, "read"):
        out = [parser.read(f) for f in frames]
    else:
        return _wrap_readings(parser, frames)
    for r in out:  # a parser that reads owners but no grouping: group the cards by the owners read
        f = r.features
        if f.phase == PHASE_CARDS and all(g == -1 for g in r.card_groups) and all(o >= 0 for o in f.card_owners):
            r.card_groups = _card_groups(f.card_owners)
    return out


def model_tasks(parser_or_model) -> dict[str, TaskSpec]:
    """The task specs of a parser's (or model's) heads, as the model names them."""
    model = getattr(parser_or_model, "model", parser_or_model)
    return dict(model.specs)


# ------------------------------------------------------------------------------ scoring
SCORE_FIELDS = ("phase", "wave", "wave_total", "card_type", "card_owner", "card_owner_shown", "card_pairs",
                "np_ready", "brave_chain", "frame")


class RealScore:
    """Per-head accuracy of readings against a labelled folder's items (see `score_readings`)."""

    def __init__(self):
        self.counts = {k: [0, 0] for k in SCORE_FIELDS}
        self.frames: list[dict] = []
        self.unknown = {"battle": [0, 0], "non_battle": [0, 0]}
        self.confident_wrong_non_battle = 0

    def _count(self, key: str, ok: bool) -> bool:
        self.counts[key][0] += int(ok)
        self.counts[key][1] += 1
        return ok

    def add(self, item: RealItem, r: Reading) -> dict:
        f: Features = r.features
        row: dict = {"file": item.file, "kind": item.kind, "unknown": r.unknown, "phase": f.phase,
                     "wave": f"{f.wave}/{f.wave_total}", "errors": []}
        ok_all = True

        def check(key: str, got, want) -> None:
            nonlocal ok_all
            if want is None:
                return
            if not self._count(key, got == want):
                ok_all = False
                row["errors"].append(f"{key}: read {got!r}, label {want!r}")

        check("phase", f.phase, item.phase)
        check("wave", f.wave, item.wave)
        check("wave_total", f.wave_total, item.wave_total)
        if item.phase == PHASE_CARDS:
            for i in range(N_CARDS):
                if item.card_types is not None:
                    check("card_type", f.card_types[i], item.card_types[i])
                if item.card_owners is not None:
                    check("card_owner", f.card_owners[i], item.card_owners[i])
                    o = item.card_owners[i]
                    if o is not None and item.np_ready is not None and item.np_ready[o]:
                        self._count("card_owner_shown", f.card_owners[i] == o)
            if item.owners_labelled:
                groups = list(r.card_groups)
                for i in range(N_CARDS):
                    for j in range(i + 1, N_CARDS):
                        same_true = item.card_owners[i] == item.card_owners[j]
                        same_read = groups[i] != -1 and groups[i] == groups[j]
                        ok = groups[i] != -1 and groups[j] != -1 and same_read == same_true
                        ok_all &= self._count("card_pairs", ok)
                want = item.brave_chain
                got = r.brave_chain
                if not self._count("brave_chain", (tuple(got) if got else None) == want):
                    ok_all = False
                    row["errors"].append(f"brave_chain: read {got}, label {want}")
        if item.np_ready is not None and item.battle and item.phase is not None:
            for j in range(N_FRONT):
                check("np_ready", bool(f.np_ready[j]), item.np_ready[j])
        kind = "battle" if item.battle else "non_battle"
        self.unknown[kind][0] += int(r.unknown is not None)
        self.unknown[kind][1] += 1
        if not item.battle and r.unknown is None and f.phase != PHASE_OTHER:
            self.confident_wrong_non_battle += 1
            ok_all = False
            row["errors"].append(f"confident read of a non-battle frame as phase {f.phase}")
        self._count("frame", ok_all)
        row["ok"] = ok_all
        row["confidence"] = {k: round(float(v), 3) for k, v in (r.confidence or {}).items()}
        self.frames.append(row)
        return row

    def result(self) -> dict:
        heads = {k: {"acc": (c[0] / c[1]) if c[1] else None, "n": c[1]} for k, c in self.counts.items()}
        u = self.unknown
        return {"heads": heads,
                "unknown_rate": {k: (v[0] / v[1]) if v[1] else None for k, v in u.items()},
                "unknown_n": {k: v[1] for k, v in u.items()},
                "confident_wrong_non_battle": self.confident_wrong_non_battle,
                "frames": self.frames}


def score_readings(items: Sequence[RealItem], readings: Sequence[Reading]) -> dict:
    """Scores of ``readings`` against ``items`` (same order).

    Heads: phase, wave, wave_total (where labelled); card_type and card_owner per card on labelled
    card screens (a card screen read as another phase counts every card wrong);
    ``card_owner_shown``: only cards whose owner's NP card is on screen (the slot is knowable);
    ``card_pairs``: the 10 card pairs of each fully labelled hand, same servant or not, from
    ``Reading.card_groups``; ``brave_chain``: the indices of a servant's 3+ cards (or no chain)
    exactly; np_ready per slot on battle frames; ``frame``: every scored field of the frame right.
    ``unknown_rate`` per battle / non-battle frames and ``confident_wrong_non_battle`` (a menu or
    non-game frame read confidently as a command or card screen)."""
    score = RealScore()
    for item, r in zip(items, readings):
        score.add(item, r)
    return score.result()


def frame_times(parser, frames: Sequence[np.ndarray], repeats: int = 3) -> list[float]:
    """Per frame, the median ms of reading it alone (batch 1; whatever `read_frames` does,
    game-area detection and any second look included where the parser has them)."""
    out = []
    if frames:
        read_frames(parser, [frames[0]])  # warm-up
    for f in frames:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            read_frames(parser, [f])
            times.append(time.perf_counter() - t0)
        out.append(float(np.median(times) * 1000))
    return out


def time_reads(parser, frames: Sequence[np.ndarray], repeats: int = 3) -> float:
    """Median ms per frame over ``frames`` (`frame_times`)."""
    times = frame_times(parser, frames, repeats)
    return float(np.median(times)) if times else math.nan


def evaluate_real(parser, real: RealSet, timing: bool = True) -> dict:
    """Scores (`score_readings`) and latency of ``parser`` on a labelled folder."""
    readings = read_frames(parser, real.frames)
    out = score_readings(real.items, readings)
    out["n_frames"] = len(real)
    out["unlabelled"] = list(real.unlabelled)
    out["kinds"] = {k: sum(it.kind == k for it in real.items) for k in sorted({it.kind for it in real.items})}
    if timing:
        times = frame_times(parser, real.frames)
        confident = [t for t, r in zip(times, readings) if r.unknown is None]
        out["latency_ms"] = float(np.median(times))
        out["latency_ms_confident"] = float(np.median(confident)) if confident else None
        out["latency_ms_max"] = float(max(times))
        out["frame_sizes"] = sorted({f"{f.shape[1]}x{f.shape[0]}" for f in real.frames})
    return out


HEAD_ROWS = (("phase", "phase"), ("wave", "wave n"), ("wave_total", "wave N"), ("card_type", "card type"),
             ("card_owner", "card owner (slot)"), ("card_owner_shown", "card owner, NP card shown"),
             ("card_pairs", "card pairs (same servant?)"), ("brave_chain", "brave chain"),
             ("np_ready", "NP ready"), ("frame", "whole frame"))


def _pct(h: dict | None) -> str:
    if not h or h.get("acc") is None:
        return "–"
    return f"{h['acc'] * 100:.1f} % ({round(h['acc'] * h['n'])}/{h['n']})"


def report_table(results: Mapping[str, dict]) -> str:
    """A Markdown table of one or more `evaluate_real` results side by side ({column: result})."""
    cols = list(results)
    lines = ["| head | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for key, label in HEAD_ROWS:
        lines.append(f"| {label} | " + " | ".join(_pct(results[c]["heads"].get(key)) for c in cols) + " |")

    def rate(r: dict, k: str) -> str:
        v, n = r["unknown_rate"].get(k), r["unknown_n"].get(k, 0)
        return "–" if v is None else f"{v * 100:.0f} % of {n}"

    lines.append("| unknown, battle frames | " + " | ".join(rate(results[c], "battle") for c in cols) + " |")
    lines.append("| unknown, non-battle frames | " + " | ".join(rate(results[c], "non_battle") for c in cols) + " |")
    lines.append("| confident wrong reads, non-battle | " + " | ".join(
        f"{results[c]['confident_wrong_non_battle']} of {results[c]['unknown_n'].get('non_battle', 0)}" for c in cols) + " |")
    if all("latency_ms" in results[c] for c in cols):
        lines.append("| ms per frame, batch 1 (median) | " + " | ".join(f"{results[c]['latency_ms']:.1f}" for c in cols) + " |")

        def conf(r: dict) -> str:
            v = r.get("latency_ms_confident")
            return "–" if v is None else f"{v:.1f}"

        lines.append("| ms per confidently read frame (median) | " + " | ".join(conf(results[c]) for c in cols) + " |")
        lines.append("| ms, slowest frame | " + " | ".join(f"{results[c].get('latency_ms_max', math.nan):.1f}" for c in cols) + " |")
    return "\n".join(lines)


def summary(result: Mapping) -> dict:
    """The figures of an `evaluate_real` result without the per-frame rows (for JSON lines)."""
    out = {k: v for k, v in result.items() if k != "frames"}
    out["heads"] = {k: (None if v["acc"] is None else round(v["acc"], 4)) for k, v in result["heads"].items()}
    out["heads_n"] = {k: v["n"] for k, v in result["heads"].items()}
    for k in ("latency_ms", "latency_ms_confident", "latency_ms_max"):
        if out.get(k) is not None:
            out[k] = round(out[k], 2)
    return out


# ------------------------------------------------------------------------------ pre-labelling
def entry_from_reading(file: str, frame: np.ndarray, r: Reading) -> dict:
    """A labels.json entry from a model's read (``labelled_by: model``, the read kept in
    ``model_read``)."""
    f = r.features
    cards = f.phase == PHASE_CARDS
    labels = {
        "phase": int(f.phase),
        "wave": int(f.wave), "wave_total": int(f.wave_total),
        "card_types": [int(t) for t in f.card_types] if cards else None,
        "card_owners": [int(o) for o in f.card_owners] if cards else None,
        "np_ready": [bool(x) for x in f.np_ready],
    }
    kind = KIND_OF_PHASE[int(f.phase)] if r.unknown is None else "menu"
    if r.unknown is not None:  # what a person most likely confirms: not a readable battle screen
        labels.update(phase=PHASE_OTHER, wave=None, wave_total=None, card_types=None, card_owners=None,
                      np_ready=None)
    entry = {"file": file, "size": [int(frame.shape[1]), int(frame.shape[0])], "kind": kind, **labels,
             "mid_selection": False, "labelled_by": "model",
             "model_read": {**labels, "kind": kind, "unknown": r.unknown,
                            "confidence": {k: round(float(v), 3) for k, v in (r.confidence or {}).items()},
                            "card_groups": list(r.card_groups) if cards else None},
             "notes": ""}
    return entry


def is_model_entry(entry: Mapping) -> bool:
    """True for an entry ``fgo vision label`` wrote that nobody corrected (its labels and kind are
    still the model's read)."""
    if entry.get("labelled_by") != "model" or not isinstance(entry.get("model_read"), dict):
        return False
    read = entry["model_read"]
    return all(entry.get(k) == read.get(k) for k in (*LABEL_FIELDS, "kind"))


def prelabel(folder: str | Path, parser, overwrite: bool = False, preview: bool = True,
             progress: Callable[[int], None] | None = None) -> dict:
    """Pre-label every image of ``folder`` with ``parser`` into ``folder/labels.json`` and draw
    ``folder/preview/<file name>.png`` overlays (``a.jpg.png``). Human-labelled entries are kept unless ``overwrite``.
    An image that does not decode is skipped (its entry, if any, kept as it was) and named in
    ``"skipped"``: one bad file in a folder does not throw the others' reads away.
    Returns ``{"labels": path, "written", "kept", "previews": [paths], "unknown": n, "skipped": [errors]}``."""
    folder = Path(folder)
    images = list_images(folder)
    old = read_labels(folder, required=False)
    doc = dict(old.doc) if old is not None else {}
    old_entries = {e.get("file"): e for e in doc.get("items", []) if isinstance(e, dict)}
    doc.setdefault("what", f"Screenshots of {folder.name}, pre-labelled by `fgo vision label`; correct by eye "
                           f"(preview/*.png shows each read)")
    doc.setdefault("label_conventions", CONVENTIONS)
    items, written, kept, previews, unknown, skipped = [], 0, 0, [], 0, []
    prev_dir = folder / "preview"
    for path in images:
        entry = old_entries.pop(path.name, None)
        keep = entry is not None and not overwrite and not is_model_entry(entry)
        try:
            frame = load_image(path)
        except RealDataError as err:
            skipped.append(str(err))
            items += [entry] if entry is not None else []
            if progress:
                progress(1)
            continue
        r = read_frames(parser, [frame])[0]
        unknown += int(r.unknown is not None)
        if keep:
            items.append(entry)
            kept += 1
        else:
            new = entry_from_reading(path.name, frame, r)
            if entry is not None:  # keep the user's other keys (source, notes, ...)
                new = {**entry, **new, "notes": entry.get("notes", "")}
            items.append(new)
            written += 1
        if preview:
            prev_dir.mkdir(exist_ok=True)
            out = prev_dir / f"{path.name}.png"  # not the stem: a.jpg and a.png would share a preview
            draw_preview(frame, r, items[-1] if keep else None).save(out)
            previews.append(out)
        if progress:
            progress(1)
    items += list(old_entries.values())  # entries of files no longer in the folder: kept as they were
    doc["items"] = items
    path = folder / LABELS_FILE
    from fgo_env.safe_files import atomic_write_text

    atomic_write_text(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return {"labels": path, "written": written, "kept": kept, "previews": previews, "unknown": unknown,
            "images": len(images), "skipped": skipped}


TYPE_NAMES = ("Arts", "Buster", "Quick")
TYPE_COLOURS = ((60, 120, 255), (235, 60, 50), (60, 200, 90))
PHASE_LABELS = ("command", "cards", "other")


def _font(size: int):
    from PIL import ImageFont

    font = Path(__file__).resolve().parents[1] / "fgo_env" / "screens" / "fonts" / "DejaVuSerifCondensed-Bold.ttf"
    try:
        return ImageFont.truetype(str(font), size)
    except OSError:  # pragma: no cover - font missing
        return ImageFont.load_default()


def draw_preview(frame: np.ndarray, r: Reading, human: Mapping | None = None, width: int = 960):
    """The frame (scaled to ``width``) with the read drawn on it: a text band (phase, wave, NP,
    confidences, unknown reason; the human labels when the entry is kept) and, on card screens,
    each face card's box with its type and same-servant group. Returns a PIL image."""
    from PIL import Image, ImageDraw

    from .tasks import crop_boxes

    f = r.features
    h, w = frame.shape[:2]
    scale = width / w
    img = Image.fromarray(frame).resize((width, max(1, round(h * scale))), Image.BILINEAR)
    band = 92
    canvas = Image.new("RGB", (img.width, img.height + band), (16, 16, 20))
    canvas.paste(img, (0, band))
    d = ImageDraw.Draw(canvas)
    small, big = _font(15), _font(19)
    status = f"UNKNOWN: {r.unknown}" if r.unknown else "confident"
    d.text((8, 4), f"phase {PHASE_LABELS[f.phase]}   wave {f.wave}/{f.wave_total}   "
                   f"NP ready {''.join('Y' if x else '.' for x in f.np_ready)}   {status}",
           fill=(255, 120, 120) if r.unknown else (240, 240, 240), font=big)
    conf = [f"{k} {v:.2f}" for k, v in (r.confidence or {}).items()]
    d.text((8, 30), "confidence: " + "  ".join(conf[:7]), fill=(200, 200, 200), font=small)
    d.text((8, 48), "  ".join(conf[7:]), fill=(200, 200, 200), font=small)
    if human is not None:
        d.text((8, 68), "kept (human labels): phase {phase} wave {wave}/{wave_total} types {card_types} "
                        "owners {card_owners} np {np_ready}".format(**{k: human.get(k) for k in LABEL_FIELDS}),
               fill=(255, 220, 120), font=small)
    elif f.phase == PHASE_CARDS:
        chain = r.brave_chain
        d.text((8, 68), f"types {[TYPE_NAMES[t][0] if 0 <= t < 3 else '?' for t in f.card_types]}  "
                        f"owners {f.card_owners}  "
                        f"groups {list(r.card_groups)}  brave chain {list(chain) if chain else 'none'}",
               fill=(220, 220, 255), font=small)
    area = r.area
    boxes = crop_boxes(h, w).boxes if area is None else None
    if f.phase == PHASE_CARDS:
        for i in range(N_CARDS):
            if boxes is not None:
                x0, y0, x1, y1 = boxes[f"card{i}"]
            else:
                from .tasks import CROP_RECTS

                gx, gy, gw, gh = area
                rr = CROP_RECTS[f"card{i}"]
                x0, y0, x1, y1 = gx + rr.x * gw, gy + rr.y * gh, gx + rr.right * gw, gy + rr.bottom * gh
            t = f.card_types[i]
            col = TYPE_COLOURS[t] if 0 <= t < 3 else (200, 200, 200)
            bx = [x0 * scale, y0 * scale + band, x1 * scale, y1 * scale + band]
            d.rectangle(bx, outline=col, width=3)
            g = r.card_groups[i]
            label = f"{TYPE_NAMES[t] if 0 <= t < 3 else '?'} g{g} s{f.card_owners[i]}"
            d.rectangle([bx[0], bx[1], bx[0] + 8 * len(label) + 6, bx[1] + 18], fill=(0, 0, 0))
            d.text((bx[0] + 3, bx[1] + 1), label, fill=col, font=small)
    return canvas


__all__ = [
    "CONVENTIONS",
    "IMAGE_SUFFIXES",
    "KINDS",
    "LABELS_FILE",
    "MAX_PIXELS",
    "NON_BATTLE_KINDS",
    "LabelsFile",
    "RealDataError",
    "RealItem",
    "RealScore",
    "RealSet",
    "card_art_crop",
    "crops",
    "draw_preview",
    "entry_from_reading",
    "evaluate_real",
    "frame_times",
    "is_model_entry",
    "label_samples",
    "labelled_view",
    "list_images",
    "load_image",
    "load_real_set",
    "model_tasks",
    "normalised",
    "prelabel",
    "read_frames",
    "read_labels",
    "real_datasets",
    "report_table",
    "score_readings",
    "summary",
    "task_datasets",
    "time_reads",
]
