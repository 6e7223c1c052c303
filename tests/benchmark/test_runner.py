"""The benchmark runner with a fake training (`dry_train`): ids, order, resume, failures, backends."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

from agents.benchmark import runner as R
from agents.benchmark.runner import RunSpec


def spec(arch="ppo", tasks=("waves/1",), seed=0, steps=40, **kw) -> RunSpec:
    return RunSpec(arch, tasks, seed, steps, eval_every=kw.pop("eval_every", 10),
                   eval_episodes=kw.pop("eval_episodes", 4), **kw)


def plan() -> list[RunSpec]:
    """A small transfer-like plan, dependents listed before the runs they start from."""
    pre = spec(tasks=("waves/1", "waves/2"), steps=80, label="pretrain")
    target = spec(tasks=("waves/3",), init_from=pre.id, label="target")
    frozen = spec(tasks=("waves/3",), init_from=pre.id, freeze=True, label="target frozen")
    return [target, frozen, pre, spec(tasks=("waves/3",), label="scratch"), spec(seed=1, label="other")]


def strip(results: dict) -> dict:
    return {k: {f: v for f, v in r.items() if f != "wall_time"} for k, r in results.items()}


class Counting:
    """dry_train that records the ids it trained and the weights each started from."""

    def __init__(self):
        self.calls, self.init = [], {}

    def __call__(self, s, init_from, task_ids):
        self.calls.append(s.id)
        self.init[s.id] = None if init_from is None else init_from["w"].tolist()
        return R.dry_train(s, init_from, task_ids)


def test_ids_are_deterministic_distinct_and_ignore_the_label():
    a = spec(label="x")
    assert a.id == spec(label="y").id == spec(tasks=["waves/1"]).id
    canonical = ('{"arch":"ppo","eval_episodes":4,"eval_every":10,"eval_tasks":[],"freeze":false,'
                 '"init_from":null,"seed":0,"steps":40,"tasks":["waves/1"]}')
    assert a.id == hashlib.sha256(canonical.encode()).hexdigest()[:12] == "d4645179ff7d"  # on every machine
    variants = [spec(arch="dqn"), spec(tasks=("waves/2",)), spec(seed=1), spec(steps=50), spec(eval_every=20),
                spec(eval_episodes=8), spec(eval_tasks=("waves/2",)), spec(init_from=a.id),
                spec(init_from=a.id, freeze=True)]
    assert len({a.id, *(v.id for v in variants)}) == len(variants) + 1


def test_to_dict_from_dict_round_trip_keeps_tuples():
    s = spec(tasks=("a", "b"), eval_tasks=("c",), init_from="0123456789ab", label="t")
    back = RunSpec.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s and back.id == s.id and back.label == "t"
    assert isinstance(back.tasks, tuple) and isinstance(back.eval_tasks, tuple)


def test_bad_specs_are_one_line_errors():
    with pytest.raises(ValueError, match="tasks is empty"):
        spec(tasks=())
    with pytest.raises(ValueError, match="the string"):
        spec(tasks="waves/1")
    with pytest.raises(ValueError, match="steps must be > 0"):
        spec(steps=0)
    with pytest.raises(ValueError, match="freeze=True needs init_from"):
        spec(freeze=True)
    with pytest.raises(ValueError, match="unknown RunSpec field 'task'"):
        RunSpec.from_dict({"task": "x"})


def test_dependencies_run_first_and_pass_their_weights(tmp_path):
    fn = Counting()
    specs = plan()
    out = R.run_all(specs, tmp_path, backend="inline", progress=False, train_fn=fn)
    pre, target, frozen = specs[2], specs[0], specs[1]
    assert fn.calls.index(pre.id) < fn.calls.index(target.id)
    assert fn.calls[0] == pre.id  # the run others wait for goes first
    assert set(out) == {s.id for s in specs} and len(fn.calls) == len(specs)
    shared, _ = R._load_plain(R.weights_path(tmp_path, pre.id))
    assert fn.init[target.id] == fn.init[frozen.id] == shared["w"].tolist()
    assert fn.init[specs[3].id] is None
    assert out[target.id]["raw"]["waves/3"][0] > out[specs[3].id]["raw"]["waves/3"][0]  # the dry jumpstart


def test_unknown_init_from_and_bad_backend_are_refused(tmp_path):
    with pytest.raises(ValueError, match="neither planned nor finished"):
        R.run_all([spec(init_from="ffffffffffff")], tmp_path, backend="inline", train_fn=R.dry_train)
    with pytest.raises(ValueError, match="unknown backend 'slurm'"):
        R.run_all([spec()], tmp_path / "b", backend="slurm", train_fn=R.dry_train)


def test_resume_skips_finished_runs(tmp_path):
    specs = plan()
    first = Counting()
    a = R.run_all(specs[2:], tmp_path, backend="inline", progress=False, train_fn=first)
    assert len(first.calls) == 3
    again = Counting()
    b = R.run_all(specs, tmp_path, backend="inline", progress=False, train_fn=again)
    assert sorted(again.calls) == sorted(s.id for s in specs[:2])  # only the two new ones
    assert set(b) == {s.id for s in specs} and all(b[k] == a[k] for k in a)
    assert R.run_all(specs, tmp_path, backend="inline", train_fn=Counting()) == b  # nothing left to run
    assert R.load_results(tmp_path) == b


def test_a_finished_run_without_its_weights_is_retrained_for_its_dependents(tmp_path):
    target, frozen, pre = plan()[:3]
    R.run_all([pre], tmp_path, backend="inline", progress=False, train_fn=R.dry_train)
    R.weights_path(tmp_path, pre.id).unlink()  # results committed, weights not (a fresh checkout)
    fn = Counting()
    out = R.run_all([target, frozen, pre], tmp_path, backend="inline", progress=False, train_fn=fn)
    assert fn.calls[0] == pre.id and sorted(fn.calls[1:]) == sorted([target.id, frozen.id])
    assert set(out) == {target.id, frozen.id, pre.id} and R.weights_path(tmp_path, pre.id).exists()


def test_torn_last_line_is_skipped_and_rerun(tmp_path):
    specs = plan()[2:]
    R.run_all(specs, tmp_path, backend="inline", progress=False, train_fn=R.dry_train)
    path = tmp_path / R.RESULTS
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:25])  # cut while writing the last run
    with pytest.warns(UserWarning, match="torn last line"):
        assert len(R.load_results(tmp_path)) == 2
    fn = Counting()
    with pytest.warns(UserWarning, match="torn last line"):
        R.run_all(specs, tmp_path, backend="inline", progress=False, train_fn=fn)
    assert fn.calls == [json.loads(lines[-1])["id"]]
    ids = [json.loads(x)["id"] for x in path.read_text().splitlines()]
    assert ids == [json.loads(x)["id"] for x in lines]  # the torn tail cut off, the run appended cleanly


def test_corrupt_middle_line_is_refused(tmp_path):
    R.run_all(plan()[2:], tmp_path, backend="inline", progress=False, train_fn=R.dry_train)
    path = tmp_path / R.RESULTS
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:30]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"results\.jsonl: line 2 is not a valid result"):
        R.load_results(tmp_path)
    with pytest.raises(ValueError, match="line 2"):
        R.run_all(plan(), tmp_path, backend="inline", train_fn=R.dry_train)


def test_task_index_is_written_passed_and_checked(tmp_path):
    fn = Counting()
    index = {"waves/1": 0, "waves/2": 1, "waves/3": 2}
    specs = plan()
    R.run_all(specs, tmp_path, backend="inline", task_index=index, progress=False, train_fn=fn)
    assert json.loads((tmp_path / R.TASK_INDEX).read_text()) == index
    shared, _ = R._load_plain(R.weights_path(tmp_path, specs[2].id))
    assert shared["w"].tolist()[-2:] == [0.0, 1.0]  # task_ids (0, 1) of the pre-training's tasks
    with pytest.raises(ValueError, match="another task index.*use another --out"):
        R.run_all(specs, tmp_path, backend="inline", task_index={"waves/1": 1}, train_fn=fn)


def test_a_failing_run_does_not_stop_the_others(tmp_path):
    specs = plan()
    fn = R.DryTrain(fail_labels=("pretrain",))
    with pytest.raises(RuntimeError) as info:
        R.run_all(specs, tmp_path, backend="inline", progress=False, train_fn=fn)
    msg = str(info.value)
    assert "3 of 5 runs failed" in msg and "\n" not in msg
    assert "RuntimeError: dry failure of 'pretrain'" in msg
    assert f"not run: its init_from run {specs[2].id} failed" in msg
    assert set(R.load_results(tmp_path)) == {specs[3].id, specs[4].id}
    assert (tmp_path / "errors" / f"{specs[2].id}.txt").read_text().startswith("Traceback")


def test_ctrl_c_says_how_to_resume_once(tmp_path, caplog):
    """The interrupt carries the message the front end prints (it was logged, then `fgo` said
    "interrupted" a second time)."""
    def interrupted(s, init_from, task_ids):
        if s.label == "scratch":
            raise KeyboardInterrupt
        return R.dry_train(s, init_from, task_ids)

    with pytest.raises(KeyboardInterrupt) as stop:
        R.run_all(plan(), tmp_path, backend="inline", progress=False, train_fn=interrupted)
    said = str(stop.value)
    assert said.startswith("interrupted: ") and "re-run the same command to resume" in said
    assert "all finished runs are in" in said and "interrupted" not in caplog.text
    assert len(R.load_results(tmp_path)) >= 1


def test_local_processes_give_the_in_process_results(tmp_path):
    specs = plan()
    inline = R.run_all(specs, tmp_path / "inline", backend="inline", progress=False, train_fn=R.dry_train)
    local = R.run_all(specs, tmp_path / "local", backend="local", workers=2, progress=True,
                      train_fn=R.dry_train)
    assert strip(local) == strip(inline)
    # a failure crosses the process boundary as a one-line error
    with pytest.raises(RuntimeError, match="1 of 1 runs failed.*dry failure"):
        R.run_all([spec(label="bad")], tmp_path / "bad", backend="local", workers=1, progress=False,
                  train_fn=R.DryTrain(fail_labels=("bad",)))


def test_ray_gives_the_local_results(tmp_path):
    pytest.importorskip("ray")
    specs = plan()
    inline = R.run_all(specs, tmp_path / "inline", backend="inline", progress=False, train_fn=R.dry_train)
    ray = R.run_all(specs, tmp_path / "ray", backend="ray", workers=2, progress=False, train_fn=R.dry_train)
    assert strip(ray) == strip(inline)
    for s in specs:
        a, _ = R._load_plain(R.weights_path(tmp_path / "ray", s.id))
        b, _ = R._load_plain(R.weights_path(tmp_path / "inline", s.id))
        assert a["w"].tolist() == b["w"].tolist()


def test_unreachable_address_is_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: bind, read it, close
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ValueError, match=rf"cannot reach the Ray cluster at --address 127\.0\.0\.1:{port}"):
        R.run_all([spec()], tmp_path, backend="ray", address=f"127.0.0.1:{port}", train_fn=R.dry_train)
    with pytest.raises(ValueError, match="address is for backend 'ray'"):
        R.run_all([spec()], tmp_path, backend="local", address="auto", train_fn=R.dry_train)


def test_missing_init_weights_fail_only_the_runs_that_need_them(tmp_path):
    specs = plan()
    R.run_all(specs[2:3], tmp_path, backend="inline", progress=False, train_fn=R.dry_train)
    R.weights_path(tmp_path, specs[2].id).unlink()
    others = specs[:2] + specs[3:]  # the pre-training is finished but not in this plan: not retrained
    with pytest.raises(RuntimeError, match="2 of 4 runs failed.*has no saved weights"):
        R.run_all(others, tmp_path, backend="inline", progress=False, train_fn=R.dry_train)
    assert len(R.load_results(tmp_path)) == 3


def test_execute_trains_one_run_and_saves_its_weights(tmp_path):
    s = spec(eval_tasks=("waves/2",))
    out = R.execute(s, tmp_path, train_fn=R.dry_train)
    assert out["id"] == s.id and out["steps"] == [0, 10, 20, 30, 40] and set(out["raw"]) == {"waves/1", "waves/2"}
    shared, meta = R._load_plain(R.weights_path(tmp_path, s.id))
    assert meta["id"] == s.id and shared["w"].shape == (5,)
    assert not (tmp_path / R.RESULTS).exists()


def test_a_cancelled_local_pool_stops_its_workers_now_and_they_leave_ctrl_c_to_it():
    """A terminal's Ctrl-C reaches the workers too: each printed a traceback, and the exit's hook
    then waited on them. The workers ignore SIGINT; the parent's cancel stops them."""
    import os
    import signal
    import time

    local = R._Local(1)
    pid = local.pool.submit(os.getpid).result(timeout=300)  # the worker is up, its initializer run
    job = local.pool.submit(time.sleep, 300)
    (worker,) = list(local.pool._processes.values())
    assert worker.pid == pid
    os.kill(worker.pid, signal.SIGINT)
    time.sleep(0.5)
    assert worker.is_alive() and not job.done()  # the worker's Ctrl-C is the parent's to act on
    started = time.monotonic()
    local.close(cancel=True)
    assert time.monotonic() - started < 30 and not worker.is_alive()
