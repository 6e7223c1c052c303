"""Card groups and owners of a hand from hand-made head probabilities (`feature_models.grouping`)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from feature_models.grouping import (NONE, PAIRS, PARTITIONS, SAME, best_partition, decode_hand, pair_matrix)


def _pairs_for(groups, p_hit: float = 0.9) -> np.ndarray:
    """Pair probabilities that agree with ``groups`` at ``p_hit``."""
    return np.array([p_hit if groups[i] == groups[j] else 1 - p_hit for i, j in PAIRS])


def _owner_probs(labels, p_hit: float = 0.9) -> np.ndarray:
    """(5, 4) card_owner probabilities putting ``p_hit`` on each card's label (slot or NONE)."""
    q = np.full((5, 4), (1 - p_hit) / 3)
    q[np.arange(5), labels] = p_hit
    return q


def test_partitions_are_every_grouping_into_at_most_three() -> None:
    # Stirling numbers S(5,1) + S(5,2) + S(5,3) = 1 + 15 + 25
    assert PARTITIONS.shape == (41, 5) and len({tuple(p) for p in PARTITIONS}) == 41
    for p in PARTITIONS:  # numbered in order of first appearance, at most 3 groups
        assert p[0] == 0 and max(p) <= 2
        assert all(p[k] <= max(p[:k]) + 1 for k in range(1, 5))
    assert PAIRS.shape == (10, 2) and SAME.shape == (41, 10)
    assert PARTITIONS[0].tolist() == [0] * 5 and SAME[0].all()


def test_best_partition_recovers_every_hand() -> None:
    for groups in PARTITIONS.tolist():
        got, post = best_partition(_pairs_for(groups))
        assert got == groups and 0.5 < post <= 1.0
        assert best_partition(pair_matrix(_pairs_for(groups)))[0] == groups  # 5x5 matrix form


def test_inconsistent_pairs_become_a_consistent_partition() -> None:
    # a~b, b~c but a!~c (intransitive): the best partition is transitive whatever it is
    p = _pairs_for([0, 1, 2, 1, 2], 0.95)
    m = pair_matrix(p)
    m[0, 1] = m[1, 0] = 0.8
    m[1, 2] = m[2, 1] = 0.8
    m[0, 2] = m[2, 0] = 0.1
    groups, post = best_partition(m)
    for i, j, k in itertools.permutations(range(5), 3):
        if groups[i] == groups[j] and groups[j] == groups[k]:
            assert groups[i] == groups[k]
    assert post < 0.9  # the conflict lowers the confidence
    # five cards of five different servants are impossible (3 front slots): at most 3 groups
    assert max(best_partition(np.full(10, 0.01))[0]) == 2


def test_classic_all_np_cards_shown_every_owner_known() -> None:
    owners = [2, 0, 2, 1, 1]
    hand = decode_hand(_pairs_for(owners), _owner_probs(owners))
    assert hand.owners == owners and hand.owners_known == [True] * 5
    assert hand.groups == [0, 1, 0, 2, 2] and hand.brave_chain is None
    assert set(hand.confidence) == {"card_groups", "card_owner", "same_owner"}
    assert all(0.5 < v <= 1 for v in hand.confidence.values())


def test_real_only_ready_np_card_names_its_group_others_by_elimination() -> None:
    # servant in slot 2 holds cards 0, 3, 4 (a brave chain); only slot 2's NP is ready (shown);
    # cards 1 and 2 belong to slot 1, whose NP card is not shown
    owners = [2, 1, 1, 2, 2]
    labels = [2, NONE, NONE, 2, 2]
    hand = decode_hand(_pairs_for(owners), _owner_probs(labels), ready=[False, False, True])
    assert hand.groups == [0, 1, 1, 0, 0] and hand.brave_chain == (0, 3, 4)
    assert hand.owners_known == [True, False, False, True, True]
    assert hand.owners[0] == hand.owners[3] == hand.owners[4] == 2
    assert hand.owners[1] == hand.owners[2] in (0, 1)
    # a ready slot no card matched is not given to an unnamed group
    hand = decode_hand(_pairs_for([0, 0, 1, 1, 1]), _owner_probs([NONE] * 5), ready=[True, False, False])
    assert set(hand.owners) == {1, 2} and hand.owners_known == [False] * 5
    assert hand.brave_chain == (2, 3, 4)


def test_pair_and_owner_evidence_combine() -> None:
    # the pair head is unsure about card 4, the owner head is sure it matches slot 0 like card 0
    owners = [0, 1, 1, 2, 0]
    p = _pairs_for(owners, 0.95)
    m = pair_matrix(p)
    m[0, 4] = m[4, 0] = 0.45
    hand = decode_hand(m, _owner_probs(owners, 0.98))
    assert hand.owners == owners and hand.groups == [0, 1, 1, 2, 0]
    # two cards matched to the same slot are one group even if the pair head says otherwise
    m[0, 4] = m[4, 0] = 0.2
    assert decode_hand(m, _owner_probs(owners, 0.99)).groups == [0, 1, 1, 2, 0]


def test_old_heads_and_missing_heads() -> None:
    owners = [1, 1, 0, 2, 1]
    q3 = _owner_probs(owners)[:, :3]
    q3 /= q3.sum(1, keepdims=True)
    hand = decode_hand(None, q3)  # weights without same_owner and with a 3-class card_owner
    assert hand.owners == owners and all(hand.owners_known) and "same_owner" not in hand.confidence
    assert hand.brave_chain == (0, 1, 4)
    hand = decode_hand(_pairs_for(owners), None)  # pair head only: groups, slots by elimination
    assert hand.groups == [0, 0, 1, 2, 0] and not any(hand.owners_known)
    assert len(set(hand.owners)) == 3 and "card_owner" not in hand.confidence
    with pytest.raises(ValueError):
        decode_hand(None, None)
    with pytest.raises(ValueError, match="10 pairs"):
        decode_hand(np.zeros(7), None)
    with pytest.raises(ValueError, match="card-owner"):
        decode_hand(None, np.zeros((5, 2)))


def test_groups_and_owners_always_agree() -> None:
    """Whatever the probabilities: equal groups <=> equal slots; matched groups keep their slot."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        p = rng.uniform(0, 1, 10)
        q = rng.dirichlet(np.ones(4), 5)
        ready = rng.integers(0, 2, 3).astype(bool)
        hand = decode_hand(p, q, ready)
        for i, j in itertools.combinations(range(5), 2):
            assert (hand.groups[i] == hand.groups[j]) == (hand.owners[i] == hand.owners[j])
        for i in range(5):
            assert hand.owners_known[i] == (hand.labels[i] != NONE)
            if hand.owners_known[i]:
                assert hand.owners[i] == hand.labels[i]
        assert all(0 < v <= 1 for v in hand.confidence.values())
