"""Can a frame's label be read at all? A pixel probe for the labels a capture erases.

A notification over "Battle n/N", a motion blur longer than a digit is wide, video blocks on a
small frame can leave a crop whose digit no reader could make out; a boss's break pips a few
pixels wide can come out the same lit or broken. Such a crop's label is not trained on (it would
teach the head to guess) nor scored (no reader can be right but by chance).

The probe asks the renderer rather than a rule about the look's knobs, so any mix of capture
disturbances is judged by what it does to the pixels. The scene is drawn again with the field
changed (n of "Battle n/N" to another digit), once under the frame's look and once under its
clean copy (`clean_look`: the same geometry, fonts, colours, blur, noise and compression, without
the capture disturbances: status bar, notification, gamma, rescale, video, mid-animation). The
change the digit makes to the crop under the look, correlated with the change it makes cleanly,
says how much of the digit's *shape* survives: near 1 where only its contrast fell (a translucent
status bar, a fade), near 0 where it is covered or smeared into its neighbours. Below
``LEGIBLE_MIN_CORR`` the field is illegible: the threshold was set by eye on the grid of
``python benchmarks/legibility_grid.py`` (the test split's wave crops by correlation). The look's
own blur, noise and JPEG are in the reference, so they are not judged here; menus (a battle
dialog over the counter) are not probed.

Break pips (``breaks{e}``: enemy slot e's pips lit, 0 to 3) are probed the same way, with
``breaks_left`` moved by one round the pips drawn (one more lit; from all lit, none). A change that leaves no trace
even in the clean drawing scores 0: the look itself draws both states alike (a real-family pip
too small for its rim drew no state at all before 2026-12-05; a boss the screen does not draw).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from fgo_env.features import MAX_BREAKS
from fgo_env.screens import Look, Scene
from fgo_env.screens.scene import MENU_KIND

from .tasks import CROP_SIZE, extract_crops

LEGIBLE_MIN_CORR = 0.6
PROBED = {"wave": "wave", "wave_total": "wave"}  # a probed scene label -> the crop its head reads
BREAKS = "breaks"  # "breaks{e}": enemy slot e's break pips, read by the breaks head from crop "breaks{e}"


def crop_of(field: str) -> str:
    """The crop a probed field is read from."""
    return PROBED.get(field, field)


def task_of(field: str) -> str:
    """The task (head) that reads a probed field."""
    return BREAKS if field.startswith(BREAKS) else field


def clean_look(look: Look) -> Look:
    """``look`` without its capture disturbances (`Look.undisturbed`): what the correlation is
    taken against. The look's own blur, noise and JPEG stay in the reference: taken out too, a
    blur alone moves a thin digit's edges enough to score digits anyone can read as illegible."""
    return look.undisturbed()


def _with(scene: Scene, field: str, value: int) -> Scene:
    """``scene`` with ``field`` set, unchecked: the probe may draw "3/1", which a Scene refuses
    (n > N) but the renderer draws like any other digits."""
    out = copy.copy(scene)
    object.__setattr__(out, field, value)
    return out


def _changed(scene: Scene, field: str) -> Scene:
    """``scene`` with ``field`` moved by one: a wave digit 1 -> 2 -> 3 -> 1, an enemy's break pips
    lit 0 -> 1 -> ... -> all the pips drawn (at most ``MAX_BREAKS``) -> 0."""
    if field in PROBED:
        return _with(scene, field, int(getattr(scene, field)) % 3 + 1)
    e = int(field[len(BREAKS):])
    enemies = list(scene.enemies)
    en = enemies[e]
    drawn = min(en.breaks, MAX_BREAKS)  # the painters draw no more pips than this
    enemies[e] = dataclasses.replace(en, breaks_left=(min(en.breaks_left, drawn) + 1) % (drawn + 1))
    return _with(scene, "enemies", type(scene.enemies)(enemies))


def _batches(fields) -> list[list[str]]:
    """``fields`` in groups whose crops differ, in order: a group's changes are drawn together (the
    wave counter and the enemies' pips lie far apart, so one change leaves the other's crop as it
    was: the datasets are the same bytes as with a drawing per field), two fields of one crop
    (the wave digits n and N) never."""
    groups: list[list[str]] = []
    for f in fields:
        group = next((g for g in groups if all(crop_of(h) != crop_of(f) for h in g)), None)
        if group is None:
            groups.append([f])
        else:
            group.append(f)
    return groups


def _gray(crop: np.ndarray) -> np.ndarray:
    return crop.astype(np.float32).mean(-1)


def shape_correlation(changed: np.ndarray, changed_clean: np.ndarray) -> float:
    """Correlation of two difference images (a label's change under the look and drawn clean);
    0 when either is flat (the change left no trace)."""
    norm = float(np.linalg.norm(changed) * np.linalg.norm(changed_clean))
    return float((changed * changed_clean).sum()) / norm if norm > 1e-6 else 0.0


def contrast_kept(changed: np.ndarray, changed_clean: np.ndarray) -> float:
    """How strong a label's change is under the look against drawn clean (the ratio of their
    norms): about 1 - the opacity of a band over it; 0 when the clean change is flat. Not a
    criterion: on ``legibility_grid.py --by contrast`` the faintest digits the correlation keeps
    (a notification at 91 % over "Battle 3/3": 0.09) can still be read."""
    clean = float(np.linalg.norm(changed_clean))
    return float(np.linalg.norm(changed)) / clean if clean > 1e-6 else 0.0


class LegibilityProbe:
    """Which probed labels (``PROBED``'s wave digits, ``breaks{e}``) a frame drawn by ``renderer``
    shows legibly.

    One probe per renderer (look and size); the clean renderer is made on first use. A look
    that is its own clean copy (``Look.plain()``) shows every wave digit; its break pips are still
    probed, against themselves (a change that leaves no trace is illegible in any look)."""

    def __init__(self, renderer, size: int = CROP_SIZE) -> None:
        self.renderer = renderer
        self.size = size
        self.look = renderer.look
        self.sharp = clean_look(self.look) == self.look
        self._clean = None  # a Renderer (pygame loads on first use, as fgo_env.screens wants)

    def _crop(self, frame: np.ndarray, crop: str) -> np.ndarray:
        return _gray(extract_crops(frame, [crop], self.size)[0])

    def correlations(self, scene: Scene, frame: np.ndarray, fields=tuple(PROBED)) -> dict[str, float]:
        """{field: shape correlation} of ``fields`` on ``frame`` (``renderer``'s drawing of
        ``scene``); each field changed by one (`_changed`)."""
        return {f: corr for f, (corr, _) in self.measures(scene, frame, fields).items()}

    def measures(self, scene: Scene, frame: np.ndarray, fields=tuple(PROBED)) -> dict[str, tuple[float, float]]:
        """{field: (shape correlation, contrast kept)} of ``fields`` on ``frame``."""
        if self._clean is None and not self.sharp:
            from fgo_env.screens import Renderer

            self._clean = Renderer(self.renderer.width, self.renderer.height, clean_look(self.look))
        crops = {crop_of(f) for f in fields}  # the frame's crops and their clean drawing, once each
        base = {c: self._crop(frame, c) for c in crops}
        clean_frame = frame if self.sharp else self._clean.render(scene)
        clean = {c: self._crop(clean_frame, c) for c in crops}
        out = {}
        for group in _batches(fields):  # fields of distinct crops change in one drawing
            other = scene
            for field in group:
                other = _changed(other, field)
            drawn = self.renderer.render(other)
            drawn_clean = None if self.sharp else self._clean.render(other)
            for field in group:
                crop = crop_of(field)
                changed = self._crop(drawn, crop) - base[crop]
                changed_clean = changed if self.sharp else self._crop(drawn_clean, crop) - clean[crop]
                out[field] = shape_correlation(changed, changed_clean), contrast_kept(changed, changed_clean)
        return out

    def illegible(self, scene: Scene, frame: np.ndarray, skip=(), fields=tuple(PROBED)) -> tuple[str, ...]:
        """The ``fields`` of ``scene`` (`PROBED`'s, "breaks{e}") that ``frame`` does not show
        legibly (none are probed on menus, nor the ``skip`` ones: already unscored)."""
        fields = tuple(f for f in fields if f not in skip and not (self.sharp and f in PROBED))
        if scene.kind == MENU_KIND or not fields:
            return ()
        corr = self.correlations(scene, frame, fields)
        return tuple(f for f in fields if corr[f] < LEGIBLE_MIN_CORR)
