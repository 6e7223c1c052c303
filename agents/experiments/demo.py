"""The demo (``make demo``, ``fgo demo``): a short real run that trains and compares agents.

1. The scripted agents (random, greedy) on every catalogue quest, fixed seeds (episode *i* uses
   env seed *i*): ``reports/demo/scripted.md`` and ``.csv``.
2. The main job: the demo **measures this machine's training speed first** (`budget.measure_rate`)
   and sizes each learner's steps to a wall-time budget (machines of one kind differ 2x: a step
   count would not hold the demo's length), prints the plan and its expected time, then trains
   our PPO and sb3-contrib's MaskablePPO briefly (several training seeds each, one policy over
   three quests of different difficulty), loads the shipped learned agents (the ``generalist``,
   distilled from the search agent's games: trained once, not in the run), and compares them
   with the scripted and search agents on fixed evaluation seeds with `agents.experiments.compare`
   (IQM with stratified-bootstrap intervals, probability of improvement, learning curves):
   ``reports/demo/leaderboard.md`` (ending with what this run trained and loaded, its plan and
   the times it took), CSVs and plots.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fgo_env.content import load_catalogue

from ..evaluate import evaluate_many
from .tables import write_rows

log = logging.getLogger(__name__)

SCRIPTED_AGENTS = ("random", "greedy")
# The main job: three quests from easy to hard.
DEMO_QUESTS = ("farming_2wave", "farming_3wave", "boss_pale_king")
DEMO_FIXED_AGENTS = ("random", "greedy", "pendragon", "search_fast")
DEMO_LOADED_AGENTS = ("generalist",)  # shipped learned policies: loaded, not trained in the run
# Wall-time budgets, seconds of training per run (the steps are sized to them on this machine).
DEMO_BUDGETS = {"ppo": 50.0, "maskable_ppo": 20.0}
DEMO_RUNS = 3
DEMO_EPISODES = 20
# What the rest of the job (the evaluations and the report) took on the reference machine (2-core
# AMD EPYC without native bfloat16, 2026-12-04, `make demo`), and what one search_fast episode of
# farming_3wave (seed 0) took there: the evaluation is mostly the search agent's playouts, so the
# plan scales it by this machine's time for that episode (bfloat16 does not speed it up).
REFERENCE_EVAL_S = 82.0
REFERENCE_SEARCH_EPISODE_S = 0.35
REPORT_DIR = Path("reports") / "demo"


@dataclass
class Plan:
    """What the main job will do and how long it should take on this machine."""

    quests: tuple[str, ...]
    runs: int
    episodes: int
    fixed: tuple[str, ...]
    loaded: tuple[str, ...]
    budgets: dict[str, float]  # seconds per training run
    steps: dict[str, int]  # env steps per training run
    rates: dict[str, float] = field(default_factory=dict)  # measured env steps/s (empty: not measured)
    measure_s: float = 0.0
    expected_eval_s: float = 0.0
    search_episode_s: float = 0.0  # one search_fast episode of farming_3wave: the playouts' speed

    @property
    def expected_train_s(self) -> float:
        return sum(self.budgets.get(k, 0.0) for k in self.steps) * self.runs

    @property
    def expected_s(self) -> float:
        return self.measure_s + self.expected_train_s + self.expected_eval_s

    def describe(self) -> str:
        lines = [f"Plan: {self.runs} runs x {len(self.quests)} quests ({', '.join(self.quests)}), "
                 f"{self.episodes} evaluation episodes per run and quest."]
        for name, steps in self.steps.items():
            rate = self.rates.get(name)
            each = (f"~{self.budgets[name]:.0f} s each at the measured {rate:,.0f} steps/s" if rate
                    else "a fixed step count")
            lines.append(f"  trained in this run: {name}, {self.runs} runs x {steps:,} steps ({each})")
        for name in self.loaded:
            lines.append(f"  loaded (shipped weights, not trained in this run): {name}")
        lines.append(f"  fixed agents: {', '.join(self.fixed)}")
        if self.rates:
            lines.append(f"Expected time: ~{self.expected_s / 60:.1f} min (measuring {self.measure_s:.0f} s, "
                         f"training ~{self.expected_train_s:.0f} s, evaluation and report ~{self.expected_eval_s:.0f} s: "
                         f"a search_fast episode took {self.search_episode_s:.2f} s here)")
        else:
            lines.append("Expected time: not measured (fixed step counts)")
        return "\n".join(lines)


def make_plan(quests: Sequence[str] = DEMO_QUESTS, budgets: Mapping[str, float] | None = None,
              steps: Mapping[str, int] | None = None, runs: int = DEMO_RUNS, episodes: int = DEMO_EPISODES,
              fixed: Sequence[str] = DEMO_FIXED_AGENTS, loaded: Sequence[str] = DEMO_LOADED_AGENTS,
              overrides: Mapping[str, dict] | None = None, measure_seconds: float = 3.0) -> Plan:
    """The plan: ``steps`` as given, else each learner's budget (seconds) times its measured speed."""
    from .budget import measure_rate, steps_for

    budgets = dict(DEMO_BUDGETS if budgets is None else budgets)
    plan = Plan(tuple(quests), int(runs), int(episodes), tuple(fixed), tuple(loaded), budgets, {})
    if steps is not None:
        plan.steps = {k: int(v) for k, v in steps.items()}
        plan.budgets = {k: 0.0 for k in plan.steps}
        return plan
    t0 = time.perf_counter()
    for name in budgets:
        plan.rates[name] = measure_rate(name, quests, measure_seconds, overrides=(overrides or {}).get(name))
        plan.steps[name] = steps_for(budgets[name], plan.rates[name], minimum=1)
    plan.search_episode_s = search_episode_seconds()
    scale = plan.search_episode_s / REFERENCE_SEARCH_EPISODE_S
    plan.measure_s = time.perf_counter() - t0
    plan.expected_eval_s = REFERENCE_EVAL_S * scale * (runs * episodes) / (DEMO_RUNS * DEMO_EPISODES)
    return plan


def search_episode_seconds(quest: str = "farming_3wave", seed: int = 0) -> float:
    """Wall time of one search_fast episode (after a warm-up decision): this machine's playout speed."""
    from fgo_env.env import FGOEnv

    from .. import registry
    from ..evaluate import play_episode

    env = FGOEnv(quest=quest)
    agent = registry.make("search_fast")
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    agent.act(obs, info["action_mask"])  # compiles or loads the kernels
    t0 = time.perf_counter()
    play_episode(env, agent, seed)
    return time.perf_counter() - t0


def scripted_table(quests: Sequence[str] | None = None, agents: Sequence[str] = SCRIPTED_AGENTS,
                   episodes: int = 30, seed: int = 0, progress: bool = True) -> list[dict]:
    """One `agents.evaluate.evaluate` row per (quest, agent), quests in catalogue order."""
    ids = list(quests) if quests is not None else list(load_catalogue().quests)
    return evaluate_many(agents, ids, episodes, seed, progress=progress)


def learning_comparison(out_dir: Path, plan: Plan, seed: int = 0, progress: bool = True,
                        overrides: dict[str, dict] | None = None) -> Path:
    """Train each learner of ``plan`` ``plan.runs`` times (seeds ``seed + r``) on its quests, then
    compare them with the fixed and loaded agents; returns the report folder (``leaderboard.md``,
    which ends with the run's plan and times, and plots)."""
    import shutil

    from ..train import train
    from .compare import compare

    runs_dir = Path(out_dir) / "trained"
    shutil.rmtree(runs_dir, ignore_errors=True)  # the demo starts from scratch every time
    specs = list(plan.fixed) + list(plan.loaded)
    t0 = time.perf_counter()
    for name, steps in plan.steps.items():
        for r in range(plan.runs):
            train(name, list(plan.quests), steps, seed=seed + r, out_dir=runs_dir / name,
                  overrides=(overrides or {}).get(name), progress=progress)
        specs.append(f"{name}={runs_dir / name}/*")
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = compare(specs, list(plan.quests), plan.runs, plan.episodes, None, out_dir, seed=seed, progress=progress,
                     command="make demo  (fgo demo)", overwrite=True)
    write_run_section(Path(report) / "leaderboard.md", plan, train_s, time.perf_counter() - t1)
    return report


def write_run_section(leaderboard: Path, plan: Plan, train_s: float, eval_s: float) -> None:
    """Append what the run trained and loaded, its plan and its times, and where the learned agents
    stand, to the leaderboard."""
    table = leaderboard.with_name("aggregate.csv")
    ranking = _ranking(table) if table.exists() else []
    learned = set(plan.steps) | set(plan.loaded)
    top = ranking[0] if ranking else None
    text = ["", "## This run", "", "```", plan.describe(), "```", "",
            f"Measured: training {train_s:.0f} s, evaluation and report {eval_s:.0f} s "
            f"(plus the speed measurement, {plan.measure_s:.0f} s)."]
    if top is not None:
        best_learned = next((r for r in ranking if r[0] in learned), None)
        if top[0] in learned:
            text.append(f"\nA learned agent leads: `{top[0]}` (win rate IQM {top[1]:.2f} [{top[2]:.2f}, {top[3]:.2f}]).")
        elif best_learned is not None:
            overlap = best_learned[3] >= top[2]
            text.append(f"\nNo learned agent leads: `{top[0]}` does (IQM {top[1]:.2f} [{top[2]:.2f}, {top[3]:.2f}]); "
                        f"the best learned agent is `{best_learned[0]}` (IQM {best_learned[1]:.2f} "
                        f"[{best_learned[2]:.2f}, {best_learned[3]:.2f}]; the intervals "
                        f"{'overlap' if overlap else 'do not overlap'}).")
    leaderboard.write_text(leaderboard.read_text().rstrip("\n") + "\n" + "\n".join(text) + "\n")


def _ranking(aggregate_csv: Path) -> list[tuple[str, float, float, float]]:
    """(agent, win-rate IQM, CI low, CI high) best first, from compare's ``aggregate.csv``."""
    import csv

    rows = []
    with open(aggregate_csv, newline="") as f:
        for r in csv.DictReader(f):
            if r["metric"] == "win_rate" and r["aggregate"] == "iqm":
                rows.append((r["agent"], float(r["value"]), float(r["ci_low"]), float(r["ci_high"])))
    return sorted(rows, key=lambda r: -r[1])


def write_scripted(rows: Sequence[dict], out_dir: Path = REPORT_DIR, seed: int = 0) -> list[Path]:
    """``scripted.md``, ``.csv`` and ``.json`` of the scripted table in ``out_dir``."""
    return write_rows(rows, Path(out_dir) / "scripted", "Scripted agents on the catalogue quests",
                      note=f"{rows[0]['episodes'] if rows else 0} episodes per quest and agent; episode *i* uses env "
                           f"seed `{seed} + i`. Turns to clear: mean over won episodes. Damage per turn: total damage "
                           "/ turns played, averaged over episodes. Generated by `make demo` (`fgo demo`).")


QUICK = dict(steps={"ppo": 4096, "maskable_ppo": 256}, fixed=("random", "greedy"), runs=2, episodes=2)
QUICK_OVERRIDES = {"ppo": {"num_envs": 64, "num_steps": 16}, "maskable_ppo": {"n_steps": 64}}

__all__ = ["DEMO_QUESTS", "QUICK", "QUICK_OVERRIDES", "REPORT_DIR", "Plan", "learning_comparison", "make_plan",
           "scripted_table", "write_run_section", "write_scripted"]
