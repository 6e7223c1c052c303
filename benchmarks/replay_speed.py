"""Replay speed: the cost of recording, the size of a replay, reading and exact re-simulation.

    python benchmarks/replay_speed.py [--seconds 1.5] [--num-envs 4096] [--rounds 5]
                                      [--interleaved-seconds 20] [--block 16]

- recording overhead: ``FGOVectorEnv`` with ``num_envs`` games and a batched random legal
  policy, plain against wrapped in `replays.record.VectorRecorder` writing a ``.jsonl`` file,
  measured in the same run, alternating ``rounds`` times; the overhead is 1 - the median of
  the ratios recorded / plain of each pair of neighbouring runs (on a shared machine the speed
  drifts between runs; pairs cancel most of it), with the best against the best beside it;
  the recorder's own time per step (its ``step`` beyond the env's: steadier than the ratio,
  which also moves with the env's speed) and its share of the plain env's step (both medians),
  split into its compiled call (``record_and_encode``: record the step, encode the lines of the
  games that ended), the file write and the rest (the Python around them, and the few steps
  whose lines the call cannot write, written by two calls); the same overhead with the writer
  thread;
- the same overhead interleaved (`interleaved`): a plain and a recorded env playing the same
  games, stepped in alternate blocks of ``--block`` steps for ``--interleaved-seconds``; the
  drift that moves the pairs cancels within each round;
- bytes per decision of the recorded files, and of the same episodes written as ``.jsonl.gz``;
- reading them (`replays.read_episodes`: decode and validate every line);
- verifying them (`replays.resim.verify`: read, re-simulate in batches of ``num_envs``,
  compare), and re-simulation alone (`verify_episodes` on episodes already read).

The recorded files hold the episodes that finished within the timed runs, so short episodes
are over-represented at small ``--seconds``.

Prints a line per round (the pairs drift with the machine; the file write with the disk), a
table, then one JSON object with every figure as the last line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from fgo_env.engine.batch import sample_legal_actions
from fgo_env.vector_env import FGOVectorEnv
from replays import ReplayWriter, open_replay, read_episodes
from replays.record import VectorRecorder
from replays.resim import verify, verify_episodes

QUESTS = ["farming_3wave", "boss_cinder_wyrm", "standard_night_raid", "random_17"]
TARGETS = {"recording_overhead": 0.10, "verify_decisions_per_s": 200_000}


PARTS = ("record+encode", "write")  # the recorder's compiled call (`_encode.record_and_encode`) and its file write


def _time_calls(obj, name: str, totals: dict, key: str) -> None:
    """Add the time of every call of ``obj.name`` to ``totals[key]``."""
    call = getattr(obj, name)

    def timed(*args, **kwargs):
        t = time.perf_counter()
        out = call(*args, **kwargs)
        totals[key] += time.perf_counter() - t
        return out
    setattr(obj, name, timed)


def play(env, seconds: float, seed: int) -> tuple[float, int, float, dict]:
    """Random masked play for ``seconds``: (decisions per second, decisions, the recorder's own
    milliseconds per step: the time of ``env.step`` beyond the wrapped env's, 0 for a plain env;
    the same split into `PARTS` and "rest", the Python around them)."""
    n = env.num_envs
    _, info = env.reset(seed=seed)
    actions = np.zeros(n, np.int64)
    totals = dict.fromkeys(("inner", *PARTS), 0.0)
    if isinstance(env, VectorRecorder):
        _time_calls(env.env, "step", totals, "inner")
        for obj, name, key in ((env, "_record_and_encode", "record+encode"), (env.writer, "write_encoded", "write")):
            _time_calls(obj, name, totals, key)
    calls, stepping, start = 0, 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sample_legal_actions(info["action_mask"].view(np.bool_), seed * 100_000 + calls, actions)
        t = time.perf_counter()
        _, _, _, _, info = env.step(actions)
        stepping += time.perf_counter() - t
        calls += 1
    t = time.perf_counter()
    getattr(env, "flush", lambda: None)()  # a recorder's writer thread finishes inside the timing
    stepping += time.perf_counter() - t
    own = (stepping - totals["inner"]) / calls * 1e3 if totals["inner"] else 0.0
    parts = {key: totals[key] / calls * 1e3 for key in PARTS}
    parts["rest"] = own - sum(parts.values())
    return calls * n / (time.perf_counter() - start), calls * n, own, parts


def _overhead(plain: list[float], other: list[float]) -> float:
    """1 - the median of the ratios of each run to the plain run before it."""
    ratios = sorted(r / p for p, r in zip(plain, other))
    n = len(ratios)
    median = ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2
    return round(1 - median, 4)


class _KeepOpen(gym.vector.VectorWrapper):
    """The env itself, which a recorder's ``close`` leaves open: every run plays the same warm env."""

    def close(self, **kwargs):
        pass


def recording(num_envs: int, seconds: float, rounds: int, folder: Path) -> dict:
    """Plain runs alternating with runs of the default recorder (writing in ``step``) and of the
    recorder with its writer thread, each against the plain run before it. All play one env,
    warmed up with the recorder's kernels first: a fresh env's first steps fault in its 35 MB of
    records, and the first recorder of a process loads its compiled code, neither of which is
    the recorder's cost (before 2026-12-05 each recorded run took a fresh env)."""
    env = FGOVectorEnv(num_envs, quest=QUESTS)
    play(env, 0.2, 0)  # compile / load the kernels outside the timing
    warm = VectorRecorder(_KeepOpen(env), folder / "warm-up.jsonl", agent_name="random")
    for _ in range(30):  # until a line is written: the encoder's kernels are loaded too
        play(warm, 1.0, 0)  # (a fresh install compiles them: a first recorded run at 457 decisions/s)
        if warm.writer.episodes:
            break
    else:
        raise RuntimeError("the warm-up wrote no episode in 30 s: is the env finishing games?")
    warm.close()
    plain, recorded, own, thread, paths, parts = [], [], [], [], [], []
    for r in range(rounds):
        plain.append(play(env, seconds, r)[0])
        paths.append(folder / f"round{r}.jsonl")
        rec = VectorRecorder(_KeepOpen(env), paths[-1], agent_name="random")
        speed, _, ms, split = play(rec, seconds, r)
        rec.close()
        recorded.append(speed)
        own.append(ms)
        parts.append(split)
        print(f"round {r}: plain {plain[-1]:,.0f}, recorded {speed:,.0f} decisions/s (ratio {speed / plain[-1]:.3f}); "
              f"recorder {ms:.3f} ms/step: " + ", ".join(f"{k} {v:.3f}" for k, v in split.items()), flush=True)
        rec = VectorRecorder(_KeepOpen(env), folder / f"thread{r}.jsonl", background=True)
        speed = play(rec, seconds, r)[0]
        rec.close()
        thread.append(speed / play(env, seconds, r + 50)[0])  # against the plain run after it
    own_ms = float(np.median(own))
    return {"plain_decisions_per_s": round(max(plain)), "recorded_decisions_per_s": round(max(recorded)),
            "recording_overhead": _overhead(plain, recorded),
            "recording_overhead_best": round(1 - max(recorded) / max(plain), 4),
            "recording_overhead_thread": _overhead([1.0] * len(thread), thread),
            "recorder_ms_per_step": round(own_ms, 3), "recorder_ns_per_decision": round(own_ms * 1e6 / num_envs),
            # its share of the plain env's step (both medians of this run): steadier than the pairs
            "recorder_share": round(own_ms / (num_envs / float(np.median(plain)) * 1e3), 4),
            "recorder_parts_ms_per_step": {k: round(float(np.median([p[k] for p in parts])), 3) for k in parts[0]},
            "plain_runs": [round(x) for x in plain], "recorded_runs": [round(x) for x in recorded]}, paths


def interleaved(num_envs: int, seconds: float, block: int, folder: Path) -> dict:
    """Recording overhead from two envs playing the same games (same seeds, same sampled actions),
    one plain and one recorded, stepped in alternate blocks of ``block`` steps (which goes first
    swapped each round) for ``seconds`` in all: the machine's drift, which moves the pairs of
    1.5 s runs by several percent, falls on both within a fraction of a second, and both do the
    same work but the recording. The overhead is 1 - plain time / recorded time over all
    blocks; beside it the quartiles of the per-round ratios."""
    recorded = VectorRecorder(FGOVectorEnv(num_envs, quest=QUESTS), folder / "interleaved.jsonl", agent_name="random")
    envs = [FGOVectorEnv(num_envs, quest=QUESTS), recorded]
    infos = [env.reset(seed=7)[1] for env in envs]
    actions = np.zeros(num_envs, np.int64)
    steps, times, ratios = [0, 0], np.zeros(2), []

    def play_block(which: int, n: int) -> float:
        env, t = envs[which], time.perf_counter()
        for k in range(steps[which], steps[which] + n):  # the same actions in both: the same games
            sample_legal_actions(infos[which]["action_mask"].view(np.bool_), k, actions)
            infos[which] = env.step(actions)[4]
        steps[which] += n
        return time.perf_counter() - t

    for which in (0, 1):  # untimed: a fresh env's first steps fault in its records
        play_block(which, 50)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        took = np.zeros(2)
        for which in ((0, 1) if len(ratios) % 2 == 0 else (1, 0)):
            took[which] = play_block(which, block)
        times += took
        ratios.append(took[0] / took[1])
    envs[1].close()
    q1, q3 = np.percentile(ratios, [25, 75])
    return {"recording_overhead_interleaved": round(1 - times[0] / times[1], 4),
            "interleaved_rounds": len(ratios), "interleaved_block": block,
            "interleaved_overhead_iqr": [round(1 - q3, 4), round(1 - q1, 4)]}


def sizes(paths: list[Path], episodes) -> dict:
    decisions = sum(len(e.actions) for e in episodes)
    size = sum(p.stat().st_size for p in paths)
    gz = paths[0].with_suffix(".gz")
    with ReplayWriter(gz, open_replay(paths[0]).header) as w:
        for i in range(0, len(episodes), 128):  # about what 4096 games finish per step
            w.write_many(episodes[i:i + 128])
    return {"episodes": len(episodes), "decisions": decisions,
            "decisions_per_episode": round(decisions / len(episodes), 1),
            "bytes_per_decision": round(size / decisions, 1), "bytes_per_episode": round(size / len(episodes)),
            "gz_bytes_per_decision": round(gz.stat().st_size / decisions, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds of each plain or recorded run")
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of plain and recorded runs, alternating")
    parser.add_argument("--interleaved-seconds", type=float, default=20.0,
                        help="seconds of the interleaved measure (a plain and a recorded env in alternate blocks)")
    parser.add_argument("--block", type=int, default=16, help="steps of each block of the interleaved measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rec, paths = recording(args.num_envs, args.seconds, args.rounds, folder)
        rec.update(interleaved(args.num_envs, args.interleaved_seconds, args.block, folder))
        start = time.perf_counter()
        episodes = [e for p in paths for e in read_episodes(p)]
        read_s = time.perf_counter() - start
        size = sizes(paths, episodes)
        header = open_replay(paths[0]).header
        verify_episodes(header, episodes[:64], "warm-up")  # compile / load outside the timing
        resim = verify_episodes(header, episodes, "in memory", batch=args.num_envs)
        full = verify(*paths, batch=args.num_envs)
        assert resim.ok and full.ok, (resim.mismatches[:3], full.mismatches[:3])
        mb = sum(p.stat().st_size for p in paths) / 1e6
    res = {"num_envs": args.num_envs, "quests": QUESTS, **rec, **size,
           "read_decisions_per_s": round(size["decisions"] / read_s), "read_mb_per_s": round(mb / read_s, 1),
           "read_episodes_per_s": round(size["episodes"] / read_s),
           "verify_decisions_per_s": round(full.decisions_per_second),
           "resim_decisions_per_s": round(resim.decisions_per_second),
           "verified_ok": full.ok, "targets": TARGETS}
    rows = [("vector env, random masked play (best)", f"{rec['plain_decisions_per_s']:,} decisions/s", ""),
            ("  recorded (VectorRecorder, .jsonl; best)", f"{rec['recorded_decisions_per_s']:,} decisions/s",
             f"best/best: overhead {rec['recording_overhead_best']:.1%}"),
            ("  recording overhead (median of pairs)", f"{rec['recording_overhead']:.1%}", "target <= 10 %"),
            (f"  the same, interleaved ({rec['interleaved_block']}-step blocks)",
             f"{rec['recording_overhead_interleaved']:.1%}",
             f"{rec['interleaved_rounds']} rounds, their middle half "
             f"{rec['interleaved_overhead_iqr'][0]:.1%} to {rec['interleaved_overhead_iqr'][1]:.1%}"),
            ("  the recorder's own time (median)", f"{rec['recorder_ms_per_step']} ms/step",
             f"{rec['recorder_ns_per_decision']} ns/decision, {rec['recorder_share']:.1%} of the plain env's step"),
            ("    of which (medians)", ", ".join(f"{k} {v}" for k, v in rec["recorder_parts_ms_per_step"].items()),
             "ms/step"),
            ("  the same with the writer thread", f"{rec['recording_overhead_thread']:.1%}", ""),
            ("replay size (.jsonl)", f"{size['bytes_per_decision']} B/decision",
             f"{size['bytes_per_episode']:,} B/episode, {size['decisions_per_episode']} decisions/episode"),
            ("replay size (.jsonl.gz)", f"{size['gz_bytes_per_decision']} B/decision", ""),
            ("read (decode + validate)", f"{res['read_decisions_per_s']:,} decisions/s",
             f"{res['read_episodes_per_s']:,} episodes/s, {res['read_mb_per_s']} MB/s"),
            ("verify (read + re-simulate + compare)", f"{res['verify_decisions_per_s']:,} decisions/s",
             "target >= 200,000"),
            ("  re-simulate + compare alone", f"{res['resim_decisions_per_s']:,} decisions/s", "")]
    print(f"{args.num_envs} games, quests {', '.join(QUESTS)}; {size['episodes']:,} episodes, "
          f"{size['decisions']:,} decisions recorded")
    for name, value, note in rows:
        print(f"{name:<40}{value:>28}   {note}")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
