"""The game's screens as frames: scene description, layout, looks and the renderer.

``Scene`` (plain data), ``layout`` (all geometry) and ``Look`` import without pygame; ``Renderer``
and ``downscale`` import pygame on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import layout
from .look import Look, jitter_rect
from .scene import IN_BETWEEN_KINDS, KINDS, CardView, EnemyView, Scene, ServantView

if TYPE_CHECKING:
    from .post import downscale
    from .renderer import Renderer

__all__ = ["KINDS", "IN_BETWEEN_KINDS", "CardView", "EnemyView", "Look", "Renderer", "Scene",
           "ServantView", "downscale", "jitter_rect", "layout"]


def __getattr__(name: str) -> Any:
    if name == "Renderer":
        from .renderer import Renderer

        return Renderer
    if name == "downscale":
        from .post import downscale

        return downscale
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
