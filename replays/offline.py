"""Offline evaluation of a policy on recorded episodes: how would it have played these games?

Two measures, both from exact re-simulation of the recordings (`replays.resim`):

- `agreement`: the policy is asked at every recorded decision (the game re-simulated up to it)
  and compared with what was played there: masked top-1 and top-3 accuracy and, for policies
  that report probabilities, the log-likelihood of the recorded action; per decision kind
  (`decision_kind`: skills, master skills, targets, Attack, cards, NP, Back, seals, Order Change).
- `counterfactual`: from recorded states (turn starts), the policy plays on to the end ``K``
  times, each with the hidden randomness re-drawn (future deals, rolls, enemy choices), and its
  win rate and turns are set against the recorded continuation of the same state.

A policy is a callable ``(observation, mask) -> (action, info)`` (`agents.base.as_policy`
makes one from an agent). When it also has ``reset(env)``, that is called each time it starts
acting in an env (a restored or re-drawn state): agents that read the game record bind to the
env there. ``info`` may rank the actions: ``"probs"``, ``"scores"`` or ``"q"`` (a mapping
``{action: value}`` or a vector over the 392 actions); ``"probs"`` also gives the likelihood.

This module gives the raw per-decision and per-state results; confidence intervals and the
report are the agents layer's (`agents.experiments.offline`, ``fgo eval --offline``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fgo_env.engine import actions as A

from .format import Episode, Header, first_action
from .resim import check_exact, restore_with_obs

Policy = Callable[[np.ndarray, np.ndarray], tuple[int, dict]]

# Decision kinds, by the recorded action (cards that include an NP card count as "np").
KINDS = ("skill", "master", "target", "attack", "cards", "np", "back", "seal", "order", "invalid")
_KIND_NAMES = {A.KIND_SKILL: "skill", A.KIND_MASTER: "master", A.KIND_TARGET: "target", A.KIND_ATTACK: "attack",
               A.KIND_BACK: "back", A.KIND_SEAL: "seal", A.KIND_ORDER: "order", A.KIND_INVALID: "invalid"}
RANKING_KEYS = ("probs", "scores", "q")  # info keys that rank actions, most informative first
MIN_PROB = 1e-12  # a listed probability of 0 counts as this (a finite log-likelihood)
MAX_DECISIONS = 100_000  # a rollout that takes more decisions than this is cut (a stuck policy)


def decision_kind(action: int) -> str:
    """What ``action`` does, one of `KINDS`."""
    kind = A.action_kind(int(action))
    if kind == A.KIND_CARDS:
        return "np" if max(A.card_slots(int(action))) >= A.C.HAND else "cards"
    return _KIND_NAMES[kind]


def _bind(policy: Policy, env) -> None:
    reset = getattr(policy, "reset", None)
    if callable(reset):
        reset(env)


def _ranked_values(info: dict | None) -> tuple[str, dict[int, float]] | None:
    """The first ranking of ``info`` (`RANKING_KEYS`) as ``(key, {action: value})``, or None;
    several entries starting with the same action keep the best value."""
    for key in RANKING_KEYS:
        value = (info or {}).get(key)
        if isinstance(value, (list, np.ndarray)) and len(value) == A.N_ACTIONS:
            return key, dict(enumerate(np.asarray(value, np.float64).tolist()))
        if isinstance(value, dict) and value:
            out: dict[int, float] = {}
            for k, v in value.items():
                a = first_action(k)
                if a is not None and isinstance(v, (int, float)) and not math.isnan(v):
                    out[a] = max(out.get(a, -math.inf), float(v))
            if out:
                return key, out
    return None


def _judge(chosen: int, info: dict | None, mask: np.ndarray, recorded: int) -> tuple[bool, bool, bool, float]:
    """(top-1 hit, top-3 hit, ranked, log-likelihood) of one decision. The top 3 are the chosen
    action then the best legal others of the policy's ranking (just the chosen one without a
    ranking). The log-likelihood needs ``probs`` listing the recorded action, or listing every
    action with mass (then an unlisted one has probability 0); else it is NaN."""
    ranking = _ranked_values(info)
    top = [chosen]
    loglik = math.nan
    if ranking is not None:
        key, values = ranking
        others = sorted((a for a in values if a != chosen and 0 <= a < A.N_ACTIONS and mask[a]),
                        key=lambda a: -values[a])
        top += others[:2]
        if key == "probs":
            if recorded in values:
                loglik = math.log(max(values[recorded], MIN_PROB))
            elif math.fsum(values.values()) >= 1 - 1e-6:
                loglik = math.log(MIN_PROB)
    return chosen == recorded, recorded in top, ranking is not None, loglik


@dataclass
class Agreement:
    """Per recorded decision: whose (``episode``, ``t``), its ``kind`` (of the recorded action),
    ``legal`` (how many actions the mask allowed), ``top1`` / ``top3`` hits, ``ranked`` (the
    policy ranked the actions) and ``loglik`` (NaN where unknown)."""

    episode: list[int] = field(default_factory=list)
    t: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    legal: list[int] = field(default_factory=list)
    top1: list[bool] = field(default_factory=list)
    top3: list[bool] = field(default_factory=list)
    ranked: list[bool] = field(default_factory=list)
    loglik: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.t)

    def table(self, forced: bool = False) -> list[dict]:
        """One row per decision kind that occurs, then ``"all"``: ``decisions``, ``forced``
        (decisions with a single legal action, left out of the rates unless ``forced``),
        ``top1``, ``top3``, ``chance`` (the top-1 of a uniformly random choice: the mean of 1 /
        legal actions), ``ranked`` (share ranked), ``loglik`` (mean over the decisions that
        have one; NaN if none) and ``loglik_decisions``."""
        kinds = np.array(self.kind, dtype=object)
        choice = np.array(self.legal, np.int64) > 1
        rows = []
        for kind in [k for k in KINDS if k in set(self.kind)] + ["all"]:
            of_kind = np.ones(len(kinds), bool) if kind == "all" else kinds == kind
            rows.append(self._row(kind, of_kind if forced else of_kind & choice, int((of_kind & ~choice).sum())))
        return rows

    def _row(self, kind: str, sel: np.ndarray, forced: int) -> dict:
        n = int(sel.sum())
        ll = np.array(self.loglik, np.float64)[sel]
        ll = ll[~np.isnan(ll)]

        def rate(values) -> float:
            return float(np.mean(np.array(values, bool)[sel])) if n else math.nan

        chance = float(np.mean(1.0 / np.maximum(np.array(self.legal, np.float64)[sel], 1))) if n else math.nan
        return {"kind": kind, "decisions": n, "forced": forced, "top1": rate(self.top1), "top3": rate(self.top3),
                "chance": chance,
                "ranked": rate(self.ranked), "loglik": float(ll.mean()) if ll.size else math.nan,
                "loglik_decisions": int(ll.size)}


def ask(policy: Policy, obs, mask: np.ndarray) -> tuple[int, dict | None]:
    """``policy``'s (action, info) at one decision; a one-line TypeError for any other answer."""
    answer = policy(obs, mask)
    if not (isinstance(answer, tuple) and len(answer) == 2) or isinstance(answer[0], bool) \
            or not isinstance(answer[0], (int, np.integer)) or not (answer[1] is None or isinstance(answer[1], dict)):
        raise TypeError(f"a policy returns (action, info): an action id and a dict or None, got {answer!r:.80}")
    return int(answer[0]), answer[1]


def agreement(header: Header, episodes: Iterable[Episode], policy: Policy, *,
              progress: Callable[[int], None] | None = None, **env_kwargs: Any) -> Agreement:
    """Ask ``policy`` at every decision of ``episodes`` (played under ``header``) what it would
    play there, the game re-simulated through the recorded actions (`replays.resim.restore`;
    the policy is re-bound with ``reset(env)`` after each decision where it would have played
    otherwise, so a plan it made for its own choice is dropped);
    ``env_kwargs`` go to the `FGOEnv` (``obs_mode`` of a learned policy). ``progress(n)`` after
    each episode with its number of decisions. `ReplayError` if the replay cannot be re-simulated
    exactly (`replays.resim.check_exact`)."""
    check_exact(header, "the replay")
    out = Agreement()
    for ep in episodes:
        env, obs, info = restore_with_obs(header, ep, 0, **env_kwargs)
        _bind(policy, env)
        for t, recorded in enumerate(ep.actions):
            mask = np.asarray(info["action_mask"]).astype(bool)
            chosen, agent_info = ask(policy, obs, mask)
            top1, top3, ranked, loglik = _judge(int(chosen), agent_info, mask, int(recorded))
            for name, value in (("episode", ep.episode), ("t", t), ("kind", decision_kind(recorded)),
                                ("legal", int(mask.sum())), ("top1", top1), ("top3", top3), ("ranked", ranked),
                                ("loglik", loglik)):
                getattr(out, name).append(value)
            obs, _, _, _, info = env.step(int(recorded))
            if int(chosen) != int(recorded):  # the game left the policy's line: what it planned no longer holds
                _bind(policy, env)
        env.close()
        if progress is not None:
            progress(len(ep.actions))
    return out


# ---------------------------------------------------------------------------------- rollouts

def reseed(state: np.ndarray, seed: int) -> None:
    """Re-draw the hidden future of game record ``state`` (a batch of one) in place: a fresh game
    seed changes every later random draw (reshuffles, star drops, crits, damage rolls, enemy
    targets and cards). The undealt cards of the current deck cycle keep their recorded order;
    `agents.search.planner.redraw_hidden` re-shuffles those too (what ``fgo eval --offline``
    uses)."""
    state["seed"] = np.uint64(seed)


def turn_starts(episode: Episode) -> list[int]:
    """The decisions that start a turn (0 and the one after each resolved turn), before the end."""
    starts = [0] + [int(s["step"]) + 1 for s in episode.summaries if "step" in s]
    return sorted({t for t in starts if t < len(episode.actions)})


def pick_states(episode: Episode, states: int) -> list[int]:
    """The starts of the first ``states`` turns of ``episode``. Which states are taken depends on
    the game before them only: choosing by what came after (e.g. spreading the states over the
    episode's length, which always takes its last turn) would select on the recorded outcome and
    bias the comparison (a policy on its own games would then differ from itself)."""
    return turn_starts(episode)[:states]


@dataclass
class Rollouts:
    """Per recorded state (``episode``, decision ``t``, ``turn``): the recorded continuation
    (``recorded_win``, ``recorded_turns``) and the policy's ``K`` rollouts from it (``wins``
    and ``turns``, shape (states, K))."""

    episode: list[int] = field(default_factory=list)
    t: list[int] = field(default_factory=list)
    turn: list[int] = field(default_factory=list)
    recorded_win: list[bool] = field(default_factory=list)
    recorded_turns: list[int] = field(default_factory=list)
    wins: list[list[bool]] = field(default_factory=list)
    turns: list[list[int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.t)

    def differences(self) -> dict[str, np.ndarray]:
        """Per state, the policy's mean over its rollouts minus the recorded continuation:
        ``win_rate`` (a share, -1..1) and ``turns`` (turns played to the end, any outcome)."""
        wins, turns = _matrix(self.wins), _matrix(self.turns)
        return {"win_rate": wins.mean(axis=1) - np.array(self.recorded_win, np.float64),
                "turns": turns.mean(axis=1) - np.array(self.recorded_turns, np.float64)}

    def per_episode(self) -> dict[str, np.ndarray]:
        """`differences` summed over each episode's states, with ``states`` (how many): the
        episodes are the independent units (states of one game are not), what a bootstrap
        resamples; the pooled mean is ``sum / sum(states)``. Also ``recorded_win_rate`` and
        ``win_rate_policy`` (the recorded and the policy's wins from each state), summed."""
        ids = np.array(self.episode)
        order = list(dict.fromkeys(self.episode))
        per_state = {**self.differences(), "recorded_win_rate": np.array(self.recorded_win, np.float64),
                     "win_rate_policy": _matrix(self.wins).mean(axis=1),
                     "states": np.ones(len(ids))}
        return {k: np.array([v[ids == e].sum() for e in order]) for k, v in per_state.items()}


def _matrix(rows: list[list]) -> np.ndarray:
    """Per-state lists of K results as a (states, K) array, (0, 1) when there is no state."""
    return np.array(rows, np.float64) if rows else np.zeros((0, 1))


def _play_out(env, obs, info, policy: Policy, max_decisions: int) -> tuple[bool, int]:
    _bind(policy, env)
    for _ in range(max_decisions):
        action, _ = ask(policy, obs, np.asarray(info["action_mask"]).astype(bool))
        obs, _, terminated, truncated, info = env.step(int(action))
        if terminated or truncated:
            break
    return info["outcome"] == "win", int(env.unwrapped.state[0]["turns_played"])


def rollout_seeds(seed: int, episode: Episode, t: int, k: int) -> np.ndarray:
    """The fresh game seeds of the ``k`` rollouts from decision ``t`` of ``episode``: a function
    of (seed, game, t) only, so two policies are played out on the same re-draws (paired)."""
    return np.random.default_rng([int(seed), int(episode.game_seed), int(t)]).integers(0, 2**63, k, dtype=np.uint64)


def counterfactual(header: Header, episodes: Iterable[Episode], policy: Policy, *, rollouts: int = 8,
                   states: int = 4, seed: int = 0,
                   redraw: Callable[[np.ndarray, int], None] | None = reseed,
                   max_decisions: int = MAX_DECISIONS, progress: Callable[[int], None] | None = None,
                   **env_kwargs: Any) -> Rollouts:
    """Let ``policy`` play on from recorded states of ``episodes`` (played under ``header``).

    Args:
        rollouts: ``K``, rollouts per state.
        states: states per episode (`pick_states`: the starts of its first ``states`` turns).
        seed: seeds the re-draws (`rollout_seeds`).
        redraw: ``redraw(state, seed)`` re-draws, in place, what a player cannot know of a copy
            of the record at the state (`reseed` by default). None keeps the recorded randomness:
            a deterministic policy then plays each state once (``K`` identical rollouts), and on
            its own recordings repeats them exactly (a check of the machinery).
        max_decisions: a rollout is cut after this many decisions (a policy stuck in a loop).
        progress: called after each state with its number of rollouts.
        env_kwargs: for the `FGOEnv` (``obs_mode`` of a learned policy).
    """
    for name, value in (("rollouts", rollouts), ("states", states)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    check_exact(header, "the replay")
    out = Rollouts()
    for ep in episodes:
        env = None
        for t in pick_states(ep, states):
            env, obs, info = restore_with_obs(header, ep, t, **env_kwargs)
            root = env.unwrapped.state.copy()
            wins, turns = [], []
            for k, fresh in enumerate(rollout_seeds(seed, ep, t, rollouts)):
                if k and redraw is None:  # the same game again: the same result for a deterministic policy
                    obs, info = env.unwrapped.set_state(root)
                elif redraw is not None:
                    state = root.copy()
                    redraw(state, int(fresh))
                    obs, info = env.unwrapped.set_state(state)
                won, played = _play_out(env, obs, info, policy, max_decisions)
                wins.append(won)
                turns.append(played)
            for name, value in (("episode", ep.episode), ("t", t), ("turn", int(root[0]["turn"])),
                                ("recorded_win", ep.outcome == "win"), ("recorded_turns", int(ep.turns)),
                                ("wins", wins), ("turns", turns)):
                getattr(out, name).append(value)
            env.close()
            if progress is not None:
                progress(rollouts)
    return out


__all__ = ["KINDS", "Agreement", "Policy", "Rollouts", "agreement", "counterfactual", "decision_kind",
           "pick_states", "reseed", "rollout_seeds", "turn_starts"]
