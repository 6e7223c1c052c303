"""Pieces shared by the learners: seeds, batched masked evaluation, single-env factories.

**Seeds.** A run with seed ``s`` trains on games drawn from generators seeded with ``s``
(the vector env, or SB3's ``seed + i`` per env). Evaluation uses generators seeded with
`eval_seed` ``(s, k)`` (a SeedSequence of ``s``, a fixed salt and the quest index ``k``),
whose streams are independent of the training ones; the same evaluation games are replayed at
every evaluation point of a run (common random numbers make the learning curve smoother).

**Evaluation** (`evaluate_batched`) plays ``episodes`` games per quest at once on a
`FGOVectorEnv` (one game per env slot, its first episode counts) with a batched policy
function, greedy by default, and always scores returns with the "default" reward preset so
runs trained on different reward presets are comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fgo_env.engine import constants as C
from fgo_env.engine.actions import ATTACK

EVAL_SALT = 0x5EED_E7A1
TRAIN_SALT = 0x7EA1_0000


def resolve_device(name: str):
    """``"auto"`` (CUDA where present, else the CPU), ``"cpu"`` or ``"cuda[:N]"`` as a torch device;
    asking for CUDA without a GPU is a clear error."""
    import torch

    from ..errors import UserError

    name = str(name).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"--device {name} (hyperparameter device: {name}): no CUDA GPU is available to torch "
                            "here; use cpu or auto")
        return torch.device(name)
    raise UserError(f"device {name!r}: choose auto, cpu or cuda")


def to_cpu(tree):
    """A state dict (nested dicts and lists of tensors) with every tensor on the CPU: checkpoints
    written on a GPU load anywhere."""
    if hasattr(tree, "detach"):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {k: to_cpu(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_cpu(v) for v in tree)
    return tree


def scripted_act_batch(agents: Sequence) -> Callable:
    """An ``act_batch(obs, masks, env)`` for `evaluate_batched` (``pass_env=True``) that lets
    ``agents[i]`` (scripted agents reading the game state, e.g. greedy) play game ``i``.

    Each agent decides from its game's record (``agent.act_on_record(env.state[i], mask)``); it
    is never reset, so an agent that keeps memory between decisions sees the vector env's
    successive episodes of its game as one stream."""

    def act_batch(obs: np.ndarray, masks: np.ndarray, env) -> np.ndarray:
        out = np.zeros(len(obs), np.int64)
        phases = env.state["phase"]
        for i, agent in enumerate(agents):
            # a game that just ended: the autoreset step ignores its action; Attack is its legal no-op
            out[i] = ATTACK if phases[i] == C.PHASE_DONE else agent.act_on_record(env.state[i], masks[i])
        return out

    return act_batch


def eval_seed(seed: int, quest_index: int = 0) -> int:
    """Seed of the evaluation games of quest ``quest_index`` for a run seeded ``seed``."""
    return int(np.random.SeedSequence([int(seed), EVAL_SALT, int(quest_index)]).generate_state(1)[0])


def evaluate_batched(act_batch: Callable[..., np.ndarray], quests: Sequence[str],
                     episodes: int, seed: int, obs_mode: str = "state", reward: str = "default",
                     max_decisions: int = 5000, catalogue=None, pass_env: bool = False) -> dict:
    """Play ``episodes`` games of each quest with ``act_batch(obs, masks) -> actions``
    (``act_batch(obs, masks, env)`` with ``pass_env``: scripted agents read the games' states).

    Returns ``{"win_rate", "mean_return", "mean_turns", "episodes", "per_quest": {quest:
    {"win_rate", "mean_return", "mean_turns", "returns", "outcomes"}}}`` (per-episode arrays:
    outcome codes 1 win, 2 loss, 3 timeout); the overall figures average the quests.
    """
    from fgo_env.vector_env import FGOVectorEnv

    per_quest = {}
    for k, quest in enumerate(quests):
        env = FGOVectorEnv(episodes, quest=quest, obs_mode=obs_mode, reward=reward, catalogue=catalogue)
        obs, info = env.reset(seed=eval_seed(seed, k))
        finished = np.zeros(episodes, bool)
        returns = np.zeros(episodes)
        turns = np.zeros(episodes)
        outcome = np.zeros(episodes, np.int64)
        for _ in range(max_decisions):
            masks = info["action_mask"].astype(bool)
            actions = np.asarray(act_batch(obs, masks, env) if pass_env else act_batch(obs, masks), np.int64)
            obs, rew, term, trunc, info = env.step(actions)
            live = ~finished
            returns[live] += rew[live]
            ended = (term | trunc) & live
            if ended.any():
                outcome[ended] = info["outcome"][ended]
                turns[ended] = env.state["turns_played"][ended]
                finished |= ended
            if finished.all():
                break
        outcome[~finished] = 3  # did not end within max_decisions: count as a timeout
        per_quest[quest] = {"win_rate": float(np.mean(outcome == 1)), "mean_return": float(returns.mean()),
                            "mean_turns": float(turns.mean()), "returns": returns, "outcomes": outcome}
        env.close()
    keys = ("win_rate", "mean_return", "mean_turns")
    out = {k: float(np.mean([r[k] for r in per_quest.values()])) for k in keys}
    return {**out, "episodes": episodes * len(quests), "per_quest": per_quest}


# ----------------------------------------------------------------------------- single envs

def load_content(content: str | None):
    """The catalogue of a ``content`` folder of content TOML files (validated; None: the package's).
    Learners keep the path in the run's config, so a trained agent says what it played."""
    if content is None:
        return None
    from pathlib import Path

    from fgo_env.content import load_catalogue

    if not str(content):  # Path("") is the current folder
        from ..errors import UserError

        raise UserError("--content: the empty path is not a content folder (give a folder of TOML files, "
                         "see docs/content.md)")
    if not Path(content).is_dir():
        what = "a file, not a folder" if Path(content).exists() else "no such content folder"
        raise FileNotFoundError(2, f"{what} (expected a folder of TOML files, see docs/content.md)", str(content))
    return load_catalogue(content)


__all__ = ["eval_seed", "evaluate_batched", "load_content", "resolve_device",
           "scripted_act_batch", "to_cpu"]
