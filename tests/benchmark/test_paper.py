"""agents.benchmark.paper: citable figures only, honest notes, the side-by-side table."""

from __future__ import annotations

import pytest

from agents.benchmark import paper


def test_published_entries_say_where_they_come_from_and_why_a_value_is_missing():
    for key, p in paper.PUBLISHED.items():
        assert p["quantity"] and p["claim"] and p["source"], key
        if p["value"] is None:
            assert p["why_none"], f"{key}: a missing value needs its reason"
    for key in ("multitask_final_return", "transfer_epochs_to_threshold", "frozen_penalty"):
        assert key in paper.PUBLISHED
    assert paper.PUBLISHED["review_parameters"]["value"] == {"paper_network": 13_000, "sufficient": 130}
    assert "ICLR 2020" in paper.SOURCES["paper"] and "carloderamo/shared" in paper.SOURCES["code"]
    assert len(paper.PROTOCOL["dqn_tasks"]) == 5


@pytest.mark.parametrize("which", ["transfer", "multitask"])
def test_comparison_note(which):
    note = paper.comparison_note(which)
    assert "D'Eramo" in note and len(note) > 300
    ours = {"frozen_penalty": -0.1, "multitask_final_return": "0.05 [-0.1, 0.2]"}
    with_ours = paper.comparison_note(which, ours)
    assert "| quantity |" in with_ours


def test_comparison_note_rejects_unknown_measures():
    with pytest.raises(ValueError, match="transfer, multitask"):
        paper.comparison_note("features")


def test_side_by_side():
    table = paper.side_by_side({"frozen_penalty": -0.123456})
    lines = table.splitlines()
    assert len(lines) == 3 and "-0.123" in lines[2] and "n/a (" in lines[2]
    assert len(paper.side_by_side({}).splitlines()) == 2 + len(paper.PUBLISHED)
    with pytest.raises(ValueError, match="unknown paper quantity"):
        paper.side_by_side({"nope": 1})
