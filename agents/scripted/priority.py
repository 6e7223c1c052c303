"""Priority-list agents in the style of the community auto-battle tools.

`PriorityAgent` is configured by a short spec string, like Fate-Grand-Automata's card priority
(``"WB>WA>WQ>B>A>Q>RB>RA>RQ"``) plus options; `PendragonAgent` is the preset of Project
Pendragon's rule: brave chain > colour chain > Arts > Buster > Quick.

Spec grammar
------------

Items are separated by spaces and/or ``;``; letters are case-insensitive::

    spec      := item { (" " | ";") item }
    item      := priority | option
    priority  := entry { ">" entry }          best first, e.g. WB>WA>WQ>B>A>Q>RB>RA>RQ
    entry     := [affinity] type
    affinity  := "W" (weak: class affinity > 1 against the target)
               | "N" (neutral: = 1)
               | "R" (resist: < 1)
               | nothing (any affinity not listed with its own entry)
    type      := "B" | "A" | "Q"              Buster, Arts, Quick
    option    := key "=" value
        brave  = first | off | avoid          prefer brave chains (3 actions of one servant),
                                              ignore them, or avoid them          (default first)
        chain  = colour | color | mighty | off  prefer same-colour (or Mighty) chains, after brave
                                                                                  (default off)
        np     = ready | last | waveN | off   fire ready NPs: always, only in the quest's last
                                              wave, from wave N on (N past the quest's last wave
                                              means the last), never           (default ready)
        skills = auto | off                   use skills on the command screen (see below) or
                                              never                            (default auto)

Each face card gets the rank of the entry naming its exact affinity and type, else of the entry
naming its type alone, else a rank after every listed entry (in the default order
``WB>WA>WQ>B>A>Q>RB>RA>RQ``). So ``"WB>WA>WQ>B>A>Q>RB>RA>RQ"`` is FGA's default, ``"A>B>Q"``
ranks by type only (Pendragon) and ``"WB>B>A>Q"`` puts weak Busters first, then any other
Buster. A bad token raises ``ValueError`` naming it.

Card screen
-----------

The NP cards to fire are every ready NP the ``np`` option allows (NP cards go first, in slot
order). The face cards are chosen among the legal triples by, in this order: brave preference
(``brave``), chain preference (``chain``, judged with the NP cards by their type), then the
ranks of the face cards sorted best first (lexicographically, lower is better), then the
leftmost cards. The chosen face cards are played best rank first, so ``"B>A>Q"`` opens with a
Buster (its first-card bonus lifts the whole chain). Weak/resist is the class affinity of the
card's servant against the current target (``constants.CLASS_AFFINITY``), what the card screen
shows as WEAK/RESIST.

Command screen
--------------

With ``skills=auto`` the agent uses the greedy agent's skill scorer
(`agents.scripted.greedy.command_scores`): NP-charge skills that bring an NP to 100 %, damage
buffs on servants whose NP will fire, defensive skills when HP is low or an enemy NP is due,
charge drain on full gauges; then Attack. On turns when the ``np`` option holds the NPs back,
skills that charge NP or raise damage are kept for the NP turn (only defensive and utility
skills are used). The agent never changes the target by itself except to aim a charge drain.

Like the greedy agent it reads the game record the env keeps (``env.unwrapped.state[0]``, or the
record given to `PriorityAgent.act_on_record`), only what a player sees: the hand on the card
screen, classes, NP gauges, the wave.
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

import numpy as np

from fgo_env.engine import constants as C
from fgo_env.engine.actions import (ATTACK, CARDS_ACTIONS, KIND_SKILL, N_ACTIONS, N_COMMAND_ACTIONS,
                                    TARGET_BASE, action_kind, card_owner, card_type, decode_master,
                                    decode_skill, np_card_front, np_card_slot, triple_action, triple_index)
from fgo_env.engine.state import record_batch

from ..base import JsonConfigAgent, legal_actions
from .greedy import DEFAULT_WEIGHTS, NO_SCORE, WEIGHT_NAMES, command_scores

TYPE_LETTERS = "ABQ"  # by type id
AFFINITIES = ("W", "N", "R")
DEFAULT_PRIORITY = "WB>WA>WQ>B>A>Q>RB>RA>RQ"
DEFAULT_ORDER = ("WB", "WA", "WQ", "NB", "NA", "NQ", "RB", "RA", "RQ")  # tie order of unlisted cards
OPTIONS = {
    "brave": ("first", "off", "avoid"),
    "chain": ("colour", "color", "mighty", "off"),
    "np": ("ready", "last", "waveN", "off"),
    "skills": ("auto", "off"),
}
DEFAULT_OPTIONS = {"brave": "first", "chain": "off", "np": "ready", "skills": "auto"}
PENDRAGON_SPEC = "A>B>Q brave=first chain=colour np=ready skills=auto"
_ENTRY = re.compile(r"^([WNR]?)([BAQ])$")
# Skill effects kept for the NP turn when the np option holds the NPs back.
_NP_TURN_KINDS = (C.NP_CHARGE, C.ATK_UP, C.ARTS_UP, C.BUSTER_UP, C.QUICK_UP, C.CRIT_DMG_UP, C.NP_DMG_UP)


class PrioritySpec:
    """A parsed priority spec: ``rank[affinity][type]`` and the options (see the module doc).

    Attributes:
        text: the spec as given.
        entries: the card-priority entries, best first (e.g. ``("WB", "B", "A")``).
        rank: (3, 3) int array, ``rank[a, t]`` for affinity a (0 weak, 1 neutral, 2 resist)
            and card type t (0 Arts, 1 Buster, 2 Quick); lower plays first.
        brave, chain, np, skills: option values; ``np_wave`` is N of ``np=waveN`` (1-based),
            0 for ``ready``, -1 for ``off``, 99 for ``last``.
    """

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise ValueError(f"priority spec must be a string, got {type(text).__name__}")
        self.text = text
        entries: list[str] | None = None
        options: dict[str, str] = {}
        for token in (t for t in re.split(r"[\s;]+", text.strip()) if t):
            if "=" in token:
                key, _, value = token.partition("=")
                k, v = key.strip().lower(), value.strip().lower()
                if k not in OPTIONS:
                    raise ValueError(f"bad priority spec {text!r}: unknown option {key!r} in token {token!r} "
                                     f"(options: {', '.join(OPTIONS)})")
                if k in options:
                    raise ValueError(f"bad priority spec {text!r}: option {key!r} given twice "
                                     f"(token {token!r})")
                if k == "np" and re.fullmatch(r"wave[1-9]\d*", v):
                    pass
                elif v not in OPTIONS[k]:
                    raise ValueError(f"bad priority spec {text!r}: bad value {value!r} for {k!r} "
                                     f"in token {token!r} "
                                     f"(expected one of {', '.join(OPTIONS[k])})")
                options[k] = v
                continue
            if entries is not None:
                raise ValueError(f"bad priority spec {text!r}: a second card priority {token!r} "
                                 f"(give one list joined by '>')")
            entries = []
            for part in token.split(">"):
                m = _ENTRY.match(part.strip().upper())
                if not m:
                    raise ValueError(f"bad priority spec {text!r}: bad card entry {part!r} in {token!r} "
                                     f"(expected [W|N|R] followed by B, A or Q, e.g. WB or A)")
                norm = m.group(1) + m.group(2)
                if norm in entries:
                    raise ValueError(f"bad priority spec {text!r}: card entry {part!r} listed twice "
                                     f"in {token!r}")
                entries.append(norm)
        self.entries = tuple(entries if entries is not None else DEFAULT_PRIORITY.split(">"))
        opts = {**DEFAULT_OPTIONS, **options}
        self.brave, self.chain = opts["brave"], opts["chain"]
        self.np, self.skills = opts["np"], opts["skills"]
        if self.chain == "color":
            self.chain = "colour"
        fixed = {"ready": 0, "off": -1, "last": 99}
        self.np_wave = fixed[self.np] if self.np in fixed else int(self.np[4:])
        self.rank = np.zeros((3, 3), np.int64)
        n = len(self.entries)
        for a, aff in enumerate(AFFINITIES):
            for t, letter in enumerate(TYPE_LETTERS):
                exact = aff + letter
                if exact in self.entries:
                    r = self.entries.index(exact)
                elif letter in self.entries:  # a bare type: any affinity without its own entry
                    r = self.entries.index(letter)
                else:
                    r = n + DEFAULT_ORDER.index(exact)
                self.rank[a, t] = r

    def __repr__(self) -> str:
        return f"PrioritySpec({self.text!r})"

    def canonical(self) -> str:
        """The spec with every option spelled out."""
        return (">".join(self.entries) + f" brave={self.brave} chain={self.chain} np={self.np} "
                f"skills={self.skills}")


def parse_spec(text: str) -> PrioritySpec:
    """Parse a priority spec (grammar in the module docstring); ``ValueError`` names a bad token."""
    return PrioritySpec(text)


def card_affinity(rec, card: int) -> int:
    """0 weak, 1 neutral, 2 resist: class affinity of ``card``'s servant against the target."""
    m = int(card_owner(card))
    t = int(rec["target"])
    aff = C.CLASS_AFFINITY[int(rec["m_cls"][m]), int(rec["w_cls"][int(rec["wave"]), t])]
    return 0 if aff > 1.0 else 2 if aff < 1.0 else 1


def nps_allowed(rec, np_wave: int) -> bool:
    """Whether the ``np`` option lets NPs fire in the current wave."""
    if np_wave < 0:
        return False
    wave, n_waves = int(rec["wave"]) + 1, int(rec["n_waves"])
    return wave >= min(np_wave, n_waves)


def choose_cards(rec, mask: np.ndarray, spec: PrioritySpec) -> tuple[int, dict]:
    """The card-screen action the spec asks for, and a small explanation dict."""
    fire = []
    if nps_allowed(rec, spec.np_wave):
        for j in range(C.N_FRONT):
            m = int(rec["front"][j])
            if m >= 0 and rec["alive"][m] and int(rec["np"][m]) >= C.NP_FULL:
                fire.append(np_card_slot(j))
    fire = fire[:3]
    hand = rec["hand"]
    info_cards = []
    for i in range(C.HAND):
        card = int(hand[i])
        a, t = card_affinity(rec, card), int(card_type(rec, card))
        info_cards.append((i, AFFINITIES[a] + TYPE_LETTERS[t], int(spec.rank[a, t])))
    best_key, best_triple = None, None
    for faces in combinations(range(C.HAND), 3 - len(fire)):
        ordered = sorted(faces, key=lambda i: (info_cards[i][2], i))
        slots = tuple(fire) + tuple(ordered)
        k = int(triple_index(*slots))
        if k < 0 or not mask[triple_action(k)]:
            continue
        owners, types = [], []
        for slot in slots:
            j = np_card_front(slot)
            if j < 0:
                card = int(hand[slot])
                owners.append(card_owner(card))
                types.append(int(card_type(rec, card)))
            else:
                m = int(rec["front"][j])
                owners.append(m)
                types.append(int(rec["m_np_card"][m]))
        brave = owners[0] == owners[1] == owners[2]
        colour = types[0] == types[1] == types[2]
        mighty = len(set(types)) == 3
        key = []
        if spec.brave == "first":
            key.append(0 if brave else 1)
        elif spec.brave == "avoid":
            key.append(1 if brave else 0)
        if spec.chain == "colour":
            key.append(0 if colour else 1)
        elif spec.chain == "mighty":
            key.append(0 if mighty else 1)
        key.extend(info_cards[i][2] for i in ordered)
        key.extend(ordered)
        if best_key is None or key < best_key:
            best_key, best_triple = key, slots
    if best_triple is None:  # the wanted NPs cannot be played (should not happen): any legal triple
        legal = triple_action(np.flatnonzero(mask[CARDS_ACTIONS]))
        return int(legal[0]), {"cards": info_cards, "fallback": True}
    return triple_action(int(triple_index(*best_triple))), {"cards": info_cards, "triple": best_triple}


def command_action(state: np.ndarray, mask: np.ndarray, weights: np.ndarray, skill_min: float,
                   np_turn: bool, out: np.ndarray) -> int:
    """The command-screen action of the priority agents: the greedy agent's skill scores, with
    NP-charge and damage skills held back unless ``np_turn``; Attack when no skill is wanted.

    ``state`` is the env's one-record array; ``out`` a float buffer of ``N_COMMAND_ACTIONS`` scores.
    """
    command_scores(state, mask, weights, out)
    rec = state[0]
    if not np_turn:
        for a in range(TARGET_BASE):  # servant and master skills
            if out[a] <= NO_SCORE / 2:
                continue
            if action_kind(a) == KIND_SKILL:
                slot, k, _ = decode_skill(a)
                m = int(rec["front"][slot])
                kinds = rec["m_eff_kind"][m, k]
            else:
                k, _ = decode_master(a)
                kinds = rec["mc_eff_kind"][k]
            if any(int(x) in _NP_TURN_KINDS for x in kinds):
                out[a] = NO_SCORE
    cand = np.flatnonzero((out > NO_SCORE / 2) & mask[:N_COMMAND_ACTIONS])
    if cand.size == 0:
        return ATTACK
    best = int(cand[np.argmax(out[cand])])
    if best != ATTACK and out[best] <= skill_min:
        best = ATTACK
    return best


class PriorityAgent(JsonConfigAgent):
    """Plays cards by a priority list and options (grammar in the module docstring).

    Args:
        spec: e.g. ``"WB>WA>WQ>B>A>Q>RB>RA>RQ brave=first np=ready"`` (the default).
    """

    name = "priority"
    default_spec = DEFAULT_PRIORITY + " brave=first np=ready"

    def __init__(self, spec: str | None = None):
        self.spec = parse_spec(self.default_spec if spec is None else spec)
        self._w = np.array([DEFAULT_WEIGHTS[k] for k in WEIGHT_NAMES], np.float64)
        self._cmd = np.empty(N_COMMAND_ACTIONS, np.float64)
        self._state = None
        self.last_info: dict = {}

    def config(self) -> dict:
        return {"spec": self.spec.text}

    def reset(self, env: Any) -> None:
        self._state = env.unwrapped.state
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        if self._state is None:
            raise RuntimeError(f"{type(self).__name__}.reset(env) must be called at the start of each "
                               "episode")
        return self.act_on_record(self._state[0], action_mask)

    def act_on_record(self, record: np.void, action_mask: np.ndarray) -> int:
        """The decision on game ``record`` (``env.unwrapped.state[0]``) under ``action_mask``."""
        mask = np.asarray(action_mask).astype(np.bool_)
        legal = legal_actions(mask)
        phase = int(record["phase"])
        if phase == C.PHASE_COMMAND:
            if self.spec.skills == "off" or not mask[ATTACK]:
                action = ATTACK
            else:
                action = command_action(record_batch(record), mask, self._w, DEFAULT_WEIGHTS["skill_min"],
                                        nps_allowed(record, self.spec.np_wave), self._cmd)
            self.last_info = {"np_turn": nps_allowed(record, self.spec.np_wave)}
        elif phase == C.PHASE_CARDS:
            action, self.last_info = choose_cards(record, mask, self.spec)
        else:
            action = int(legal[0])
        if not (0 <= action < N_ACTIONS) or not mask[action]:
            action = int(ATTACK if mask[ATTACK] else legal[0])
        return int(action)


class PendragonAgent(PriorityAgent):
    """Project Pendragon's rule: brave chain > colour chain > Arts > Buster > Quick.

    A preset of `PriorityAgent` (``spec = PENDRAGON_SPEC``: ``"A>B>Q brave=first chain=colour
    np=ready skills=auto"``); another spec may be given to vary it.
    """

    name = "pendragon"
    default_spec = PENDRAGON_SPEC


__all__ = ["PENDRAGON_SPEC", "PendragonAgent", "PriorityAgent", "PrioritySpec", "choose_cards",
           "command_action", "parse_spec"]
