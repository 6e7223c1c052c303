"""`Renderer`: a `Scene` to pixels, for ``rgb_array`` frames and for a pygame window.

One code path draws both: `draw` composes onto any surface, `render` composes onto an internal
surface and reads it out as an H×W×3 uint8 array. Per (look, size) the renderer caches the backdrop,
one static base image per screen kind and the resolved pixel rect of every layout element, so a
frame costs one full blit plus a few dozen small ones.
"""

from __future__ import annotations

import numpy as np

from . import layout, real_paint
from ._pg import pygame
from .art import palette
from .backdrop import backdrop
from .look import Look, jitter_rect, screen_size
from .menus import paint_menu
from .paint import BASE_OF_KIND, Ctx, build_base, paint_scene
from .real_art import real_backdrop
from .post import NoiseField, PixelReader, adjust_color, downscale, jpeg_roundtrip, resample_blur
from .scene import Scene

__all__ = ["Renderer", "downscale"]


class Renderer:
    """Draws `Scene`s at a fixed size under a fixed `Look`.

    Args:
        width, height: size of the 16:9 game area in pixels (also the frame size unless the look
            sets an ``aspect``, in which case the frame keeps ``height`` and takes that ratio).
        look: drawing knobs; ``Look.plain()`` by default.

    Frames are deterministic: the same scene and look give the same array.
    """

    def __init__(self, width: int = 1280, height: int = 720, look: Look | None = None) -> None:
        if width < 64 or height < 36:
            raise ValueError(f"Renderer: {width}×{height} is too small (min 64×36)")
        self.width, self.height = int(width), int(height)
        self.look = look if look is not None else Look.plain()

    # ------------------------------------------------------------------------- configuration
    @property
    def look(self) -> Look:
        return self._look

    @look.setter
    def look(self, look: Look) -> None:
        """Switch look; rebuilds the caches that depend on it (backdrop, bases, sprites)."""
        self._look = look
        self.screen_size = screen_size(self.width, self.height, look)
        self.area = layout.game_area(*self.screen_size, look.aspect_mode)
        self._ctx = Ctx(self._resolve_rects(), look, palette(look.hue_shift))
        self._backdrop: pygame.Surface | None = None
        self._bases: dict[str, pygame.Surface] = {}
        self._surface = pygame.Surface(self.screen_size)
        self._reader = PixelReader(self.screen_size)
        self._noise = NoiseField(self.screen_size, look.noise, look.seed) if look.noise > 0 else None

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """Shape of the arrays `render` returns: (height, width, 3)."""
        return (self.screen_size[1], self.screen_size[0], 3)

    def _resolve_rects(self) -> dict[str, pygame.Rect]:
        gx, gy, gw, gh = self.area
        out = {}
        for key, rect in layout.elements().items():
            x, y, w, h = jitter_rect(rect, self._look, key).to_pixels(gw, gh)
            out[key] = pygame.Rect(gx + x, gy + y, max(1, w), max(1, h))
        return out

    def rect(self, key: str) -> pygame.Rect:
        """The pixel rect element ``key`` (see ``layout.elements``) is drawn in on the frame."""
        return self._ctx.px[key].copy()

    # ------------------------------------------------------------------------------ caching
    def _backdrop_screen(self) -> pygame.Surface:
        """The battlefield over the whole screen ("crop") or the game area with black bars."""
        if self._backdrop is None:
            look, (sw, sh) = self._look, self.screen_size
            gx, gy, gw, gh = self.area
            screen = pygame.Surface((sw, sh))
            if look.family == "real":
                def draw(size):
                    return real_backdrop(size, look.seed, look.hue_shift)
            else:
                def draw(size):
                    return backdrop(look.background, size, look.seed, look.hue_shift)
            if look.aspect_mode == "crop":
                screen.blit(draw((sw, sh)), (0, 0))
            else:
                screen.blit(draw((gw, gh)), (gx, gy))
            self._backdrop = screen
        return self._backdrop

    def _base(self, kind: str) -> pygame.Surface:
        name = BASE_OF_KIND[kind]
        base = self._bases.get(name)
        if base is None:
            build = real_paint.build_base if self._look.family == "real" else build_base
            base = self._bases[name] = build(self._ctx, name, self._backdrop_screen())
        return base

    # ------------------------------------------------------------------------------ drawing
    def draw(self, surface: pygame.Surface, scene: Scene) -> None:
        """Draw ``scene`` onto ``surface`` (a window). Post-processing of randomised looks is
        applied too; a surface of another size receives the frame scaled smoothly."""
        if self._has_post() or surface.get_size() != self.screen_size:
            frame = self.render(scene)
            image = pygame.image.frombuffer(frame.tobytes(), self.screen_size, "RGB")
            if surface.get_size() != self.screen_size:
                image = pygame.transform.smoothscale(image, surface.get_size())
            surface.blit(image, (0, 0))
            return
        self._compose(surface, scene)

    def render(self, scene: Scene) -> np.ndarray:
        """``scene`` as a C-contiguous H×W×3 uint8 array of shape `frame_shape`."""
        surface = self._surface
        self._compose(surface, scene)
        look = self._look
        resample_blur(surface, look.blur)
        if look.has_color_change:
            adjust_color(surface, look.brightness, look.contrast)
        if self._noise is not None:
            self._noise.apply(surface)
        frame = self._reader.read(surface)
        if look.has_disturbance:  # capture disturbances (robustness)
            from .post import disturb  # here, not at the top: keeps this hunk apart from others

            frame = disturb(frame, look, self.area)
        if look.jpeg_quality:
            frame = jpeg_roundtrip(frame, look.jpeg_quality)
        return frame

    def _compose(self, surface: pygame.Surface, scene: Scene) -> None:
        if scene.kind == "menu":  # not a battle screen: fgo_env.screens.menus draws it (robustness)
            return paint_menu(surface, scene, self.area, self._look, lambda s: self._compose(surface, s))
        surface.blit(self._base(scene.kind), (0, 0))
        if self._look.family == "real":
            real_paint.paint_scene(self._ctx, surface, scene)
        else:
            paint_scene(self._ctx, surface, scene)

    def _has_post(self) -> bool:
        look = self._look
        return (look.blur > 1 or look.has_color_change or look.noise > 0 or bool(look.jpeg_quality)
                or look.has_disturbance)
