"""Training learning agents: ``train(...)``, the library behind ``fgo train``.

    fgo train --agent ppo --quest farming_3wave --steps 3000000 --seed 0
    fgo train --agent maskable_ppo --quest farming_3wave,boss_pale_king --steps 300000 --set n_envs=4
    fgo train --agent ppo --quest farming_3wave --steps 6000000 --resume   # continue to 6M

Learners: ``ppo`` (our masked PPO on the batched vector env, `agents.learners.ppo`),
``maskable_ppo`` (sb3-contrib) and ``masked_dqn`` (SB3's DQN with masking), see
`agents.learners.sb3_agents`.

**Hyperparameters** come from ``agents/hyperparams/<agent>.yml`` in RL Zoo's layout: a
``default:`` section, then optional sections keyed by quest id that override it (applied in
the order the quests are given), then ``overrides`` (``--set key=value``, values parsed as
YAML). Keys read by the trainer itself: ``eval_every``, ``checkpoint_every``, ``n_timesteps``
(the step budget when ``--steps`` is omitted); every other key goes to the learner, which
refuses unknown ones.

**A run folder** ``<out>/<agent>_<quests>_s<seed>/`` holds:

- ``agent.json`` + ``model.safetensors``: the agent (``agents.registry.load(run_dir)``), written
  with every checkpoint and at the end (``"complete": false`` until the run reached its steps),
- ``config.yml``: the resolved hyperparameters and the run's arguments,
- ``progress.csv``: one row per evaluation (step, wall_time, eval_win_rate,
  eval_mean_return, eval_mean_turns, train_steps_per_s, plus per-quest win rates with
  several quests),
- ``tb/``: TensorBoard logs (episode return, win rate, losses, steps per second, eval),
- ``checkpoint.pt``: the latest training checkpoint (state dicts and primitives only,
  written atomically every ``checkpoint_every`` steps, at the end and on Ctrl-C or SIGTERM; read
  with ``weights_only=True``), and ``checkpoint.json``, the step it holds. ``resume=True``
  continues from it up to ``steps`` in total.

**Interrupts.** A ``KeyboardInterrupt`` (Ctrl-C; the ``fgo`` command turns SIGTERM into one)
saves the checkpoint and ``agent.json`` and raises `agents.errors.TrainingInterrupted`; a
SIGKILL leaves the last checkpoint and its agent, both written atomically.

**Steps.** Learners train in whole updates (PPO: ``num_envs * num_steps`` env steps), so
``steps`` is rounded up to a whole number of updates, said in a log message; ``config.yml``
records both ``steps_requested`` and the ``steps`` trained.

Evaluation (every ``eval_every`` steps, at step 0 and at the end) plays ``eval_episodes``
games per quest with the greedy (argmax over legal actions) policy on evaluation seeds
independent of the training ones, scored with the "default" reward (see
`agents.learners.common`).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import TrainingInterrupted, UserError
from .runs import CHECKPOINT_FILE, CHECKPOINT_INFO, CONFIG_FILE, PROGRESS_FILE, resume_command, run_name

log = logging.getLogger(__name__)


def trainable() -> tuple[str, ...]:
    """The agent kinds `train` can train (the registry's trainable kinds)."""
    from . import registry

    return registry.trainable_names()

HYPERPARAMS_DIR = Path(__file__).resolve().parent / "hyperparams"
TRAINER_KEYS = ("eval_every", "checkpoint_every", "n_timesteps")
MACHINE_KEYS = ("device", "torch_threads", "env_threads")  # where a run trains, not what: may change on resume
RUN_KEYS = ("quests", "total_timesteps", "seed")  # set by train(), not by YAML
PROGRESS_COLUMNS = ("step", "wall_time", "eval_win_rate", "eval_mean_return", "eval_mean_turns",
                    "train_steps_per_s")


# ----------------------------------------------------------------------------- hyperparameters

def load_hyperparams(agent: str, quests: Sequence[str], overrides: dict | None = None,
                     path: str | Path | None = None) -> dict[str, Any]:
    """``default`` of the agent's YAML, then each quest's section, then ``overrides``."""
    import yaml

    file = Path(path) if path is not None else HYPERPARAMS_DIR / f"{agent}.yml"
    if not file.is_file():
        raise UserError(f"{file}: no hyperparameter file for agent {agent!r}")
    data = yaml.safe_load(file.read_text()) or {}
    if not isinstance(data, dict) or not isinstance(data.get("default", {}), dict):
        raise UserError(f"{file}: expected a mapping with a 'default:' section")
    params = dict(data.get("default") or {})
    for quest in quests:
        section = data.get(quest) or {}
        if not isinstance(section, dict):
            raise UserError(f"{file}: section {quest!r} must be a mapping")
        params.update(section)
    params.update(overrides or {})
    bad = set(params) & set(RUN_KEYS)
    if bad:
        raise UserError(f"{sorted(bad)} are set by the train arguments (--quest/--steps/--seed), not hyperparameters")
    return params


def parse_overrides(items: Sequence[str] | None) -> dict[str, Any]:
    """``["lr=1e-3", "hidden=[64,64]"]`` -> ``{"lr": 0.001, "hidden": [64, 64]}`` (YAML values)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            parsed = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as err:
            raise UserError(f"--set {item!r}: the value is not valid YAML ({str(err).splitlines()[0]})") from None
        if isinstance(parsed, str):  # "1e-3" is a string in YAML 1.1; make it a number
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key.strip()] = parsed
    return out


def _check_quests(quests: Sequence[str], catalogue=None) -> list[str]:
    from fgo_env.content import check_quest_ids

    quests = [q.strip() for q in quests if q.strip()]
    if not quests:
        raise UserError("no quest given")
    check_quest_ids(quests, catalogue)
    return quests


# ----------------------------------------------------------------------------- learners

def make_learner(agent: str, params: dict[str, Any], quests: list[str], steps: int, seed: int, run_dir: Path):
    """The learner object of ``agent`` (torch and SB3 are imported here, not before)."""
    try:
        return _make_learner(agent, params, quests, steps, seed, run_dir)
    except ValueError as err:  # a hyperparameter out of range, an init that does not fit: the user's
        if isinstance(err, UserError):
            raise
        raise UserError(str(err)) from None


def _make_learner(agent: str, params: dict[str, Any], quests: list[str], steps: int, seed: int, run_dir: Path):
    run = {"quests": quests, "total_timesteps": int(steps), "seed": int(seed)}
    if agent == "ppo":
        from .learners.ppo import PPO, args_from_dict

        return PPO(args_from_dict({**params, **run}))
    if agent == "distilled":
        from .distill.learner import Distilled, args_from_dict as distill_args

        return Distilled(distill_args({**params, **run}))
    if agent in ("maskable_ppo", "masked_dqn"):
        from .learners.sb3_agents import LEARNERS

        return LEARNERS[agent]({**params, **run}, log_dir=str(run_dir / "tb" / "sb3"))
    raise UserError(f"unknown learning agent {agent!r}; choose one of {trainable()}")


def round_steps(steps: int, per_update: int) -> int:
    """``steps`` rounded up to whole updates of ``per_update`` env steps."""
    return -(-int(steps) // int(per_update)) * int(per_update)


class _Trainer:
    """The hook the learners call after each update: progress bar, TensorBoard, evaluation
    rows in progress.csv, periodic checkpoints."""

    def __init__(self, learner, run_dir: Path, quests: list[str], steps: int, seed: int, eval_every: int,
                 eval_episodes: int, checkpoint_every: int, progress: bool, wall_offset: float, eval_env: dict):
        from torch.utils.tensorboard import SummaryWriter
        from tqdm.auto import tqdm

        self.learner, self.run_dir, self.quests, self.seed = learner, run_dir, quests, seed
        self.eval_every, self.eval_episodes = int(eval_every), int(eval_episodes)
        self.checkpoint_every, self.eval_env = int(checkpoint_every), eval_env
        # purge_step: a resumed run drops the events logged after its checkpoint, so no step is logged twice
        purge = learner.global_step + 1 if learner.global_step else None
        self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=purge)
        self.start = time.perf_counter() - wall_offset
        step = learner.global_step
        self.last_step = step
        self.window_t, self.window_step = time.perf_counter(), step
        self.last_sps = math.nan
        self.next_eval = (step // self.eval_every + 1) * self.eval_every
        self.next_ckpt = (step // self.checkpoint_every + 1) * self.checkpoint_every
        self.last_eval_step, self.last_res = -1, None
        self.stop: _StopBetweenUpdates | None = None
        self.last_win = math.nan
        self.columns = list(PROGRESS_COLUMNS) + ([f"eval_win_rate[{q}]" for q in quests] if len(quests) > 1 else [])
        self.bar = tqdm(total=steps, initial=step, unit="step", unit_scale=True, disable=not progress,
                        desc=f"{learner.kind} {'+'.join(quests) if len(quests) <= 3 else f'{len(quests)} quests'}",
                        dynamic_ncols=True)

    def wall(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, learner, stats: dict) -> None:
        if self.stop is not None and self.stop.requested:
            raise KeyboardInterrupt  # at an update's end: the learner's state is whole
        step = learner.global_step
        shown = min(step, self.bar.total)  # the last update may overshoot the target
        self.bar.update(shown - min(self.last_step, self.bar.total))
        self.last_step = step
        if "charts/SPS" in stats:
            self.last_sps = stats["charts/SPS"]
        for key, value in stats.items():
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                self.writer.add_scalar(key, value, step)
        if step >= self.next_eval:
            self.evaluate()
            self.next_eval = (step // self.eval_every + 1) * self.eval_every
        if step >= self.next_ckpt:
            self.save_checkpoint()
            self.next_ckpt = (step // self.checkpoint_every + 1) * self.checkpoint_every
        self.bar.set_postfix(sps=f"{self.last_sps:,.0f}", win=f"{self.last_win:.2f}", refresh=False)

    def evaluate(self) -> dict:
        from .learners.common import evaluate_batched

        step = self.learner.global_step
        now = time.perf_counter()
        window = step - self.window_step
        sps = window / (now - self.window_t) if window > 0 else math.nan
        t_eval = time.perf_counter()
        policy = self.learner.policy_agent()
        res = evaluate_batched(policy.act_batch, self.quests, self.eval_episodes, self.seed, **self.eval_env)
        eval_s = time.perf_counter() - t_eval
        # wall_time is training time: this evaluation is excluded too, not only the earlier ones
        row = {"step": step, "wall_time": round(self.wall() - eval_s, 3), "eval_win_rate": res["win_rate"],
               "eval_mean_return": round(res["mean_return"], 6), "eval_mean_turns": round(res["mean_turns"], 4),
               "train_steps_per_s": "" if math.isnan(sps) else round(sps, 1)}
        if len(self.quests) > 1:
            for q in self.quests:
                row[f"eval_win_rate[{q}]"] = res["per_quest"][q]["win_rate"]
        self._append_row(row)
        for key in ("win_rate", "mean_return", "mean_turns"):
            self.writer.add_scalar(f"eval/{key}", res[key], step)
        for q, r in res["per_quest"].items():
            if len(self.quests) > 1:
                self.writer.add_scalar(f"eval/win_rate/{q}", r["win_rate"], step)
        self.writer.flush()
        self.last_win = res["win_rate"]
        self.last_eval_step, self.last_res = step, res
        # the evaluation's own time does not count against the training speed
        self.window_t, self.window_step = time.perf_counter(), step
        self.start += eval_s
        return res

    def _append_row(self, row: dict) -> None:
        file = self.run_dir / PROGRESS_FILE
        new = not file.exists() or file.stat().st_size == 0
        with open(file, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.columns, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(row)

    def save_checkpoint(self, complete: bool = False, final_eval: dict | None = None) -> None:
        """The training checkpoint, its step in ``checkpoint.json`` and the agent so far: a run
        killed at any moment can be resumed and evaluated from the last one."""
        from .checkpoint import atomic_write_text, save_checkpoint

        payload = self.learner.checkpoint()
        payload["wall_time"] = float(self.wall())
        save_checkpoint(self.run_dir / CHECKPOINT_FILE, payload)
        step = int(self.learner.global_step)
        atomic_write_text(self.run_dir / CHECKPOINT_INFO, json.dumps(
            {"step": step, "steps": int(self.bar.total), "complete": complete}) + "\n")
        agent = self.learner.policy_agent()
        agent.config.update({"wall_time": round(self.wall(), 3), "complete": complete, "target_steps": int(self.bar.total)})
        if final_eval is not None:
            agent.config["final_eval"] = final_eval
        agent.save(self.run_dir)

    def close(self) -> None:
        self.bar.close()
        self.writer.close()


class _StopBetweenUpdates:
    """While training, the first Ctrl-C or SIGTERM only asks the learner to stop at the end of its
    update (the trainer's hook raises KeyboardInterrupt there); a second Ctrl-C stops at once.
    Installed only in the main thread, where Python delivers signals."""

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self):
        self.requested = False
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        import signal

        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        log.warning("stopping at the end of this update to save a checkpoint (Ctrl-C again to stop at once)")

    def __enter__(self) -> _StopBetweenUpdates:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                sig = getattr(signal, name)
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _truncate_progress(file: Path, step: int) -> float:
    """Drop rows after ``step`` (a resumed run re-evaluates them); returns the last wall_time."""
    if not file.exists():
        return 0.0
    with open(file, newline="") as f:
        rows = list(csv.DictReader(f))
        fieldnames = list(rows[0].keys()) if rows else list(PROGRESS_COLUMNS)
    keep = [r for r in rows if int(float(r["step"])) <= step]
    from .checkpoint import atomic_write_text

    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fieldnames)
    w.writeheader()
    w.writerows(keep)
    atomic_write_text(file, buf.getvalue())
    return float(keep[-1]["wall_time"]) if keep else 0.0


# ----------------------------------------------------------------------------- API

def train(agent: str, quests: list[str] | str, steps: int, seed: int = 0, out_dir: str | Path = "runs",
          overrides: dict | None = None, progress: bool = True, eval_every: int | None = None,
          eval_episodes: int = 50, resume: bool = False) -> Path:
    """Train ``agent`` on ``quests`` for ``steps`` env steps; returns the run folder.

    Args:
        agent: a trainable kind (`trainable`: "ppo", "maskable_ppo", "masked_dqn").
        quests: quest ids (one policy for all of them) or a comma-separated string.
        steps: total env steps (decisions), rounded up to whole updates (logged when it rounds).
        seed: training seed (evaluation games come from independent seeds).
        out_dir: parent folder; the run folder is ``out_dir/<agent>_<quests>_s<seed>``.
        overrides: hyperparameters over the YAML's (``{"learning_rate": 1e-3}``); on resume they
            must equal the run's own (`UserError` naming each key that differs).
        progress: show a progress bar.
        eval_every: evaluate every this many steps (default: the YAML's ``eval_every``).
        eval_episodes: evaluation games per quest.
        resume: continue the run folder's checkpoint up to ``steps``; without ``resume`` an
            existing run folder with a checkpoint is an error. A run that already reached
            ``steps`` is left as it is (logged).

    Returns:
        The run folder; ``agents.registry.load(run)`` loads the trained agent.

    Raises:
        TrainingInterrupted: on Ctrl-C, after the checkpoint and ``agent.json`` were saved.
    """
    import yaml

    from .checkpoint import CheckpointError, atomic_write_text, load_checkpoint

    if agent not in trainable():
        raise UserError(f"unknown learning agent {agent!r}; choose one of {', '.join(trainable())}")
    from .learners.common import load_content

    content = (overrides or {}).get("content")
    quests = _check_quests(quests.split(",") if isinstance(quests, str) else list(quests), load_content(content))
    steps, seed = int(steps), int(seed)
    if steps < 1:
        raise UserError(f"steps must be >= 1, got {steps}")
    run_dir = Path(out_dir) / run_name(agent, quests, seed)
    ckpt_file = run_dir / CHECKPOINT_FILE
    ckpt = None
    if resume:
        if not ckpt_file.exists():
            raise UserError(f"{ckpt_file}: nothing to resume (train without --resume first)")
        ckpt = load_checkpoint(ckpt_file)
        if ckpt.get("kind") != agent:
            raise CheckpointError(f"{ckpt_file}: holds a {ckpt.get('kind')!r} run, not {agent!r}")
        saved = yaml.safe_load((run_dir / CONFIG_FILE).read_text())
        if list(saved["quests"]) != quests or int(saved["seed"]) != seed:
            raise UserError(f"{run_dir}: was trained on {saved['quests']} seed {saved['seed']}")
        _check_resume_overrides(run_dir, saved["hyperparams"], overrides or {})
        params = {**saved["hyperparams"], **{k: v for k, v in (overrides or {}).items() if k in MACHINE_KEYS}}
        if int(ckpt.get("global_step", 0)) >= steps:
            log.warning("%s already holds %s steps (asked for %s): nothing to train", run_dir,
                        f"{int(ckpt['global_step']):,}", f"{steps:,}")
            return run_dir
    else:
        if ckpt_file.exists() or (run_dir / PROGRESS_FILE).exists():
            raise UserError(f"{run_dir} already holds a run; pass --resume (resume=True) to continue it, "
                            "or choose another --out or --seed")
        params = load_hyperparams(agent, quests, overrides)
    run_dir.mkdir(parents=True, exist_ok=True)

    trainer_params = {k: params.pop(k) for k in TRAINER_KEYS if k in params}
    learner = make_learner(agent, params, quests, steps, seed, run_dir)
    try:
        target = round_steps(steps, learner.steps_per_update)
        if target != steps:
            log.warning("%s trains in updates of %s env steps, so %s steps round up to %s", agent,
                        f"{learner.steps_per_update:,}", f"{steps:,}", f"{target:,}")
        learner.total_timesteps = target
        eval_every = int(eval_every or trainer_params.get("eval_every") or max(target // 10, 1))
        checkpoint_every = int(trainer_params.get("checkpoint_every") or max(target // 4, 1))
        config = {"agent": agent, "quests": quests, "steps": target, "steps_requested": steps, "seed": seed,
                  "eval_every": eval_every, "eval_episodes": int(eval_episodes), "checkpoint_every": checkpoint_every,
                  "hyperparams": {**params, **{k: v for k, v in trainer_params.items() if k != "n_timesteps"}}}
        atomic_write_text(run_dir / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False))
        eval_env = {"obs_mode": params.get("obs_mode", "state"), "catalogue": load_content(params.get("content"))}
        _run(learner, ckpt, run_dir, quests, target, seed, eval_every, eval_episodes, checkpoint_every, progress,
             eval_env)
    finally:
        if hasattr(learner, "close"):
            learner.close()
    return run_dir


def _check_resume_overrides(run_dir: Path, saved: dict, overrides: dict) -> None:
    """A resumed run keeps its hyperparameters: name every ``--set`` key that would change them."""
    differ = [f"{k}={v!r} (the run has {saved.get(k, '<unset>')!r})" for k, v in overrides.items()
              if k not in MACHINE_KEYS and (k not in saved or saved[k] != v)]
    if differ:
        raise UserError(f"{run_dir / CONFIG_FILE}: --set differs from the run being resumed: {'; '.join(differ)}. "
                        "A resumed run keeps its hyperparameters; drop --set, or start a new run with another "
                        "--out or --seed")


def _run(learner, ckpt, run_dir: Path, quests: list[str], steps: int, seed: int, eval_every: int,
         eval_episodes: int, checkpoint_every: int, progress: bool, eval_env: dict) -> None:
    wall_offset = 0.0
    if ckpt is not None:
        learner.restore(ckpt)
        wall_offset = max(_truncate_progress(run_dir / PROGRESS_FILE, learner.global_step),
                          float(ckpt.get("wall_time", 0.0)))
    trainer = _Trainer(learner, run_dir, quests, steps, seed, eval_every, eval_episodes, checkpoint_every,
                       progress, wall_offset, eval_env)
    try:
        if hasattr(learner, "prepare"):  # work before the first evaluation (distillation); once per run
            learner.prepare(progress=progress)
    except BaseException as err:  # nothing worth keeping yet: no checkpoint of a half-fitted network
        trainer.close()
        if isinstance(err, KeyboardInterrupt):
            log.warning("interrupted before step 0 (distillation): nothing saved in %s; run the same command "
                        "again (without --resume)", run_dir)
        raise
    try:
        if ckpt is None:
            trainer.evaluate()  # the untrained (or distilled) policy: row 0 of the learning curve
        with _StopBetweenUpdates() as stop:
            trainer.stop = stop
            learner.learn(trainer, report_every=min(eval_every, checkpoint_every))
        res = trainer.evaluate() if trainer.last_eval_step != learner.global_step else trainer.last_res
        final = {k: res[k] for k in ("win_rate", "mean_return", "mean_turns", "episodes")} if res else None
        trainer.save_checkpoint(complete=True, final_eval=final)
    except KeyboardInterrupt:
        trainer.bar.close()
        trainer.save_checkpoint()  # the learner stopped between two steps: its state is whole
        raise TrainingInterrupted(run_dir, learner.global_step) from None
    finally:
        trainer.close()


__all__ = ["PROGRESS_COLUMNS", "load_hyperparams", "make_learner", "parse_overrides", "resume_command", "run_name",
           "train", "trainable"]
