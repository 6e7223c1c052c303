"""``fgo watch`` / ``fgo record`` / ``fgo play`` through the command line (headless)."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported

import json

import pytest
from PIL import Image

from agents.base import as_policy as agent_policy
from agents.cli.main import build_parser, main
from agents.errors import NotAnAgentError, UnknownAgentError
from agents.registry import resolve as load_agent


def test_subcommands_are_available() -> None:
    parser = build_parser()
    for argv in (["watch", "--agent", "greedy"], ["play"], ["record", "--out", "x.gif"]):
        args = parser.parse_args(argv)
        assert not getattr(args, "_unavailable", None), args._unavailable


def test_load_agent_by_name_and_by_path(tmp_path) -> None:
    agent = load_agent("greedy")
    assert agent.name == "greedy"
    path = tmp_path / "greedy.json"
    agent.save(path)
    again = load_agent(str(path))
    assert type(again) is type(agent)
    assert load_agent("random", seed=3).seed == 3
    with pytest.raises(UnknownAgentError, match="no-such-agent"):
        load_agent("no-such-agent")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"agent": "nobody"}))
    with pytest.raises(UnknownAgentError, match="nobody"):
        load_agent(str(bad))
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"agent": "greedy", "config": {"no_such_option": 1}}))
    with pytest.raises(NotAnAgentError, match="no_such_option"):
        load_agent(str(odd))


def test_agent_policy_reports_last_info() -> None:
    import numpy as np

    from fgo_env.env import FGOEnv

    env = FGOEnv()
    obs, info = env.reset(seed=0)
    agent = load_agent("greedy")
    agent.reset(env)
    action, details = agent_policy(agent)(obs, info["action_mask"])
    assert info["action_mask"][action] and "scores" in details
    assert isinstance(action, int) and all(isinstance(a, (int, np.integer)) for a in details["scores"])


def test_fgo_watch_runs_and_saves_a_screenshot(tmp_path, capsys) -> None:
    shot = tmp_path / "watch.png"
    code = main(["watch", "--agent", "greedy", "--quest", "farming_2wave", "--size", "384x216",
                 "--episodes", "1", "--speed", "16", "--max-seconds", "0.4", "--screenshot", str(shot)])
    assert code == 0 and shot.exists()


def test_fgo_play_exits_by_itself(tmp_path) -> None:
    shot = tmp_path / "play.png"
    assert main(["play", "--size", "384x216", "--max-seconds", "0.1", "--screenshot", str(shot)]) == 0
    with Image.open(shot) as im:
        assert im.size[0] > 384


def test_fgo_record_gif(tmp_path, capsys) -> None:
    out = tmp_path / "ep.gif"
    code = main(["record", "--agent", "greedy", "--quest", "farming_2wave", "--size", "256x144",
                 "--out", str(out), "--fps", "5"])
    assert code == 0 and "wrote" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames > 3
