"""A small pygame window to correct a pre-labelled folder (``fgo vision label DIR --window``).

`LabelEditor` holds the entries of ``DIR/labels.json`` and applies key presses to them (pure
logic, tested without a display); `run_window` shows each image with its current labels drawn on
it (`feature_models.real.draw_preview` of the labels) and a help line, and saves on ``s``, on
leaving (Esc or closing the window) and on Ctrl-C or any error (the edits are saved, then the
exception goes on), never otherwise. Any edit marks the entry ``"labelled_by": "human"``, so
re-labelling keeps it. A card's type or owner set on an entry without card lists leaves the other
cards null (not scored).

Keys: ←/→ (or Backspace/Space) previous/next image; ``p`` phase (command → cards → other → null);
``m`` non-battle frame (kind "menu") on/off; ``w``/``t`` wave n / N (1 → 2 → 3 → null); ``1``–``5``
select a face card, then ``a``/``b``/``q`` its type and ``z``/``x``/``c`` its owner slot 0/1/2;
``7``/``8``/``9`` toggle NP ready of slot 0/1/2; ``s`` save; Esc save and quit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fgo_env.features import N_CARDS, N_FRONT, PHASE_CARDS, Features

from .reading import Reading
from .real import KIND_OF_PHASE, LABELS_FILE, NON_BATTLE_KINDS, draw_preview, kind_fits_phase, load_image, read_labels

HELP = ("<-/-> image  p phase  m menu  w/t wave n/N  1-5 card  a/b/q type  z/x/c owner  7/8/9 NP  "
        "s save  Esc save+quit")
_CYCLE3 = (1, 2, 3, None)


def _next(values, v):
    return values[(values.index(v) + 1) % len(values)] if v in values else values[0]


class LabelEditor:
    """The entries of a labels file and the edits keys make to them."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        labels = read_labels(self.folder)
        assert labels is not None
        self.doc = labels.doc
        self.entries: list[dict] = [e for e in self.doc["items"] if (self.folder / e["file"]).exists()]
        if not self.entries:
            from .real import RealDataError

            raise RealDataError(f"{labels.path}: no entry names an image of {self.folder}")
        self.index = 0
        self.card = 0
        self.dirty = False
        self.error = ""

    @property
    def entry(self) -> dict:
        return self.entries[self.index]

    def _edited(self) -> None:
        self.entry["labelled_by"] = "human"
        self.dirty = True

    def _kind_from_phase(self) -> None:
        e = self.entry
        if e.get("kind") not in NON_BATTLE_KINDS or not kind_fits_phase(e.get("kind"), e.get("phase")):
            e["kind"] = KIND_OF_PHASE.get(e.get("phase"), "other_battle")

    def _cards(self, field: str) -> list:
        """The entry's ``field`` list, made (all null: not scored) where it is missing or null."""
        e = self.entry
        if e.get(field) is None:  # not setdefault: the file's null must be replaced too
            e[field] = [None] * N_CARDS
        return e[field]

    def key(self, name: str) -> bool:
        """Apply one key (pygame's key name); False for a key that does nothing."""
        e = self.entry
        if name in ("right", "space"):
            self.index = (self.index + 1) % len(self.entries)
        elif name in ("left", "backspace"):
            self.index = (self.index - 1) % len(self.entries)
        elif name == "p":
            e["phase"] = _next((0, 1, 2, None), e.get("phase"))
            if e["phase"] == PHASE_CARDS:
                e["card_types"] = e.get("card_types") or [0] * N_CARDS
                e["card_owners"] = e.get("card_owners") or [0] * N_CARDS
            elif e["phase"] is not None:
                e["card_types"] = e["card_owners"] = None
            self._kind_from_phase()
            self._edited()
        elif name == "m":
            if e.get("kind") in NON_BATTLE_KINDS:
                e["kind"] = "other_battle"
                self._kind_from_phase()
            else:
                e.update(kind="menu", phase=2, wave=None, wave_total=None, card_types=None, card_owners=None,
                         np_ready=None)
            self._edited()
        elif name in ("w", "t"):
            field = "wave" if name == "w" else "wave_total"
            e[field] = _next(_CYCLE3, e.get(field))
            n, total = e.get("wave"), e.get("wave_total")
            if n is not None and total is not None and n > total:  # keep n <= N
                e["wave_total" if name == "w" else "wave"] = e[field]
            self._edited()
        elif name in "12345" and len(name) == 1:
            self.card = int(name) - 1
        elif name in ("a", "b", "q") and e.get("phase") == PHASE_CARDS:
            self._cards("card_types")[self.card] = "abq".index(name)
            self._edited()
        elif name in ("z", "x", "c") and e.get("phase") == PHASE_CARDS:
            self._cards("card_owners")[self.card] = "zxc".index(name)
            self._edited()
        elif name in ("7", "8", "9"):
            ready = e.get("np_ready") or [False] * N_FRONT
            j = "789".index(name)
            ready[j] = not ready[j]
            e["np_ready"] = ready
            self._edited()
        else:
            return False
        return True

    def save(self) -> Path:
        """Write the labels file (every entry, edited or not) and check it reads back."""
        from fgo_env.safe_files import atomic_write_text

        from .real import parse_item

        path = self.folder / LABELS_FILE
        for k, e in enumerate(self.doc["items"]):  # nothing is written unless every entry is valid
            parse_item(e, f"{path}: items[{k}] ({e.get('file')})")
        atomic_write_text(path, json.dumps(self.doc, indent=1, ensure_ascii=False) + "\n")
        self.dirty = False
        return path

    def reading(self) -> Reading:
        """The current entry's labels as a `Reading` (for drawing)."""
        e = self.entry

        def lst(v, n, default):
            return [default if x is None else x for x in (v or [default] * n)]

        owners = lst(e.get("card_owners"), N_CARDS, -1)
        f = Features(e.get("phase") if e.get("phase") is not None else 2, e.get("wave") or 0,
                     e.get("wave_total") or 0, lst(e.get("card_types"), N_CARDS, -1), owners,
                     [bool(x) for x in lst(e.get("np_ready"), N_FRONT, False)], False, 0)
        from .real import _card_groups

        unknown = "not a battle screen (labelled)" if e.get("kind") in NON_BATTLE_KINDS else None
        return Reading(f, {}, unknown, None, card_groups=_card_groups(owners) if f.phase == PHASE_CARDS else [-1] * 5)


def _save(editor: LabelEditor, on_save: Callable[[Path], None] | None) -> None:
    from .real import RealDataError

    try:
        path = editor.save()
    except RealDataError as exc:  # shown in the status line; the file is left as it was
        editor.error = str(exc).split(": ", 1)[-1]
        return
    editor.error = ""
    if on_save:
        on_save(path)


def run_window(folder: str | Path, on_save: Callable[[Path], None] | None = None, max_frames: int | None = None,
               keys: list[str] | None = None) -> LabelEditor:
    """The pygame window over ``folder`` (see module docstring). ``keys`` (pygame key names) are
    applied before the window's own events, and ``max_frames`` stops after that many frames:
    both for tests under ``SDL_VIDEODRIVER=dummy``."""
    import pygame

    editor = LabelEditor(folder)
    pygame.display.init()
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((960, 640))
        font = pygame.font.Font(None, 20)
        cache: dict[str, np.ndarray] = {}
        frames = 0
        pending = list(keys or [])
        running = True
        while running:
            for name in pending:
                editor.key(name)
            pending = []
            for ev in pygame.event.get():
                if ev.type == pygame.QUIT:
                    running = False
                elif ev.type == pygame.KEYDOWN:
                    name = pygame.key.name(ev.key)
                    if name == "escape":
                        running = False
                    elif name == "s":
                        _save(editor, on_save)
                    else:
                        editor.key(name)
            e = editor.entry
            if e["file"] not in cache:
                cache[e["file"]] = load_image(editor.folder / e["file"])
            img = draw_preview(cache[e["file"]], editor.reading(), None, width=960)
            surf = pygame.image.frombuffer(img.tobytes(), img.size, "RGB")
            screen.fill((0, 0, 0))
            screen.blit(surf, (0, 0))
            status = (f"{editor.index + 1}/{len(editor.entries)} {e['file']}  card {editor.card + 1}  "
                      f"{e.get('labelled_by', 'human')}{'  (unsaved)' if editor.dirty else ''}"
                      f"{'  NOT SAVED: ' + editor.error if editor.error else ''}")
            screen.blit(font.render(status, True, (255, 230, 120)), (8, 640 - 40))
            screen.blit(font.render(HELP, True, (220, 220, 220)), (8, 640 - 20))
            pygame.display.flip()
            frames += 1
            if max_frames is not None and frames >= max_frames:
                running = False
            else:
                pygame.time.wait(30)
    finally:
        pygame.display.quit()  # not pygame.quit(): the renderers' cached fonts outlive the window
        if editor.dirty:  # on leaving, and on Ctrl-C or an error too (which then goes on): no edit is lost
            _save(editor, on_save)
    return editor


__all__ = ["HELP", "LabelEditor", "run_window"]
