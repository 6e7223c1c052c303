"""Learning agents: our masked PPO on the vector env (`ppo`), sb3-contrib's MaskablePPO and a
masked DQN (`sb3_agents`), and `PolicyAgent`, the trained policy as an `Agent`.

Importing this package is light: torch and SB3 load only with `ppo` / `sb3_agents`.
Train with `agents.train.train` or ``fgo train``; see docs/training.md.
"""

from .policy_agent import PolicyAgent

__all__ = ["PolicyAgent"]
