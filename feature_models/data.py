"""Per-task datasets rendered from the game, labelled from the true state.

Frames come from two sources, both drawn with domain randomisation (``Look.random``):

* **real episodes** of ``fgo_env`` on catalogue quests, a ``greedy_fraction`` share played by an
  injected policy (``policy_factory``; ``fgo vision data`` injects the greedy agent, see
  ``agents.cli.vision``) and the rest by a seeded random policy: every decision screen
  (``scene_from_state``) plus the in-between frames of every resolved turn
  (``transition_scenes``: the chain playing, the enemy turn, the "Battle n/N" banner) and the
  final victory/defeat screen;
* **example scenes** (``Scene.example``) of every kind, for variety (any servant key, popups, up to
  three chosen cards, overcharged gauges).

Every random look belongs to a family (``Look.family``: "classic", our original screens, or
"real", the game's own structure; ``DataConfig.real_fraction`` or ``Look.random``'s own draw). The
family matters to one label: the real card screen shows an NP card only for a servant whose NP is
ready, so there a card whose owner's NP card is not shown gets the ``card_owner`` label "none"
(`np_cards_shown`, `owner_labels`). ``same_owner`` has a sample per pair of face cards of every
card screen (`same_owner_pairs`).

Labels are read from the `Scene` the frame was drawn from, which ``scene_from_state`` builds from
the engine record (the tests check them against ``env.unwrapped.features()``). Each task gets its
own dataset (see `feature_models.tasks`), written as ``<root>/<split>/<task>.npz`` (uint8 crops and
int labels; the multi-crop tasks store their crops once and an index array: ``card_owner`` (N, 4),
``same_owner`` (N, 2)) next to
``frames.json`` (one record per frame: source, quest, look seed and family, size, kind and its
Features) and
``manifest.json`` (config, episodes per policy, counts, class histograms, bytes).

Splits use disjoint look seeds, episode seeds and example seeds: ``train`` (looks from 1,000,000),
``val`` (5,000,000; best checkpoint and early stopping) and ``test`` (9,000,000; the held-out looks
of the report). A split is a pure function of its config and policy: the same config and policy
write the same bytes.

Layering: this package sits below ``agents`` and never imports it. Without a ``policy_factory``
every episode is played by the random policy; ``manifest.json`` records which policy played how
many episodes (``episode_policies``).
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fgo_env.features import MAX_BREAKS, N_CARDS, N_FRONT
from fgo_env.safe_files import atomic_write_bytes, atomic_write_text
from fgo_env.screens import Look, Scene
from fgo_env.screens.scene import MENU_KIND

from .legibility import BREAKS, PROBED, LegibilityProbe, crop_of, task_of
from .tasks import (CROP_SIZE, DERIVED_TASKS, LEGACY_CROPS, TASK_NAMES, TASKS, TaskSpec, crop_boxes,
                    extract_crops, label_region, task_specs)

SPLITS = ("train", "val", "test")
LOOK_BASE = {"train": 1_000_000, "val": 5_000_000, "test": 9_000_000}
SPLIT_SCALE = {"train": (1.0, 1.0), "val": (0.25, 0.12), "test": (0.3, 0.144)}  # (episodes, examples)
FRAME_SIZES = ((640, 360), (800, 450), (960, 540), (1280, 720))
DEFAULT_QUESTS = ("tutorial_training_yard", "farming_2wave", "farming_3wave", "standard_crossroads",
                  "standard_border_patrol", "puzzle_triangle_vanguard", "boss_cinder_wyrm",
                  "farming_wisp_marsh", "standard_night_raid", "boss_pale_king")
EXAMPLE_KINDS = (("cards", 0.42), ("command", 0.28), ("chain", 0.08), ("enemy_turn", 0.07),
                 ("wave_banner", 0.07), ("victory", 0.04), ("defeat", 0.04), ("menu", 0.12))
# A crop whose middle (where its digits, icons or card sit) a phone overlay covers with this mean
# opacity gives no sample. Translucent bands leave their text legible (a light status bar at 60-85 %
# and a dark one at 0-85 % still show "Battle 2/3"), and the real phones that draw over the game
# draw such bands; the earlier 0.3 over the whole crop never let the model see them.
HIDDEN_OPACITY = 0.88
BANNER_KINDS = ("wave_banner", "victory", "defeat")
PHASE_OF_KIND = {"command": 0, "cards": 1}


@dataclass
class DataConfig:
    """What one split holds (train sizes; ``val`` and ``test`` are scaled by ``SPLIT_SCALE``:
    22 episodes + 600 examples and 27 episodes + 720 examples by default).

    Attributes:
        episodes: env episodes played (each under one look and frame size).
        examples: ``Scene.example`` frames (a new look every ``examples_per_look`` frames).
        frames_per_look: an episode switches to a new look (and frame size) every this many
            frames, so that no single look weighs much in a split.
        quests: quests the episodes cycle through.
        greedy_fraction: share of episodes played by the injected policy (``policy_factory`` of
            `iter_frames` / `generate_split`; ``fgo vision data``: the greedy agent); the rest,
            and all of them when no policy is injected, are played by the random policy. The
            draw is made either way, so looks and seeds do not depend on the policy.
        plain_fraction: share of looks that are ``Look.plain()`` (the env's own look).
        size: crop side in pixels.
        frame_sizes: renderer sizes (16:9 game area) drawn from; a look may widen the frame.
        seed: offsets every seed of the split (episodes, examples, looks).
        max_decisions: cap on decisions per episode (random play can be long).
        real_fraction: share of the random looks drawn in the "real" family (the game's own
            screens: NP cards only for ready servants), the rest "classic"; None leaves the draw
            to ``Look.random`` (real with p = 0.6). Without a Look that has families, every look
            is classic and a non-zero share is an error.
        hide_unready_np: share of the classic-family card screens drawn with the real game's NP
            row (NP cards of servants whose NP is not ready left out; `hide_unready_np_cards`), so
            the classic look also teaches ``card_owner``'s "none". The choice is seeded by the
            frame, not drawn from the split's stream.
        legibility: probe the wave digits and the bosses' break pips of every frame
            (`feature_models.legibility`, `probed_fields`): a label the frame does not show
            legibly gives no sample and is not scored. False
            keeps the datasets of before the probe (every digit labelled unless an overlay hides
            its crop).
        wave_crops: what the wave heads' samples are (`tasks.WAVE_CROPS`): "digits", one digit a
            crop (the shipped weights' since 2026-12-06), or "counter", both digits off the "n/N"
            crop (the weights before).
        looks: which looks the split draws (`LOOK_FILTERS`): "any", or "mid-animation", only the
            random looks that catch their frames mid-transition (``Look.mid_animation`` > 0, about
            one look in eight otherwise; no plain look): a folder that adds practice where the
            card owner head misses most (ghosted NP cards); or "covered-top", only the looks
            with a phone status bar or a notification (about 34 % of random looks otherwise):
            practice where the wave digits' misses gather. Each run of frames takes the next
            look seed of its range whose look is kept, so ``frames.json``'s look seeds still give
            the looks; an episode's 100 seeds keep about 12 (mid-animation) or 34 (covered-top),
            and when they run out (a long episode) its last look goes on for the rest, giving
            more than ``frames_per_look`` frames. At most `KEPT_EXAMPLE_LOOKS` example looks
            (16,000 examples at 8 a look).
    """

    episodes: int = 90
    examples: int = 5000
    quests: tuple[str, ...] = DEFAULT_QUESTS
    greedy_fraction: float = 0.75
    plain_fraction: float = 0.1
    size: int = CROP_SIZE
    frame_sizes: tuple[tuple[int, int], ...] = FRAME_SIZES
    examples_per_look: int = 8
    frames_per_look: int = 8
    seed: int = 0
    max_decisions: int = 60
    real_fraction: float | None = None
    hide_unready_np: float = 0.0
    legibility: bool = True
    wave_crops: str = "digits"  # what the shipped weights read since 2026-12-06 (before: "counter")
    looks: str = "any"

    def __post_init__(self) -> None:
        task_specs(self.wave_crops)  # a one-line ValueError naming the choices
        if self.looks not in LOOK_FILTERS:
            raise ValueError(f"DataConfig.looks must be one of {', '.join(LOOK_FILTERS)}, got {self.looks!r}")
        if not 0.0 <= self.hide_unready_np <= 1.0:
            raise ValueError(f"DataConfig.hide_unready_np must be in [0, 1], got {self.hide_unready_np}")
        if self.real_fraction is not None and not 0.0 <= self.real_fraction <= 1.0:
            raise ValueError(f"DataConfig.real_fraction must be None or in [0, 1], got {self.real_fraction}")
        sizes = self.frame_sizes
        if not sizes or any(len(wh) != 2 or not all(isinstance(v, int) and v > 0 for v in wh) or wh[0] * 9 != wh[1] * 16
                            for wh in sizes):
            raise ValueError(f"DataConfig.frame_sizes must be (width, height) pairs of 16:9 game areas, e.g. "
                             f"((640, 360), (1280, 720)), got {sizes!r}")
        example_looks = self.examples // max(self.examples_per_look, 1)
        if self.episodes > 800 or example_looks >= 20_000:
            raise ValueError("DataConfig: at most 800 episodes and 20,000 example looks per split "
                             "(look seeds must stay inside the split's range)")
        if self.looks != "any" and example_looks > KEPT_EXAMPLE_LOOKS:
            raise ValueError(f"DataConfig: at most {KEPT_EXAMPLE_LOOKS:,} example looks per split with looks="
                             f"{self.looks!r} (of the split's 20,000 example look seeds it keeps about 2,400 with "
                             f"mid-animation, 6,800 with covered-top), "
                             f"got {example_looks:,}")

    def for_split(self, split: str) -> "DataConfig":
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        ke, kx = SPLIT_SCALE[split]
        return dataclasses.replace(self, episodes=max(1, round(self.episodes * ke)),
                                   examples=max(1, round(self.examples * kx)))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["quests"] = list(self.quests)
        d["frame_sizes"] = [list(s) for s in self.frame_sizes]
        return d


# ------------------------------------------------------------------------------ labels
def frame_labels(scene: Scene) -> dict:
    """The Features a frame of ``scene`` shows (what the parser must read), as plain values."""
    cards = scene.kind == "cards"
    np_ready = ([bool(x) for x in scene.np_cards] if cards else
                [False] * N_FRONT if scene.kind in BANNER_KINDS else
                [bool(s is not None and s.np_percent >= 100) for s in scene.servants])
    return {
        "phase": PHASE_OF_KIND.get(scene.kind, 2),
        "wave": int(scene.wave), "wave_total": int(scene.wave_total),
        "card_types": [int(c.card_type) for c in scene.cards] if cards else [-1] * N_CARDS,
        "card_owners": [int(c.owner_slot) for c in scene.cards] if cards else [-1] * N_CARDS,
        "np_ready": np_ready,
        "back_available": bool(cards and scene.back_active),
        "breaks_left": max(enemy_breaks(scene)),
        # what the frame does not show, so no reader can be scored on it (see `visible_labels`)
        "unscored": list(MENU_UNSCORED[1:] if getattr(scene, "shows_wave", False) else MENU_UNSCORED)
        if scene.kind == MENU_KIND else [],
        "owner_visible": [True] * N_CARDS if cards else [False] * N_CARDS,
    }


MENU_UNSCORED = ("wave", "wave_total", "np_ready", "breaks_left")  # a menu shows none (a battle dialog the wave)
HIDDEN_UNSCORED = {"wave": ("wave", "wave_total"), "gauge": ("np_ready",), "breaks": ("breaks_left",)}


def visible_labels(labels: dict, scene: Scene, family: str, hidden: tuple[str, ...],
                   illegible: tuple[str, ...] = ()) -> dict:
    """``labels`` with what this frame cannot show marked: the fields whose crops a phone overlay
    covers and the ``illegible`` ones (`feature_models.legibility`) go to ``unscored``, and on the
    real family's card screen a card's owner slot is
    ``owner_visible`` only when its servant's NP card is shown (otherwise only the same-servant
    grouping can be read, scored by the brave-chain figures)."""
    out = dict(labels)
    unscored = list(out.get("unscored", []))
    for prefix, fields in HIDDEN_UNSCORED.items():
        if any(h.startswith(prefix) for h in hidden) and not (prefix == "gauge" and scene.kind == "cards"):
            unscored += [f for f in fields if f not in unscored]
    unscored += [f for f in map(_label_of, illegible) if f not in unscored]
    out["unscored"] = unscored
    if scene.kind == "cards":
        shown = np_cards_shown(scene, family)
        out["owner_visible"] = [bool(0 <= c.owner_slot < N_FRONT and shown[c.owner_slot]) for c in scene.cards]
    return out


def _label_of(field: str) -> str:
    """The frame label a probed field belongs to: an enemy's pips (``breaks{e}``) to
    ``breaks_left`` (the most lit of any enemy: unknown when one enemy's are)."""
    return "breaks_left" if field.startswith(BREAKS) else field


def probed_fields(scene: Scene) -> tuple[str, ...]:
    """The labels of ``scene`` the legibility probe asks about: the wave digits and, where the
    screen draws the enemies, the break pips of each boss (an enemy with break bars)."""
    if scene.kind in BANNER_KINDS:
        return tuple(PROBED)
    return (*PROBED, *(f"{BREAKS}{e}" for e, en in enumerate(scene.enemies) if en is not None and en.breaks > 0))


def enemy_breaks(scene: Scene) -> list[int]:
    """Break-bar pips lit on each enemy slot of a frame of ``scene`` (0 where none is drawn)."""
    if scene.kind in BANNER_KINDS:  # banners draw no enemy boxes
        return [0] * len(scene.enemies)
    return [0 if en is None else min(en.breaks_left, MAX_BREAKS) for en in scene.enemies]


FAMILIES = ("classic", "real")  # look families (``fgo_env.screens.look.FAMILIES`` once it has them)
NONE_OWNER = TASKS["card_owner"].classes.index("none")


def look_family(look) -> str:
    """The family of ``look`` ("classic" for looks without one: before the real-look family)."""
    return str(getattr(look, "family", "classic") or "classic")


def np_cards_shown(scene: Scene, family: str = "classic") -> tuple[bool, ...]:
    """Which NP cards a card screen of ``scene`` shows, per front slot: the classic look draws one
    for every present servant (lit or dimmed), the real family only for servants whose NP is ready
    (``scene.np_cards``), as the game does."""
    if family not in FAMILIES:
        raise ValueError(f"look family must be one of {FAMILIES}, got {family!r}")
    present = [k is not None for k in scene.np_owner_keys]
    if family == "real":
        return tuple(p and bool(r) for p, r in zip(present, scene.np_cards))
    return tuple(present)


def hide_unready_np_cards(scene: Scene) -> Scene:
    """``scene`` with the real game's NP row: no NP card for a servant whose NP is not ready (the
    classic renderer draws no NP card for a slot without an owner key)."""
    if scene.kind != "cards":
        return scene
    keys = tuple(k if ready else None for k, ready in zip(scene.np_owner_keys, scene.np_cards))
    return dataclasses.replace(scene, np_owner_keys=keys)


def _maybe_hide(scene: Scene, cfg: "DataConfig", family: str, key: str) -> Scene:
    if scene.kind != "cards" or family != "classic" or cfg.hide_unready_np <= 0:
        return scene
    if random.Random(f"vision-hide-np:{key}").random() < cfg.hide_unready_np:
        return hide_unready_np_cards(scene)
    return scene


def owner_labels(scene: Scene, family: str = "classic") -> list[int]:
    """``card_owner`` label of each face card: the owner's slot when its NP card is shown, else
    ``NONE_OWNER`` (an absent NP card is not a candidate)."""
    shown = np_cards_shown(scene, family)
    return [int(c.owner_slot) if shown[c.owner_slot] else NONE_OWNER for c in scene.cards]


def same_owner_pairs(scene: Scene) -> list[tuple[int, int, int]]:
    """``(i, j, same)`` for the face-card pairs i < j of a card screen: ``same`` = 1 when both
    cards belong to the same front slot. Pairs of two different slots showing the same servant
    (two copies of one servant: identical art) are left out, as no pixel can tell them apart."""
    out = []
    cards = scene.cards
    for i in range(len(cards)):
        for j in range(i + 1, len(cards)):
            same = cards[i].owner_slot == cards[j].owner_slot
            if not same and cards[i].owner_key == cards[j].owner_key:
                continue
            out.append((i, j, int(same)))
    return out


def true_groups(owners) -> list[int]:
    """Group labels of a hand from its owner slots: equal labels = same servant, numbered 0, 1, 2
    in order of first appearance (-1 for cards that are not shown, owner < 0)."""
    seen: dict[int, int] = {}
    out = []
    for o in owners:
        o = int(o)
        if o < 0:
            out.append(-1)
            continue
        out.append(seen.setdefault(o, len(seen)))
    return out


def _middle(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The middle half (each way) of a crop box: its content, without the jitter padding."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
    return x0 + dx, y0 + dy, max(x1 - dx, x0 + dx + 1), max(y1 - dy, y0 + dy + 1)


def hidden_crops(look: Look, width: int, height: int, names=None) -> tuple[str, ...]:
    """The crops (of ``names``, default all) whose middle ``look``'s status bar or notification
    covers with a mean opacity above ``HIDDEN_OPACITY`` on a ``width``×``height`` frame: their
    labels cannot be read, so they give no training sample."""
    if look.status_bar == "none" and not look.notification:
        return ()
    from fgo_env.screens.post import notification_overlay, status_bar_overlay

    overlays = ([status_bar_overlay(look.status_bar, (width, height), look.seed)] if look.status_bar != "none"
                else []) + ([notification_overlay((width, height), look.seed)] if look.notification else [])
    boxes = crop_boxes(height, width).boxes
    hidden = []
    for name in names or [n for n in boxes if label_region(n) == n]:  # a digit goes with its counter
        x0, y0, x1, y1 = _middle(boxes[name])
        cover = 0.0
        for o in overlays:
            oh, ow = o.keep.shape[:2]
            ax0, ay0, ax1, ay1 = max(x0, o.x), max(y0, o.y), min(x1, o.x + ow), min(y1, o.y + oh)
            if ax1 > ax0 and ay1 > ay0:
                cover += float((1.0 - o.keep[ay0 - o.y:ay1 - o.y, ax0 - o.x:ax1 - o.x]).sum())
        if cover / ((x1 - x0) * (y1 - y0)) > HIDDEN_OPACITY:
            hidden.append(name)
    return tuple(hidden)


def frame_samples(scene: Scene, family: str = "classic",
                  specs: Mapping[str, TaskSpec] | None = None) -> dict[str, list]:
    """Per task, the (crop names, label) samples one frame of ``scene`` drawn in a look of
    ``family`` gives (the family decides which NP cards the card screen shows); the wave heads'
    crops are ``specs``' (default `TASKS`: the "n/N" crop; `tasks.task_specs("digits")`: one
    digit a crop)."""
    specs = specs or TASKS
    lab = frame_labels(scene)
    out: dict[str, list] = {t: [] for t in TASK_NAMES}
    out["phase"].append((("screen",), lab["phase"]))
    out["attack"].append((("attack",), int(scene.kind == "command")))
    waves = scene.wave_total <= 3 if scene.kind != MENU_KIND else getattr(scene, "shows_wave", False)
    if waves:  # a menu is no battle screen (phase "other", no Attack): a wave only where a dialog shows it
        for task in ("wave", "wave_total"):
            out[task].append((((specs.get(task) or TASKS[task]).crop,), lab[task] - 1))
    if scene.kind == MENU_KIND:
        return out
    if scene.kind == "cards":
        owners = owner_labels(scene, family)
        for i in range(N_CARDS):
            out["card_type"].append(((f"card{i}",), lab["card_types"][i]))
            names = (f"portrait{i}",) + tuple(f"npcard{j}" for j in range(N_FRONT))
            out["card_owner"].append((names, owners[i]))
        for i, j, same in same_owner_pairs(scene):
            out["same_owner"].append(((f"portrait{i}", f"portrait{j}"), same))
        for j in range(N_FRONT):
            out["np_ready"].append(((f"npcard{j}",), int(lab["np_ready"][j])))
        out["back"].append((("back",), int(lab["back_available"])))
    else:
        for s in range(N_FRONT):
            out["np_ready"].append(((f"gauge{s}",), int(lab["np_ready"][s])))
    for e, left in enumerate(enemy_breaks(scene)):
        out["breaks"].append(((f"breaks{e}",), left))
    return out


# ------------------------------------------------------------------------------ frame sources
@dataclass
class FrameRecord:
    source: str
    kind: str
    look_seed: int | None
    size: tuple[int, int]
    quest: str | None = None
    episode_seed: int | None = None
    example_seed: int | None = None
    labels: dict = field(default_factory=dict)
    policy: str | None = None  # name of the policy that played the episode (not in frames.json)
    family: str = "classic"  # look family ("classic" / "real")
    hidden: tuple[str, ...] = ()  # crops a status bar or notification covers (no samples from them)
    illegible: tuple[str, ...] = ()  # probed fields the frame does not show legibly (no samples of their crops)

    def to_dict(self) -> dict:
        return {"source": self.source, "kind": self.kind, "look": "plain" if self.look_seed is None
                else self.look_seed, "family": self.family, "size": list(self.size), "quest": self.quest,
                "episode_seed": self.episode_seed, "example_seed": self.example_seed, **self.labels}


def random_look(seed: int, family: str | None = None) -> Look:
    """``Look.random(seed, family=family)``; with a `Look` that has no families yet, the classic
    look (``family`` None or "classic") or a clear error."""
    import inspect

    if "family" in inspect.signature(Look.random).parameters:
        return Look.random(seed, family=family)
    if family in (None, "classic"):  # a Look without families (before the real-look family)
        return Look.random(seed)
    raise ValueError(f"this fgo_env.screens.Look has no {family!r} family")


def _look(rng: random.Random, seed: int, plain_fraction: float,
          real_fraction: float | None = None) -> tuple[Look, int | None]:
    if rng.random() < plain_fraction:
        return Look.plain(), None
    return _seeded_look(seed, real_fraction), seed


def _seeded_look(seed: int, real_fraction: float | None) -> Look:
    if real_fraction is None:
        return random_look(seed)
    # the family is drawn from the look seed, not ``rng``: the split's other draws do not move
    family = "real" if random.Random(f"vision-family:{seed}").random() < real_fraction else "classic"
    return random_look(seed, family)


# `DataConfig.looks`: which random looks a split keeps (None: all, and the plain share)
LOOK_FILTERS: dict[str, Callable[[Look], bool] | None] = {
    "any": None,
    "mid-animation": lambda look: look.mid_animation > 0,
    # a phone's status bar or a notification (1 - 0.75 * 0.88, about 34 % of random looks, by the odds
    # of `fgo_env.screens.look.random_disturbances`; a notification is a banner over the top band, or
    # in a third of them a round button at a side): where the wave digits' misses gather
    "covered-top": lambda look: look.status_bar != "none" or bool(look.notification),
}
KEPT_EXAMPLE_LOOKS = 2000  # with a filter, example looks per split (of 20,000 seeds, ~12 % or ~34 % are kept)


def _look_seeds(lo: int, hi: int, cfg: DataConfig) -> Iterator[int]:
    """The look seeds a run of frames takes in turn from ``[lo, hi)``: each in order (with
    ``cfg.looks`` "any"), or only those whose look `LOOK_FILTERS` keeps; the last one again
    once they run out."""
    keep, last = LOOK_FILTERS[cfg.looks], None
    for seed in range(lo, hi):
        if keep is None or keep(_seeded_look(seed, cfg.real_fraction)):
            last = seed
            yield seed
    if last is None:  # a range of 100 has none about once in 350,000
        raise ValueError(f"no look seed from {lo} to {hi - 1} is kept by looks={cfg.looks!r}: "
                         f"draw the split with another --seed")
    while True:
        yield last


class Policy(Protocol):
    """What plays a data episode: any agent with ``reset(env)`` and ``act(obs, mask) -> int``."""

    def reset(self, env: Any) -> None: ...

    def act(self, obs: Any, mask: np.ndarray) -> int: ...


PolicyFactory = Callable[[int], Policy]  # episode seed -> a fresh policy for that episode


def policy_name(policy: Any) -> str:
    """The name recorded for ``policy`` (its ``name`` attribute, else its class name)."""
    return str(getattr(policy, "name", None) or type(policy).__name__)


class RandomPolicy:
    """Uniform over the legal actions, seeded per episode: the default data policy."""

    name = "random"

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def reset(self, env) -> None:  # noqa: ARG002
        pass

    def act(self, obs, mask) -> int:  # noqa: ARG002
        legal = np.flatnonzero(mask)
        return int(legal[self.rng.integers(legal.size)])


AUGMENT_FRACTION = 0.6  # share of episode frames whose issue-11 elements are randomised


def augment_record(rec, rng: random.Random) -> None:
    """Randomise, in place, what the screens draw of issue 11 on a COPY of a game record: command
    seals, Backs used (Back button active / greyed), craft essences, buff and debuff slots of the
    party and of the enemies, and break bars of the live enemies.

    An augmentation of states, not of rules: the engine never sees the copy. It makes the data hold
    these elements whatever the rules of the moment produce (the vision heads read pixels, so the
    frames need every value, not only those the current content reaches)."""
    from fgo_env.engine import constants as C

    rec["seals"] = rng.randint(0, 3)
    rec["backs"] = rng.choice((0, 1, 2, 2))
    w = min(int(rec["wave"]), C.MAX_WAVES - 1)
    for m in range(C.N_MEMBERS):
        rec["m_ce"][m] = rng.randrange(30) if rng.random() < 0.6 else -1
        _random_slots(rec["buff_kind"][m], rec["buff_turns"][m], rng, rng.choice((0, 0, 1, 2, 3, 4, 6, 8)))
    for e in range(C.N_ENEMIES):
        breaks = rng.randint(1, 3) if rng.random() < 0.4 else 0
        rec["w_breaks"][w, e] = breaks
        rec["e_breaks_left"][e] = rng.randint(0, breaks)
        _random_slots(rec["e_buff_kind"][e], rec["e_buff_turns"][e], rng, rng.choice((0, 0, 0, 1, 2, 3, 5, 7)))


def _random_slots(kinds: np.ndarray, turns: np.ndarray, rng: random.Random, n: int) -> None:
    """Clear the buff slots and fill the first ``n`` with random buffs (a third debuffs)."""
    from fgo_env.screens.scene import random_buffs

    turns[:] = 0
    for i, (kind, _) in enumerate(random_buffs(rng, min(n, kinds.shape[0]))):
        kinds[i] = kind
        turns[i] = rng.choice((1, 2, 3, 5, 127))


def _features_of(state: np.ndarray) -> dict:
    """The true Features of a (1,) state array, as `FGOEnv.features` computes them."""
    from fgo_env.engine.actions import N_ACTIONS
    from fgo_env.engine.batch import OBS_FEATURES, observe_games
    from fgo_env.features import FEATURES_SIZE, Features

    out = np.zeros((1, FEATURES_SIZE), np.float32)
    observe_games(state, OBS_FEATURES, out, np.zeros((1, N_ACTIONS), np.bool_))
    return dataclasses.asdict(Features.from_array(out[0]))


def episode_scenes(quest: str, seed: int, policy: Policy | None = None, max_decisions: int = 60,
                   catalogue=None, augment: float = AUGMENT_FRACTION) -> Iterator[tuple[Scene, dict | None]]:
    """Every screen of one episode: ``(scene, true_features_or_None)``; decision screens and the
    final screen carry their true Features as a dict, in-between frames None.

    ``policy`` plays the episode (``reset(env)`` then ``act(obs, mask)``); None: `RandomPolicy`
    seeded with ``seed``. An ``augment`` share of the frames is drawn from a copy of the record
    passed through `augment_record` (seeded by ``seed``); their true Features are those of the
    copy."""
    import gymnasium as gym

    import fgo_env  # noqa: F401
    from fgo_env.screens.from_state import scene_from_state, transition_scenes

    env = gym.make("fgo_env/Battle-v1", quest=quest, catalogue=catalogue)
    u = env.unwrapped
    agent = RandomPolicy(seed) if policy is None else policy
    rng = random.Random(f"vision-augment:{seed}")

    def shown(state: np.ndarray) -> np.ndarray:
        copy = state.copy()
        if rng.random() < augment:
            augment_record(copy[0], rng)
        return copy

    obs, info = env.reset(seed=seed)
    agent.reset(env)
    done, decisions = False, 0
    while True:
        now = shown(u.state)
        yield scene_from_state(now[0], u.quest, u.catalogue), _features_of(now)
        if done or decisions >= max_decisions:
            break
        before = u.state.copy()
        obs, _, term, trunc, info = env.step(agent.act(obs, info["action_mask"]))
        decisions += 1
        done = term or trunc
        if info["turn_resolved"]:
            for sc in transition_scenes(shown(before)[0], shown(u.state)[0], u.quest, u.catalogue):
                yield sc, None
    env.close()


def _example_scene(kind: str, seed: int) -> Scene:
    scene = Scene.example(kind, seed)
    rng = random.Random(f"vision-extra:{seed}")
    if kind == "command":
        r = rng.random()
        if r < 0.12:
            scene = dataclasses.replace(scene, master_menu_open=True)
        elif r < 0.22:
            scene = dataclasses.replace(scene, ally_target_open=True)
    return scene


def iter_frames(cfg: DataConfig, split: str, progress: bool = False, scaled: bool = True,
                policy_factory: PolicyFactory | None = None,
                ) -> Iterator[tuple[np.ndarray, Scene, FrameRecord]]:
    """``(frame, scene, record)`` for every frame of ``split`` (deterministic); ``scaled=False``
    uses ``cfg``'s episode and example counts as they are instead of the split's share.

    ``policy_factory(episode_seed)`` makes the policy of the ``cfg.greedy_fraction`` share of the
    episodes (``fgo vision data`` passes the greedy agent's); the other episodes, and all of them
    when it is None, are played by `RandomPolicy`. ``record.policy`` names the episode's policy."""
    from fgo_env.content import load_catalogue
    from fgo_env.screens import Renderer

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    cfg = cfg.for_split(split) if scaled else cfg
    base = LOOK_BASE[split] + cfg.seed * 100_000
    plain = cfg.plain_fraction if cfg.looks == "any" else 0.0  # a kept look is a random one (the draw is made)
    rng = random.Random(f"vision-data:{split}:{cfg.seed}")
    catalogue = load_catalogue()
    bar = _bar(cfg.episodes + cfg.examples, f"render {split}", progress)
    for e in range(cfg.episodes):
        quest = cfg.quests[e % len(cfg.quests)]
        injected = rng.random() < cfg.greedy_fraction  # drawn either way: the rng stream stays the same
        game_seed = base + e
        if injected and policy_factory is not None:
            policy = policy_factory(game_seed)
        else:
            policy = RandomPolicy(game_seed)
        name = policy_name(policy)
        scenes = episode_scenes(quest, game_seed, policy, cfg.max_decisions, catalogue)
        seeds = _look_seeds(base + 100 * e, base + 100 * (e + 1), cfg)
        for k, (scene, true) in enumerate(scenes):
            if k % cfg.frames_per_look == 0:
                look, look_seed = _look(rng, next(seeds), plain, cfg.real_fraction)
                size = rng.choice(cfg.frame_sizes)
                renderer = Renderer(size[0], size[1], look)
                probe = LegibilityProbe(renderer, cfg.size)
            scene = _maybe_hide(scene, cfg, look_family(look), f"{split}:{cfg.seed}:{game_seed}:{k}")
            labels = frame_labels(scene)
            if true is not None:
                labels["true_features"] = true
            frame = renderer.render(scene)
            hidden, illegible = unreadable(probe, scene, frame, labels, cfg.legibility)
            rec = FrameRecord("episode", scene.kind, look_seed, size, quest=quest, episode_seed=game_seed,
                              labels=visible_labels(labels, scene, look_family(look), hidden, illegible),
                              policy=name, family=look_family(look), hidden=hidden, illegible=illegible)
            yield frame, scene, rec
        bar.update(1)
    kinds, weights = zip(*EXAMPLE_KINDS)
    renderer = None
    seeds = _look_seeds(base + 80_000, base + 100_000, cfg)
    for k in range(cfg.examples):
        if k % cfg.examples_per_look == 0:
            look, look_seed = _look(rng, next(seeds), plain, cfg.real_fraction)
            size = rng.choice(cfg.frame_sizes)
            renderer = Renderer(size[0], size[1], look)
            probe = LegibilityProbe(renderer, cfg.size)
        kind = rng.choices(kinds, weights)[0]
        ex_seed = base + k
        scene = _maybe_hide(_example_scene(kind, ex_seed), cfg, look_family(look),
                            f"{split}:{cfg.seed}:x{ex_seed}")
        assert renderer is not None
        frame = renderer.render(scene)
        labels = frame_labels(scene)
        hidden, illegible = unreadable(probe, scene, frame, labels, cfg.legibility)
        rec = FrameRecord("example", kind, look_seed, size, example_seed=ex_seed,
                          labels=visible_labels(labels, scene, look_family(look), hidden, illegible),
                          family=look_family(look), hidden=hidden, illegible=illegible)
        yield frame, scene, rec
        bar.update(1)
    bar.close()


def unreadable(probe: LegibilityProbe, scene: Scene, frame: np.ndarray, labels: dict,
               legibility: bool = True) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(crops a phone overlay hides, labels the probe finds illegible) of one frame of ``scene``
    (``probe``'s renderer drew it); a label already unscored (a menu's wave) or whose crop is
    hidden is not probed; ``legibility=False`` probes none. `visible_labels` takes both."""
    hidden = hidden_crops(probe.look, frame.shape[1], frame.shape[0])
    if not legibility:
        return hidden, ()
    fields = probed_fields(scene)
    skip = {f for f in fields if f in labels.get("unscored", ()) or crop_of(f) in hidden}
    return hidden, probe.illegible(scene, frame, skip=skip, fields=fields)


def _bar(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, unit="src", dynamic_ncols=True)


# ------------------------------------------------------------------------------ writing
class _TaskBuffer:
    def __init__(self, match: bool, n_crops: int = 1):
        self.match = match
        self.n_crops = n_crops
        self.x: list[np.ndarray] = []  # crops
        self.index: list[tuple[int, ...]] = []
        self.y: list[int] = []
        self.frame: list[int] = []

    def add_frame(self, crops: dict[str, int], all_crops: np.ndarray, samples, frame_id: int) -> None:
        if self.match:
            local: dict[str, int] = {}
            for names, label in samples:
                for n in names:
                    if n not in local:
                        local[n] = len(self.x)
                        self.x.append(all_crops[crops[n]])
                self.index.append(tuple(local[n] for n in names))
                self.y.append(label)
                self.frame.append(frame_id)
        else:
            for names, label in samples:
                self.x.append(all_crops[crops[names[0]]])
                self.y.append(label)
                self.frame.append(frame_id)

    def arrays(self, size: int) -> dict[str, np.ndarray]:
        x = np.stack(self.x) if self.x else np.zeros((0, size, size, 3), np.uint8)
        out = {"x": x, "y": np.asarray(self.y, np.int64), "frame": np.asarray(self.frame, np.int32)}
        if self.match:
            out["index"] = np.asarray(self.index, np.int32).reshape(-1, self.n_crops)
        return out


def generate_split(root: str | Path, split: str, cfg: DataConfig | None = None, progress: bool = False,
                   policy_factory: PolicyFactory | None = None) -> dict:
    """Render ``split`` and write its per-task datasets under ``root/split``; returns the manifest.

    ``policy_factory``: as `iter_frames` (None: every episode random). The manifest's
    ``episode_policies`` counts the episodes each policy played."""
    cfg = cfg or DataConfig()
    out_dir = Path(root) / split
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    specs = task_specs(cfg.wave_crops)
    buffers = {t: _TaskBuffer(TASKS[t].indexed, TASKS[t].n_crops) for t in TASK_NAMES}
    records = []
    episode_policy: dict[int, str] = {}
    illegible: dict[str, int] = {}  # per task, the labels (crops) the probe found illegible
    frames = iter_frames(cfg, split, progress, policy_factory=policy_factory)
    for fid, (frame, scene, rec) in enumerate(frames):
        if rec.source == "episode" and rec.episode_seed is not None and rec.policy is not None:
            episode_policy[rec.episode_seed] = rec.policy
        samples = frame_samples(scene, rec.family, specs)
        if rec.hidden:  # (a digit's crop is hidden with the counter: `tasks.label_region`)
            samples = {t: [(n, y) for n, y in ss if not {label_region(c) for c in n} & set(rec.hidden)]
                       for t, ss in samples.items()}
        for f in rec.illegible:  # a probed field: no sample of its crop for the task that reads it
            t = task_of(f)
            samples[t] = [(n, y) for n, y in samples[t] if crop_of(f) not in {label_region(c) for c in n}]
            illegible[t] = illegible.get(t, 0) + 1
        names = sorted({n for ss in samples.values() for names, _ in ss for n in names})
        crops = extract_crops(frame, names, cfg.size)
        pos = {n: k for k, n in enumerate(names)}
        for t, ss in samples.items():
            buffers[t].add_frame(pos, crops, ss, fid)
        records.append(rec.to_dict())
    files, counts, hist = {}, {}, {}
    for t, buf in buffers.items():
        arrays = buf.arrays(cfg.size)
        path = out_dir / f"{t}.npz"
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())  # whole or not at all: a cut .npz failed the training
        files[t] = path.stat().st_size
        counts[t] = int(arrays["y"].shape[0])
        hist[t] = np.bincount(arrays["y"], minlength=TASKS[t].n_classes).tolist()
    atomic_write_text(out_dir / "frames.json", json.dumps(records, separators=(",", ":")) + "\n")
    kinds: dict[str, int] = {}
    families: dict[str, int] = {}
    for r in records:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        families[r["family"]] = families.get(r["family"], 0) + 1
    policies: dict[str, int] = {}
    for name in episode_policy.values():
        policies[name] = policies.get(name, 0) + 1
    manifest = {
        "split": split, "config": cfg.for_split(split).to_dict(),
        "episode_policies": dict(sorted(policies.items())), "frames": len(records), "kinds": kinds,
        "families": families,
        "look_seed_range": [LOOK_BASE[split] + cfg.seed * 100_000,
                            LOOK_BASE[split] + cfg.seed * 100_000 + 100_000],
        "samples": counts, "illegible": dict(sorted(illegible.items())), "class_histogram": hist, "bytes": files,
        "bytes_total": int(sum(files.values()) + (out_dir / "frames.json").stat().st_size),
        "seconds": round(time.perf_counter() - t0, 1),
        "tasks": {t: specs[t].to_dict() for t in TASK_NAMES},
    }
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return manifest


def generate(root: str | Path, cfg: DataConfig | None = None, splits=SPLITS, progress: bool = False,
             policy_factory: PolicyFactory | None = None) -> dict:
    """All splits (``policy_factory`` as `iter_frames`); returns {split: manifest}."""
    return {s: generate_split(root, s, cfg, progress, policy_factory) for s in splits}


def size_report(manifests: dict) -> str:
    """A Markdown table of samples and bytes per task and split."""
    splits = list(manifests)
    rows = ["| task | " + " | ".join(f"{s} samples" for s in splits) + " | " +
            " | ".join(f"{s} MB" for s in splits) + " |",
            "|---|" + "---|" * (2 * len(splits))]
    for t in TASK_NAMES:
        rows.append(f"| {t} | " + " | ".join(str(manifests[s]["samples"][t]) for s in splits) + " | " +
                    " | ".join(f"{manifests[s]['bytes'][t] / 1e6:.1f}" for s in splits) + " |")
    rows.append("| frames | " + " | ".join(str(manifests[s]["frames"]) for s in splits) + " | " +
                " | ".join(f"{manifests[s]['bytes_total'] / 1e6:.1f}" for s in splits) + " |")
    return "\n".join(rows)


# ------------------------------------------------------------------------------ reading
@dataclass
class TaskData:
    """One task's dataset in memory: crops ``x`` (M, S, S, 3) uint8, labels ``y`` (N,), and for
    match tasks ``index`` (N, k) into ``x``."""

    task: str
    x: np.ndarray
    y: np.ndarray
    index: np.ndarray | None = None
    frame: np.ndarray | None = None
    crop: str = ""  # the crop a fixed-crop task's samples are (`TaskSpec.crop`; the manifest says)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def inputs(self, idx: np.ndarray) -> np.ndarray:
        """uint8 crops of samples ``idx``: (n, S, S, 3) or (n, k, S, S, 3) for match tasks."""
        if self.index is None:
            return self.x[idx]
        return self.x[self.index[idx]]


def channels_rows(phase: TaskData) -> np.ndarray:
    """Positions of the phase samples the ``channels`` task is made of: the battle screens (command
    and card screens), whose colours the game fixes. A menu, a banner or an animation has no
    colours of its own to tell a swap by (the first BGR detector missed only there, 1.1 % of its
    samples), and the parser caps only battle reads by the head."""
    return np.flatnonzero(phase.y != TASKS["phase"].classes.index("other"))


def channels_data(phase: TaskData) -> TaskData:
    """The ``channels`` task's dataset (`tasks.DERIVED_TASKS`): the phase dataset's battle screens
    (`channels_rows`), every second one (odd positions) with R and B swapped and labelled "bgr".
    Swapping a crop's channels is swapping the frame's (the crop's resize works per channel), so no
    frame is rendered again."""
    rows = channels_rows(phase)
    x = phase.x[rows]  # fancy indexing copies
    y = np.zeros(len(rows), np.int64)
    x[1::2] = x[1::2, ..., ::-1]
    y[1::2] = DERIVED_TASKS["channels"][0].classes.index("bgr")
    frame = None if phase.frame is None else phase.frame[rows]
    return TaskData("channels", x, y, None, frame, DERIVED_TASKS["channels"][0].crop)


_DERIVE = {"channels": channels_data}
_DERIVED_ROWS = {"channels": channels_rows}


def derived_rows(task: str, source: TaskData) -> np.ndarray:
    """Positions of ``source``'s samples that derived ``task``'s samples are made of, in order."""
    return _DERIVED_ROWS[task](source) if task in _DERIVED_ROWS else np.arange(len(source))


def with_derived(datasets: dict[str, TaskData], tasks) -> dict[str, TaskData]:
    """``datasets`` plus each task of ``tasks`` that is derived (`DERIVED_TASKS`) and whose source
    task is there (made from it), for data built in memory (fine-tuning's rendered and real sets)."""
    made = {t: _DERIVE[t](datasets[DERIVED_TASKS[t][1]]) for t in tasks
            if t in DERIVED_TASKS and t not in datasets and DERIVED_TASKS[t][1] in datasets}
    return {**datasets, **made}


def load_split(root: str | Path, split: str, tasks=None) -> dict[str, TaskData]:
    """Read the datasets of ``split`` written by `generate_split`; a task of `DERIVED_TASKS`
    (asked for by name) is made from its source task's samples."""
    out = {}
    saved = _manifest_tasks(Path(root), split)
    wanted = list(tasks or TASK_NAMES)
    derived = [t for t in wanted if t in DERIVED_TASKS]
    sources = {DERIVED_TASKS[t][1] for t in derived}
    for t in wanted + [s for s in sources if s not in wanted]:
        if t in DERIVED_TASKS:
            continue
        path = Path(root) / split / f"{t}.npz"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no dataset; run `fgo vision data` first")
        try:
            with np.load(path, allow_pickle=False) as z:
                out[t] = TaskData(t, z["x"], z["y"], z["index"] if "index" in z.files else None,
                                  z["frame"] if "frame" in z.files else None,
                                  saved.get(t, LEGACY_CROPS.get(t, "")))
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:  # cut short, not an .npz
            raise DatasetError(f"{path}: not a readable dataset file ({type(err).__name__}: {str(err)[:80]}); "
                               f"generate the split again with `fgo vision data`") from None
        _check_shapes(out[t], path)
    out = with_derived(out, derived)
    return {t: out[t] for t in wanted}


def _check_shapes(data: TaskData, path: Path) -> None:
    """The arrays of an .npz as `generate_split` writes them (`TaskData`): a file of other arrays
    would fail deep in the training with an IndexError."""
    problem = _shape_problem(data)
    if problem:
        raise DatasetError(f"{path}: not a dataset of this version ({problem}; expected crops x (N, S, S, 3) "
                           f"uint8, integer labels y (N,), and for match tasks index (N, k)); generate the split "
                           f"again with `fgo vision data`")


def _shape_problem(data: TaskData) -> str | None:
    """What is wrong with ``data``'s arrays, the first thing found; None if nothing."""
    x, y, index, frame = data.x, data.y, data.index, data.frame
    if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != np.uint8:
        return f"x has shape {x.shape} and dtype {x.dtype}"
    if y.ndim != 1 or y.dtype.kind not in "iu":
        return f"y has shape {y.shape}"
    if index is None and len(y) != len(x):
        return f"{len(y)} labels for {len(x)} crops"
    if index is not None:
        if index.ndim != 2 or len(index) != len(y) or index.dtype.kind not in "iu":
            return f"index has shape {index.shape}"
        if index.size and (index.min() < 0 or index.max() >= len(x)):
            return f"index points past its {len(x)} crops"
    if frame is not None and frame.shape != y.shape:
        return f"frame has shape {frame.shape}"
    classes = len(TASKS[data.task].classes) if data.task in TASKS else None
    if classes and y.size and (y.min() < 0 or y.max() >= classes):
        return f"labels outside 0-{classes - 1}"
    return None


class DatasetError(ValueError):
    """A dataset folder that cannot be read, or folders that cannot be trained on together; the
    message names the files or folders."""


def concat_task_data(parts: list[TaskData]) -> TaskData:
    """One task's samples from several folders as one dataset: crop indices and frame ids offset
    so each part's crops and frames stay its own (the loader groups samples by frame id)."""
    if len(parts) == 1:
        return parts[0]
    xs, ys, idx, frames = [], [], [], []
    x_off = f_off = 0
    for p in parts:
        xs.append(p.x)
        ys.append(p.y)
        if p.index is not None:
            idx.append(p.index + x_off)
        if p.frame is not None:
            frames.append(p.frame + f_off)
            f_off += int(p.frame.max()) + 1 if p.frame.size else 0
        x_off += p.x.shape[0]
    indexed = len(idx) == len(parts)
    framed = len(frames) == len(parts)
    return TaskData(parts[0].task, np.concatenate(xs), np.concatenate(ys),
                    np.concatenate(idx) if indexed else None, np.concatenate(frames) if framed else None,
                    parts[0].crop)


def _manifest(root: Path, split: str) -> dict | None:
    """The split's manifest (None where there is none)."""
    path = root / split / "manifest.json"
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
        tasks = {t: TaskSpec.from_dict(d) for t, d in (doc.get("tasks") or {}).items()}
        return {"config": doc["config"], "tasks": tasks}
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise DatasetError(f"{path}: not a dataset manifest ({type(err).__name__}: {str(err)[:80]}); generate "
                           f"the split again with `fgo vision data`") from None


def _manifest_config(root: Path, split: str) -> dict | None:
    return (_manifest(root, split) or {}).get("config")


def _manifest_tasks(root: Path, split: str) -> dict[str, str]:
    """{task: the crop its samples are} as the split's manifest says (`TaskSpec.crop`; a
    manifest written before 2026-12-06 names none: `LEGACY_CROPS`, via ``from_dict``)."""
    return {t: spec.crop for t, spec in ((_manifest(root, split) or {}).get("tasks") or {}).items()}


def check_crops(specs: Mapping[str, TaskSpec], data: Mapping[str, TaskData], what: str) -> None:
    """Refuse to score or train ``specs``' heads on samples of another crop than they read (the
    wave heads read one digit a crop since 2026-12-06, both digits off one crop before)."""
    for t, d in data.items():
        want = specs[t].crop if t in specs else ""
        if want and d.crop and want != d.crop:
            raise DatasetError(f"{what}: the {t} head reads crop {want!r} but the dataset's {t} samples are "
                               f"{d.crop!r} crops (datasets and weights made before 2026-12-06 read the wave "
                               f"digits off one 'wave' crop): generate the datasets again with `fgo vision "
                               f"data`, or use weights of their time")


def load_splits(roots, split: str, tasks=None) -> dict[str, TaskData]:
    """`load_split` of several dataset folders, each task's samples concatenated (more looks and
    episodes than one folder: generate them with different ``--seed``s). Refuses folders whose
    crops differ in size or that were generated with the same seed (a seed fixes the looks and
    episodes, so such folders share them whatever their sizes)."""
    roots = [Path(r) for r in roots]
    seeds = [(_manifest_config(r, split) or {}).get("seed") for r in roots]
    for i, a in enumerate(roots):
        for j in range(i):
            if seeds[i] is not None and seeds[i] == seeds[j]:
                raise DatasetError(f"{roots[j]} and {a} were generated with the same --seed ({seeds[i]}): they "
                                   f"share their {split} looks and episodes; generate one with another --seed")
    loaded = [load_split(r, split, tasks) for r in roots]
    out = {}
    for task in loaded[0]:
        shapes = {str(r): d[task].x.shape[1:] for r, d in zip(roots, loaded)}
        if len(set(shapes.values())) > 1:
            raise DatasetError(f"{task} crops differ in shape across folders: {shapes} "
                               "(generate them all with one --size)")
        crops = {str(r): d[task].crop for r, d in zip(roots, loaded)}
        if len(set(crops.values())) > 1:
            raise DatasetError(f"{task} samples are other crops in other folders: {crops} (folders "
                               f"generated before 2026-12-06 read the wave digits off one 'wave' crop; "
                               f"generate them again)")
        out[task] = concat_task_data([d[task] for d in loaded])
    return out


__all__ = ["DataConfig", "DatasetError", "FrameRecord", "LOOK_BASE", "Policy", "PolicyFactory", "RandomPolicy",
           "SPLITS", "FAMILIES", "NONE_OWNER", "TaskData", "augment_record", "channels_data", "channels_rows",
           "check_crops", "derived_rows", "with_derived",
           "concat_task_data", "enemy_breaks",
           "episode_scenes", "frame_labels", "frame_samples", "generate", "generate_split",
           "hide_unready_np_cards", "iter_frames", "load_split", "load_splits", "look_family", "np_cards_shown",
           "owner_labels", "policy_name", "random_look", "same_owner_pairs", "size_report", "true_groups", "unreadable",
           "visible_labels"]
