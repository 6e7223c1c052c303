"""Search agents: `SearchAgent`, determinized Monte-Carlo planning on the engine (docs/search.md)."""

from .planner import DEFAULT_VALUE, SearchAgent

__all__ = ["DEFAULT_VALUE", "SearchAgent"]
