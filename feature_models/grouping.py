"""Card owners of one hand from the heads' probabilities: same-servant groups and their slots.

The real card screen shows which face cards share a servant (their art) but names a servant's
front slot only through its NP card, which the game shows only when that NP is ready. Two heads
read what is there (`feature_models.tasks`):

* ``same_owner``: for each of the 10 pairs i < j of the 5 face cards, P(same servant);
* ``card_owner``: for each card, P(slot 0), P(slot 1), P(slot 2), P(none): which shown NP card
  matches it ("none": its servant's NP card is not shown). Older weights have no "none".

`decode_hand` picks the most probable consistent reading of the whole hand: a partition of the
5 cards into at most 3 groups (a front line has 3 servants) and a label per group, a slot (from a
matching NP card; two groups never share a slot) or "none". Its score is the sum of the
log-probabilities of every pair relation and of every card's label, so the 10 pair answers and
the 5 owner answers are made consistent (no "a~b, b~c but not a~c"). For 5 cards that is 41
partitions and 1,049 labelled readings, scored at once with two small matrix products. The
posterior (softmax of the scores) gives the confidences.

Groups labelled "none" get their slots by elimination: the slots no group was matched to and
whose NP card is not seen ready (a ready, shown NP card that matched no card belongs to a servant
with no card in the hand), in slot order; their ``owners_known`` is False.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

N_CARDS = 5
N_SLOTS = 3
NONE = N_SLOTS  # the "none" label of a group / the card_owner class index
PAIRS: np.ndarray = np.array(list(itertools.combinations(range(N_CARDS), 2)), np.int64)  # (10, 2)
_EPS = 1e-6


def _partitions(n: int = N_CARDS, max_groups: int = N_SLOTS) -> np.ndarray:
    """Every partition of ``n`` items into at most ``max_groups`` groups, as labels numbered in
    order of first appearance (restricted growth strings): (P, n)."""
    out: list[tuple[int, ...]] = []

    def grow(prefix: tuple[int, ...], top: int) -> None:
        if len(prefix) == n:
            out.append(prefix)
            return
        for g in range(min(top + 2, max_groups)):
            grow(prefix + (g,), max(top, g))

    grow((0,), 0)
    return np.array(out, np.int64)


def _readings(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (partition, group labelling) pair: partition index (C,) and per-card label (C, 5) in
    0..2 (slot) or ``NONE``; groups labelled with slots have distinct slots."""
    part_idx, labels = [], []
    for p, groups in enumerate(parts):
        n_groups = int(groups.max()) + 1
        for lab in itertools.product(range(N_SLOTS + 1), repeat=n_groups):
            slots = [x for x in lab if x != NONE]
            if len(slots) != len(set(slots)):
                continue
            part_idx.append(p)
            labels.append([lab[g] for g in groups])
    return np.array(part_idx, np.int64), np.array(labels, np.int64)


PARTITIONS: np.ndarray = _partitions()  # (41, 5)
SAME: np.ndarray = (PARTITIONS[:, PAIRS[:, 0]] == PARTITIONS[:, PAIRS[:, 1]])  # (41, 10) bool
READING_PART, READING_LABELS = _readings(PARTITIONS)  # (1049,), (1049, 5)
_ONEHOT = np.eye(N_SLOTS + 1, dtype=np.float64)[READING_LABELS]  # (1049, 5, 4)


@dataclass
class HandRead:
    """The decoded hand.

    Attributes:
        groups: group label per card (0, 1, 2 in order of first appearance).
        owners: front slot per card (matched, or by elimination).
        owners_known: whether each card's slot was read from a matching NP card.
        labels: per card, the matched slot or ``NONE``.
        confidence: ``card_groups`` (posterior of the chosen partition), ``card_owner`` (smallest
            per-card posterior of the chosen label), ``same_owner`` (smallest head probability
            of the chosen relation over the 10 pairs; absent without pair probabilities).
    """

    groups: list[int]
    owners: list[int]
    owners_known: list[bool]
    labels: list[int]
    confidence: dict[str, float] = field(default_factory=dict)

    @property
    def brave_chain(self) -> tuple[int, ...] | None:
        """Indices of the cards of a servant with 3 or more cards, or None."""
        for g in range(N_SLOTS):
            idx = tuple(i for i, x in enumerate(self.groups) if x == g)
            if len(idx) >= 3:
                return idx
        return None


def pair_matrix(p_pairs) -> np.ndarray:
    """The 10 pair probabilities (in `PAIRS` order) as a symmetric 5×5 matrix (diagonal 1)."""
    m = np.eye(N_CARDS)
    p = np.asarray(p_pairs, np.float64)
    m[PAIRS[:, 0], PAIRS[:, 1]] = p
    m[PAIRS[:, 1], PAIRS[:, 0]] = p
    return m


def _pairs_of(p_same) -> np.ndarray:
    p = np.asarray(p_same, np.float64)
    if p.shape == (N_CARDS, N_CARDS):
        p = p[PAIRS[:, 0], PAIRS[:, 1]]
    if p.shape != (len(PAIRS),):
        raise ValueError(f"same-owner probabilities: expected 10 pairs or a 5x5 matrix, got {p.shape}")
    return p


def best_partition(p_same) -> tuple[list[int], float]:
    """The partition into at most 3 groups that maximises the summed log-probabilities of the
    10 pair relations, and its posterior probability (among the 41 partitions)."""
    p = np.clip(_pairs_of(p_same), _EPS, 1 - _EPS)
    scores = SAME @ np.log(p) + (~SAME) @ np.log1p(-p)
    post = np.exp(scores - scores.max())
    post /= post.sum()
    k = int(np.argmax(scores))
    return PARTITIONS[k].tolist(), float(post[k])


def decode_hand(p_same=None, p_owner=None, ready=None) -> HandRead:
    """The most probable consistent reading of a hand (see the module docstring).

    Args:
        p_same: P(same servant) of the 10 pairs (`PAIRS` order) or a 5×5 matrix; None: no pair
            head (the owner head alone decides).
        p_owner: (5, 4) card_owner probabilities (slot0..2, none), or (5, 3) from older weights
            without "none" (every card then matches a slot); None: no owner head (every group
            "none", slots by elimination).
        ready: (3,) whether each slot's NP card is seen ready (shown); a group labelled "none" is
            not given such a slot by elimination. None: no NP information.
    """
    if p_same is None and p_owner is None:
        raise ValueError("decode_hand needs same-owner or card-owner probabilities")
    score_part = np.zeros(len(PARTITIONS))
    if p_same is not None:
        p = np.clip(_pairs_of(p_same), _EPS, 1 - _EPS)
        score_part = SAME @ np.log(p) + (~SAME) @ np.log1p(-p)
    scores = score_part[READING_PART].copy()
    if p_owner is not None:
        q = np.asarray(p_owner, np.float64)
        if q.shape == (N_CARDS, N_SLOTS):  # older weights: no "none" class
            q = np.concatenate([q, np.zeros((N_CARDS, 1))], axis=1)
        if q.shape != (N_CARDS, N_SLOTS + 1):
            raise ValueError(f"card-owner probabilities: expected (5, 3) or (5, 4), got {q.shape}")
        logq = np.log(np.clip(q, 1e-12, 1.0))
        logq[q <= 0] = -1e9
        scores += np.einsum("cik,ik->c", _ONEHOT, logq)
    else:  # no owner head: every group is "none"
        scores[(READING_LABELS != NONE).any(axis=1)] = -np.inf
    post = np.exp(scores - scores.max())
    post /= post.sum()
    best = int(np.argmax(scores))
    groups = PARTITIONS[READING_PART[best]].tolist()
    labels = READING_LABELS[best].tolist()
    conf: dict[str, float] = {"card_groups": float(post[READING_PART == READING_PART[best]].sum())}
    if p_owner is not None:
        per_card = [(post * (READING_LABELS[:, i] == labels[i])).sum() for i in range(N_CARDS)]
        conf["card_owner"] = float(min(per_card))
    if p_same is not None:
        same = SAME[READING_PART[best]]
        p = _pairs_of(p_same)
        conf["same_owner"] = float(np.where(same, p, 1 - p).min())
    owners, known = _owners(groups, labels, ready)
    return HandRead(groups, owners, known, labels, conf)


def _owners(groups: list[int], labels: list[int], ready) -> tuple[list[int], list[bool]]:
    """Slots of the groups: matched ones as read; "none" groups by elimination (slots unused by a
    match and not seen ready, in slot order; then any unused slot)."""
    n_groups = max(groups) + 1
    slot_of = {g: labels[groups.index(g)] for g in range(n_groups)}
    used = {s for s in slot_of.values() if s != NONE}
    ready = [False] * N_SLOTS if ready is None else [bool(r) for r in ready]
    free = [s for s in range(N_SLOTS) if s not in used and not ready[s]]
    free += [s for s in range(N_SLOTS) if s not in used and s not in free]
    for g in range(n_groups):
        if slot_of[g] == NONE:
            slot_of[g] = free.pop(0) if free else 0
    owners = [int(slot_of[g]) for g in groups]
    known = [lab != NONE for lab in labels]
    return owners, known


__all__ = ["HandRead", "NONE", "PAIRS", "PARTITIONS", "SAME", "best_partition", "decode_hand", "pair_matrix"]
