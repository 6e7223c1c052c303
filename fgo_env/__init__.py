"""fgo_env: Fate/Grand Order-style card battles as Gymnasium environments.

``import fgo_env`` registers ``fgo_env/Battle-v1`` (keyword ``quest=``) and
``fgo_env/RandomQuest-v1`` (keyword ``split="train"|"test"``), both with a batched
``vector_entry_point``. It stays light: no torch, and pygame only once something renders.
"""

from __future__ import annotations

import gymnasium as gym

from .features import Features

__version__ = "0.2.0"


def list_quests() -> list[str]:
    """Ids of the hand-made quests of the catalogue, in file order."""
    from .content import load_catalogue

    return list(load_catalogue().quests)


def _register() -> None:
    specs = {
        "fgo_env/Battle-v1": ("fgo_env.env:FGOEnv", "fgo_env.vector_env:FGOVectorEnv"),
        "fgo_env/RandomQuest-v1": ("fgo_env.env:FGORandomQuestEnv", "fgo_env.vector_env:FGORandomQuestVectorEnv"),
    }
    for env_id, (entry, vector_entry) in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry, vector_entry_point=vector_entry)


_register()

__all__ = ["Features", "list_quests", "__version__"]
