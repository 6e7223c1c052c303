"""`CardGreedyAgent` ("greedy_features"): a greedy that decides from the screen alone.

`GreedyAgent` reads the engine's state (HP, buffs, cooldowns); a pilot on the real game has only
the `Features` the vision model reads. This agent scores the card triples from those: the cards'
types and places in the chain (the game's damage modifiers: Buster 1.5, Arts 1.0, Quick 0.8; +20 %
per place; a Buster first card lifts the whole chain), the chain kinds (three of a type, one of
each), brave chains (three cards of one servant: an extra hit) and NP cards (worth many face
cards). On the command screen it uses every skill the mask offers at once (under
`agents.pilot.screen_mask.ScreenMask`: each skill once a battle, as the community's farming scripts
do), then attacks; it never goes Back. It is the pilot's scripted baseline: its win rate on true
features and on a pilot compare like for like.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fgo_env.engine.actions import ATTACK, CARDS_BASE, CARDS_END, TARGET_BASE, TRIPLES
from fgo_env.features import FEATURES_SIZE, Features

from ..base import JsonConfigAgent, legal_actions

DEFAULT_WEIGHTS = {"buster": 1.5, "arts": 1.0, "quick": 0.8, "buster_first": 0.5, "np": 6.0,
                   "chain": 1.0, "mighty": 0.5, "brave": 1.5}
WEIGHT_NAMES = tuple(DEFAULT_WEIGHTS)
_PLACE = np.array([1.0, 1.2, 1.4])
_NP = -2  # pseudo card type of an NP card


class CardGreedyAgent(JsonConfigAgent):
    """Greedy over the card triples a screen shows (observations: ``obs_mode="features"``).

    Args:
        weights: overrides of `DEFAULT_WEIGHTS` (type values, Buster-first bonus, NP card value,
            chain, mighty-chain and brave-chain bonuses).
    """

    name = "greedy_features"
    obs_mode = "features"
    action_mask = "screen"  # `agents.evaluate` wraps its env in `ScreenMask`

    def __init__(self, weights: dict[str, float] | None = None, use_skills: bool = True):
        unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown greedy_features weights {sorted(unknown)}; valid: {', '.join(WEIGHT_NAMES)}")
        self.weights = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (weights or {}).items()}}
        self.use_skills = bool(use_skills)
        self.last_info: dict = {}

    def config(self) -> dict:
        return {"weights": {k: v for k, v in self.weights.items() if v != DEFAULT_WEIGHTS[k]},
                "use_skills": self.use_skills}

    def reset(self, env: Any) -> None:
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        obs = np.asarray(observation, np.float32)
        if obs.shape != (FEATURES_SIZE,):
            raise ValueError(f"greedy_features plays on obs_mode='features' observations of shape "
                             f"({FEATURES_SIZE},), got {obs.shape}")
        mask = np.asarray(action_mask).astype(bool)
        legal = legal_actions(mask)
        cards = legal[(legal >= CARDS_BASE) & (legal < CARDS_END)]
        if cards.size == 0:  # the command screen: the skills the mask offers, in slot order, then Attack
            self.last_info = {}
            skills = legal[legal < TARGET_BASE] if self.use_skills else legal[:0]
            return int(skills[0]) if skills.size else (ATTACK if mask[ATTACK] else int(legal[0]))
        scores = self.triple_scores(Features.from_array(obs))[cards - CARDS_BASE]
        best = int(np.argmax(scores))
        top = np.argsort(-scores)[:5]
        self.last_info = {"scores": {int(cards[i]): round(float(scores[i]), 3) for i in top}}
        return int(cards[best])

    def triple_scores(self, f: Features) -> np.ndarray:
        """A score for each of the 336 ordered triples (`TRIPLES`) of the screen ``f``."""
        w = self.weights
        types = np.array([*f.card_types, *([_NP] * 3)])  # slots 0-4 face cards, 5-7 NP cards
        owners = np.array([*f.card_owners, 0, 1, 2])
        value = np.array([w["np"], 0.0, w["arts"], w["buster"], w["quick"]])  # by type + 2
        t = types[TRIPLES]  # (336, 3)
        v = np.where(t == _NP, w["np"], value[t + 2] * _PLACE)  # an NP's damage does not scale with its place
        score = v.sum(axis=1) + np.where(t[:, 0] == 1, w["buster_first"], 0.0)
        face = (t >= 0).all(axis=1)
        same = face & (t[:, 0] == t[:, 1]) & (t[:, 1] == t[:, 2])
        mighty = face & (np.sort(t, axis=1) == [0, 1, 2]).all(axis=1)
        o = owners[TRIPLES]
        brave = (o[:, 0] >= 0) & (o[:, 0] == o[:, 1]) & (o[:, 1] == o[:, 2])
        return score + w["chain"] * same + w["mighty"] * mighty + w["brave"] * brave

    def act_on_record(self, record: Any, action_mask: np.ndarray) -> int:
        raise TypeError("greedy_features plays on feature observations; it does not read the engine's state")



