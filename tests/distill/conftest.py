"""A small dataset of the search agent's games, recorded once per test session."""

from __future__ import annotations

import pytest

QUEST = "farming_3wave"  # random wins about a third, search nearly all: room to show learning


@pytest.fixture(scope="session")
def search_games(tmp_path_factory):
    from agents.distill.record import record_games

    out = tmp_path_factory.mktemp("distill") / "games"
    record_games([QUEST], 40, out, agent="search_fast", workers=1, block=20)
    return out
