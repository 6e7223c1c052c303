"""Training runs of one machine split its cores; ``device`` picks where the learners train."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from agents.learners.threads import CoreShare, thread_policy


def test_runs_split_the_cores_and_take_them_back(tmp_path):
    a = CoreShare(cores=4, folder=tmp_path)
    assert (a.runs(), a.threads()) == (1, 4)
    b = CoreShare(cores=4, folder=tmp_path)
    c = CoreShare(cores=4, folder=tmp_path)
    assert {a.slot, b.slot, c.slot} == {0, 1, 2}
    assert (a.runs(), a.threads(), b.threads()) == (3, 1, 1)
    c.close()
    assert (a.runs(), a.threads()) == (2, 2)
    b.close()
    assert a.threads() == 4
    a.close()


def test_a_killed_run_frees_its_share(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from agents.learners.threads import CoreShare\n"
        f"s = CoreShare(cores=2, folder={str(tmp_path)!r})\n"
        "print(s.slot, flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "0"
    me = CoreShare(cores=2, folder=tmp_path)
    assert me.threads() == 1
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 10
    while me.threads() != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert me.threads() == 2
    me.close()


def test_fixed_threads_opt_out():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        assert thread_policy(1) is None and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_devices_resolve_and_cuda_without_a_gpu_is_refused():
    torch = pytest.importorskip("torch")
    from agents.errors import UserError
    from agents.learners.common import resolve_device
    from feature_models.learner import resolve_device as vision_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected == vision_device("auto").type
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(UserError, match="choose auto, cpu or cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA GPU"):
            resolve_device("cuda")
        with pytest.raises(ValueError, match="no CUDA GPU"):
            vision_device("cuda")


def test_ppo_on_an_explicit_device_saves_device_independent_weights(tmp_path):
    pytest.importorskip("torch")
    from agents import registry
    from agents.checkpoint import load_checkpoint
    from agents.train import train

    run = train("ppo", ["tutorial_training_yard"], 1024, seed=0, out_dir=tmp_path, progress=False, eval_episodes=2,
                overrides={"num_envs": 64, "num_steps": 16, "hidden": [16], "device": "cpu"})
    ckpt = load_checkpoint(run / "checkpoint.pt")
    assert all(t.device.type == "cpu" for t in ckpt["model"].values())
    assert registry.load(run).name == "ppo"
