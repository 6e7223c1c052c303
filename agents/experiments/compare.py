"""Train and evaluate agents on a fixed protocol, then write a report (behind ``fgo compare``).

::

    fgo compare --agents random,greedy,ppo --quests farming_3wave,boss_gauntlet \\
        --runs 5 --episodes 50 --train-steps 200000 --out reports/ppo-vs-scripted

or from Python ``compare(["random", "greedy", "ppo"], ["farming_3wave"], runs=5, episodes=50,
train_steps=200_000, out_dir="reports/x")``, which returns the report folder.

**Runs.** The statistics (`agents.stats`) treat each run as one independent sample of an
agent; the spread between runs is what the confidence intervals measure. How runs are formed:

- *learning* agents (the registry's trainable names: "ppo", "maskable_ppo", "masked_dqn"):
  run ``r`` is an independent
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
improvement for each pair, and performance profiles; see `agents.experiments.report` and
docs/comparison.md.

**Nothing is lost or overwritten.** A folder that already holds a report is refused (unless
``overwrite``, which the demo uses for its own folder). Every finished training and evaluation
is appended to ``journal.jsonl`` as it ends; ``resume=True`` checks that the protocol is the
same (``protocol.json``), then reuses them and does only what is missing. Training runs first
(each with its own progress bar), then one bar counts every evaluation episode, so its ETA
covers the rest of the work.
"""

from __future__ import annotations

import datetime as _dt
import functools
import glob
import json
import numbers
import re
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import UserError
from . import stats
from .report import Comparison, machine_info, write_report

EVAL_SEED_BASE = 1_000_000_000
DEFAULT_CURVE_POINTS = 10
DEFAULT_CURVE_EPISODES = 10
JOURNAL, PROTOCOL = "journal.jsonl", "protocol.json"
PROTOCOL_KEYS = ("agents", "quests", "runs", "episodes", "train_steps", "seed", "overrides", "content")


_LABEL_RE = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_.+\-]*")  # not "..", no "/" or "|": a folder name, a table cell


def _has_glob(s: str) -> bool:
    return any(c in s for c in "*?[")


def parse_agent_spec(spec: str, trainable: Iterable[str] | None = None) -> tuple[str, str, str, list[str]]:
    """``(label, kind, spec, paths)`` of one ``--agents`` item.

    ``"ppo"`` -> learning (if trainable), ``"greedy"`` -> fixed; ``"LABEL=SPEC"`` renames;
    a glob of run folders -> trained (one run per match); an existing path -> fixed (one
    trained agent, runs = evaluation blocks).
    """
    from .. import registry

    trainable = set(registry.trainable_names() if trainable is None else trainable)
    spec = spec.strip()
    label, _, rest = spec.partition("=")
    if not rest:
        label, rest = "", spec
    if label and not _LABEL_RE.fullmatch(label):  # it names the run folder OUT/runs/<label>/ and table rows
        raise UserError(f"agent label {label!r}: use letters, digits, '_', '-', '.' and '+' (it names a folder "
                        f"under --out), e.g. ppo_small=ppo")
    if _has_glob(rest):
        paths = sorted(glob.glob(rest))
        if not paths:
            raise UserError(f"agent spec {spec!r}: the glob matches nothing")
        if not label:
            parts = [p for p in Path(rest).parts if not _has_glob(p)]
            label = parts[-1] if parts else rest
        return label, "trained", rest, paths
    if rest in trainable:
        return label or rest, "learning", rest, []
    if rest in registry.names():
        return label or rest, "fixed", rest, []
    if Path(rest).exists():
        return label or Path(rest).resolve().name, "fixed", rest, [rest]
    raise UserError(f"unknown agent {rest!r}: not a registered name ({', '.join(registry.names())}), not trainable "
                    f"({', '.join(sorted(trainable))}) and not an existing path")


def default_train_steps(agent: str, quests: Sequence[str], overrides: Mapping[str, Any] | None = None) -> int:
    """The training budget of ``agent`` on ``quests`` from its hyperparameters (``n_timesteps``)."""
    from ..train import load_hyperparams

    steps = load_hyperparams(agent, list(quests), dict(overrides or {})).get("n_timesteps")
    if steps is None:
        raise UserError(f"{agent}: no n_timesteps in its hyperparameters; give train_steps (--train-steps)")
    return int(float(steps))


def eval_seed_start(run: int, episodes: int, base: int = EVAL_SEED_BASE) -> int:
    """First env seed of evaluation block ``run`` (seeds ``start .. start + episodes - 1``)."""
    return base + run * episodes


def default_command(agents: Sequence[str], quests: Sequence[str], runs: int, episodes: int,
                    train_steps: int | None, out_dir: str | Path, seed: int, reps: int,
                    overrides: Sequence[str] | Mapping[str, Any] | None = None, *, content: str | None = None,
                    replays: str | Path | None = None, device: str | None = None) -> str:
    """The ``fgo compare`` line of these arguments (every one a resume needs to do the same)."""
    parts = ["fgo", "compare", "--agents", ",".join(agents), "--quests", ",".join(quests),
             "--runs", str(runs), "--episodes", str(episodes)]
    if train_steps is not None:
        parts += ["--train-steps", str(train_steps)]
    parts += ["--out", str(out_dir), "--seed", str(seed), "--reps", str(reps)]
    for flag, value in (("--content", content), ("--replays", replays), ("--device", device)):
        if value:
            parts += [flag, str(value)]
    items = [f"{k}={v}" for k, v in overrides.items()] if isinstance(overrides, Mapping) else list(overrides or [])
    for item in items:
        parts += ["--set", item]
    return shlex.join(parts)


# ----------------------------------------------------------------------------- the journal

class Journal:
    """``journal.jsonl``: one JSON line per finished training or evaluation, flushed as it ends, so
    an interrupted comparison keeps them all; a torn last line (a kill mid-write) is ignored."""

    def __init__(self, folder: Path):
        self.path = folder / JOURNAL
        self.trained: dict[tuple[str, int], str] = {}
        self.evaluated: dict[tuple[str, int, str], dict] = {}
        self.reused_trainings = self.reused_evaluations = 0

    def load(self) -> Journal:
        if not self.path.exists():
            return self
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line: that job runs again
            if entry.get("kind") == "trained":
                self.trained[(entry["label"], int(entry["run"]))] = entry["run_dir"]
            elif entry.get("kind") == "evaluated":
                self.evaluated[(entry["label"], int(entry["run"]), entry["quest"])] = entry["record"]
        return self

    def append(self, entry: dict) -> None:
        import os

        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _content_id(content: str | None) -> str:
    """The content the comparison plays: "package" or the hash of a ``--content`` folder's files
    (`replays.format.content_hash`: an edited folder is other content, a moved one is not)."""
    if content is None:
        return "package"
    from replays.format import content_hash

    return f"folder {content_hash(str(Path(content).resolve()))}"


def _saved_protocol(path: Path) -> dict:
    """``protocol.json`` of an earlier comparison; an unreadable one is named, not a traceback."""
    try:
        saved = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a comparison's protocol ({err}); choose another --out, or delete the folder "
                        "to start over") from None
    if not isinstance(saved, dict):
        raise UserError(f"{path}: not a comparison's protocol (a JSON object); choose another --out, or delete the "
                        "folder to start over")
    saved.setdefault("content", "package")  # protocols written before content was part of them
    return saved


def _as_compared(key: str, value):
    """A protocol entry as a resume compares it: agents and quests as sets (the journal keys each
    result by label, run and quest, so another order only reorders the tables)."""
    return sorted(value) if key in ("agents", "quests") and isinstance(value, list) else value


def _start_folder(out: Path, protocol: dict, resume: bool, overwrite: bool) -> Journal:
    """Refuse to overwrite a report; on resume, refuse another protocol; returns the journal."""
    has_report = (out / "scores.json").exists() or (out / "leaderboard.md").exists()
    saved = out / PROTOCOL
    if resume:
        if not saved.exists():
            raise UserError(f"{out}: nothing to resume (no {PROTOCOL}; run without --resume first)")
        before = _saved_protocol(saved)
        differ = [k for k in PROTOCOL_KEYS if _as_compared(k, before.get(k)) != _as_compared(k, protocol.get(k))]
        if differ:
            changes = ", ".join(f"{k}: was {before.get(k)!r}, now {protocol.get(k)!r}" for k in differ)
            raise UserError(f"{out}: --resume with another protocol ({changes}); use the same arguments or another "
                            "--out")
        return Journal(out).load()
    if (has_report or saved.exists() or (out / JOURNAL).exists()) and not overwrite:
        raise UserError(f"{out} already holds a comparison; pass --resume to finish or reuse it, or choose "
                        "another --out (an existing report is never overwritten)")
    out.mkdir(parents=True, exist_ok=True)
    (out / JOURNAL).unlink(missing_ok=True)
    saved.write_text(json.dumps(protocol, indent=1) + "\n")
    return Journal(out)


# ----------------------------------------------------------------------------- compare

def compare(agents: Sequence[str], quests: Sequence[str], runs: int, episodes: int, train_steps: int | None,
            out_dir: str | Path, seed: int = 0, progress: bool = True, *, reps: int = stats.DEFAULT_REPS,
            confidence: float = stats.DEFAULT_CONFIDENCE, overrides: Mapping[str, Any] | None = None,
            curve_points: int = DEFAULT_CURVE_POINTS, curve_episodes: int = DEFAULT_CURVE_EPISODES,
            command: str | None = None, plots: bool = True, resume: bool = False, overwrite: bool = False,
            content: str | None = None, replays: str | Path | None = None,
            trainable: Iterable[str] | None = None, train_fn: Callable[..., Path] | None = None,
            evaluate_fn: Callable[..., dict] | None = None,
            load_fn: Callable[[str | Path], Any] | None = None) -> Path:
    """Train (learning agents), evaluate on shared seeds, and write the report; returns ``out_dir``.

    Args:
        agents: registry names ("random", "greedy", "ppo", ...), paths of trained agents, globs
            of trained run folders, each optionally ``"LABEL=..."`` (see `parse_agent_spec`).
        quests: quest ids (the tasks).
        runs: runs per agent (training seeds for learning agents, evaluation blocks for fixed
            ones; a glob has as many runs as matches).
        episodes: evaluation episodes per run and quest.
        train_steps: env steps per training run of the learning agents (None: the agent's
            default budget from its hyperparameters).
        out_dir: report folder; training runs go to ``out_dir/runs/<label>/`` (the run folder
            is named by `agents.train`: ``<agent>_<quests>_s<seed>``).
        seed: first training seed (run ``r`` trains with ``seed + r``) and bootstrap seed.
        progress: progress bars.
        reps, confidence: bootstrap replicates and interval coverage.
        overrides: hyperparameter overrides passed to `agents.train.train`.
        curve_points, curve_episodes: evaluations during training (for the learning curves)
            and their episodes.
        command: the command line to print in the report (default: the equivalent
            ``fgo compare`` line).
        plots: write the PNG plots.
        resume: reuse the trainings and evaluations ``out_dir``'s journal holds (same protocol).
        overwrite: replace a report already in ``out_dir`` (default: refuse).
        content: a folder of content TOML files whose quests these are (default: the package's).
        replays: a folder that keeps every evaluation episode played now (not those a resume
            reuses): ``<label>_run<r>_<quest>.jsonl.gz`` (`agents.evaluate.replay_file`); without
            ``resume``, a file already there is refused before any training.
        trainable: names to treat as learning agents (default: the registry's trainable names).
        train_fn, evaluate_fn, load_fn: replacements for `agents.train.train`,
            `agents.evaluate.evaluate` and `agents.registry.load` (tests).

    Raises:
        UserError (UnknownIdError for a quest): a bad argument, before anything is written
            to ``out_dir``, so the corrected call simply runs.
    """
    from .. import registry

    runs, episodes, train_steps, seed, reps, curve_points, curve_episodes = _check_numbers(
        runs, episodes, train_steps, seed, reps, confidence, curve_points, curve_episodes)
    agents, quests = [a for a in agents if a.strip()], [q for q in quests if q.strip()]
    if not agents or not quests:
        raise UserError("compare needs at least one agent and one quest")
    if len(set(quests)) != len(quests):  # a quest twice: its cells collide and the tables read n/a
        raise UserError(f"each quest once, got {', '.join(quests)}")
    parsed = [parse_agent_spec(a, trainable) for a in agents]
    labels = [p[0] for p in parsed]
    if len(set(labels)) != len(labels):
        raise UserError(f"agent labels must be unique, got {labels}; rename with LABEL=SPEC")
    real_train = train_fn is None
    _check_quests_and_overrides(parsed, quests, overrides, content, real_train)
    if replays and not resume:  # a resume rewrites only the evaluations it had not finished
        from ..evaluate import check_new_replays, replay_file

        check_new_replays(replay_file(replays, label, f"run{r}", q) for label, kind, _spec, paths in parsed
                          for r in range(_run_count(kind, paths, runs)) for q in quests)
    evaluate_fn = evaluate_fn or _default_evaluate()
    load_fn = load_fn or registry.load
    budgets: dict[str, int | None] = {}
    if any(p[1] == "learning" for p in parsed):
        if real_train:
            from ..train import train as train_fn
        for label, kind, spec, _paths in parsed:
            if kind == "learning":
                budgets[label] = train_steps if (train_steps is not None or not real_train) else \
                    default_train_steps(spec, quests, overrides)

    # a corrupt saved agent is said before anything is written or trained (its load came after every
    # training); a resume may have evaluated it already
    saved = [] if resume else [p for _label, kind, _spec, paths in parsed if kind != "learning" for p in paths or []]
    loaded = {str(Path(path)): load_fn(path) for path in saved}  # each used by its first evaluation, not loaded again
    out = Path(out_dir)
    from ..train import MACHINE_KEYS

    protocol = {"agents": list(agents), "quests": list(quests), "runs": runs, "episodes": episodes,
                "train_steps": train_steps, "seed": seed,  # where it trains (device, threads) may change on resume
                "overrides": {k: v for k, v in (overrides or {}).items() if k not in MACHINE_KEYS},
                "content": _content_id(content)}  # a resume on other content would mix two games' results
    journal = _start_folder(out, protocol, resume, overwrite)  # the first write: every check is above
    comp = Comparison(agents=labels, quests=list(quests), kinds={p[0]: p[1] for p in parsed},
                      specs={p[0]: p[2] for p in parsed})
    started = time.time()
    comp.meta = {
        "name": out.name, "runs": runs, "episodes": episodes, "train_steps": train_steps, "seed": seed,
        "reps": reps, "confidence": confidence, "eval_seed_base": EVAL_SEED_BASE,
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "command": command or default_command(agents, quests, runs, episodes, train_steps, out, seed, reps,
                                              overrides, content=content, replays=replays),
        "overrides": dict(overrides or {}), "train_budgets": budgets,
    }
    if content is not None:
        from ..learners.common import load_content

        overrides = {**(overrides or {}), "content": str(Path(content).resolve())}
        evaluate_fn = functools.partial(evaluate_fn, catalogue=load_content(content))
    players = _train_all(parsed, runs, quests, budgets, seed, out, overrides, progress, curve_points,
                         curve_episodes, journal, train_fn)

    def load_once(run_dir):
        agent = loaded.pop(str(run_dir), None)
        return agent if agent is not None else load_fn(run_dir)

    _evaluate_all(comp, parsed, players, runs, episodes, quests, progress, journal, evaluate_fn, load_once, replays)
    comp.meta["finished"] = _dt.datetime.now().isoformat(timespec="seconds")
    comp.meta["wall_time_s"] = round(time.time() - started, 2)
    comp.meta["reused"] = {"trainings": journal.reused_trainings, "evaluations": journal.reused_evaluations}
    comp.meta["machine"] = machine_info()
    write_report(comp, out, reps=reps, seed=seed, confidence=confidence, plots=plots)
    return out


def _check_numbers(runs, episodes, train_steps, seed, reps, confidence, curve_points, curve_episodes) -> tuple:
    """compare's numbers as ints (all but ``confidence``), refused before anything is written: stats
    would refuse reps or confidence only after every training and evaluation ran. The bounds are
    `fgo compare`'s and `agents.train`'s."""
    from ..train import MAX_EVAL_EPISODES, MAX_SEED, MAX_STEPS, whole_number

    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise UserError(f"confidence must be a number between 0 and 1 (exclusive, e.g. 0.95), got {confidence!r}")
    return (whole_number("runs (--runs)", runs, 1, 1000),
            whole_number("episodes (--episodes)", episodes, 1, 1_000_000),
            whole_number("train_steps (--train-steps)", train_steps, 1, MAX_STEPS, optional=True),
            whole_number("seed (--seed)", seed, 0, MAX_SEED - 1000),  # run r trains with seed + r
            whole_number("reps (--reps)", reps, 1, 10_000_000),
            whole_number("curve_points", curve_points, 1, MAX_STEPS),
            whole_number("curve_episodes", curve_episodes, 1, MAX_EVAL_EPISODES))


def _check_quests_and_overrides(parsed, quests: list[str], overrides, content: str | None, real_train: bool) -> None:
    """The quests (on ``content``) and, for the learning agents `agents.train` will train, the
    overrides, checked as `agents.train.train` checks them, but before protocol.json is written."""
    from fgo_env.content import check_quest_ids

    from ..learners.common import load_content
    from ..train import clean_overrides

    check_quest_ids(quests, load_content(content))
    for _label, kind, spec, _paths in parsed if real_train else ():
        if kind == "learning":
            clean_overrides(spec, quests, dict(overrides or {}))


def _default_evaluate() -> Callable[..., dict]:
    from ..evaluate import evaluate

    return evaluate


def _train_all(parsed, runs: int, quests, budgets, seed: int, out: Path, overrides, progress: bool,
               curve_points: int, curve_episodes: int, journal: Journal, train_fn) -> dict[tuple[str, int], Path]:
    """Every learning run, trained now or reused from the journal: ``{(label, run): run folder}``."""
    trained: dict[tuple[str, int], Path] = {}
    for label, kind, spec, _paths in parsed:
        if kind != "learning":
            continue
        for r in range(runs):
            done = journal.trained.get((label, r))
            if done is not None and Path(done).exists():
                trained[(label, r)] = Path(done)
                journal.reused_trainings += 1
                continue
            steps = budgets[label]
            eval_every = max(1, steps // max(curve_points, 1)) if steps else None
            run_dir = Path(train_fn(spec, list(quests), steps, seed + r, out / "runs" / label, overrides=overrides,
                                    progress=progress, eval_every=eval_every, eval_episodes=curve_episodes,
                                    resume=_has_checkpoint(out / "runs" / label, spec, quests, seed + r)))
            journal.append({"kind": "trained", "label": label, "run": r, "run_dir": str(run_dir)})
            trained[(label, r)] = run_dir
    return trained


def _has_checkpoint(parent: Path, agent: str, quests, seed: int) -> bool:
    """An interrupted training of this run left a checkpoint to continue from."""
    from ..runs import CHECKPOINT_FILE, run_name

    return (parent / run_name(agent, list(quests), seed) / CHECKPOINT_FILE).exists()


def _run_count(kind: str, paths: list, runs: int) -> int:
    """Runs an agent is evaluated in: one per saved run given, else ``runs``."""
    return len(paths) if kind == "trained" else runs


def _evaluate_all(comp: Comparison, parsed, trained, runs: int, episodes: int, quests, progress: bool,
                  journal: Journal, evaluate_fn, load_fn, replays: str | Path | None = None) -> None:
    """Every (agent, run, quest) evaluation, each journalled as it ends; one bar counts the episodes."""
    jobs = []  # (label, run, train_seed, run_dir, spec or path)
    for label, kind, spec, paths in parsed:
        comp.run_dirs[label] = []
        for r in range(_run_count(kind, paths, runs)):
            run_dir = trained.get((label, r)) if kind == "learning" else \
                Path(paths[r]) if kind == "trained" else Path(paths[0]) if paths else None
            if run_dir is not None and (kind != "fixed" or r == 0):
                comp.run_dirs[label].append(str(run_dir))
            jobs.append((label, r, comp.meta["seed"] + r if kind == "learning" else "", run_dir, spec))
    todo = sum(episodes for label, r, *_ in jobs for q in quests if (label, r, q) not in journal.evaluated)
    journal.reused_evaluations = len(jobs) * len(quests) - todo // episodes
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=todo, desc="evaluating", unit="ep", dynamic_ncols=True)
    try:
        for label, r, train_seed, run_dir, spec in jobs:
            player = None
            start = eval_seed_start(r, episodes)
            for q in quests:
                record = journal.evaluated.get((label, r, q))
                if record is None:
                    if player is None:
                        player = load_fn(run_dir) if run_dir is not None else spec  # a name: made per quest
                    if bar is not None:
                        bar.set_postfix_str(f"{label} run {r} on {q}", refresh=False)
                    extra = {"on_episode": lambda _res: bar.update(1)} if bar is not None else {}
                    if replays:
                        from ..evaluate import replay_file

                        extra["replays"] = replay_file(replays, label, f"run{r}", q)
                    res = evaluate_fn(player, q, episodes=episodes, seed=start, **extra)
                    record = {"agent": label, "run": r, "quest": q, "train_seed": train_seed,
                              "eval_seed_start": start, "episodes": episodes, "win_rate": res["win_rate"],
                              "wins": res.get("wins"), "mean_turns_to_clear": res.get("mean_turns_to_clear"),
                              "mean_damage_per_turn": res.get("mean_damage_per_turn"),
                              "mean_reward": res.get("mean_reward"), "run_dir": str(run_dir) if run_dir else ""}
                    journal.append({"kind": "evaluated", "label": label, "run": r, "quest": q,
                                    "record": _json_safe(record)})
                comp.records.append(record)
    finally:
        if bar is not None:
            bar.close()


def _json_safe(record: dict) -> dict:
    import math

    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


__all__ = ["EVAL_SEED_BASE", "Journal", "compare", "default_command", "eval_seed_start", "parse_agent_spec"]
