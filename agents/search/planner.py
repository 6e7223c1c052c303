"""`SearchAgent`: determinized Monte-Carlo planning on the engine (see docs/search.md).

Each decision is a small bandit over candidate actions, solved by **sequential halving**
(Karnin et al. 2013) under a budget of simulated playouts:

* **Candidates.** On the card screen: the top ``top_n`` (target, ordered triple) pairs by the
  greedy agent's one-turn scorer (`agents.scripted.greedy.card_scores`). On the command screen:
  every legal skill and master skill, Attack, and the target changes the greedy scorer asks for
  (aiming a charge drain). So the command screen is searched one decision at a time (each skill
  is compared against "Attack now" and the other skills, every later decision is searched
  again), and the cards of the turn are searched once Attack is pressed. On the card screen Back
  is a candidate too when greedy would go Back for the hand it sees (`greedy.hand_skill`); after
  a Back the command screen is searched with the seen hand kept (not re-drawn), and greedy's
  Order Change or command seal joins the command candidates when it wants one.
* **Determinization.** Every playout runs on a copy of the record in which everything a player
  cannot know is re-drawn from the agent's own generator: the copy gets a fresh ``seed`` (so
  every future random draw - reshuffles, star drops, crits, damage rolls, enemy targets and
  cards - changes), and the undealt part of the current deck cycle (plus, on the command screen,
  the hand, which is not shown before Attack) is sorted and reshuffled with that fresh seed, so
  neither the true seed nor the hidden order of the deck can reach a decision. What a
  card-counting player knows stays: which cards are left in the cycle, the hand and the stars
  on the cards once they are shown. With ``oracle=True`` the copies keep the true seed and deck
  (a cheating upper bound, for analysis only).
* **Common random numbers.** Within a round of sequential halving every candidate is played out
  on the same determinizations (the same list of fresh seeds), so candidates are compared on
  paired samples.
* **Playouts.** After the candidate the greedy policy (`greedy_policy`, the greedy agent's
  decisions re-implemented over its compiled scorers) plays the rest of the turn and ``horizon``
  further turns (default 4; ``horizon=None`` plays to the end). The playout is scored by
  `playout_value`: a win is worth ``1 + turn_bonus * (1 - turns_used / max_turns)``, a loss or
  timeout ``fail_progress * progress`` (progress = share of the quest's enemy HP removed), a
  playout cut by the horizon ``leaf_progress * progress + leaf_hp * party HP share``.

The whole loop (copy, determinize, play out, score, halve) is one ``@njit(cache=True)``
kernel, `search_kernel`, working on a private one-record buffer.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numba import njit

from fgo_env.engine import constants as C
from fgo_env.engine import rng
from fgo_env.engine.actions import (ATTACK, BACK, CARDS_BASE, KIND_CARDS, KIND_MASTER, KIND_SKILL, KIND_TARGET,
                                    N_ACTIONS, N_COMMAND_ACTIONS, N_TRIPLES, TARGET_BASE, action_kind, target_action,
                                    triple_action, triple_slots)
from fgo_env.engine.batch import OBS_FEATURES, OBS_STATE, observe_games
from fgo_env.engine.rules import apply_action, is_legal, write_mask
from fgo_env.engine.state import STATE_DTYPE, record_batch

from ..base import JsonConfigAgent, legal_actions
from ..scripted.greedy import (DEFAULT_WEIGHTS, NO_SCORE, WEIGHT_NAMES, card_scores, command_scores, hand_skill,
                               order_change_pick, score_triple)

W_SKILL_MIN = WEIGHT_NAMES.index("skill_min")
W_BACK_GAIN = WEIGHT_NAMES.index("back_gain")

POOL_SHUFFLE = 101  # rng purpose of the agent's re-shuffle of the unseen cards (unused by the engine)
MAX_PLAYOUT_DECISIONS = 4000  # safety net: a playout never takes more decisions than this

# Playout value parameters (index into the ``vparams`` vector).
V_TURN_BONUS, V_FAIL_PROGRESS, V_LEAF_PROGRESS, V_LEAF_HP = range(4)
DEFAULT_VALUE = {
    "turn_bonus": 0.5,     # a win: 1 + turn_bonus * (1 - turns used / max_turns)
    "fail_progress": 0.3,  # a loss / timeout: fail_progress * share of enemy HP removed
    "leaf_progress": 0.6,  # a playout cut by the horizon: leaf_progress * progress ...
    "leaf_hp": 0.3,        # ... + leaf_hp * share of the party's HP left
}
VALUE_NAMES = tuple(DEFAULT_VALUE)
ROLLOUTS = ("greedy", "fast")


# ----------------------------------------------------------------------------- playout policy

@njit(cache=True)
def greedy_policy(sim, mask, weights, cmd, cards, fast, use_back, sim_bytes, scratch, scratch_bytes, mask2, cards2):
    """The greedy agent's decision on record ``sim[0]`` (``mask`` must be current; ``sim_bytes``
    is ``sim`` as bytes; ``scratch``/``scratch_bytes``/``mask2``/``cards2`` are work buffers).

    Mirrors `agents.scripted.greedy.GreedyAgent.act` when ``use_back`` is set; without it the
    card screen never goes Back (the playouts' default: the Back check scores the hand once per
    candidate skill, too dear for every playout turn), but after a Back (taken at the search's
    root) the command screen still plays the skills the seen hand wants, as greedy does. With
    ``fast`` the card screen scores the triples against the current target only (no target
    switch): cheaper, as it scores one target.
    """
    s = sim[0]
    if (s.phase == C.PHASE_COMMAND and s.backs > 0) or (use_back and s.phase == C.PHASE_CARDS and mask[BACK]):
        a, gain = hand_skill(sim_bytes, scratch, scratch_bytes, mask2, weights, cards2)
        wanted = a >= 0 and gain > weights[W_BACK_GAIN]
        if s.phase == C.PHASE_COMMAND:
            return a if wanted and mask[a] else ATTACK
        if wanted:
            return BACK
    if s.phase == C.PHASE_COMMAND:
        swap = order_change_pick(s, mask, weights)
        if swap >= 0:
            return swap
        command_scores(sim, mask, weights, cmd)
        best, bv = -1, NO_SCORE
        for a in range(N_COMMAND_ACTIONS):
            if cmd[a] > NO_SCORE / 2 and cmd[a] > bv:
                best, bv = a, cmd[a]
        if best != ATTACK and bv <= weights[W_SKILL_MIN]:
            best = ATTACK
        if best < 0 or not mask[best]:
            best = ATTACK
        return best
    if s.phase != C.PHASE_CARDS:
        return -1
    current = int(s.target)
    if fast:
        best, bv = -1, NO_SCORE
        for k in range(N_TRIPLES):
            if mask[triple_action(k)]:
                a, b, c = triple_slots(k)
                v = score_triple(s, a, b, c, current, weights)
                if v > bv:
                    best, bv = k, v
        return triple_action(max(best, 0))
    card_scores(sim, mask, weights, cards)
    be, bv = 0, NO_SCORE
    for e in range(C.N_ENEMIES):
        for k in range(N_TRIPLES):
            if cards[e, k] > bv:
                be, bv = e, cards[e, k]
    cur_best = NO_SCORE
    ck = 0
    for k in range(N_TRIPLES):
        if cards[current, k] > cur_best:
            ck, cur_best = k, cards[current, k]
    if be != current and bv <= cur_best + 1e-6:
        be = current
    if be != current and mask[target_action(be)]:
        return target_action(be)
    if mask[triple_action(ck)]:
        return triple_action(ck)
    for k in range(N_TRIPLES):
        if mask[triple_action(k)]:
            return triple_action(k)
    return -1


# ----------------------------------------------------------------------------- determinization

@njit(cache=True)
def determinize(s, seed, hide_hand):
    """Re-draw what a player cannot know, in place, from ``seed`` (the agent's draw).

    The record gets ``seed`` as its game seed (every future draw changes). The cards not yet
    seen in this deck cycle (``deck[deck_pos:]``, plus the hand when ``hide_hand``) are sorted,
    which drops their hidden order, then shuffled with ``seed``; a hidden hand is re-dealt from
    them. The result depends on the visible state and ``seed`` only.
    """
    s.seed = np.uint64(seed)
    lo = int(s.deck_pos) - C.HAND if hide_hand else int(s.deck_pos)
    lo = max(lo, 0)
    hi = int(s.deck_len)
    for i in range(lo + 1, hi):  # insertion sort: the pool as a set
        x = s.deck[i]
        j = i - 1
        while j >= lo and s.deck[j] > x:
            s.deck[j + 1] = s.deck[j]
            j -= 1
        s.deck[j + 1] = x
    n = hi - lo
    for i in range(n - 1, 0, -1):
        k = rng.randint(seed, 0, POOL_SHUFFLE, i, i + 1)
        tmp = s.deck[lo + i]
        s.deck[lo + i] = s.deck[lo + k]
        s.deck[lo + k] = tmp
    if hide_hand and hi - lo >= C.HAND:
        for i in range(C.HAND):
            s.hand[i] = s.deck[lo + i]
            s.hand_stars[i] = 0


@njit(cache=True)
def _determinize_first(state, seed, hide_hand):
    determinize(state[0], seed, hide_hand)


def redraw_hidden(state: np.ndarray, seed: int) -> None:
    """`determinize` game record ``state`` (a batch of one, e.g. a copy of ``env.unwrapped.state``)
    in place with ``seed``, the hand re-dealt when a player has not seen it (the command screen
    before any Back): the re-draw of ``fgo eval --offline``'s counterfactual rollouts."""
    rec = state[0]
    hide = int(rec["phase"]) == C.PHASE_COMMAND and int(rec["backs"]) == 0
    _determinize_first(state, np.uint64(seed), hide)


# ----------------------------------------------------------------------------- playouts

@njit(cache=True)
def remaining_enemy_hp(s):
    """Enemy HP left on the field and in the waves still to come, break bars included (the
    quest's ``total_enemy_hp`` counts them: without them a playout that breaks a bar would
    lose progress when the next bar fills at the enemy turn)."""
    rem = 0.0
    w = int(s.wave)
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            if s.e_hp[e] > 0:
                rem += s.e_hp[e]
            nb = int(s.w_breaks[w, e])
            for b in range(nb - int(s.e_breaks_left[e]), nb):
                rem += s.w_bar_hp[w, e, b]
    for w in range(int(s.wave) + 1, int(s.n_waves)):
        for e in range(C.N_ENEMIES):
            if s.w_present[w, e]:
                rem += s.w_hp[w, e]
                for b in range(int(s.w_breaks[w, e])):
                    rem += s.w_bar_hp[w, e, b]
    return rem


@njit(cache=True)
def playout_value(s, vparams):
    """Score of a finished or cut playout (see the module docstring)."""
    if s.outcome == C.WIN:
        return 1.0 + vparams[V_TURN_BONUS] * (1.0 - s.turns_played / max(float(s.max_turns), 1.0))
    progress = 1.0 - remaining_enemy_hp(s) / max(s.total_enemy_hp, 1.0)
    progress = min(max(progress, 0.0), 1.0)
    if s.outcome != C.ONGOING:
        return vparams[V_FAIL_PROGRESS] * progress
    hp, hp_max = 0.0, 0.0
    for m in range(C.N_MEMBERS):
        if s.m_present[m]:
            hp_max += s.m_max_hp[m]
            if s.alive[m]:
                hp += max(s.hp[m], 0.0)
    return vparams[V_LEAF_PROGRESS] * progress + vparams[V_LEAF_HP] * hp / max(hp_max, 1.0)


@njit(cache=True)
def playout(root_bytes, sim, sim_bytes, pre_target, action, seed, oracle, hide_hand, horizon, weights,
            vparams, fast, mask, cmd, cards, scratch, scratch_bytes, mask2, cards2, use_back):
    """One simulation: copy the root, determinize, play ``pre_target`` (if >= 0) and ``action``,
    then the greedy policy for the rest of the turn and ``horizon`` more turns (< 0: to the end)."""
    sim_bytes[0, :] = root_bytes[0, :]
    s = sim[0]
    if not oracle:
        determinize(s, seed, hide_hand)
    end_turn = int(s.turns_played) + 1 + horizon
    if pre_target >= 0 and pre_target != s.target and is_legal(s, target_action(pre_target)):
        apply_action(s, target_action(pre_target))
    apply_action(s, action)
    n = 0
    while s.phase != C.PHASE_DONE and n < MAX_PLAYOUT_DECISIONS:
        if horizon >= 0 and s.turns_played >= end_turn:
            break
        write_mask(s, mask)
        a = greedy_policy(sim, mask, weights, cmd, cards, fast, use_back, sim_bytes, scratch, scratch_bytes, mask2,
                          cards2)
        if a < 0:
            break
        apply_action(s, a)
        n += 1
    return playout_value(s, vparams)


@njit(cache=True)
def search_kernel(root_bytes, sim, sim_bytes, cand_target, cand_action, seeds, budget, oracle, hide_hand,
                  horizon, weights, vparams, fast, sums, counts, scratch, scratch_bytes, use_back, anchor_z):
    """Sequential halving over the candidates with common random numbers; returns the index of
    the chosen candidate. ``sums``/``counts`` receive each candidate's total value and playouts.

    Round r gives every surviving candidate ``budget // (rounds * survivors)`` playouts (at
    least one) on the same fresh seeds, then keeps the better half by mean value (ties keep the
    earlier candidate, i.e. the greedy scorer's order).

    With ``anchor_z >= 0`` candidate 0 (greedy's own pick) is an anchor: it plays every round and
    is never halved away, and the search leaves it only for a candidate whose paired advantage
    over it (same seeds) is positive by at least ``anchor_z`` standard errors. A handful of noisy
    playouts then cannot talk the search out of a good greedy move: deviations need evidence.
    """
    n = cand_action.shape[0]
    mask = np.zeros(N_ACTIONS, np.bool_)
    cmd = np.empty(N_COMMAND_ACTIONS)
    cards = np.empty((C.N_ENEMIES, N_TRIPLES))
    mask2 = np.zeros(N_ACTIONS, np.bool_)
    cards2 = np.empty((C.N_ENEMIES, N_TRIPLES))
    anchored = anchor_z >= 0.0 and n > 1
    first = 1 if anchored else 0  # the halved candidates are first .. n-1
    alive = np.arange(first, n)
    n_alive = n - first
    anchor_vals = np.zeros(seeds.shape[0])  # the anchor's value on each seed index
    dsum, dsq = np.zeros(n), np.zeros(n)  # paired differences to the anchor
    rounds = 1
    while (1 << rounds) < n:
        rounds += 1
    offset = 0
    for _ in range(rounds):
        per = max(1, budget // (rounds * (n_alive + first)))
        for ii in range(-first, n_alive):  # the anchor (ii = -1) first: its values pair the others'
            c = 0 if ii < 0 else alive[ii]
            for i in range(per):
                idx = (offset + i) % seeds.shape[0]
                v = playout(root_bytes, sim, sim_bytes, cand_target[c], cand_action[c], seeds[idx], oracle,
                            hide_hand, horizon, weights, vparams, fast, mask, cmd, cards, scratch,
                            scratch_bytes, mask2, cards2, use_back)
                sums[c] += v
                counts[c] += 1
                if ii < 0:
                    anchor_vals[idx] = v
                elif anchored:
                    d = v - anchor_vals[idx]
                    dsum[c] += d
                    dsq[c] += d * d
        offset += per
        # stable insertion sort of the survivors by mean value, best first
        for i in range(1, n_alive):
            x = alive[i]
            mx = sums[x] / counts[x]
            j = i - 1
            while j >= 0 and sums[alive[j]] / counts[alive[j]] < mx:
                alive[j + 1] = alive[j]
                j -= 1
            alive[j + 1] = x
        if n_alive <= 1:
            break
        n_alive = (n_alive + 1) // 2
        if n_alive <= 1 and not anchored:
            break
    if not anchored:
        return alive[0]
    best = alive[0]
    k = counts[best]
    if k < 2:  # one paired playout has no spread to measure: not evidence
        return 0
    mean = dsum[best] / k
    var = max(dsq[best] / k - mean * mean, 0.0) * k / (k - 1)
    if mean > 0.0 and mean >= anchor_z * np.sqrt(var / k):
        return best
    return 0


# ----------------------------------------------------------------------------- the agent

class SearchAgent(JsonConfigAgent):
    """Determinized Monte-Carlo planner with greedy playouts (the strong reference line).

    Args:
        budget: playouts per decision (split over the candidates by sequential halving).
        horizon: turns played after the current one in each playout; ``None`` plays to the end.
        top_n: card-screen candidates kept from the greedy scorer's ranking.
        rollout: playout policy, "greedy" (the greedy agent) or "fast" (greedy cards against the
            current target only).
        time_limit: seconds per decision; when set, the budget is sized from a timed first pass
            (``budget`` is then a floor of one playout per candidate).
        seed: seed of the agent's generator (the fresh seeds of the determinizations).
        oracle: keep the true seed and deck in the copies (cheats; analysis only).
        weights: greedy weights for the candidate ranking and the playout policy.
        value: overrides of `DEFAULT_VALUE` (playout scoring).
        rollout_back: the greedy playouts go Back for the skills (or the winning seal) a seen hand
            wants, as the greedy agent does (True: 4-6x dearer playouts), or never go Back by
            themselves (False, the default; a Back chosen at the root still plays its skills).
        anchor_z: the first candidate (greedy's pick, or the prior's) is left only when another
            beats it by this many paired standard errors (None: plain sequential halving).
        prior: a policy network guiding the search (a shipped policy's name such as
            "generalist", or a trained policy's folder): its top ``prior_k`` actions join the
            candidates and its first pick becomes the anchor (expert iteration's policy-guided
            search, docs/distillation.md). The playouts stay greedy's.
        prior_k: how many of the prior's most probable actions join the card screen's candidates.
    """

    name = "search"

    def __init__(self, budget: int = 96, horizon: int | None = 4, top_n: int = 10,
                 rollout: str = "greedy", time_limit: float | None = None, seed: int | None = 0,
                 oracle: bool = False, weights: dict[str, float] | None = None,
                 value: dict[str, float] | None = None, rollout_back: bool = False,
                 anchor_z: float | None = 1.0, prior: str | None = None, prior_k: int = 3):
        if int(budget) < 1:
            raise ValueError(f"budget must be >= 1, got {budget!r}")
        if horizon is not None and int(horizon) < 0:
            raise ValueError(f"horizon must be None or >= 0, got {horizon!r}")
        if int(top_n) < 1:
            raise ValueError(f"top_n must be >= 1, got {top_n!r}")
        if rollout not in ROLLOUTS:
            raise ValueError(f"rollout must be one of {ROLLOUTS}, got {rollout!r}")
        if time_limit is not None and float(time_limit) <= 0:
            raise ValueError(f"time_limit must be None or > 0, got {time_limit!r}")
        unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown greedy weights {sorted(unknown)}; valid: {list(DEFAULT_WEIGHTS)}")
        unknown = set(value or {}) - set(DEFAULT_VALUE)
        if unknown:
            raise ValueError(f"unknown value parameters {sorted(unknown)}; valid: {list(DEFAULT_VALUE)}")
        self.budget = int(budget)
        self.horizon = None if horizon is None else int(horizon)
        self.top_n = int(top_n)
        self.rollout = rollout
        self.time_limit = None if time_limit is None else float(time_limit)
        self.seed = seed
        self.oracle = bool(oracle)
        self.rollout_back = bool(rollout_back)
        if anchor_z is not None and not float(anchor_z) >= 0:
            raise ValueError(f"anchor_z must be None or >= 0, got {anchor_z!r}")
        self.anchor_z = None if anchor_z is None else float(anchor_z)
        self.weights = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (weights or {}).items()}}
        self.value = {**DEFAULT_VALUE, **{k: float(v) for k, v in (value or {}).items()}}
        self._w = np.array([self.weights[k] for k in WEIGHT_NAMES], np.float64)
        self._v = np.array([self.value[k] for k in VALUE_NAMES], np.float64)
        self.rng = np.random.default_rng(seed)
        self._anchor = -1.0 if self.anchor_z is None else self.anchor_z  # the kernel's "off" is < 0
        self._root = np.zeros(1, STATE_DTYPE)
        self._sim = np.zeros(1, STATE_DTYPE)
        self._scratch = np.zeros(1, STATE_DTYPE)
        self._scratch_bytes = self._scratch.view(np.uint8).reshape(1, -1)
        self._cmd = np.empty(N_COMMAND_ACTIONS)
        self._cards = np.empty((C.N_ENEMIES, N_TRIPLES))
        self._state = None
        self._plan: tuple[int, int, int] | None = None  # (turn, target, triple action) after a target switch
        self.last_info: dict = {}
        if int(prior_k) < 0:
            raise ValueError(f"prior_k must be >= 0, got {prior_k!r}")
        self.prior, self.prior_k = prior, int(prior_k)
        self._policy = None if prior is None else _load_prior(prior)
        self._obs = np.zeros((1, self._policy.obs_size if self._policy is not None else 1), np.float32)
        self._obs_mask = np.zeros((1, N_ACTIONS), np.bool_)

    def config(self) -> dict:
        return {"budget": self.budget, "horizon": self.horizon, "top_n": self.top_n, "rollout": self.rollout,
                "time_limit": self.time_limit, "seed": self.seed, "oracle": self.oracle,
                "rollout_back": self.rollout_back, "anchor_z": self.anchor_z, "prior": self.prior,
                "prior_k": self.prior_k,
                "weights": {k: v for k, v in self.weights.items() if v != DEFAULT_WEIGHTS[k]},
                "value": {k: v for k, v in self.value.items() if v != DEFAULT_VALUE[k]}}

    def reset(self, env: Any) -> None:
        self._state = env.unwrapped.state
        self._plan = None
        self.last_info = {}

    # -- candidates ------------------------------------------------------------------------
    def _greedy_pick(self, mask: np.ndarray) -> int:
        """The greedy agent's own decision at the root (Back, seals and Order Change included)."""
        root_b = self._root.view(np.uint8).reshape(1, -1)
        return int(greedy_policy(self._root, mask, self._w, self._cmd, self._cards, False, True, root_b,
                                 self._scratch, self._scratch_bytes, np.zeros(N_ACTIONS, np.bool_),
                                 np.empty((C.N_ENEMIES, N_TRIPLES))))

    def _policy_ranking(self, mask: np.ndarray) -> np.ndarray:
        """The prior policy's legal actions, most probable first (empty without a prior)."""
        if self._policy is None:
            return np.zeros(0, np.int64)
        observe_games(self._root, OBS_FEATURES if self._policy.obs_mode == "features" else OBS_STATE, self._obs,
                      self._obs_mask)
        scores = self._policy.scores(self._obs)[0]
        legal = np.flatnonzero(mask)
        return legal[np.argsort(-scores[legal], kind="stable")]

    def _card_candidates(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        go_back = bool(mask[BACK]) and self._greedy_pick(mask) == BACK
        card_scores(self._root, mask, self._w, self._cards)
        flat = self._cards.ravel()
        legal = np.flatnonzero(flat > NO_SCORE / 2)
        order = legal[np.argsort(-flat[legal], kind="stable")][: self.top_n]
        e, k = np.divmod(order, N_TRIPLES)
        targets, actions, prior = e.astype(np.int64), triple_action(k).astype(np.int64), flat[order]
        if go_back:  # greedy's Back (for the skills this hand wants) first, against the best triples
            targets, actions = np.r_[-1, targets], np.r_[BACK, actions]
            prior = np.r_[prior[0] if len(prior) else 0.0, prior]
        ranked = self._policy_ranking(mask)
        if ranked.size:  # the policy's top prior_k join; its first pick goes first (the anchor)
            rows = {(t, a): p for t, a, p in zip(targets.tolist(), actions.tolist(), prior.tolist())}
            first = self._as_card_candidate(int(ranked[0]))
            picks = [c for c in (self._as_card_candidate(int(a)) for a in ranked[: self.prior_k]) if c is not None]
            if first is not None and first not in picks and first in rows:
                picks.insert(0, first)
            front = {c: rows.pop(c) if c in rows else self._card_prior(c) for c in picks}
            merged = [*front.items(), *rows.items()]
            targets = np.array([t for (t, _), _ in merged], np.int64)
            actions = np.array([a for (_, a), _ in merged], np.int64)
            prior = np.array([p for _, p in merged])
        return targets, actions, prior

    def _card_prior(self, candidate: tuple[int, int]) -> float:
        """Greedy's score of a (target, triple) candidate (0 for Back)."""
        e, a = candidate
        return float(self._cards[e, a - CARDS_BASE]) if e >= 0 and CARDS_BASE <= a < BACK else 0.0

    def _as_card_candidate(self, a: int) -> tuple[int, int] | None:
        """A card-screen action as a (target, action) candidate: a target change pairs with greedy's
        best triple against that enemy."""
        current = int(self._root[0]["target"])
        kind = int(action_kind(a))
        if kind == KIND_CARDS:
            return current, a
        if kind == KIND_TARGET:
            e = int(a - TARGET_BASE)
            row = self._cards[e]
            if row.max() <= NO_SCORE / 2:
                return None
            return e, int(triple_action(int(np.argmax(row))))
        if a == BACK:
            return -1, BACK
        return None

    def _command_candidates(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = self._greedy_pick(mask)
        ranked = self._policy_ranking(mask)
        if ranked.size:  # the policy's pick is the anchor the search leaves only on evidence
            g = int(ranked[0])
        command_scores(self._root, mask, self._w, self._cmd)
        acts = [a for a in range(N_COMMAND_ACTIONS)
                if mask[a] and (action_kind(a) in (KIND_SKILL, KIND_MASTER) or a == ATTACK
                                or self._cmd[a] > NO_SCORE / 2)]
        if g not in acts and 0 <= g < N_ACTIONS and mask[g]:
            acts.append(g)  # an Order Change or a seal greedy wants
        prior = np.array([self._cmd[a] if a < N_COMMAND_ACTIONS and self._cmd[a] > NO_SCORE / 2 else -1e9
                          for a in acts])
        # greedy's own pick first (ties in the search keep the earlier candidate)
        order = sorted(range(len(acts)), key=lambda i: (acts[i] != g, -prior[i], acts[i]))
        acts = np.array([acts[i] for i in order], np.int64)
        return -np.ones(len(acts), np.int64), acts, prior[order]

    # -- decisions -------------------------------------------------------------------------
    def _run(self, targets, actions, hide_hand) -> tuple[int, np.ndarray, np.ndarray, float]:
        n = len(actions)
        sums, counts = np.zeros(n), np.zeros(n, np.int64)
        horizon = -1 if self.horizon is None else self.horizon
        root_b = self._root.view(np.uint8).reshape(1, -1)
        sim_b = self._sim.view(np.uint8).reshape(1, -1)
        fast = self.rollout == "fast"
        t0 = time.perf_counter()
        if self.oracle:  # the copies are exact: one playout per candidate says it all
            seeds = np.zeros(1, np.uint64)
            best = search_kernel(root_b, self._sim, sim_b, targets, actions, seeds, n, True, False, horizon,
                                 self._w, self._v, fast, sums, counts, self._scratch, self._scratch_bytes,
                                 self.rollout_back, -1.0)
            return int(best), sums, counts, time.perf_counter() - t0
        budget = self.budget
        if self.time_limit is not None:
            probe = self.rng.integers(0, 2**63, size=1, dtype=np.uint64)
            probe_counts = np.zeros(n, np.int64)
            search_kernel(root_b, self._sim, sim_b, targets, actions, probe, n, False, hide_hand, horizon,
                          self._w, self._v, fast, np.zeros(n), probe_counts, self._scratch, self._scratch_bytes,
                          self.rollout_back, -1.0)
            per_playout = (time.perf_counter() - t0) / max(int(probe_counts.sum()), 1)
            left = self.time_limit - (time.perf_counter() - t0)
            budget = max(n, int(left / max(per_playout, 1e-7)))
        seeds = self.rng.integers(0, 2**63, size=max(budget, 1), dtype=np.uint64)
        best = search_kernel(root_b, self._sim, sim_b, targets, actions, seeds, budget, False, hide_hand,
                             horizon, self._w, self._v, fast, sums, counts, self._scratch, self._scratch_bytes,
                             self.rollout_back, self._anchor)
        return int(best), sums, counts, time.perf_counter() - t0

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        if self._state is None:
            raise RuntimeError("SearchAgent.reset(env) must be called at the start of each episode")
        return self.act_on_record(self._state[0], action_mask)

    def act_on_record(self, record: np.void, action_mask: np.ndarray) -> int:
        """The decision on game ``record`` (``env.unwrapped.state[0]``) under ``action_mask``.

        After a target switch the chosen triple is kept for the card decision that follows in the
        same turn, so successive calls should follow one game."""
        mask = np.asarray(action_mask).astype(np.bool_)
        legal = legal_actions(mask)
        self._root[:] = record_batch(record)
        s = self._root[0]
        phase = int(s["phase"])
        if phase == C.PHASE_CARDS:
            plan = self._plan
            self._plan = None
            if (plan is not None and plan[0] == int(s["turn"]) and plan[1] == int(s["target"])
                    and mask[plan[2]]):
                # no search ran: no visits of its own (the previous decision's would mislead a reader)
                self.last_info = {"planned": True, "target": int(s["target"])}
                return plan[2]
            targets, actions, prior = self._card_candidates(mask)
            hide_hand = False
        elif phase == C.PHASE_COMMAND:
            targets, actions, prior = self._command_candidates(mask)
            hide_hand = int(s["backs"]) == 0  # after a Back the hand has been seen
        else:
            self.last_info = {}
            return int(legal[0])
        if len(actions) == 0:
            self.last_info = {}
            return int(ATTACK if mask[ATTACK] else legal[0])
        if len(actions) == 1:
            best, sums, counts, dt = 0, np.zeros(1), np.zeros(1, np.int64), 0.0
        else:
            best, sums, counts, dt = self._run(targets, actions, hide_hand)
        e, a = int(targets[best]), int(actions[best])
        keys = [(int(t), int(x)) for t, x in zip(targets, actions)]
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        label = [x if t < 0 or t == int(s["target"]) else (target_action(t), x) for t, x in keys]
        self.last_info = {
            "scores": {lab: float(m) for lab, m, c in zip(label, means, counts) if c > 0},
            "visits": {lab: int(c) for lab, c in zip(label, counts)},
            "prior": {lab: float(p) for lab, p in zip(label, prior)},
            "playouts": int(counts.sum()),
            "seconds": dt,
        }
        if e >= 0 and e != int(s["target"]) and mask[target_action(e)]:
            self._plan = (int(s["turn"]), e, a)
            self.last_info["target"] = e
            return target_action(e)
        if not mask[a]:
            return int(legal[0])
        return a


__all__ = ["DEFAULT_VALUE", "SearchAgent", "determinize", "greedy_policy", "playout", "search_kernel"]


def _load_prior(spec: str):
    """The prior policy: a registered shipped policy ("generalist") or a saved policy's path."""
    from .. import registry

    agent = registry.resolve(str(spec))
    if not hasattr(agent, "scores") or getattr(agent, "head", None) != "logits":
        raise ValueError(f"prior {spec!r} is not a policy network with logits (a trained PPO or distilled agent)")
    return agent


def fast_search(**kwargs) -> SearchAgent:
    """The search agent at a small budget (32 playouts per decision; ``benchmarks/search_speed.py`` times it): for quick reports.

    Its anchor asks for 2 standard errors (``anchor_z=2.0``): at 32 playouts the paired evidence
    rests on a few playouts per candidate (docs/search.md)."""
    kwargs.setdefault("budget", 32)
    kwargs.setdefault("anchor_z", 2.0)
    return SearchAgent(**kwargs)
