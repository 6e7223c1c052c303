"""The greedy agent on what the vision model reads: `ParsedGreedy` and the parsed-vs-true check.

`ParsedGreedy` runs the greedy agent on what the parser read: on the card screen it hands the
greedy scorer a copy of the game record whose hand is rebuilt from the parsed card types and
owners (for each card, a card id of the parsed owner with the parsed type; the scorer only looks
at a card's owner and type, plus the crit stars of its slot) and hides the NP cards the parser
did not see lit. So every vision error on the card screen can change its decision, and with
perfect parsing it plays exactly as ``GreedyAgent``. The command screen is played as greedy does
(the parser's Features carry nothing the skill scorer uses). It plays on
``feature_models.wrappers.ParsedFeatures`` (parsed) or on an env with ``obs_mode="features"``
(true).

`greedy_parsed_vs_true` compares greedy on true features with `ParsedGreedy` on parsed frames,
over the same episode seeds; ``fgo vision eval`` injects it into ``feature_models.pipeline``.

Heavy imports (torch through the parser, the numba greedy scorer) happen on use, so that
``fgo --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

from fgo_env.engine.actions import (CARDS_ACTIONS, N_TRIPLES, card_id, card_owner, card_type, np_card_front,
                                    triple_action, triple_slots)
from fgo_env.features import N_CARDS, N_FRONT, Features

if TYPE_CHECKING:
    from feature_models.parser import FrameParser


class ParsedGreedy:
    """The greedy agent deciding the card screen from parsed Features (see module docstring).

    The observation must be a flat Features vector: from `ParsedFeatures` (parsed) or from an env
    with ``obs_mode="features"`` (true; then it plays exactly as greedy).

    Args:
        weights, top_k: as ``GreedyAgent``.
    """

    name = "parsed_greedy"

    def __init__(self, weights: dict[str, float] | None = None, top_k: int = 10):
        from ..scripted.greedy import GreedyAgent

        self.greedy = GreedyAgent(weights, top_k)
        self._state = None
        self.last_info: dict = {}
        self.stats = {"card_decisions": 0, "hand_differs": 0, "unread_cards": 0}

    def config(self) -> dict:
        return self.greedy.config()

    def reset(self, env: Any) -> None:
        self.greedy.reset(env)
        self._state = env.unwrapped.state
        self.last_info = {}

    def rebuilt_record(self, feats: Features) -> np.ndarray:
        """A copy of the game record with the hand rebuilt from ``feats``."""
        rec = self._state.copy()
        r = rec[0]
        front = [int(m) for m in r["front"]]
        live = [m for m in front if m >= 0 and bool(r["alive"][m])]
        hand = np.array(r["hand"], copy=True)
        unread = False
        for i in range(N_CARDS):
            t, j = feats.card_types[i], feats.card_owners[i]
            if t < 0 or j < 0:
                unread = True
                t, j = max(t, 0), max(j, 0)
            m = front[j] if 0 <= j < N_FRONT else -1
            owners = ([m] if m >= 0 else []) + live
            card = None
            for owner in owners:
                ks = np.flatnonzero(np.asarray(r["m_deck"][owner]) == t)
                if ks.size:
                    card = card_id(owner, int(ks[0]))
                    break
            hand[i] = card if card is not None else (card_id(owners[0], 0) if owners else hand[i])
        self.stats["unread_cards"] += int(unread)
        r["hand"] = hand
        return rec

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        from fgo_env.engine import constants as C

        if self._state is None:
            raise RuntimeError("ParsedGreedy.reset(env) must be called at the start of each episode")
        if int(self._state[0]["phase"]) != C.PHASE_CARDS:
            action = self.greedy.act(observation, action_mask)
            self.last_info = self.greedy.last_info
            return action
        feats = Features.from_array(np.asarray(observation, np.float32))
        rec = self.rebuilt_record(feats)
        self.stats["card_decisions"] += 1
        true_hand = [(int(card_owner(c)), int(card_type(self._state[0], c))) for c in self._state[0]["hand"]]
        if [(int(card_owner(c)), int(card_type(rec[0], c))) for c in rec[0]["hand"]] != true_hand:
            self.stats["hand_differs"] += 1
        mask = np.asarray(action_mask).astype(np.bool_).copy()
        unseen = [j for j in range(N_FRONT) if not feats.np_ready[j]]
        if unseen:
            for k in range(N_TRIPLES):
                if any(np_card_front(s) in unseen for s in triple_slots(k)):
                    mask[triple_action(k)] = False
            if not mask[CARDS_ACTIONS].any():
                mask = np.asarray(action_mask).astype(np.bool_)
        action = self.greedy.act_on_record(rec[0], mask)
        self.last_info = self.greedy.last_info
        return action


def greedy_parsed_vs_true(quests, episodes: int = 50, seed: int = 0, parser: FrameParser | None = None,
                          look: Any = "random", width: int = 640, height: int = 360,
                          progress: bool = False) -> list[dict]:
    """Greedy on true features vs `ParsedGreedy` on parsed frames, over the same episode seeds.

    Returns one row per quest: win rates, the number of episodes whose action sequences differ,
    and the share of card decisions where the parsed hand differed from the true one. This is the
    ``greedy_check`` that ``fgo vision eval`` injects into ``feature_models.evaluate.run_evaluation``.
    """
    from tqdm.auto import tqdm

    import fgo_env  # noqa: F401  (registers the envs)
    from feature_models.parser import FrameParser
    from feature_models.wrappers import ParsedFeatures

    from ..evaluate import play_episode
    from ..scripted.greedy import GreedyAgent

    parser = parser or FrameParser()
    rows = []
    for quest in quests:
        true_env = gym.make("fgo_env/Battle-v1", quest=quest, obs_mode="features")
        parsed_env = ParsedFeatures(gym.make("fgo_env/Battle-v1", quest=quest, obs_mode="features"), parser,
                                    look=look, width=width, height=height)
        greedy, pg = GreedyAgent(), ParsedGreedy()
        wins_true = wins_parsed = differ = 0
        for e in tqdm(range(episodes), desc=f"greedy {quest}", disable=not progress, leave=False):
            a = play_episode(true_env, greedy, seed + e, max_decisions=400)
            b = play_episode(parsed_env, pg, seed + e, max_decisions=400)
            wins_true += a["outcome"] == "win"
            wins_parsed += b["outcome"] == "win"
            differ += a["actions"] != b["actions"]
        rows.append({"quest": quest, "episodes": episodes, "win_rate_true": wins_true / episodes,
                     "win_rate_parsed": wins_parsed / episodes, "episodes_differing": differ,
                     "card_decisions": pg.stats["card_decisions"],
                     "hand_misread": pg.stats["hand_differs"], "unread_hands": pg.stats["unread_cards"]})
        true_env.close()
        parsed_env.close()
    return rows


__all__ = ["ParsedGreedy", "greedy_parsed_vs_true"]
