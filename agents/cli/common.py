"""Argument types and checks shared by the subcommands: each refuses a bad value before any work
starts, with a message naming the value and what would be valid."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import tempfile
from pathlib import Path


def _number(text: str, kind, what: str):
    digits = text.strip().lstrip("+-")
    if kind is int and digits.isascii() and digits.isdigit():
        return int(text)  # exactly: a seed past 2**53 keeps its every digit (float() rounded it)
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if kind is int:  # 3e6, 1000.0: whole numbers written as floats
        if not math.isfinite(value) or value != int(value):
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
        return int(value)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def int_in(low: int | None = None, high: int | None = None, what: str = "value"):
    """An argparse type: a whole number (``3e6`` is accepted) within ``[low, high]``."""
    def parse(text: str) -> int:
        value = _number(text, int, what)
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range(low, high)}, got {text}")
        return value
    return parse


def float_in(low: float | None = None, high: float | None = None, what: str = "value", open_low: bool = False):
    """An argparse type: a finite number within ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    def parse(text: str) -> float:
        value = _number(text, float, what)
        too_low = low is not None and (value <= low if open_low else value < low)
        if too_low or (high is not None and value > high):
            lo = f"> {_text(low)}" if open_low else None
            raise argparse.ArgumentTypeError(f"must be {lo or _range(low, high)}"
                                             f"{f' and <= {_text(high)}' if lo and high is not None else ''}, got {text}")
        return value
    return parse


def _text(v) -> str:
    """A bound as a user would type it: integers whole (1048576, not 1.04858e+06)."""
    return str(v) if isinstance(v, int) else f"{v:g}"


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f"between {_text(low)} and {_text(high)}"
    return f">= {_text(low)}" if low is not None else f"<= {_text(high)}"


def size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` within the sizes the renderer draws (`fgo_env.env.RENDER_SIZES`). Only for
    what a user types: an option's default is a plain (w, h), so building the parser imports no
    engine (`fgo --help` stays fast)."""
    from fgo_env.env import RENDER_SIZES

    (min_w, min_h), (max_w, max_h) = RENDER_SIZES
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 1024x576, got {text!r}") from None
    if not (min_w <= w <= max_w and min_h <= h <= max_h):
        raise argparse.ArgumentTypeError(f"size {text} is out of range ({min_w}x{min_h} to {max_w}x{max_h})")
    return w, h


def warn_untrained(specs: list[str], does: str = "plays", option: str = "--agent") -> None:
    """A learner's registry name gives untrained weights: said, as a run folder was likely meant."""
    import logging

    from ..registry import is_trainable

    for s in specs:
        if is_trainable(s):
            logging.getLogger("fgo").warning(
                "%s %s is a learner's name, not a trained run: it %s untrained weights (give a run folder, "
                "e.g. runs/%s_<quest>_s0, for a trained one)", option, s, does, s)


def csv_items(text: str) -> list[str]:
    """A comma-separated list in which an item may repeat: ``fgo train --quest a,a,b`` draws
    ``a`` twice as often (the quest of an episode is drawn uniformly from the list)."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def csv_list(text: str) -> list[str]:
    items = csv_items(text)
    twice = sorted({s for s in items if items.count(s) > 1})
    if twice:  # a column or a run repeated in the output, a quest counted twice in a mean
        raise argparse.ArgumentTypeError(f"{', '.join(twice)} given twice in {text!r}; give each once")
    return items


def task_weight(text: str) -> tuple[str, float]:
    """``TASK=WEIGHT``, the weight a finite number > 0 (whether TASK is trained is checked later)."""
    task, sep, weight = text.partition("=")
    if not sep or not task.strip():
        raise argparse.ArgumentTypeError(f"expected TASK=WEIGHT, e.g. wave=2, got {text!r}")
    try:
        return task.strip(), float_in(0, None, what="the weight", open_low=True)(weight)
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{text}: the weight {err}") from None


def check_quests(quests: list[str], content: str | None = None) -> None:
    """Every id names a quest (hand-made, or ``random_<seed>``) of the catalogue."""
    from fgo_env.content import check_quest_ids

    check_quest_ids(quests, load_content(content))


def load_content(content: str | None):
    """The catalogue of ``--content DIR`` (validated; None: the package's)."""
    from ..learners.common import load_content as load

    return load(content)


def default_out(parent: str | Path, kind: str) -> Path:
    """``parent/<kind>-<time>``, with a number after it when a command of the same second wrote
    there (two evaluations overwrote each other's table; two pilots would share one recording)."""
    base = f"{kind}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    out, k = Path(parent) / base, 1
    while out.exists() or any(out.parent.glob(out.name + ".*")):  # the folder, or OUT.md, OUT.csv, ...
        k += 1
        out = Path(parent) / f"{base}-{k}"
    return out


def check_writable_dir(path: str | Path) -> Path:
    """``path``'s nearest existing parent is a writable folder (refused before any work starts;
    an empty path, which would be the current folder, is refused by the parser: `main.Parser`)."""
    p = Path(path)
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(20, "not a folder", str(probe))
    if not os.access(probe, os.W_OK):
        raise PermissionError(13, "not writable", str(probe))
    try:  # tried: os.access says yes to root where no file can be made (/proc, a read-only mount)
        tempfile.TemporaryFile(dir=probe).close()
    except OSError as err:
        raise PermissionError(13, f"no file can be made there ({err.strerror or err})", str(probe)) from None
    return p


def check_output_dir(path: str | Path) -> Path:
    """``path`` is (or can be made) a folder to write into: refused before any work starts."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise NotADirectoryError(20, "is a file, not a folder", str(p))
    return check_writable_dir(p)


def check_writable_file(path: str | Path) -> Path:
    """``path`` can be written: not a folder, a file can be made beside it, and the file there
    (if any) takes writes. Refused before any work starts, so a later output's failure cannot
    cost an earlier one (``fgo record --out kept.jsonl --video folder.gif`` overwrote the replay,
    then failed)."""
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(p))
    check_writable_dir(p.parent)  # a new file can be made there: tried
    if p.exists():
        with open(p, "ab"):  # and the one there can be written (appending writes nothing)
            pass
    return p


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")  # what pygame.image.save writes


def image_path(text: str) -> str:
    """An argparse type: an image file pygame can save (by its suffix) where a file can be made,
    checked before a window opens (a folder or a read-only place failed only at the exit, and an
    unknown suffix saved a TGA under the name)."""
    if Path(text).suffix.lower() not in IMAGE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{text}: the image must end in one of {', '.join(IMAGE_SUFFIXES)}")
    try:
        check_writable_file(text)
    except OSError as err:
        raise argparse.ArgumentTypeError(f"{text}: {err.strerror or err}") from None
    return text


def add_content_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", default=None, metavar="DIR",
                        help="a folder of content TOML files to use instead of the package's (docs/content.md)")


def add_quest_argument(parser: argparse.ArgumentParser, default: str | None = "farming_3wave",
                       several: bool = True) -> None:
    parser.add_argument("--quest", "--quests", dest="quest", default=default, required=default is None,
                        type=csv_list if several else str,
                        help="quest id" + (", or several separated by commas" if several else "")
                             + " ('fgo quests'; random_<seed> for a generated quest)"
                             + (f" (default {default})" if default else ""))


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, choices=("auto", "cpu", "cuda"),
                        help="where to train: auto (CUDA where present, else cpu; the default), cpu or cuda")


def check_device(name: str | None) -> None:
    """``--device cuda`` on a machine without a GPU is refused before any work starts."""
    if name is not None:
        from ..learners.common import resolve_device

        resolve_device(name)
