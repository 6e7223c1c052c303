"""Minari export (`replays.export`, ``fgo replay export --minari``): the round trip through
Minari's own API gives back the recorded episodes, and bad requests are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fgo_env.env import FGOEnv, FGORandomQuestEnv
from replays import ReplayError, ReplayWriter, read_episodes
from replays.io import open_replay

minari = pytest.importorskip("minari")

from replay_kit import record_random

from replays.export import ExportError, export_minari

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:.*is set to None:UserWarning")  # Minari's optional metadata


@pytest.fixture(autouse=True)
def datasets(tmp_path, monkeypatch):
    """Every test writes its Minari datasets under its own tmp dir."""
    folder = tmp_path / "minari"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(folder))
    return folder


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    return record_random(tmp_path_factory.mktemp("rec") / "games.jsonl.gz", episodes=4, quest="farming_3wave", seed=3)


def test_round_trip_through_minari_load_dataset(replay):
    export_minari(replay, "fgo/random-farming-v0")
    data = minari.load_dataset("fgo/random-farming-v0")
    recorded = read_episodes(replay)
    assert data.total_episodes == len(recorded) == 4
    assert data.total_steps == sum(len(e.actions) for e in recorded)
    assert data.spec.env_spec.id == "fgo_env/Battle-v1"
    for e, m in zip(recorded, data.iterate_episodes(), strict=True):
        n = len(e.actions)
        assert m.actions.tolist() == e.actions
        assert m.rewards.tolist() == e.rewards  # float64 both: exactly equal
        assert m.observations.shape == (n + 1, 355) and m.infos["action_mask"].shape == (n + 1, 392)
        assert not m.terminations[:-1].any() and not m.truncations[:-1].any()
        assert (bool(m.terminations[-1]), bool(m.truncations[-1])) == (e.terminated, e.truncated)
        # the observations and masks are what the env showed the agent, decision by decision
        env = FGOEnv(quest=e.quest)
        obs, info = env.reset(options={"game_seed": e.game_seed})
        for t, a in enumerate(e.actions):
            assert np.array_equal(m.observations[t], obs) and np.array_equal(m.infos["action_mask"][t],
                                                                             info["action_mask"])
            obs, *_, info = env.step(a)
        assert np.array_equal(m.observations[n], obs)


def test_features_observations_and_the_recovered_env(replay):
    export_minari(replay, "fgo/features-v0", obs_mode="features")
    data = minari.load_dataset("fgo/features-v0")
    first = next(iter(data.iterate_episodes()))
    assert first.observations.shape[1] == 47
    env = data.recover_environment()
    assert env.observation_space.shape == (47,)
    obs, _ = env.reset(options={"game_seed": read_episodes(replay)[0].game_seed})
    assert np.array_equal(obs, first.observations[0])


def test_exists_malformed_id_and_bad_obs_mode_write_nothing(replay, datasets):
    export_minari(replay, "fgo/once-v0")
    with pytest.raises(ExportError, match="exists already"):
        export_minari(replay, "fgo/once-v0")
    with pytest.raises(ExportError, match="malformed.*name-vN"):
        export_minari(replay, "no-version")
    with pytest.raises(ExportError, match="obs_mode must be one of"):
        export_minari(replay, "fgo/pixels-v0", obs_mode="pixels")
    assert sorted(minari.list_local_datasets()) == ["fgo/once-v0"]


def test_replay_of_another_engine_is_refused_and_nothing_written(replay, tmp_path):
    src = open_replay(replay)
    header = src.header
    header.engine_hash = "0" * 16
    other = tmp_path / "other.jsonl"
    with ReplayWriter(other, header) as w:
        for e in src.episodes():
            w.write(e)
    with pytest.raises(ReplayError, match="different engine"):
        export_minari(other, "fgo/other-v0")
    assert "fgo/other-v0" not in minari.list_local_datasets()


def test_a_tampered_reward_is_caught_and_the_half_written_dataset_deleted(replay, tmp_path, capsys):
    src = open_replay(replay)
    bad = tmp_path / "bad.jsonl"
    with ReplayWriter(bad, src.header) as w:
        for k, e in enumerate(src.episodes()):
            if k == 2:
                e.rewards[1] += 1.0
            w.write(e)
    with pytest.raises(ReplayError, match="episode 2 at decision 1: re-simulated reward"):
        export_minari(bad, "fgo/bad-v0")
    assert "fgo/bad-v0" not in minari.list_local_datasets()
    assert "deleted" not in capsys.readouterr().out  # Minari's own print: the CLI's error stays one line


def test_episodes_without_a_decision_are_left_out_and_said(replay, tmp_path):
    """A pilot battle that ended before its first decision is a line with no action: Minari
    takes no empty episode, so it is left out with a warning and the others are exported."""
    src = open_replay(replay)
    mixed = tmp_path / "mixed.jsonl"
    kept = []
    with ReplayWriter(mixed, src.header) as w:
        for k, e in enumerate(src.episodes()):
            if k == 1:
                e.actions, e.rewards, e.summaries = [], [], []
            else:
                kept.append(e)
            w.write(e)
    with pytest.warns(UserWarning, match="1 episodes without a decision left out \\(episodes 1\\)"):
        data = export_minari(mixed, "fgo/mixed-v0")
    assert data.total_episodes == len(kept)
    assert [len(m.actions) for m in data.iterate_episodes()] == [len(e.actions) for e in kept]


def _fgo(*args, env=None):
    return subprocess.run([sys.executable, "-m", "agents.cli.main", *args], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)


def test_cli_export_and_errors(replay, datasets):
    import os

    env = {**os.environ, "MINARI_DATASETS_PATH": str(datasets)}
    ok = _fgo("replay", "export", str(replay), "--minari", "fgo/cli-v0", "--no-progress", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "4 episodes" in ok.stdout and "minari.load_dataset('fgo/cli-v0')" in ok.stdout
    for args, message in ((["--minari", "fgo/cli-v0"], "exists already"), (["--minari", "bad"], "malformed"),
                          (["--minari", "fgo/x-v0", "--obs-mode", "pixels"], "invalid choice")):
        bad = _fgo("replay", "export", str(replay), *args, "--no-progress", env=env)
        assert bad.returncode != 0 and "Traceback" not in bad.stderr and message in bad.stderr, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_export_needs_no_jax(replay, datasets):
    """Minari's DataCollector needs JAX; create_dataset_from_buffers does not: block it and export."""
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('jax', 'jaxlib'):\n"
            "            raise ImportError('no ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import minari\n"
            "from replays.export import export_minari\n"
            f"export_minari({str(replay)!r}, 'fgo/nojax-v0')\n"
            "assert minari.load_dataset('fgo/nojax-v0').total_episodes == 4\n")
    import os

    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "MINARI_DATASETS_PATH": str(datasets)})
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("make_env", [
    lambda: FGOEnv(quest=["farming_3wave", "boss_cinder_wyrm", "random_17"], support="none"),
    lambda: FGORandomQuestEnv(split="train"),
], ids=["quest-list", "random-quests"])
def test_each_episode_options_replay_it_on_the_recovered_env(make_env, tmp_path):
    from replays.record import RecordReplays

    path = tmp_path / "games.jsonl"
    env = RecordReplays(make_env(), path, agent_name="random")
    rng = np.random.default_rng(1)
    for i in range(4):
        _, info = env.reset(seed=i)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
            done = terminated or truncated
    env.close()
    data = export_minari(path, "fgo/options-v0")
    recovered = data.recover_environment()
    metas = list(data.storage.get_episode_metadata(range(data.total_episodes)))
    for e, m, meta in zip(read_episodes(path), data.iterate_episodes(), metas, strict=True):
        options = meta["options"]
        assert (int(options["game_seed"]), options["quest"]) == (e.game_seed, e.quest)
        obs, _ = recovered.reset(options={"game_seed": int(options["game_seed"]), "quest": str(options["quest"]),
                                          "support": str(options["support"])})
        assert np.array_equal(obs, m.observations[0])
        for t, a in enumerate(m.actions.tolist()):
            obs, reward, *_ = recovered.step(a)
            assert reward == m.rewards[t] and np.array_equal(obs, m.observations[t + 1])


def test_a_callable_reward_keeps_the_recorded_rewards(tmp_path):
    from replays.record import RecordReplays

    path = tmp_path / "callable.jsonl"
    env = RecordReplays(FGOEnv(quest="farming_3wave", reward=lambda info: 0.25), path, agent_name="random")
    rng = np.random.default_rng(2)
    _, info = env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        done = terminated or truncated
    env.close()
    assert open_replay(path).header.env_kwargs["reward"] == "callable"
    export_minari(path, "fgo/callable-v0")
    (m,) = minari.load_dataset("fgo/callable-v0").iterate_episodes()
    assert m.rewards.tolist() == read_episodes(path)[0].rewards == [0.25] * len(m.actions)


def test_without_minari_the_command_says_what_to_install(replay):
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'minari':\n"
            "            raise ImportError('no ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from agents.cli.main import main\n"
            f"sys.exit(main(['replay', 'export', {str(replay)!r}, '--minari', 'fgo/x-v0', '--no-progress']))\n")
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "pip install 'pendragon-gym[minari]'" in proc.stderr.strip().splitlines()[-1]
