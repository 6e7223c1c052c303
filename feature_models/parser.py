"""`FrameParser`: a frame of any resolution and aspect ratio -> `fgo_env.features.Features`.

Two passes of the shared backbone per batch of frames:

1. every frame: the whole game area (``phase``), the Attack button (``attack``), the "n/N"
   digits (``wave`` and ``wave_total``), the three NP gauges (``np_ready``) and the three enemy
   boxes' break-bar pips (``breaks``; ``Features.breaks_left`` is the largest of the three);
2. frames read as the card screen: the 5 face cards (``card_type``), their portraits and the 3
   NP cards (``same_owner``: the 10 portrait pairs, same servant or not; ``card_owner``: each
   portrait matched against the NP cards shown, or "none"; ``np_ready`` from the NP cards being
   lit) and the Back button (``back``: ``Features.back_available``).

`decode_readings` turns the probabilities into `Reading` objects: the `Features`, a confidence
per head (``Reading.confidence``), and on card screens the same-servant groups
(``Reading.card_groups``) and the card owners (`feature_models.grouping.decode_hand`: the most
probable consistent partition into at most 3 groups; a group's slot from a matching shown NP card,
``owners_known`` True; the other groups' slots by elimination). Weights without a ``same_owner``
head (or with a 3-class ``card_owner``) are read as before: groups from the owner head alone.

The phase is "command" when the Attack button is seen (mean of the attack head and the phase
head's command probability above 0.5), otherwise the phase head's choice between the card screen
and "other". A battle screen's wave digit read under 0.9 is read again on its crop moved a pixel
left and right, the three reads averaged (`feature_models.shifted_reads`); the wave pair is then the most probable
(n, N) with n ≤ N. Batch norms are folded into the convolutions for inference.

Frames are RGB H×W×3 uint8 arrays or PIL images (`game_area.as_frame`: converted to RGB); anything
else is a one-line ValueError / TypeError, never an "unknown" read, and so is a single frame given
where a list is asked for. `read_batch` / `read` put a front end before the two passes
(docs/vision.md, "Finding the game area" and "Knowing when it does not know"):
`screen_check.check_frame` (too small, blank, flat, noise, greyscale, rotated by 90°, no 16:9 area:
unknown with a reason) with
`game_area.find_game_area` (crops are cut from the area found), then unknown when the phase
confidence is under ``PHASE_MIN_CONFIDENCE``, and a second look turned by 180° and channel-swapped
for unsure frames. They return `Reading`s; `parse` / `parse_batch` return their ``features``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fgo_env.env import check_positive_int
from fgo_env.features import (MAX_BREAKS, MAX_WAVES, N_CARDS, N_FRONT, PHASE_CARDS, PHASE_COMMAND, PHASE_OTHER,
                               Features)

from .backbone import fuse_conv_bn
from .game_area import area_candidates, as_frame, moved, rotate_area
from .io import WeightsError, load_model
from .model import MultiTaskModel, to_input
from .reading import Reading
from .screen_check import ScreenCheck, check_frame
from .shifted_reads import SHIFTED_TASKS, SHIFTS, again, averaged, unsure
from .tasks import DERIVED_TASKS, N_ENEMIES, TASKS, extract_crops

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "multitask"

GAUGE_CROPS = tuple(f"gauge{j}" for j in range(N_FRONT))
CARD_CROPS = tuple(f"card{i}" for i in range(N_CARDS))
PORTRAIT_CROPS = tuple(f"portrait{i}" for i in range(N_CARDS))
NP_CARD_CROPS = tuple(f"npcard{j}" for j in range(N_FRONT))
BREAK_CROPS = tuple(f"breaks{e}" for e in range(N_ENEMIES))
# Stage 1 (every frame): these crops, then the wave heads', which depend on the weights
# (`TaskSpec.crop`: the "n/N" crop, or one digit a crop in weights trained on such datasets).
STAGE1 = ("screen", "attack") + GAUGE_CROPS + BREAK_CROPS
STAGE2 = CARD_CROPS + PORTRAIT_CROPS + NP_CARD_CROPS + ("back",)


def _span(stage: tuple[str, ...], crops: tuple[str, ...]) -> slice:
    """Positions of the consecutive ``crops`` in ``stage``."""
    start = stage.index(crops[0])
    return slice(start, start + len(crops))


# Where each crop's features sit in a stage's batch (axis 1 of the backbone's output).
SCREEN_AT, ATTACK_AT = (STAGE1.index(crop) for crop in ("screen", "attack"))
GAUGES_AT, BREAKS_AT = _span(STAGE1, GAUGE_CROPS), _span(STAGE1, BREAK_CROPS)
BACK_AT = STAGE2.index("back")
CARDS_AT, PORTRAITS_AT, NP_CARDS_AT = (_span(STAGE2, c) for c in (CARD_CROPS, PORTRAIT_CROPS, NP_CARD_CROPS))
# Class indices of the heads' outputs (the phase head's classes are the Features phases, in order).
ATTACK_PRESENT = TASKS["attack"].classes.index("present")
SAME_YES = TASKS["same_owner"].classes.index("same")
NP_READY_YES = TASKS["np_ready"].classes.index("yes")
BACK_ACTIVE = TASKS["back"].classes.index("active")
CHANNELS_RGB = DERIVED_TASKS["channels"][0].classes.index("rgb")
# Knowing when it does not know (docs/vision.md): a read whose phase confidence is under
# PHASE_MIN_CONFIDENCE is "unknown". Such a frame, and a frame read as "other", gets a second look
# turned by 180° and with R and B swapped; a view is taken when it reads as a battle screen
# (command or cards) with confidence SECOND_LOOK_MIN and beats the first read's battle
# probability by SECOND_LOOK_MARGIN (SECOND_LOOK_MARGIN_OTHER_PHASE when the view reads another
# phase than the first read, e.g. an upside-down command screen first read as cards); both are
# rare, so the evidence asked for is strong.
PHASE_MIN_CONFIDENCE = 0.8
SECOND_LOOK_MIN = 0.95
SECOND_LOOK_MARGIN = 0.3
SECOND_LOOK_MARGIN_OTHER_PHASE = 0.2
# A frame read as "other" gets the second look only under this confidence: chain animations and
# the enemy turn are most of a battle's frames, and three reads of each would triple their cost.
SECOND_LOOK_OTHER_MAX = 0.99
# A frame whose game area was found among bars and reads as a battle screen under AREA_LOOK_BELOW
# (or as nothing sure: under PHASE_MIN_CONFIDENCE) is read again in the other areas the bars
# nearly allow (`_look_elsewhere`): a full-width line of the game (a status bar's edge) can pose
# as a textured bar's boundary. Another area is taken when it reads as a battle screen with
# SECOND_LOOK_MIN and beats the first read by AREA_LOOK_MARGIN (the same phase) or its battle
# probability by SECOND_LOOK_MARGIN_OTHER_PHASE (another phase). The other areas come before the
# turned and channel-swapped views: on a phone with bars a wrong area is the likelier fault, and a
# command screen read unsure in the wrong area can read as a card screen surely with R and B swapped.
AREA_LOOK_BELOW = 0.9
AREA_LOOK_MARGIN = 0.1
# A frame read as nothing sure (under AREA_LOOK_BELOW) is read in the other areas too when the
# detector's own score for its area is under AREA_SURE_SCORE (a "centred" area's score is a
# rejected hypothesis', always under it): the weights shipped second on 2026-12-06 read a command
# screen 96 px off under a blurred status bar as an animation at 0.88 (score 0.74).
AREA_SURE_SCORE = 0.9
# ... and, in such a doubted area, read as "other" under DOUBTED_OTHER_BELOW, not only under
# AREA_LOOK_BELOW: weights trained later read that screen as an animation at 0.91, and the battle
# (10080) stalled again on the 0.9 edge. Surer animations (most frames) are not read again.
DOUBTED_OTHER_BELOW = SECOND_LOOK_OTHER_MAX
# ... and a battle screen read surely whose wave counter reads under COUNTER_LOOK_BELOW: a model
# trained on the looks' offsets reads a screen tens of px off as surely as the right one, but its
# "Battle n/N" digits, then off their crop, in doubt. Another area is taken when it reads the same
# phase with SECOND_LOOK_MIN and its counter with SECOND_LOOK_MIN and AREA_LOOK_MARGIN more.
COUNTER_LOOK_BELOW = 0.75
# A battle read under SWAPPED_LOOK_BELOW (above PHASE_MIN_CONFIDENCE, so no second look yet) is
# read again with R and B swapped, taken when that reads as the other battle screen with
# SECOND_LOOK_MIN and AREA_LOOK_MARGIN more (`_look_swapped`).
SWAPPED_LOOK_BELOW = 0.95  # (0.9 until the 2026-12-06 weights read a BGR command screen as cards at 0.91)
SWAPPED_TAKE_MAX = 0.99  # ... the margin asked of the swapped view reaches at most this
# Weights with the channels head (`tasks.DERIVED_TASKS`): a read of a frame it calls BGR
# (p(rgb) < 0.5) is no surer than p(rgb) (`_rgb_cap`), and the frame is read with R and B swapped,
# that view taken when the head calls it RGB with SWAP_BACK_RGB and SWAP_BACK_MARGIN more than the
# frame (`_swap_back`): a false alarm the swapped view does not clearly answer stays unknown
# rather than read with Arts and Buster swapped.
SWAP_BACK_RGB = 0.9
SWAP_BACK_MARGIN = 0.5
PHASE_NAMES = {PHASE_COMMAND: "command", PHASE_CARDS: "cards", PHASE_OTHER: "other"}


def _take(out: dict, conf: np.ndarray, views: list, k: int, alt: dict, alt_conf: np.ndarray, j: int,
          view: tuple) -> None:
    """Frame ``k`` of a batch read takes row ``j`` of a second look (``view``: area, rotated, bgr)."""
    for key in out:
        out[key][k] = alt[key][j]
    conf[k] = alt_conf[j]
    views[k] = view


def _frame_list(frames) -> list[np.ndarray]:
    """``frames`` (a list or other iterable of frames, or an N×H×W×3 array) as checked RGB arrays
    (`as_frame`). One frame given alone is refused: iterating it would read each row as a frame."""
    array = isinstance(frames, np.ndarray)
    one = isinstance(frames, (Image.Image, str, Path)) or not hasattr(frames, "__iter__")
    if one or (array and frames.ndim != 4):
        what = f"array of shape {frames.shape}" if array else type(frames).__name__
        raise TypeError(f"expected a list of frames, got a single {what}: pass [frame], or read / parse one")
    return [as_frame(f, f"frame {i}") for i, f in enumerate(frames)]


def _script(net: torch.nn.Module, size: int) -> torch.nn.Module:
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            example = torch.rand(2, 3, size, size)
            scripted = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net.eval(), example)))
            if not torch.allclose(scripted(example), net(example), atol=1e-4):
                return net
            return scripted
    except Exception:  # pragma: no cover - TorchScript missing or a build without the passes
        return net


def _script_head(head: torch.nn.Module, dim: int, n_crops: int) -> torch.nn.Module:
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            example = torch.rand(3, dim) if n_crops == 1 else torch.rand(3, n_crops, dim)
            scripted = torch.jit.freeze(torch.jit.trace(head.eval(), example))
            return scripted if torch.allclose(scripted(example), head(example), atol=1e-5) else head
    except Exception:  # pragma: no cover
        return head


def _branch_crops(model: MultiTaskModel, wave_at: dict[str, int]) -> frozenset[int]:
    """Stage 1's crops the model's branch reads (indices into ``FrameParser.stage1``). The parser
    reads a branch of the wave heads (their crops are theirs alone), both or neither; other
    branches are refused with a `ValueError`."""
    tasks = set(model.branch_tasks)
    if not tasks:
        return frozenset()
    if tasks != set(wave_at):
        raise ValueError(f"the parser reads a model whose branch holds the wave heads ({', '.join(wave_at)}); "
                         f"this one's branch holds {', '.join(model.branch_tasks)}")
    return frozenset(wave_at.values())


class FrameParser:
    """Reads `Features` off frames.

    Args:
        weights: ``dir/name`` of a safetensors + JSON pair (default: the shipped
            ``feature_models/weights/multitask``).
        model: an in-memory `MultiTaskModel` instead of ``weights``.
        fuse: fold batch norms into convolutions (faster, same outputs up to float rounding).
        jit: also trace, freeze and ``optimize_for_inference`` the backbone with TorchScript
            (about 20 % less time at batch 1); falls back to eager mode if that fails.
        threads: if given (an integer ≥ 1), ``torch.set_num_threads(threads)``.
        second_look: `read_batch` reads unsure frames (and frames read as "other" under
            ``SECOND_LOOK_OTHER_MAX``) again turned
            by 180° and channel-swapped (see ``SECOND_LOOK_MIN``).
        wave_shifts: a battle screen's wave digit read under ``shifted_reads.SHIFT_BELOW`` is
            read again on its crop moved a pixel left and right, and the three reads averaged
            (`feature_models.shifted_reads`).
    """

    def __init__(self, weights: str | Path | None = None, model: MultiTaskModel | None = None,
                 fuse: bool = True, jit: bool = True, threads: int | None = None, second_look: bool = True,
                 wave_shifts: bool = True):
        if threads is not None:
            torch.set_num_threads(check_positive_int("threads", threads))
        given = model is not None
        if given and not isinstance(model, MultiTaskModel):
            raise TypeError(f"model must be a MultiTaskModel (or None: weights), got {type(model).__name__}")
        weights = DEFAULT_WEIGHTS if weights is None else weights  # "" is no path: io refuses it
        if model is None:
            model, _ = load_model(weights)
        needed = {"phase", "attack", "wave", "wave_total", "card_type", "card_owner", "np_ready", "back", "breaks"}
        missing = needed - set(model.tasks)
        if missing:
            reason = (f"lacks heads {sorted(missing)} needed to fill Features (it has {sorted(model.tasks)}: a "
                      f"single-task baseline? the parser reads with a multi-task model, such as fgo vision "
                      f"train's OUT/multitask)")
            raise ValueError(f"the model {reason}") if given else WeightsError(weights, reason)
        self.model = model.eval()
        self.second_look = bool(second_look)
        self.wave_shifts = bool(wave_shifts)
        self.last_checks: list[ScreenCheck] = []  # `read_batch`'s screen checks and area reports
        self.size = model.backbone_config.in_size
        waves = [model.specs[t].crop for t in ("wave", "wave_total")]
        self.stage1 = STAGE1 + tuple(dict.fromkeys(waves))  # each wave head's crop, once
        self._wave_at = {t: self.stage1.index(c) for t, c in zip(("wave", "wave_total"), waves)}
        try:  # stage 1's crops read through the branch, and the rest
            self._branch_at = _branch_crops(model, self._wave_at)
        except ValueError as exc:
            if given:
                raise
            raise WeightsError(weights, str(exc)) from None
        self._own_at = sorted(self._branch_at)
        self._rest_at = [i for i in range(len(self.stage1)) if i not in self._branch_at]
        self.backbone = fuse_conv_bn(model.backbone) if fuse else model.backbone
        branch = model.branch_network()
        self.branch_backbone = None if branch is None else fuse_conv_bn(branch) if fuse else branch.eval()
        self.heads = {t: model.head(t) for t in model.tasks}
        if jit:
            self.backbone = _script(self.backbone, self.size)
            if self.branch_backbone is not None:
                self.branch_backbone = _script(self.branch_backbone, self.size)
            dim = model.backbone.out_features
            self.heads = {t: _script_head(h, dim, model.specs[t].n_crops) for t, h in self.heads.items()}

    # ------------------------------------------------------------------------------ helpers
    def _features(self, crops: np.ndarray, branch: bool = False) -> torch.Tensor:
        return (self.branch_backbone if branch else self.backbone)(to_input(crops))

    def _stage1_features(self, crops: np.ndarray, n: int) -> torch.Tensor:
        """Features (n, k, D) of stage 1's crops (n * k, S, S, 3): the branch's crops through the
        branch, the rest through the backbone."""
        k = len(self.stage1)
        if not self._branch_at:
            f = self._features(crops)
            return f.reshape(n, k, f.shape[-1])  # not -1: no frames is 0 rows
        crops = crops.reshape(n, k, *crops.shape[1:])
        own, rest = self._own_at, self._rest_at
        f_rest = self._features(crops[:, rest].reshape(-1, *crops.shape[2:]))
        f_own = self._features(crops[:, own].reshape(-1, *crops.shape[2:]), branch=True)
        f_rest, f_own = f_rest.reshape(n, len(rest), f_rest.shape[-1]), f_own.reshape(n, len(own), f_own.shape[-1])
        f = torch.empty(n, k, f_rest.shape[-1], dtype=f_rest.dtype)
        f[:, rest], f[:, own] = f_rest, f_own
        return f

    def _head(self, task: str, f: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.heads[task](f), dim=-1)

    @torch.inference_mode()
    def predict_batch(self, frames, areas=None) -> dict[str, np.ndarray]:
        """Raw head probabilities for a list of frames (RGB arrays of any sizes; an empty list gives
        arrays of 0 rows); ``areas``: the game area ``(x, y, w, h)`` of each frame (None, or None
        entries: the centred 16:9 area)."""
        frames = _frame_list(frames)
        n = len(frames)
        areas = [None] * n if areas is None else list(areas)
        none = np.empty((0, self.size, self.size, 3), np.uint8)  # so that no frames concatenate too
        s1 = np.concatenate([none] + [extract_crops(f, self.stage1, self.size, area=a)
                                      for f, a in zip(frames, areas)])
        f1 = self._stage1_features(s1, n)
        out = {
            "phase": self._head("phase", f1[:, SCREEN_AT]).numpy(),
            "attack": self._head("attack", f1[:, ATTACK_AT]).numpy(),
            "wave": self._head("wave", f1[:, self._wave_at["wave"]]).numpy(),
            "wave_total": self._head("wave_total", f1[:, self._wave_at["wave_total"]]).numpy(),
            "np_gauge": self._head("np_ready", f1[:, GAUGES_AT]).numpy(),  # (n, 3, 2)
            "breaks": self._head("breaks", f1[:, BREAKS_AT]).numpy(),  # (n, 3 enemies, 4)
        }
        if "channels" in self.heads:  # weights trained since 2026-12-06: is the frame BGR?
            out["channels"] = self._head("channels", f1[:, SCREEN_AT]).numpy()
        p_cmd, _ = self._battle_reads(out, capped=False)
        phase = np.where(p_cmd > 0.5, PHASE_COMMAND,
                         np.where(out["phase"][:, PHASE_CARDS] >= out["phase"][:, PHASE_OTHER], PHASE_CARDS,
                                  PHASE_OTHER))
        out["phase_decision"] = phase
        # the wrong-area check (`_look_elsewhere`, COUNTER_LOOK_BELOW) was set on the heads' own
        # reads: a digit off its crop reads unsure, and its shifted reads must not hide that
        out["counter_own"] = np.minimum(out["wave"].max(-1), out["wave_total"].max(-1)).astype(np.float64)
        if self.wave_shifts:
            self._steady_waves(out, s1.reshape(n, len(self.stage1), *s1.shape[1:]), phase != PHASE_OTHER)
        out["card_type"] = np.full((n, N_CARDS, 3), np.nan, np.float32)
        n_owner = self.model.specs["card_owner"].n_classes  # 4 (slot0..2, none); 3 in older weights
        out["card_owner"] = np.full((n, N_CARDS, n_owner), np.nan, np.float32)
        out["same_owner"] = np.full((n, 10, 2), np.nan, np.float32)  # the 10 card pairs (grouping.PAIRS)
        out["np_card"] = np.full((n, N_FRONT, 2), np.nan, np.float32)
        out["back"] = np.full((n, 2), np.nan, np.float32)
        cards = np.flatnonzero(phase == PHASE_CARDS)
        if cards.size:
            s2 = np.concatenate([extract_crops(frames[i], STAGE2, self.size, area=areas[i]) for i in cards])
            f2 = self._features(s2).reshape(cards.size, len(STAGE2), -1)
            out["card_type"][cards] = self._head("card_type", f2[:, CARDS_AT]).numpy()
            portraits = f2[:, PORTRAITS_AT]  # (m, 5, D)
            npc = f2[:, NP_CARDS_AT]  # (m, 3, D)
            pairs = torch.cat([portraits.unsqueeze(2), npc.unsqueeze(1).expand(-1, N_CARDS, -1, -1)], dim=2)
            owner = self._head("card_owner", pairs.reshape(-1, 1 + N_FRONT, pairs.shape[-1]))
            out["card_owner"][cards] = owner.reshape(cards.size, N_CARDS, -1).numpy()
            if "same_owner" in self.heads:
                from .grouping import PAIRS

                both = portraits[:, PAIRS].reshape(-1, 2, portraits.shape[-1])  # (m * 10, 2, D)
                same = self._head("same_owner", both)
                out["same_owner"][cards] = same.reshape(cards.size, len(PAIRS), 2).numpy()
            out["np_card"][cards] = self._head("np_ready", npc).numpy()
            out["back"][cards] = self._head("back", f2[:, BACK_AT]).numpy()
        return out

    def _steady_waves(self, out: dict, crops: np.ndarray, battle: np.ndarray) -> None:
        """The wave digits of battle screens read under ``SHIFT_BELOW``, read again a pixel to each
        side (`shifted_reads`), both heads' crops in one backbone pass; ``crops``: stage 1's (n, k, S, S, 3)."""
        rows = {t: np.intersect1d(unsure(out[t]), np.flatnonzero(battle)) for t in SHIFTED_TASKS}
        if not any(r.size for r in rows.values()):
            return
        branch = self._wave_at[SHIFTED_TASKS[0]] in self._branch_at  # `_branch_crops`: both wave heads or neither
        f = self._features(np.concatenate([again(crops[r, self._wave_at[t]]) for t, r in rows.items()]), branch)
        at = 0
        for t, r in rows.items():
            m = len(SHIFTS) * r.size
            out[t][r] = averaged(out[t][r], self._head(t, f[at:at + m]).numpy())
            at += m

    _IMPOSSIBLE = np.tril(np.ones((MAX_WAVES, MAX_WAVES), bool), -1)  # rows n > columns N

    @classmethod
    def _wave_pair(cls, pn: np.ndarray, pt: np.ndarray) -> tuple[int, int]:
        joint = np.log(pn[:, None] + 1e-9) + np.log(pt[None, :] + 1e-9)
        joint[cls._IMPOSSIBLE] = -np.inf
        n, t = np.unravel_index(int(np.argmax(joint)), joint.shape)
        return int(n) + 1, int(t) + 1

    def decode_readings(self, out: dict[str, np.ndarray]) -> list[Reading]:  # noqa: F821 (imported below)
        """A `Reading` per frame from `predict_batch`'s probabilities: the Features, a confidence
        per head read on that frame (the probability of the chosen answer; for heads read several
        times the smallest; the phase's is `phase_confidence`, the one `read_batch` judges), and on
        card screens the card groups and ``owners_known``. The
        frame-level fields (``unknown``, ``area``, ``rotated``, ``bgr``) are left at their defaults
        for the caller (`read_batch`) to fill."""
        from .grouping import decode_hand
        from .reading import Reading

        result = []
        phase_conf = out["phase_confidence"] if "phase_confidence" in out else self.phase_confidence(out)
        for i, phase in enumerate(out["phase_decision"]):
            phase = int(phase)
            wave, total = self._wave_pair(out["wave"][i], out["wave_total"][i])
            conf = {"phase": float(phase_conf[i]),
                    "attack": float(out["attack"][i].max()),
                    "wave": float(out["wave"][i][wave - 1]), "wave_total": float(out["wave_total"][i][total - 1]),
                    "breaks": float(out["breaks"][i].max(-1).min())}
            groups, known = [-1] * N_CARDS, [False] * N_CARDS
            if phase == PHASE_CARDS:
                types = [int(t) for t in out["card_type"][i].argmax(-1)]
                ready = [bool(p[NP_READY_YES] > 0.5) for p in out["np_card"][i]]
                back = bool(out["back"][i][BACK_ACTIVE] > 0.5)
                same = out["same_owner"][i][:, SAME_YES] if "same_owner" in self.heads else None
                hand = decode_hand(same, out["card_owner"][i], ready)
                owners, groups, known = hand.owners, hand.groups, hand.owners_known
                conf.update({"card_type": float(out["card_type"][i].max(-1).min()),
                             "np_ready": float(out["np_card"][i].max(-1).min()),
                             "back": float(out["back"][i].max()), **hand.confidence})
            else:
                types, owners = [-1] * N_CARDS, [-1] * N_CARDS
                ready = [bool(p[NP_READY_YES] > 0.5) for p in out["np_gauge"][i]]
                back = False
                conf["np_ready"] = float(out["np_gauge"][i].max(-1).min())
            if "channels" in out:  # how surely the pixels read were RGB (last: previews show the first)
                conf["channels"] = float(out["channels"][i][CHANNELS_RGB])
            breaks = min(int(out["breaks"][i].argmax(-1).max()), MAX_BREAKS)
            features = Features(phase, wave, total, types, owners, ready, back, breaks)
            result.append(Reading(features, confidence=conf, card_groups=groups, owners_known=known))
        return result

    def decode(self, out: dict[str, np.ndarray]) -> list[Features]:
        """`Features` of each frame from `predict_batch`'s probabilities."""
        result = [r.features for r in self.decode_readings(out)]
        return result

    # ------------------------------------------------------------- frame-level front end
    @staticmethod
    def _battle_reads(out: dict[str, np.ndarray], capped: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Per frame, (command, cards): the mean of the phase head's command probability and the
        Attack head's "present"; the phase head's cards probability capped by the Attack head's
        "absent" (the card screen has no Attack button); both capped by `_rgb_cap` if ``capped``
        (how sure, not which: the phase decided does not depend on it)."""
        attack = out["attack"][:, ATTACK_PRESENT]
        cap = FrameParser._rgb_cap(out) if capped else 1.0
        return (np.minimum((out["phase"][:, PHASE_COMMAND] + attack) / 2, cap),
                np.minimum(np.minimum(out["phase"][:, PHASE_CARDS], 1.0 - attack), cap))

    @staticmethod
    def _rgb_cap(out: dict[str, np.ndarray]) -> np.ndarray | float:
        """Per frame, the most a battle read of it can be trusted given the channels head
        (`tasks.DERIVED_TASKS`): its "rgb" probability where it reads the frame as BGR (so such a
        read is unsure: no hand is read off it), else 1; 1 for weights without the head. An "other"
        read is not capped: it reads no hand, and the head knows battle screens only (menus,
        banners and animations have no colours of their own to tell a swap by), so a cap would make
        such reads unknown for nothing."""
        if "channels" not in out:
            return 1.0
        rgb = out["channels"][:, CHANNELS_RGB]
        return np.where(rgb < 0.5, rgb, 1.0)

    @staticmethod
    def phase_confidence(out: dict[str, np.ndarray]) -> np.ndarray:
        """Per frame, the probability of the phase decided (command: the mean of the phase
        head's command probability and the attack head; cards: the phase head's, but no more
        than the attack head's "no Attack button", as the card screen has none: a BGR command
        screen read as cards at 0.95 with the Attack button seen at 0.94 is not a sure read;
        both capped by the channels head, `_rgb_cap`; other: the phase head's)."""
        p_cmd, p_cards = FrameParser._battle_reads(out)
        decision = out["phase_decision"]
        chosen = out["phase"][np.arange(decision.size), decision]  # "other" reads no hand: no cap
        return np.where(decision == PHASE_COMMAND, p_cmd,
                        np.where(decision == PHASE_CARDS, p_cards, chosen)).astype(np.float64)

    @staticmethod
    def battle_probability(out: dict[str, np.ndarray], capped: bool = True) -> np.ndarray:
        """Per frame, how much it reads as a battle screen: max(command, cards) as decided, cards
        capped as in `phase_confidence` (else a BGR command screen first read as cards would hold a
        floor its swapped-back view could never pass); by the channels head too if ``capped``."""
        return np.maximum(*FrameParser._battle_reads(out, capped)).astype(np.float64)

    @staticmethod
    def _counter_confidence(out: dict) -> np.ndarray:
        """Per frame, how surely its wave counter reads: the less sure of its two digits, as the
        heads read them before an unsure digit is read again (`_steady_waves`)."""
        return out["counter_own"]

    @staticmethod
    def _unknown_features() -> Features:
        return Features(PHASE_OTHER, 1, 1)

    @staticmethod
    def _views(frame: np.ndarray, check: ScreenCheck) -> list[tuple[np.ndarray, tuple, bool, bool]]:
        """(pixels, area, rotated, bgr) of the second look: turned by 180°, channel-swapped."""
        h, w = frame.shape[:2]
        area = check.area.area
        turned = np.ascontiguousarray(frame[::-1, ::-1])
        return [(turned, rotate_area(area, w, h), True, False),
                (np.ascontiguousarray(frame[..., ::-1]), area, False, True)]

    def _front(self, frames: list[np.ndarray]) -> tuple[list[ScreenCheck], list[int], dict, list[tuple]]:
        """Checks, the readable frames, the stage-1/2 probabilities of their best view and the
        view per readable frame: (area in the view's pixels, rotated, bgr)."""
        checks = [check_frame(f) for f in frames]
        ok = [i for i, c in enumerate(checks) if c.ok]
        if not ok:
            return checks, ok, {}, []
        pix = [frames[i] for i in ok]
        views = [(checks[i].area.area, False, False) for i in ok]
        out = self.predict_batch(pix, [v[0] for v in views])
        conf = self.phase_confidence(out)
        # the rules below weigh other views against the read itself, not against the channels
        # head's doubt of it: a false alarm must not open the way to a swapped view (`_swap_back`)
        battle = self.battle_probability(out, capped=False)
        if self.second_look:
            # other areas first: a wrong area is likelier than a turned or BGR frame, and the
            # channels head can call the wrong area's crop BGR (a pilot battle, seed 10188)
            self._look_elsewhere(pix, checks, ok, out, conf, battle, views)
            self._swap_back(pix, out, conf, views)  # then the channels head's evidence
        unsure = [k for k in range(len(ok)) if self.second_look
                  and (conf[k] < PHASE_MIN_CONFIDENCE
                       or (out["phase_decision"][k] == PHASE_OTHER and conf[k] < SECOND_LOOK_OTHER_MAX))]
        if unsure:  # second look: upside down? channels swapped?
            alts = [(k, v) for k in unsure for v in self._views(pix[k], checks[ok[k]])]
            alt = self.predict_batch([v[0] for _, v in alts], [v[1] for _, v in alts])
            alt_conf = self.phase_confidence(alt)
            for j in np.argsort(-alt_conf, kind="stable"):
                k, view = alts[j]
                same = alt["phase_decision"][j] == out["phase_decision"][k]
                margin = SECOND_LOOK_MARGIN if same else SECOND_LOOK_MARGIN_OTHER_PHASE
                if (alt["phase_decision"][j] != PHASE_OTHER and alt_conf[j] >= SECOND_LOOK_MIN
                        and alt_conf[j] >= battle[k] + margin and not (views[k][1] or views[k][2])):
                    _take(out, conf, views, k, alt, alt_conf, j, (view[1], view[2], view[3]))
        if self.second_look:
            self._look_swapped(pix, ok, out, conf, views, done=set(unsure))
        out["phase_confidence"] = conf
        return checks, ok, out, views

    def _swap_back(self, pix, out, conf, views) -> None:
        """Read a frame the channels head calls BGR with R and B swapped, and take that view (in
        place; whatever it reads, "other" too, judged then as any read) when the head calls it RGB
        with ``SWAP_BACK_RGB`` and ``SWAP_BACK_MARGIN`` more than the frame itself. Reads of "other"
        are asked too: 7 of 200 BGR battle screens read as "other" at 0.99 with the weights
        shipped third, rescued only here (`benchmarks/bgr_reads.py`)."""
        if "channels" not in out:
            return
        rgb = out["channels"][:, CHANNELS_RGB]
        flagged = [k for k in range(rgb.size) if rgb[k] < 0.5]
        if not flagged:
            return
        alt = self.predict_batch([np.ascontiguousarray(pix[k][..., ::-1]) for k in flagged],
                                 [views[k][0] for k in flagged])
        alt_conf = self.phase_confidence(alt)
        alt_rgb = alt["channels"][:, CHANNELS_RGB]
        for j, k in enumerate(flagged):
            if alt_rgb[j] >= SWAP_BACK_RGB and alt_rgb[j] - rgb[k] >= SWAP_BACK_MARGIN:
                _take(out, conf, views, k, alt, alt_conf, j, (views[k][0], False, True))

    def _look_swapped(self, pix, ok, out, conf, views, done: set) -> None:
        """Read a frame read as a battle screen under ``SWAPPED_LOOK_BELOW`` (and not yet looked
        at again) with R and B swapped, and take that view when it reads as the *other* battle
        screen with ``SECOND_LOOK_MIN`` and ``AREA_LOOK_MARGIN`` more (in place): a BGR command
        screen can read as a card screen at 0.86, above ``PHASE_MIN_CONFIDENCE``."""
        doubtful = [k for k in range(len(ok)) if k not in done and conf[k] < SWAPPED_LOOK_BELOW
                    and out["phase_decision"][k] != PHASE_OTHER and not (views[k][1] or views[k][2])]
        if not doubtful:
            return
        swapped = [np.ascontiguousarray(pix[k][..., ::-1]) for k in doubtful]
        alt = self.predict_batch(swapped, [views[k][0] for k in doubtful])
        alt_conf = self.phase_confidence(alt)
        for j, k in enumerate(doubtful):
            phase = alt["phase_decision"][j]
            if (phase not in (PHASE_OTHER, out["phase_decision"][k])
                    and alt_conf[j] >= max(SECOND_LOOK_MIN, min(conf[k] + AREA_LOOK_MARGIN, SWAPPED_TAKE_MAX))):
                _take(out, conf, views, k, alt, alt_conf, j, (views[k][0], False, True))

    def _look_elsewhere(self, pix, checks, ok, out, conf, battle, views) -> None:
        """Read a frame whose area (found among bars) reads as a battle screen under
        ``AREA_LOOK_BELOW`` (or surely, its wave counter under ``COUNTER_LOOK_BELOW``), or reads as
        nothing sure, again in the other areas its bars nearly allow
        (`game_area.area_candidates`), taking the one that reads as a battle screen with
        confidence if only one does (in place: ``out``, ``conf``, ``views`` and the frame's check)."""
        counter = self._counter_confidence(out)
        battle_read = out["phase_decision"] != PHASE_OTHER
        doubted = [checks[ok[k]].area.score < AREA_SURE_SCORE for k in range(len(ok))]
        below = [DOUBTED_OTHER_BELOW if doubted[k] and not battle_read[k] else AREA_LOOK_BELOW for k in range(len(ok))]
        unsure = [k for k in range(len(ok)) if not (views[k][1] or views[k][2])
                  and (conf[k] < below[k] or (battle_read[k] and counter[k] < COUNTER_LOOK_BELOW))
                  # animations (most frames, none decided on) only when unknown, or unsure in an
                  # area the detector was unsure of: a decision screen in the wrong area can read
                  # as an animation
                  and (battle_read[k] or conf[k] < PHASE_MIN_CONFIDENCE or doubted[k])
                  and checks[ok[k]].area.method in ("edges", "centred") and checks[ok[k]].area.has_bars]
        alts = [(k, area) for k in unsure for area, _ in area_candidates(pix[k], checks[ok[k]].area)]
        if not alts:
            return
        alt = self.predict_batch([pix[k] for k, _ in alts], [area for _, area in alts])
        alt_conf = self.phase_confidence(alt)
        alt_counter = self._counter_confidence(alt)
        passing: dict[int, list[int]] = {}
        for j, (k, area) in enumerate(alts):
            same = alt["phase_decision"][j] == out["phase_decision"][k]
            if conf[k] >= AREA_LOOK_BELOW and battle_read[k]:  # read surely but for the counter: its counter decides
                sure = same and alt_conf[j] >= SECOND_LOOK_MIN and \
                    alt_counter[j] >= max(SECOND_LOOK_MIN, counter[k] + AREA_LOOK_MARGIN)
            else:
                floor = conf[k] + AREA_LOOK_MARGIN if same else battle[k] + SECOND_LOOK_MARGIN_OTHER_PHASE
                sure = alt["phase_decision"][j] != PHASE_OTHER and alt_conf[j] >= max(SECOND_LOOK_MIN, floor)
            if sure:
                passing.setdefault(k, []).append(j)
        for k, js in passing.items():
            if len(js) > 1:  # areas tens of px apart read alike: the content cannot tell which
                continue
            j, area = js[0], alts[js[0]][1]
            _take(out, conf, views, k, alt, alt_conf, j, (area, False, False))
            checks[ok[k]] = replace(checks[ok[k]], area=moved(checks[ok[k]].area, area))

    def read_batch(self, frames) -> list[Reading]:
        """A `Reading` of every frame (RGB H×W×3 uint8 arrays of any sizes): the game area found
        (`game_area`), frames that cannot be read marked unknown with a reason (`screen_check`,
        then a phase confidence under ``PHASE_MIN_CONFIDENCE``), upside-down or BGR frames read
        turned / swapped back when the second look is confident. A list is asked for even for one
        frame (or `read`); what is no RGB frame is a one-line ValueError / TypeError (`as_frame`)."""
        frames = _frame_list(frames)
        checks, ok, out, views = self._front(frames)
        # what the front end found, per frame (bars per side, method, rotation): for tools and logs
        self.last_checks = list(checks)
        for k, i in enumerate(ok):
            if views[k][1]:
                self.last_checks[i] = replace(checks[i], area=replace(checks[i].area, rotated=True))
        readings: list[Reading | None] = [None] * len(frames)
        for i, c in enumerate(checks):
            if not c.ok:
                readings[i] = Reading(self._unknown_features(), unknown=c.reason,
                                      area=c.area.area if c.area is not None else None)
        if ok:
            decoded = self.decode_readings(out)  # Features, a confidence per head, card groups
            for k, i in enumerate(ok):
                report = checks[i].area
                _, rotated, bgr = views[k]
                conf = float(out["phase_confidence"][k])
                phase = int(out["phase_decision"][k])
                unknown = None
                if conf < PHASE_MIN_CONFIDENCE:
                    unknown = f"low phase confidence ({PHASE_NAMES[phase]} p={conf:.2f})"
                    rgb = out["channels"][k, CHANNELS_RGB] if "channels" in out else 1.0
                    if rgb < 0.5:
                        unknown += f"; the colours look BGR (p={1 - rgb:.2f}): frames must be RGB" + (
                            "; swapped, they did not look RGB either" if self.second_look and not bgr else "")
                r = decoded[k]
                if unknown is None:
                    readings[i] = replace(r, area=report.area, rotated=rotated, bgr=bgr)
                else:  # no hand, groups or owners from a frame it does not know
                    readings[i] = Reading(self._unknown_features(), confidence=r.confidence, unknown=unknown,
                                          area=report.area, rotated=rotated, bgr=bgr)
        return readings  # type: ignore[return-value]

    def read(self, frame: np.ndarray) -> Reading:
        """`read_batch` of one frame."""
        return self.read_batch([as_frame(frame)])[0]  # checked here, so that its error says "frame"

    def parse_batch(self, frames) -> list[Features]:
        """`Features` of every frame (a list of H×W×3 uint8 arrays, sizes may differ): the
        ``features`` of `read_batch` (defaults with phase "other" for unknown frames)."""
        return [r.features for r in self.read_batch(frames)]

    def parse(self, frame: np.ndarray) -> Features:
        """`Features` of one H×W×3 uint8 frame of any resolution and aspect ratio."""
        return self.read(frame).features


__all__ = ["DEFAULT_WEIGHTS", "FrameParser", "PHASE_MIN_CONFIDENCE", "STAGE1", "STAGE2"]
