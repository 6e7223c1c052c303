"""The Features contract between the vision model and the agents (DESIGN.md).

`Features` is exactly what the vision model can read off one screen. The env's
``obs_mode="features"`` fills it from the true state; ``feature_models.FrameParser``
fills it from pixels, so an agent trained on features runs unchanged on pixels.
Grow it only together with a vision head that reads the new field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Screen phases.
PHASE_COMMAND = 0  # command screen: Attack button visible, skills and targets can be chosen
PHASE_CARDS = 1  # card screen: 5 face cards (and ready NP cards) shown
PHASE_OTHER = 2  # anything else: chain playing, enemy turn, wave banner, victory/defeat
PHASE_NAMES = ("command", "cards", "other")

# Card types, in the order used everywhere in the package.
ARTS, BUSTER, QUICK = 0, 1, 2
CARD_TYPE_NAMES = ("arts", "buster", "quick")

N_CARDS = 5
N_FRONT = 3
MAX_WAVES = 3
MAX_BREAKS = 3  # break bars counted by `Features.breaks_left` (more read as 3)


def _layout(spec: list[tuple[str, int, str]]) -> tuple[tuple[str, slice, str], ...]:
    """(name, slice, meaning) of fields of the given sizes laid end to end."""
    starts = np.cumsum([0] + [size for _, size, _ in spec]).tolist()
    return tuple((name, slice(lo, hi), doc) for (name, _, doc), lo, hi in zip(spec, starts, starts[1:]))


# The flat encoding (``obs_mode="features"``, `Features.to_array`) field by field: name, slice,
# meaning (the card fields are zero except on the card screen). `FEATURE_INDEX[name]` is a field's slice.
FEATURE_FIELDS = _layout(
    [("phase", len(PHASE_NAMES), "screen phase, one-hot (command, cards, other)"),
     ("wave", MAX_WAVES, "current wave, one-hot"),
     ("wave_total", MAX_WAVES, "number of waves of the quest, one-hot")]
    + [f for i in range(1, N_CARDS + 1) for f in (
        (f"card{i}.type", len(CARD_TYPE_NAMES), "face card type, one-hot (Arts, Buster, Quick)"),
        (f"card{i}.owner", N_FRONT, "front slot of the card's servant, one-hot"))]
    + [("np_ready", N_FRONT, "the NP card of front slot j is offered"),
       ("back_available", 1, "card screen: the Back button is active (Backs left this turn)"),
       ("breaks_left", MAX_BREAKS + 1, "break bars still to break on the enemy that has the most "
                                       "(the boss), 0..3 one-hot; 0 on victory/defeat")])
FEATURE_INDEX = {name: sl for name, sl, _ in FEATURE_FIELDS}
FEATURES_SIZE = FEATURE_FIELDS[-1][1].stop
# Offsets for code that indexes the vector directly (the engine's compiled writer): card i's type
# one-hot starts at CARD_TYPE_AT + CARD_STRIDE * i, its owner one-hot at CARD_OWNER_AT + CARD_STRIDE * i.
PHASE_AT = FEATURE_INDEX["phase"].start
WAVE_AT = FEATURE_INDEX["wave"].start
WAVE_TOTAL_AT = FEATURE_INDEX["wave_total"].start
CARD_TYPE_AT = FEATURE_INDEX["card1.type"].start
CARD_OWNER_AT = FEATURE_INDEX["card1.owner"].start
CARD_STRIDE = FEATURE_INDEX["card2.type"].start - CARD_TYPE_AT
NP_READY_AT = FEATURE_INDEX["np_ready"].start
BACK_AT = FEATURE_INDEX["back_available"].start
BREAKS_AT = FEATURE_INDEX["breaks_left"].start


@dataclass
class Features:
    """What one frame shows.

    Attributes:
        phase: one of ``PHASE_COMMAND``, ``PHASE_CARDS``, ``PHASE_OTHER``.
        wave: current wave, 1-based.
        wave_total: number of waves of the quest (the N of "Battle n/N").
        card_types: type of each of the 5 face cards (``ARTS``/``BUSTER``/``QUICK``);
            -1 where no card is shown (every phase but the card screen).
        card_owners: front-line slot (0-2) of the servant owning each face card; -1 if not shown.
        np_ready: for each front-line slot, whether its NP card is offered.
        back_available: the card screen's Back button is active (False on every other screen).
        breaks_left: break bars still to break on the enemy showing the most (the boss's pips
            right of its charge row), 0..``MAX_BREAKS``; 0 where no enemy is shown.
    """

    phase: int
    wave: int
    wave_total: int
    card_types: list[int] = field(default_factory=lambda: [-1] * N_CARDS)
    card_owners: list[int] = field(default_factory=lambda: [-1] * N_CARDS)
    np_ready: list[bool] = field(default_factory=lambda: [False] * N_FRONT)
    back_available: bool = False
    breaks_left: int = 0

    def to_array(self) -> np.ndarray:
        """Encode as the flat float32 vector of ``obs_mode="features"`` (size ``FEATURES_SIZE``)."""
        out = np.zeros(FEATURES_SIZE, np.float32)
        encode_features(out, self.phase, self.wave, self.wave_total,
                        np.asarray(self.card_types), np.asarray(self.card_owners),
                        np.asarray(self.np_ready, bool), self.back_available, self.breaks_left)
        return out

    @classmethod
    def from_array(cls, vec: np.ndarray) -> "Features":
        """Decode the flat vector produced by `to_array` (or by the env)."""
        vec = np.asarray(vec, np.float32)
        if vec.shape != (FEATURES_SIZE,):
            raise ValueError(f"features vector must have shape ({FEATURES_SIZE},), got {vec.shape}")
        phase = int(np.argmax(vec[FEATURE_INDEX["phase"]]))
        wave = int(np.argmax(vec[FEATURE_INDEX["wave"]])) + 1
        total = int(np.argmax(vec[FEATURE_INDEX["wave_total"]])) + 1
        types, owners = [], []
        for i in range(N_CARDS):
            t, o = vec[FEATURE_INDEX[f"card{i + 1}.type"]], vec[FEATURE_INDEX[f"card{i + 1}.owner"]]
            types.append(int(np.argmax(t)) if t.max() > 0 else -1)
            owners.append(int(np.argmax(o)) if o.max() > 0 else -1)
        ready = [bool(x > 0.5) for x in vec[FEATURE_INDEX["np_ready"]]]
        back = bool(vec[BACK_AT] > 0.5)
        breaks = int(np.argmax(vec[FEATURE_INDEX["breaks_left"]]))
        return cls(phase, wave, total, types, owners, ready, back, breaks)


def encode_features(out: np.ndarray, phase: int, wave: int, wave_total: int,
                    card_types: np.ndarray, card_owners: np.ndarray, np_ready: np.ndarray,
                    back_available: bool = False, breaks_left: int = 0) -> None:
    """Write the flat encoding of one Features into ``out`` (zeroed by the caller)."""
    out[PHASE_AT + phase] = 1.0
    out[WAVE_AT + wave - 1] = 1.0
    out[WAVE_TOTAL_AT + wave_total - 1] = 1.0
    for i in range(N_CARDS):
        if card_types[i] >= 0:
            out[CARD_TYPE_AT + CARD_STRIDE * i + card_types[i]] = 1.0
        if card_owners[i] >= 0:
            out[CARD_OWNER_AT + CARD_STRIDE * i + card_owners[i]] = 1.0
    out[FEATURE_INDEX["np_ready"]] = np_ready
    out[BACK_AT] = float(back_available)
    out[BREAKS_AT + min(max(int(breaks_left), 0), MAX_BREAKS)] = 1.0
