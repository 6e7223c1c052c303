"""``fgo compare``: train and evaluate agents on a fixed protocol, then write a report.

::

    fgo compare --agents random,greedy,ppo --quests farming_3wave,boss_gauntlet \\
        --runs 5 --episodes 50 --train-steps 200000 --out reports/ppo-vs-scripted

or from Python ``compare(["random", "greedy", "ppo"], ["farming_3wave"], runs=5, episodes=50,
train_steps=200_000, out_dir="reports/x")``, which returns the report folder.

**Runs.** The statistics (`agents.stats`) treat each run as one independent sample of an
agent; the spread between runs is what the confidence intervals measure. How runs are formed:

- *learning* agents (names that `agents.train` can train: "ppo", "maskable_ppo", "masked_dqn",
  ... as the registry, `agents.train` or ``LEARNED_KINDS`` say): run ``r`` is an independent
  training with training seed ``seed + r`` via `agents.train.train`, **one policy per run
  trained on all the given quests together** (the multi-task setting: a single agent and set
  of weights across the quests), then evaluated on each quest. One policy per run keeps the
  score matrix honest: each row is one trained agent, each column one quest.
- *trained* agents given as a glob of run folders (``"reports/x/runs/ppo/*"`` or
  ``"ppo_v2=runs/ppo_*_s*"``): each matching folder is one run (one training seed).
- *fixed* agents (scripted or search agents given by name, or a single trained agent given
  by one path): they have no training seed, so run ``r`` is the agent playing the ``r``-th
  block of evaluation seeds. A deterministic agent's spread then reflects only the game's
  randomness (the deals and rolls of different games), and its interval says how well
  ``episodes`` games pin down its score, not how it would vary with retraining.

**Evaluation seeds** are fixed and shared: run ``r`` of *every* agent plays the same games,
env seeds ``EVAL_SEED_BASE + r * episodes + i`` for ``i < episodes`` on each quest (a
random agent's own generator is seeded with the block's first seed). ``EVAL_SEED_BASE`` (10^9)
keeps them disjoint from the training seeds, which are small integers. They do not depend on
``seed``, so reports with the same ``episodes`` evaluate on the same games.

Per quest and aggregated over quests the report gives win rate, turns to clear (won episodes
only) and damage per turn, aggregates as IQM with stratified bootstrap CIs, the probability of
improvement for each pair, and performance profiles; see `agents.report` and
docs/comparison.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import importlib
import inspect
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import stats
from .report import Comparison, machine_info, write_report

EVAL_SEED_BASE = 1_000_000_000
# Used when neither the registry nor agents.train says which agents are trainable.
FALLBACK_TRAINABLE = frozenset({"ppo", "maskable_ppo", "masked_ppo", "masked_dqn", "dqn", "multitask_dqn"})
DEFAULT_CURVE_POINTS = 10
DEFAULT_CURVE_EPISODES = 10


# ----------------------------------------------------------------------------- agent kinds


def trainable_names() -> set[str]:
    """Agent names that can be trained, as `agents.train` (``AGENTS``), the registry or
    ``agents.learners.policy_agent.LEARNED_KINDS`` say; else `FALLBACK_TRAINABLE`."""
    import logging

    log = logging.getLogger(__name__)
    found: set[str] = set()
    sources = {"agents.registry": ("trainable_names", "TRAINABLE"),
               "agents.train": ("AGENTS", "TRAINABLE"),
               "agents.learners.policy_agent": ("LEARNED_KINDS",)}
    for module, attrs in sources.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for attr in attrs:
            obj = getattr(mod, attr, None)
            if obj is None:
                continue
            try:
                found |= set(obj() if callable(obj) else obj)
            except Exception as err:  # noqa: BLE001  (an API in flux must not break compare)
                log.debug("%s.%s: %s", module, attr, err)
    return found or set(FALLBACK_TRAINABLE)


def is_trainable(name: str, trainable: Iterable[str] | None = None) -> bool:
    if trainable is not None:
        return name in set(trainable)
    from . import registry

    fn = getattr(registry, "is_trainable", None)
    if fn is not None:
        return bool(fn(name))
    return name in trainable_names()


def load_trained(path: str | Path):
    """A trained agent from its run or agent folder: through the registry (``registry.load``
    or ``registry.make(path)``), else `agents.learners.policy_agent.load_agent`."""
    from . import registry

    loader = getattr(registry, "load", None)
    if loader is not None:
        return loader(path)
    try:
        return registry.make(str(path))
    except KeyError:
        from .learners.policy_agent import load_agent

        return load_agent(path)


def _has_glob(s: str) -> bool:
    return any(c in s for c in "*?[")


def parse_agent_spec(spec: str, trainable: Iterable[str] | None = None) -> tuple[str, str, str, list[str]]:
    """``(label, kind, spec, paths)`` of one ``--agents`` item.

    ``"ppo"`` -> learning (if trainable), ``"greedy"`` -> fixed; ``"LABEL=SPEC"`` renames;
    a glob of run folders -> trained (one run per match); an existing path -> fixed (one
    trained agent, runs = evaluation blocks).
    """
    spec = spec.strip()
    label, _, rest = spec.partition("=")
    if not rest:
        label, rest = "", spec
    if _has_glob(rest):
        paths = sorted(glob.glob(rest))
        if not paths:
            raise ValueError(f"agent spec {spec!r}: the glob matches nothing")
        if not label:
            parts = [p for p in Path(rest).parts if not _has_glob(p)]
            label = parts[-1] if parts else rest
        return label, "trained", rest, paths
    from . import registry

    if is_trainable(rest, trainable):
        return label or rest, "learning", rest, []
    if rest in registry.names():
        return label or rest, "fixed", rest, []
    if Path(rest).exists():
        return label or Path(rest).resolve().name, "fixed", rest, [rest]
    learners = sorted(trainable_names() if trainable is None else trainable)
    raise ValueError(f"unknown agent {rest!r}: not a registered name ({registry.names()}), not trainable "
                     f"({learners}) and not an existing path")


def default_train_steps(agent: str, quests: Sequence[str], overrides: Mapping[str, Any] | None = None) -> int:
    """The training budget of ``agent`` on ``quests`` from its hyperparameters (``n_timesteps``)."""
    from .train import load_hyperparams

    steps = load_hyperparams(agent, list(quests), dict(overrides or {})).get("n_timesteps")
    if steps is None:
        raise ValueError(f"{agent}: no n_timesteps in its hyperparameters; give train_steps (--train-steps)")
    return int(float(steps))


def eval_seed_start(run: int, episodes: int, base: int = EVAL_SEED_BASE) -> int:
    """First env seed of evaluation block ``run`` (seeds ``start .. start + episodes - 1``)."""
    return base + run * episodes


# ----------------------------------------------------------------------------- compare


def _eval_kwargs(evaluate_fn: Callable[..., dict], player: Any) -> dict:
    """``env_kwargs={"obs_mode": ...}`` for a loaded agent that observes other than "state"
    (a policy trained on features), when ``evaluate_fn`` takes ``env_kwargs``."""
    mode = getattr(player, "obs_mode", None)
    if isinstance(player, str) or mode in (None, "state"):
        return {}
    try:
        params = inspect.signature(evaluate_fn).parameters
    except (TypeError, ValueError):
        return {}
    if "env_kwargs" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {"env_kwargs": {"obs_mode": mode}}
    return {}


def _progress_bar(total: int, enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="job")


def default_command(agents: Sequence[str], quests: Sequence[str], runs: int, episodes: int,
                    train_steps: int | None, out_dir: str | Path, seed: int, reps: int,
                    overrides: Sequence[str] | Mapping[str, Any] | None = None) -> str:
    parts = ["fgo", "compare", "--agents", ",".join(agents), "--quests", ",".join(quests),
             "--runs", str(runs), "--episodes", str(episodes)]
    if train_steps is not None:
        parts += ["--train-steps", str(train_steps)]
    parts += ["--out", str(out_dir), "--seed", str(seed), "--reps", str(reps)]
    items = [f"{k}={v}" for k, v in overrides.items()] if isinstance(overrides, Mapping) else list(overrides or [])
    for item in items:
        parts += ["--set", item]
    return shlex.join(parts)


def compare(agents: Sequence[str], quests: Sequence[str], runs: int, episodes: int, train_steps: int | None,
            out_dir: str | Path, seed: int = 0, progress: bool = True, *, reps: int = stats.DEFAULT_REPS,
            confidence: float = stats.DEFAULT_CONFIDENCE, overrides: Mapping[str, Any] | None = None,
            curve_points: int = DEFAULT_CURVE_POINTS, curve_episodes: int = DEFAULT_CURVE_EPISODES,
            command: str | None = None, plots: bool = True, trainable: Iterable[str] | None = None,
            train_fn: Callable[..., Path] | None = None, evaluate_fn: Callable[..., dict] | None = None,
            load_fn: Callable[[str | Path], Any] | None = None) -> Path:
    """Train (learning agents), evaluate on shared seeds, and write the report; returns ``out_dir``.

    Args:
        agents: registry names ("random", "greedy", "ppo", ...), paths of trained agents, globs
            of trained run folders, each optionally ``"LABEL=..."`` (see `parse_agent_spec`).
        quests: catalogue quest ids (the tasks).
        runs: runs per agent (training seeds for learning agents, evaluation blocks for fixed
            ones; a glob has as many runs as matches).
        episodes: evaluation episodes per run and quest.
        train_steps: env steps per training run of the learning agents (None: the agent's
            default budget from its hyperparameters).
        out_dir: report folder; training runs go to ``out_dir/runs/<label>/`` (the run folder
            is named by `agents.train`: ``<agent>_<quests>_s<seed>``).
        seed: first training seed (run ``r`` trains with ``seed + r``) and bootstrap seed.
        progress: progress bars (training shows its own).
        reps, confidence: bootstrap replicates and interval coverage.
        overrides: hyperparameter overrides passed to `agents.train.train`.
        curve_points, curve_episodes: evaluations during training (for the learning curves)
            and their episodes.
        command: the command line to print in the report (default: the equivalent
            ``fgo compare`` line).
        plots: write the PNG plots.
        trainable: names to treat as learning agents (default: ask the registry/train).
        train_fn, evaluate_fn, load_fn: replacements for `agents.train.train`,
            `agents.evaluate.evaluate` and `load_trained` (tests).
    """
    if runs < 1 or episodes < 1:
        raise ValueError(f"runs and episodes must be >= 1, got runs={runs}, episodes={episodes}")
    agents, quests = [a for a in agents if a.strip()], [q for q in quests if q.strip()]
    if not agents or not quests:
        raise ValueError("compare needs at least one agent and one quest")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if evaluate_fn is None:
        from .evaluate import evaluate as evaluate_fn
    load_fn = load_fn or load_trained

    parsed = [parse_agent_spec(a, trainable) for a in agents]
    labels = [p[0] for p in parsed]
    if len(set(labels)) != len(labels):
        raise ValueError(f"agent labels must be unique, got {labels}; rename with LABEL=SPEC")
    budgets: dict[str, int | None] = {}
    if any(p[1] == "learning" for p in parsed):
        real_train = train_fn is None
        if real_train:
            from .train import train as train_fn
        for label, kind, spec, _paths in parsed:
            if kind == "learning":
                budgets[label] = train_steps if (train_steps is not None or not real_train) else \
                    default_train_steps(spec, quests, overrides)

    comp = Comparison(agents=labels, quests=list(quests), kinds={p[0]: p[1] for p in parsed},
                      specs={p[0]: p[2] for p in parsed})
    started = time.time()
    comp.meta = {
        "name": out.name, "runs": runs, "episodes": episodes, "train_steps": train_steps, "seed": seed,
        "reps": reps, "confidence": confidence, "eval_seed_base": EVAL_SEED_BASE,
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "command": command or default_command(agents, quests, runs, episodes, train_steps, out, seed, reps,
                                              overrides),
        "overrides": dict(overrides or {}), "train_budgets": budgets,
    }

    n_jobs = sum((runs if kind == "learning" else 0)
                 + (len(paths) if kind == "trained" else runs) * len(quests)
                 for _label, kind, _spec, paths in parsed)
    bar = _progress_bar(n_jobs, progress, "compare")
    try:
        for label, kind, spec, paths in parsed:
            comp.run_dirs[label] = []
            n_runs = len(paths) if kind == "trained" else runs
            for r in range(n_runs):
                train_seed: int | str = ""
                run_dir: Path | None = None
                if kind == "learning":
                    train_seed = seed + r
                    if bar is not None:
                        bar.set_postfix_str(f"training {label} seed {train_seed}")
                    steps = budgets[label]
                    eval_every = max(1, steps // max(curve_points, 1)) if steps else None
                    run_dir = Path(train_fn(spec, list(quests), steps, train_seed, out / "runs" / label,
                                            overrides=overrides, progress=progress, eval_every=eval_every,
                                            eval_episodes=curve_episodes))
                    player: Any = load_fn(run_dir)
                    if bar is not None:
                        bar.update(1)
                elif kind == "trained":
                    run_dir = Path(paths[r])
                    player = load_fn(run_dir)
                elif paths:  # one trained agent by path: fixed
                    run_dir = Path(paths[0])
                    player = load_fn(run_dir)
                else:
                    player = spec  # a registry name; evaluate makes (and seeds) it
                if run_dir is not None:
                    comp.run_dirs[label].append(str(run_dir))
                start = eval_seed_start(r, episodes)
                extra = _eval_kwargs(evaluate_fn, player)
                for q in quests:
                    if bar is not None:
                        bar.set_postfix_str(f"evaluating {label} run {r} on {q}")
                    res = evaluate_fn(player, q, episodes=episodes, seed=start, **extra)
                    comp.records.append({
                        "agent": label, "run": r, "quest": q, "train_seed": train_seed,
                        "eval_seed_start": start, "episodes": episodes,
                        "win_rate": res["win_rate"], "wins": res.get("wins"),
                        "mean_turns_to_clear": res.get("mean_turns_to_clear"),
                        "mean_damage_per_turn": res.get("mean_damage_per_turn"),
                        "mean_reward": res.get("mean_reward"), "run_dir": str(run_dir) if run_dir else ""})
                    if bar is not None:
                        bar.update(1)
            if kind == "fixed" and paths:
                comp.run_dirs[label] = comp.run_dirs[label][:1]
    finally:
        if bar is not None:
            bar.close()
    comp.meta["finished"] = _dt.datetime.now().isoformat(timespec="seconds")
    comp.meta["wall_time_s"] = round(time.time() - started, 2)
    comp.meta["machine"] = machine_info()
    write_report(comp, out, reps=reps, seed=seed, confidence=confidence, plots=plots)
    return out


# ----------------------------------------------------------------------------- CLI


def _csv_list(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``fgo compare``."""
    parser.add_argument("--agents", required=True, type=_csv_list,
                        help="comma-separated agents: registry names (random,greedy,ppo), paths of trained "
                             "agents, globs of trained run folders; LABEL=SPEC renames one")
    parser.add_argument("--quests", type=_csv_list, default=["farming_3wave"],
                        help="comma-separated quest ids (default: farming_3wave; see 'fgo quests')")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs per agent: training seeds for learning agents, evaluation-seed blocks for "
                             "scripted ones (default 5)")
    parser.add_argument("--episodes", type=int, default=50,
                        help="evaluation episodes per run and quest (default 50)")
    parser.add_argument("--train-steps", type=int, default=None,
                        help="env steps per training run of learning agents (default: their hyperparameters)")
    parser.add_argument("--out", default=None,
                        help="report folder (default: reports/compare-YYYYmmdd-HHMMSS)")
    parser.add_argument("--seed", type=int, default=0,
                        help="first training seed (run r uses seed + r) and bootstrap seed (default 0)")
    parser.add_argument("--reps", type=int, default=stats.DEFAULT_REPS,
                        help=f"bootstrap replicates (default {stats.DEFAULT_REPS})")
    parser.add_argument("--set", dest="overrides", action="append", metavar="KEY=VALUE", default=None,
                        help="hyperparameter override for the learning agents (repeatable; value parsed as "
                             "YAML), e.g. --set num_envs=64")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run_compare(args: argparse.Namespace) -> int:
    """Run ``fgo compare`` from parsed arguments; prints the report's leaderboard path."""
    out = args.out or f"reports/compare-{_dt.datetime.now():%Y%m%d-%H%M%S}"
    command = default_command(args.agents, args.quests, args.runs, args.episodes, args.train_steps, out,
                              args.seed, args.reps, getattr(args, "overrides", None))
    overrides = None
    if getattr(args, "overrides", None):
        from .train import parse_overrides

        overrides = parse_overrides(args.overrides)
    folder = compare(args.agents, args.quests, args.runs, args.episodes, args.train_steps, out,
                     seed=args.seed, progress=not args.no_progress, reps=args.reps,
                     command=command, plots=not args.no_plots, overrides=overrides)
    print(f"report: {folder / 'leaderboard.md'}")
    return 0


__all__ = ["EVAL_SEED_BASE", "FALLBACK_TRAINABLE", "add_compare_arguments", "compare", "eval_seed_start",
           "is_trainable", "load_trained", "parse_agent_spec", "run_compare", "trainable_names"]
