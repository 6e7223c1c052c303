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

# Flat encoding: phase one-hot (3) + wave one-hot (3) + total one-hot (3)
# + per card: type one-hot (3) + owner one-hot (3) + per front servant: NP ready (1).
FEATURES_SIZE = 3 + MAX_WAVES + MAX_WAVES + N_CARDS * (3 + N_FRONT) + N_FRONT


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
    """

    phase: int
    wave: int
    wave_total: int
    card_types: list[int] = field(default_factory=lambda: [-1] * N_CARDS)
    card_owners: list[int] = field(default_factory=lambda: [-1] * N_CARDS)
    np_ready: list[bool] = field(default_factory=lambda: [False] * N_FRONT)

    def to_array(self) -> np.ndarray:
        """Encode as the flat float32 vector of ``obs_mode="features"`` (size ``FEATURES_SIZE``)."""
        out = np.zeros(FEATURES_SIZE, np.float32)
        encode_features(out, self.phase, self.wave, self.wave_total,
                        np.asarray(self.card_types), np.asarray(self.card_owners),
                        np.asarray(self.np_ready, bool))
        return out

    @classmethod
    def from_array(cls, vec: np.ndarray) -> "Features":
        """Decode the flat vector produced by `to_array` (or by the env)."""
        vec = np.asarray(vec, np.float32)
        if vec.shape != (FEATURES_SIZE,):
            raise ValueError(f"features vector must have shape ({FEATURES_SIZE},), got {vec.shape}")
        phase = int(np.argmax(vec[0:3]))
        wave = int(np.argmax(vec[3:6])) + 1
        total = int(np.argmax(vec[6:9])) + 1
        types, owners = [], []
        for i in range(N_CARDS):
            block = vec[9 + 6 * i: 15 + 6 * i]
            types.append(int(np.argmax(block[:3])) if block[:3].max() > 0 else -1)
            owners.append(int(np.argmax(block[3:])) if block[3:].max() > 0 else -1)
        ready = [bool(x > 0.5) for x in vec[FEATURES_SIZE - N_FRONT:]]
        return cls(phase, wave, total, types, owners, ready)


def encode_features(out: np.ndarray, phase: int, wave: int, wave_total: int,
                    card_types: np.ndarray, card_owners: np.ndarray, np_ready: np.ndarray) -> None:
    """Write the flat encoding of one Features into ``out`` (zeroed by the caller)."""
    out[phase] = 1.0
    out[3 + wave - 1] = 1.0
    out[6 + wave_total - 1] = 1.0
    for i in range(N_CARDS):
        if card_types[i] >= 0:
            out[9 + 6 * i + card_types[i]] = 1.0
        if card_owners[i] >= 0:
            out[9 + 6 * i + 3 + card_owners[i]] = 1.0
    out[FEATURES_SIZE - N_FRONT:] = np_ready
