"""Record a teacher's games (by default the search agent) as replays for distillation.

Every (quest, block of seeds) is one job writing one replay file ``<out>/<quest>.s<first>-<last>.jsonl.gz``;
jobs run in worker processes. A file that holds all its episodes is kept (a second run resumes
an interrupted one), a partial one (a killed job) is recorded again, so an interrupt loses at most
the jobs that were running. Episode *i* of a quest is played on env seed ``seed + i``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".jsonl.gz"


@dataclass(frozen=True)
class Job:
    quest: str
    first_seed: int
    episodes: int
    path: Path


def plan_jobs(quests: Sequence[str], episodes: int, out_dir: Path, seed: int = 0, block: int = 20) -> list[Job]:
    """One job per quest and block of ``block`` episodes."""
    jobs = []
    for quest in quests:
        for start in range(0, int(episodes), int(block)):
            n = min(int(block), int(episodes) - start)
            first = int(seed) + start
            jobs.append(Job(quest, first, n, Path(out_dir) / f"{quest}.s{first}-{first + n - 1}{SUFFIX}"))
    return jobs


def episodes_in(path: Path) -> int:
    """Whole episodes a replay file holds (0 for a missing or unreadable file)."""
    import warnings

    from replays.format import ReplayError
    from replays.io import open_replay

    if not path.exists():
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a torn last line: that job is recorded again
            return sum(1 for _ in open_replay(path).episodes())
    except (ReplayError, OSError, EOFError, ValueError):
        return 0


class Dagger:
    """DAgger's player: the ``student`` plays (the teacher with probability ``beta``) and the
    ``teacher`` labels every decision: its choice goes into the agent info as ``"label"``, beside
    its visits, so the dataset learns the teacher's decision on the states the student reaches."""

    name = "dagger"

    def __init__(self, student, teacher, beta: float = 0.0, seed: int = 0):
        import numpy as np

        self.student, self.teacher, self.beta = student, teacher, float(beta)
        self.rng = np.random.default_rng(seed)
        self.last_info: dict = {}

    def reset(self, env) -> None:
        self.student.reset(env)
        self.teacher.reset(env)

    def act(self, observation, action_mask) -> int:
        label = int(self.teacher.act(observation, action_mask))
        info = dict(getattr(self.teacher, "last_info", None) or {})
        played = label if self.rng.random() < self.beta else int(self.student.act(observation, action_mask))
        self.last_info = {**info, "label": label}
        return played


def _play(job: Job, agent_spec: str, reward: str, agent_seed: int, student: str | None = None,
          beta: float = 0.0) -> tuple[int, int]:
    """Worker: record ``job``'s episodes to a temporary file, then move it in place (atomic);
    returns (episodes, decisions)."""
    import numba

    from fgo_env.env import FGOEnv
    from replays.record import RecordReplays

    from .. import registry
    from ..evaluate import play_episode

    numba.set_num_threads(1)  # one game per worker: the workers are the parallelism
    agent = registry.resolve(agent_spec, seed=agent_seed)
    if hasattr(agent, "rng"):  # a seeded agent: the job's own stream, the same on every run
        import zlib

        import numpy as np

        agent.rng = np.random.default_rng([agent_seed, job.first_seed, zlib.crc32(job.quest.encode())])
    obs_mode = getattr(agent, "obs_mode", "state")
    if student is not None:  # the student's env; the teacher reads the same or the game (`_check_players`)
        learner = registry.resolve(student)
        obs_mode = getattr(learner, "obs_mode", "state")
        agent = Dagger(learner, agent, beta, seed=job.first_seed)
    tmp = job.path.with_name("part-" + job.path.name)  # keeps the suffix: the same compression
    env = RecordReplays(FGOEnv(quest=job.quest, reward=reward, obs_mode=obs_mode), tmp, agent=agent, fsync_every=None,
                        meta={"distill": {"teacher": agent_spec, "student": student, "beta": beta}})
    try:
        decisions = sum(play_episode(env, agent, job.first_seed + i)["decisions"] for i in range(job.episodes))
    finally:
        env.close()
    os.replace(tmp, job.path)
    return job.episodes, decisions


def _run_jobs(jobs: Sequence[Job], workers: int, args: tuple) -> Iterator[tuple[int, int]]:
    """`_play`'s results as the jobs finish: in this process, or in ``workers`` spawned ones
    (an interrupt cancels the jobs not started)."""
    if workers <= 1:
        yield from (_play(job, *args) for job in jobs)
        return
    with ProcessPoolExecutor(max_workers=int(workers), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_play, job, *args) for job in jobs]
        try:
            for f in as_completed(futures):
                yield f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _check_players(agent: str, student: str | None) -> None:
    """Both load (an unknown name fails here, in one line, before a worker starts), and the teacher
    labels the states the student plays on: a teacher that reads observations (a policy,
    ``greedy_features``: it has an ``obs_mode``) must read the student's; one that reads the game
    record (the search, greedy: no ``obs_mode``) labels a student of any observations."""
    from .. import registry
    from ..errors import UserError

    if student is None:
        registry.resolve(agent)
        return
    teacher = getattr(registry.resolve(agent), "obs_mode", None)
    learner = getattr(registry.resolve(student), "obs_mode", "state")
    if teacher is not None and teacher != learner:
        raise UserError(f"the teacher {agent!r} plays on obs_mode={teacher!r} observations and the student "
                        f"{student!r} on {learner!r}: DAgger needs both on the same")


def _same_spec(recorded: str | None, asked: str | None) -> bool:
    """The same teacher or student: the same name, or paths to one file or folder (``runs/x``,
    ``runs/x/``, ``./runs/x`` and its absolute path are one policy)."""
    if recorded is None or asked is None or recorded == asked:
        return recorded == asked
    a, b = Path(recorded), Path(asked)
    return a.exists() and b.exists() and a.resolve() == b.resolve()


def _weights(reward) -> dict | None:
    from fgo_env.rewards import PRESETS

    return PRESETS.get(reward) if isinstance(reward, str) else reward


def _check_folder(out: Path, jobs: Sequence[Job], agent: str, reward: str, student: str | None,
                  beta: float) -> dict[Path, Job]:
    """A folder's replay files are one dataset: refuse files of other settings (a rerun kept them as
    done and recorded nothing) and files whose seeds overlap this plan's under another name
    (another --block: their games would be counted twice). A file that is the start of a planned
    block (the shorter last block of a smaller --episodes) is returned with that block: its
    games are the block's first ones (a block's generators are seeded by its first seed), so it
    is removed once the whole block is recorded."""
    import re

    from replays.format import ReplayError
    from replays.io import open_replay

    from ..errors import UserError

    planned = {j.path.name for j in jobs}
    ranges = {(j.quest, j.first_seed, j.first_seed + j.episodes - 1) for j in jobs}
    superseded: dict[Path, Job] = {}
    for path in sorted(out.glob("*" + SUFFIX)):
        if path.name.startswith("part-"):  # a killed job's: recorded again
            continue
        match = re.fullmatch(r"(.+)\.s(\d+)-(\d+)" + re.escape(SUFFIX), path.name)
        if path.name not in planned and match:
            quest, lo, hi = match[1], int(match[2]), int(match[3])
            start = next((j for j in jobs if j.quest == quest and j.first_seed == lo
                          and hi < j.first_seed + j.episodes - 1), None)
            if start is not None:
                superseded[path] = start
            elif any(q == quest and lo <= last and first <= hi for q, first, last in ranges):
                raise UserError(f"{path} holds seeds {lo}-{hi} of {quest}, which this run's blocks also play "
                                f"(another --block or --seed): give the first run's --block and --seed, or "
                                f"another --out")
        try:
            header = open_replay(path).header
        except (ReplayError, OSError, EOFError, ValueError):
            continue  # unreadable: recorded again if it is one of this plan's files
        got = dict(header.meta.get("distill") or {})
        got["beta"] = float(got.get("beta") or 0.0)
        same = (set(got) <= {"teacher", "student", "beta"} and _same_spec(got.get("teacher"), agent)
                and _same_spec(got.get("student"), student) and got["beta"] == float(beta))
        if not same or _weights(header.env_kwargs.get("reward")) != _weights(reward):
            raise UserError(f"{path} was recorded with teacher {got.get('teacher')!r}, student "
                            f"{got.get('student')!r}, beta {got['beta']:g}, reward "
                            f"{header.env_kwargs.get('reward')!r}; this run asks for {agent!r}, {student!r}, "
                            f"{float(beta):g}, {reward!r}: one folder holds one dataset, give another --out")
    return superseded


def record_games(quests: Sequence[str], episodes: int, out_dir: str | Path, *, agent: str = "search_fast",
                 seed: int = 0, reward: str = "shaped", workers: int = 2, block: int = 20,
                 student: str | None = None, beta: float = 0.0,
                 progress: Callable[[int, int], None] | None = None) -> dict:
    """Record ``episodes`` games of each quest played by ``agent`` into ``out_dir``; with a
    ``student`` (a trained policy), the student plays and ``agent`` labels (`Dagger`).

    Returns ``{"files", "episodes", "decisions", "skipped"}`` (decisions of the jobs run now).
    ``progress(done_jobs, total_jobs)`` is called as jobs finish.
    """
    out = Path(out_dir)
    _check_players(agent, student)
    jobs = plan_jobs(quests, episodes, out, seed, block)
    superseded = _check_folder(out, jobs, agent, reward, student, beta) if out.is_dir() else {}
    out.mkdir(parents=True, exist_ok=True)
    todo = [j for j in jobs if episodes_in(j.path) < j.episodes]
    skipped = len(jobs) - len(todo)
    if skipped:
        log.info("%d of %d replay files already complete in %s: kept", skipped, len(jobs), out)
    done, decisions, recorded = skipped, 0, 0
    if progress:
        progress(done, len(jobs))
    for n, d in _run_jobs(todo, workers, (agent, reward, int(seed), student, beta)):
        done, recorded, decisions = done + 1, recorded + n, decisions + d
        if progress:
            progress(done, len(jobs))
    for path, job in superseded.items():  # its games are now in the whole block's file
        if episodes_in(job.path) >= job.episodes:
            log.info("%s: its games are the start of %s, recorded whole: removed", path.name, job.path.name)
            path.unlink()
    return {"files": [str(j.path) for j in jobs], "episodes": recorded, "decisions": decisions, "skipped": skipped}


__all__ = ["Dagger", "Job", "episodes_in", "plan_jobs", "record_games"]
