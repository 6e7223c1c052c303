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
refuses unknown ones. `clean_overrides` checks the overrides before any work starts: a key's
`Rule` in `RULES` (probabilities in [0, 1], loss weights >= 0, upper bounds on sizes, which
keys take null), else the kind of its default.

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
  continues from it up to ``steps`` in total, with the run's own hyperparameters and evaluation
  settings (config.yml, checked against those the checkpoint holds). A folder without a
  checkpoint or an agent holds no run: a start that died before its first checkpoint left only
  progress.csv, tb/ and config.yml, which the next start clears. One with an agent but no
  checkpoint can be neither resumed nor restarted: training further takes another folder.

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
import numbers
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .errors import TrainingInterrupted, UserError
from .runs import (AGENT_FILE, CHECKPOINT_FILE, CHECKPOINT_INFO, CONFIG_FILE, PROGRESS_FILE, resume_command,
                   run_name)

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
        if not value.strip():  # "num_envs=" is a slip, not a choice: null says "none" on purpose
            raise UserError(f"--set {item!r}: no value for {key.strip()}; give one (null where the key allows none)")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise UserError(f"--set {item!r}: the value is not valid YAML ({str(err).splitlines()[0]})") from None
        if isinstance(parsed, str):  # "1e-3" is a string in YAML 1.1; make it a number
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        out[key.strip()] = parsed
    return out


# ----------------------------------------------------------------------------- --set checks

MAX_STEPS = 10**15  # far past any run; a typo (1e30) is refused instead of printed back in 31 digits
MAX_SEED = 2**31 - 1  # as fgo train --seed
MAX_EVAL_EPISODES = 100_000  # as fgo train --eval-episodes
DEFAULT_EVAL_EPISODES = 50
MAX_LAYERS = 16


class Rule(NamedTuple):
    """What a hyperparameter takes where the kind of its default says too little (a None default)
    or the blanket rules of `_default_problem` (counts >= 1, a positive default stays positive) are
    wrong: a discount is a probability, a loss weight may be 0."""

    kind: type  # int, float (whole numbers too), str, bool, or list (layer sizes)
    low: float | None = None
    high: float | None = None
    open_low: bool = False  # low itself is refused: "> 0"
    none: bool = False  # null is a value (target_kl: never stop early)
    why: str = ""  # the reason for an upper bound, said with the refusal


_MEMORY = "a bound against typos: more would not fit in memory"
RULES: dict[str, Rule] = {
    # probabilities and shares
    **{k: Rule(float, 0, 1) for k in ("gamma", "gae_lambda", "visit_weight", "exploration_fraction",
                                       "exploration_initial_eps", "exploration_final_eps")},
    # ratios whose 0 would train nothing
    **{k: Rule(float, 0, 1, open_low=True) for k in ("clip_coef", "clip_range", "tau")},
    # loss weights: 0 turns the term off
    **{k: Rule(float, 0) for k in ("ent_coef", "vf_coef", "distill_vf_coef", "bc_coef")},
    **{k: Rule(float, 0, open_low=True) for k in ("learning_rate", "distill_lr", "max_grad_norm")},
    "target_kl": Rule(float, 0, open_low=True, none=True),
    "clip_range_vf": Rule(float, 0, open_low=True, none=True),
    "n_timesteps": Rule(float, 1, MAX_STEPS),
    # sizes: the rollout, network and replay buffer are allocated at once
    **{k: Rule(int, 1, 65536, why=_MEMORY) for k in ("num_envs", "num_steps", "n_steps")},
    "n_envs": Rule(int, 1, 256, why="each env is a Python object, or a process with vec_env=subproc"),
    "buffer_size": Rule(int, 1, 10_000_000, why=_MEMORY),
    "hidden": Rule(list, 1, 16384, why=_MEMORY),
    "distill_epochs": Rule(int, 0),  # 0: no distillation (PPO, +BC, from init)
    "torch_threads": Rule(int, 0, 256, why="more threads than cores only slow torch down"),
    "env_threads": Rule(int, 1, 256, why="more threads than cores only slow the env down"),
    "normalize_advantage": Rule(bool),
    **{k: Rule(str, none=True) for k in ("init", "content")},
}
SCHEDULES = ("learning_rate", "clip_range", "clip_range_vf")  # SB3 takes "lin_<start>" for these
SB3_AGENTS = ("maskable_ppo", "masked_dqn")


def check_overrides(agent: str, quests: Sequence[str], overrides: dict) -> dict[str, Any]:
    """The resolved hyperparameters of ``agent`` on ``quests`` with ``overrides`` (`load_hyperparams`),
    unknown keys and wrong values refused first (`clean_overrides`)."""
    return load_hyperparams(agent, quests, clean_overrides(agent, quests, overrides))


def clean_overrides(agent: str, quests: Sequence[str], overrides: dict) -> dict[str, Any]:
    """``overrides`` checked before any work starts (the learner's own checks run only after its env
    is built, some only once training started): `UserError` naming the key, the value and what
    is valid. Whole numbers of integer keys become ints (``num_envs=64.0`` -> 64)."""
    defaults = load_hyperparams(agent, quests, {})
    known = (set(defaults) | set(TRAINER_KEYS) | set(learner_keys(agent))) - set(RUN_KEYS)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise UserError(f"--set {unknown[0]}: unknown {agent} hyperparameter; known keys: {', '.join(sorted(known))}")
    out = {}
    for key, value in overrides.items():
        problem, out[key] = value_problem(key, defaults.get(key), value, schedule=agent in SB3_AGENTS)
        if problem:  # a key the YAML leaves out has the learner's default, not shown here
            default = f" (the default is {_shown(defaults[key])})" if key in defaults else ""
            raise UserError(f"--set {key}={_shown(value)}: {problem}{default}")
    return out


def _shown(value) -> str:
    """``value`` as it is written after ``--set key=`` (YAML: null, true)."""
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)


def value_problem(key: str, default, value, schedule: bool = False) -> tuple[str | None, Any]:
    """Why ``value`` cannot be ``key``'s (its `Rule`, else the kind of ``default``), or None; and
    the value to use (whole numbers as ints for integer keys). ``schedule``: an SB3 learner, which
    also takes ``"lin_<start>"`` for the `SCHEDULES` keys."""
    rule = RULES.get(key)
    if rule is None:
        problem = _default_problem(default, value)
        counts = isinstance(default, int) and not isinstance(default, bool) and _is_number(value)
        return problem, int(value) if counts and not problem else value
    if value is None:
        return (None if rule.none else f"expected {_expected(rule)}, not null"), value
    if not (schedule and key in SCHEDULES):
        return _rule_problem(rule, value)
    # "lin_abc" is checked here: SB3 would read it only at its first update
    start = _number(value[4:]) if isinstance(value, str) and value.startswith("lin_") else value
    problem, checked = _rule_problem(rule, start)
    if problem:
        return f"expected {_expected(rule)}, or 'lin_<that>' (annealed linearly to 0)", value
    return None, value if isinstance(value, str) else checked


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_number(value) -> bool:
    """A finite int or float (NumPy's too); not a bool (YAML's true is no count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int past float's range
        return False


def _rule_problem(rule: Rule, value) -> tuple[str | None, Any]:
    if rule.kind is list:
        return _layers_problem(rule, value)
    if rule.kind is bool:
        return (None if isinstance(value, bool) else "expected true or false"), value
    if rule.kind is str:
        return (None if isinstance(value, str) else f"expected {_expected(rule)}"), value
    if not _is_number(value) or (rule.kind is int and value != int(value)):
        return f"expected {_expected(rule)}", value
    if rule.low is not None and (value <= rule.low if rule.open_low else value < rule.low):
        return f"expected {_expected(rule)}", value
    if rule.high is not None and value > rule.high:
        return f"expected {_expected(rule)}" + (f" ({rule.why})" if rule.why else ""), value
    return None, int(value) if rule.kind is int else value


def whole_number(name: str, value, low: int, high: int, *, optional: bool = False) -> int | None:
    """``value`` as an int, if a whole number in [low, high] (or None, with ``optional``); else
    `UserError` naming ``name``, the range and the value. For arguments (train's, compare's),
    which no `Rule` of a hyperparameter covers."""
    if value is None and optional:
        return None
    problem, checked = _rule_problem(Rule(int, low, high), value)
    if problem:
        raise UserError(f"{name} must be a whole number between {low:,} and {high:,}, got {_said(value)}")
    return checked


def _said(value) -> str:
    """``value`` said back in an error: 1e+30, not its 31 digits."""
    if _is_number(value) and abs(value) > MAX_STEPS:
        return f"{float(value):.3g}"
    return repr(value)


def _layers_problem(rule: Rule, value) -> tuple[str | None, Any]:
    """Layer sizes: an empty list leaves no layer for the heads to read."""
    sizes = list(value) if isinstance(value, (list, tuple)) else []
    whole = all(_is_number(v) and v == int(v) and v >= rule.low for v in sizes)
    if not sizes or len(sizes) > MAX_LAYERS or not whole:
        return (f"expected a list of 1 to {MAX_LAYERS} layer sizes, whole numbers >= {rule.low} and <= "
                f"{rule.high}, e.g. [64, 64]"), value
    if max(sizes) > rule.high:
        return f"expected layer sizes <= {rule.high} ({rule.why})", value
    return None, [int(v) for v in sizes]


def _expected(rule: Rule) -> str:
    """``rule`` in words: "a number > 0 and <= 1 or null"."""
    if rule.kind is str:
        what = "text (a path or a name)"
    else:
        bounds = [f"{'>' if rule.open_low else '>='} {_text(rule.low)}" if rule.low is not None else "",
                  f"<= {_text(rule.high)}" if rule.high is not None else ""]
        what = f"{'a whole number' if rule.kind is int else 'a number'} {' and '.join(b for b in bounds if b)}"
    return what.strip() + (" or null" if rule.none else "")


def _text(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _default_problem(default, value) -> str | None:
    """The blanket rules for a key without a `Rule`: the kind of its default; counts stay >= 1."""
    if default is None:
        return None  # nothing to compare with: the learner checks it
    if value is None:
        return f"expected a value like {default!r}, not null"
    number = _is_number(value)
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(default, int):
        if not number or value != int(value):
            return "expected a whole number"
        return "expected a number >= 1" if default > 0 and value < 1 else \
            "expected a number >= 0" if value < 0 else None
    if isinstance(default, float):
        if not number:
            return "expected a finite number"
        return "expected a number > 0" if default > 0 and value <= 0 else None
    if isinstance(default, (list, tuple)) and not default:  # a list of paths (dataset): one path or several
        ok = isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))
        return None if ok else "expected a path or a list of paths"
    if isinstance(default, str):
        return None if isinstance(value, str) else f"expected text like {default!r}"
    return None


def learner_keys(agent: str) -> list[str]:
    """Every key the learner accepts (its defaults may leave some out of the YAML)."""
    if agent in ("ppo", "distilled"):
        from dataclasses import fields

        from .distill.learner import DistillArgs
        from .learners.ppo import RUNTIME_FIELDS, Args

        return [f.name for f in fields(DistillArgs if agent == "distilled" else Args) if f.name not in RUNTIME_FIELDS]
    from .learners.sb3_agents import COMMON_KEYS, LEARNERS

    return sorted(LEARNERS[agent].algo_keys() | set(COMMON_KEYS))


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
    except (MemoryError, RuntimeError) as err:  # the rollout, network or replay buffer is allocated here
        if not isinstance(err, MemoryError) and "allocate" not in str(err):
            raise
        raise UserError(f"{agent}: not enough memory for the learner's buffers and network ({_memory_asked(err)}); "
                        f"lower {' or '.join(SIZE_KEYS.get(agent, SIZE_KEYS['ppo']))}") from None


SIZE_KEYS = {"ppo": ("num_envs", "num_steps", "hidden"), "maskable_ppo": ("n_envs", "n_steps", "hidden"),
             "masked_dqn": ("buffer_size", "n_envs", "hidden")}


def _memory_asked(err: BaseException) -> str:
    """"asked for 128.0 GiB" from torch's or NumPy's allocation failure, else its first line."""
    import re

    found = re.search(r"allocate (\d+) bytes", str(err)) or re.search(r"allocate ([\d.]+ \w?i?B)", str(err))
    if found is None:
        return _first_line(err)
    size = found.group(1)
    return f"asked for {int(size) / 2**30:,.1f} GiB at once" if size.isdigit() else f"asked for {size} at once"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


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
          eval_episodes: int | None = None, resume: bool = False) -> Path:
    """Train ``agent`` on ``quests`` for ``steps`` env steps; returns the run folder.

    Args:
        agent: a trainable kind (`trainable`: "ppo", "maskable_ppo", "masked_dqn").
        quests: quest ids (one policy for all of them) or a comma-separated string.
        steps: total env steps (decisions), a whole number from 1 to `MAX_STEPS`, rounded up to
            whole updates (logged when it rounds).
        seed: training seed, 0 to `MAX_SEED` (evaluation games come from independent seeds).
        out_dir: parent folder; the run folder is ``out_dir/<agent>_<quests>_s<seed>``.
        overrides: hyperparameters over the YAML's (``{"learning_rate": 1e-3}``), checked by
            `clean_overrides` (`UserError` naming the key); on resume they must equal the run's own
            (`UserError` naming each key that differs).
        progress: show a progress bar.
        eval_every: evaluate every this many steps (default: the YAML's ``eval_every``; on
            resume, the run's own).
        eval_episodes: evaluation games per quest, 1 to `MAX_EVAL_EPISODES` (default 50; on
            resume, the run's own). On resume, an ``eval_every`` or ``eval_episodes`` other than the
            run's is refused like a changed hyperparameter: the learning curve keeps one cadence.
        resume: continue the run folder's checkpoint up to ``steps``; without ``resume`` a run
            folder with a checkpoint or an agent is an error, and one that a start stopped before
            its first checkpoint left (progress.csv, tb/) is cleared and reused (logged). A run
            that already reached ``steps`` is left as it is (logged). A folder with an agent but no
            checkpoint can do neither: the error says to train further in a new run folder.

    Returns:
        The run folder; ``agents.registry.load(run)`` loads the trained agent.

    Raises:
        UserError: a bad argument, before any work (one line naming it).
        CheckpointError: on resume, a run file that is unreadable or does not fit the checkpoint.
        TrainingInterrupted: on Ctrl-C, after the checkpoint and ``agent.json`` were saved.
    """
    import yaml

    from .checkpoint import atomic_write_text

    if agent not in trainable():
        raise UserError(f"unknown learning agent {agent!r}; choose one of {', '.join(trainable())}")
    steps, seed, eval_every, eval_episodes = _checked_numbers(steps, seed, eval_every, eval_episodes)
    from .learners.common import load_content

    quests = quests.split(",") if isinstance(quests, str) else list(quests)
    overrides = clean_overrides(agent, [q.strip() for q in quests], overrides or {})
    quests = _check_quests(quests, load_content(overrides.get("content")))
    run_dir = Path(out_dir) / run_name(agent, quests, seed)
    ckpt = None
    if resume:
        ckpt, params, saved = _resume_state(run_dir, agent, quests, seed, overrides)
        eval_every, eval_episodes = _resumed_evaluation(run_dir, saved, eval_every, eval_episodes)
        if int(ckpt.get("global_step", 0)) >= steps:
            log.warning("%s already holds %s steps (asked for %s): nothing to train", run_dir,
                        f"{int(ckpt['global_step']):,}", f"{steps:,}")
            return run_dir
    else:
        _fresh_run_dir(run_dir, agent)
        params = load_hyperparams(agent, quests, overrides)
        eval_episodes = eval_episodes or DEFAULT_EVAL_EPISODES
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
                  "eval_every": eval_every, "eval_episodes": eval_episodes, "checkpoint_every": checkpoint_every,
                  "hyperparams": {**params, **{k: v for k, v in trainer_params.items() if k != "n_timesteps"}}}
        atomic_write_text(run_dir / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False))
        eval_env = {"obs_mode": params.get("obs_mode", "state"), "catalogue": load_content(params.get("content"))}
        _run(learner, ckpt, run_dir, quests, target, seed, eval_every, eval_episodes, checkpoint_every, progress,
             eval_env)
    finally:
        if hasattr(learner, "close"):
            learner.close()
    return run_dir


def _checked_numbers(steps, seed, eval_every, eval_episodes) -> tuple[int, int, int | None, int | None]:
    """`train`'s numbers as ints, each refused up front naming its argument (`whole_number`); the
    evaluation's may be None (not given)."""
    return (whole_number("steps (--steps)", steps, 1, MAX_STEPS),
            whole_number("seed (--seed)", seed, 0, MAX_SEED),
            whole_number("eval_every (--eval-every)", eval_every, 1, MAX_STEPS, optional=True),
            whole_number("eval_episodes (--eval-episodes)", eval_episodes, 1, MAX_EVAL_EPISODES, optional=True))


def _resumed_evaluation(run_dir: Path, saved: dict, eval_every: int | None,
                        eval_episodes: int | None) -> tuple[int, int]:
    """The run's own evaluation cadence: what is not given comes from its config.yml, and a given
    value that differs is refused like a changed hyperparameter (the curve would change halfway)."""
    given = {k: v for k, v in (("eval_every", eval_every), ("eval_episodes", eval_episodes)) if v is not None}
    differ = _differences(given, saved)
    if differ:
        raise UserError(f"{run_dir / CONFIG_FILE}: --eval-every/--eval-episodes differ from the run being resumed: "
                        f"{'; '.join(differ)}. A resumed run keeps its evaluation settings; leave them out (or give "
                        "the run's), or start a new run with another --out or --seed")
    return saved["eval_every"], saved["eval_episodes"]


def _resume_state(run_dir: Path, agent: str, quests: list[str], seed: int,
                  overrides: dict) -> tuple[dict, dict, dict]:
    """The checkpoint of ``run_dir``, the run's own hyperparameters (``overrides`` may change only
    the `MACHINE_KEYS`) and its config.yml, checked against the checkpoint."""
    from .checkpoint import CheckpointError, load_checkpoint

    ckpt_file = run_dir / CHECKPOINT_FILE
    if not ckpt_file.exists():
        raise UserError(_no_checkpoint_message(run_dir, agent))
    ckpt = load_checkpoint(ckpt_file)
    if ckpt.get("kind") != agent:
        raise CheckpointError(f"{ckpt_file}: holds a {ckpt.get('kind')!r} run, not {agent!r}")
    saved = _saved_config(run_dir)
    if list(saved["quests"]) != quests or saved["seed"] != seed:
        raise UserError(f"{run_dir}: was trained on {saved['quests']} seed {saved['seed']}")
    held = _held_params(agent, ckpt)
    _check_config_fits_checkpoint(run_dir / CONFIG_FILE, agent, saved["hyperparams"], held)
    _check_resume_overrides(run_dir, {**held, **saved["hyperparams"]}, overrides)
    return ckpt, {**saved["hyperparams"], **{k: v for k, v in overrides.items() if k in MACHINE_KEYS}}, saved


def _no_checkpoint_message(run_dir: Path, agent: str) -> str:
    if (run_dir / AGENT_FILE).exists():
        return _agent_without_checkpoint(run_dir, agent)
    started = any((run_dir / name).exists() for name in LEFTOVERS)
    return f"{run_dir / CHECKPOINT_FILE}: nothing to resume " + (
        "(the run stopped before its first checkpoint: run the same command without --resume to start it "
        "afresh)" if started else "(train without --resume first)")


def _agent_without_checkpoint(run_dir: Path, agent: str | None) -> str:
    """A folder with an agent but no checkpoint can neither resume (nothing to continue from) nor
    start afresh (that would overwrite the agent): the way on is another run folder."""
    import shlex

    from .checkpoint import CheckpointError, read_config

    try:
        finished = read_config(run_dir)[0]["config"].get("complete") is True
    except (CheckpointError, OSError):
        finished = False
    init = f" (--set init={shlex.quote(str(run_dir))} starts it from this agent's weights)" \
        if agent is not None and "init" in learner_keys(agent) else ""
    return (f"{run_dir} holds {'a finished run' if finished else 'an agent'} ({AGENT_FILE}) but no "
            f"{CHECKPOINT_FILE} to continue its training from, so it is kept as it is; to train further, start a new "
            f"run with another --out or --seed{init}")


def _held_params(agent: str, ckpt: dict) -> dict:
    """The learner's hyperparameters the checkpoint trained with (our PPO's ``args``, SB3's
    ``params``): its keys of `learner_keys`, without the run's own (`RUN_KEYS`)."""
    held = ckpt.get("args", ckpt.get("params"))
    keys = set(learner_keys(agent)) - set(RUN_KEYS)
    return {k: v for k, v in held.items() if k in keys} if isinstance(held, dict) else {}


def _check_config_fits_checkpoint(file: Path, agent: str, saved: dict, held: dict) -> None:
    """config.yml's hyperparameters build the resumed learner: refuse, naming the key, one that an
    edit (or a cut) made differ from what the checkpoint trained with, which would otherwise fail
    deep in torch (a size mismatch) or silently train another network. A key the file lacks is
    fine where the learner's default is what the checkpoint holds."""
    from .checkpoint import CheckpointError

    differ = sorted((k for k in set(held) - set(MACHINE_KEYS) if saved.get(k, _UNSET) != held[k]),
                    key=lambda k: (k not in saved, k))  # edited keys first: a value that builds no learner
    built = _as_built(agent, saved) if differ else None  # leaves a missing key unjudged
    fix = f"restore it (the checkpoint holds the {agent} hyperparameters), or start a new run with another --out " \
          "or --seed"
    for key in differ:
        if built is not None and built.get(key, _UNSET) == held[key]:
            continue  # the same once built: a default, a dataset path as a list of one
        if key in saved:
            raise CheckpointError(f"{file}: hyperparams {key}: {saved[key]!r} differs from the checkpoint's "
                                  f"{held[key]!r}; {fix}")
        raise CheckpointError(f"{file}: incomplete: hyperparams has no {key} (the checkpoint trained with "
                              f"{held[key]!r}); {fix}")


_UNSET = object()


def _as_built(agent: str, params: dict) -> dict | None:
    """``params`` as the learner holds them once built (defaults filled in, values normalised by our
    PPO's `Args`; the SB3 learners keep theirs as given), or None if they build no learner."""
    if agent not in ("ppo", "distilled"):
        from .learners.sb3_agents import LEARNERS

        return {**LEARNERS[agent].defaults, **params}
    from dataclasses import asdict

    from .distill.learner import DistillArgs
    from .learners.ppo import Args

    keys = set(learner_keys(agent)) - set(RUN_KEYS)
    try:
        return asdict((DistillArgs if agent == "distilled" else Args)(**{k: v for k, v in params.items() if k in keys}))
    except (TypeError, ValueError):
        return None


def _saved_config(run_dir: Path) -> dict:
    """The run's ``config.yml`` (its hyperparameters and evaluation settings, which a resumed run
    keeps), refused naming the file unless it is the mapping `train` writes."""
    import yaml

    from .checkpoint import CheckpointError

    file = run_dir / CONFIG_FILE
    fix = "restore it, or start a new run with another --out or --seed"
    try:
        saved = yaml.safe_load(file.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{file}: missing; a run resumes with the hyperparameters kept there: {fix}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{file}: not valid YAML ({_yaml_problem(err)}); {fix}") from None
    needed = ("quests", "seed", "eval_every", "eval_episodes", "hyperparams")  # in the order train writes them
    missing = [k for k in needed if k not in saved] if isinstance(saved, dict) else []
    if missing and len(missing) < len(needed):  # a file cut short: the keys from the cut on are gone
        raise CheckpointError(f"{file}: incomplete: no {', '.join(missing)} (fgo train writes {', '.join(needed)}); "
                              f"{fix}")
    if not (isinstance(saved, dict) and isinstance(saved.get("quests"), list) and isinstance(saved.get("seed"), int)
            and all(isinstance(saved.get(k), int) and saved[k] >= 1 for k in ("eval_every", "eval_episodes"))
            and isinstance(saved.get("hyperparams"), dict)):
        raise CheckpointError(f"{file}: not a run's config (a mapping with quests, seed, eval_every, eval_episodes "
                              f"and hyperparams, as fgo train writes it); {fix}")
    return saved


def _yaml_problem(err: Exception) -> str:
    """PyYAML's problem and where ("expected <block end>, but found '-' on line 1"), in one line."""
    problem, mark = getattr(err, "problem", None), getattr(err, "problem_mark", None)
    if problem is None:
        return _first_line(err)
    return f"{problem} on line {mark.line + 1}" if mark is not None else str(problem)


LEFTOVERS = (PROGRESS_FILE, "tb", CONFIG_FILE, CHECKPOINT_INFO)  # what a start writes before its first checkpoint


def _fresh_run_dir(run_dir: Path, agent: str | None = None) -> None:
    """Refuse a folder holding a run (a checkpoint, which ``--resume`` continues, or an agent: work
    to keep); clear what a start that died before its first checkpoint left, so that its curves do
    not mix with this run's. Such a folder holds nothing to resume: refusing it made it unusable."""
    if (run_dir / CHECKPOINT_FILE).exists():
        raise UserError(f"{run_dir} already holds a run; pass --resume (resume=True) to continue it, "
                        "or choose another --out or --seed")
    if (run_dir / AGENT_FILE).exists():
        raise UserError(_agent_without_checkpoint(run_dir, agent))
    left = [name for name in LEFTOVERS if (run_dir / name).exists()]
    if not left:
        return
    log.warning("%s: an earlier start stopped before its first checkpoint; starting afresh (removing its %s)",
                run_dir, ", ".join(left))
    import shutil

    for name in left:
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _check_resume_overrides(run_dir: Path, saved: dict, overrides: dict) -> None:
    """A resumed run keeps its hyperparameters: name every ``--set`` key that would change them."""
    differ = _differences({k: v for k, v in overrides.items() if k not in MACHINE_KEYS}, saved)
    if differ:
        raise UserError(f"{run_dir / CONFIG_FILE}: --set differs from the run being resumed: {'; '.join(differ)}. "
                        "A resumed run keeps its hyperparameters; drop --set, or start a new run with another "
                        "--out or --seed")


def _differences(given: dict, saved: dict) -> list[str]:
    """``"key=value (the run has other)"`` for each given value the run's ``saved`` ones differ from."""
    return [f"{k}={v!r} (the run has " + (f"{saved[k]!r})" if k in saved else "it at its default)")
            for k, v in given.items() if k not in saved or saved[k] != v]


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


__all__ = ["DEFAULT_EVAL_EPISODES", "MAX_EVAL_EPISODES", "MAX_SEED", "MAX_STEPS", "PROGRESS_COLUMNS", "RULES",
           "check_overrides", "clean_overrides", "learner_keys", "load_hyperparams", "make_learner", "parse_overrides",
           "resume_command", "run_name", "train", "trainable", "value_problem", "whole_number"]
