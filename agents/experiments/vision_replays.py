"""The vision model on recorded replays (``fgo vision eval --replays FILE``).

Every decision of a simulated replay is re-rendered by re-simulation (`replays.screens`) with a
chosen look (plain, one seed for every episode, or a random look per episode) and parsed with
`feature_models.parser.FrameParser`; a recording of the real game is scored on its own frames
and labels. Each head is scored against the true Features (`feature_models.evaluate.ParseScore`),
and `write_report` writes the table (Markdown, CSV) and a bar plot.

This joins `replays` and `feature_models`, which sit side by side and do not import each other,
so it lives here, above both.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RANDOM_LOOK_BASE = 9_900_000  # ``--look random``: episode k of the file is drawn with look 9,900,000 + k
FIELD_LABELS = {"phase": "phase (screen)", "wave": "wave n", "wave_total": "wave total N",
                "card_type": "card type (per card)", "card_owner": "card owner (per card)",
                "np_ready": "NP ready (per servant)", "back_available": "Back button",
                "breaks_left": "break bars left", "all_fields": "all fields", "frame": "whole frame"}


def parse_look(text: str) -> str | int:
    """``--look``: "plain", "random" or a seed (an int 0..2**31-1)."""
    if text in ("plain", "random"):
        return text
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**31:
        raise ValueError(f"--look must be plain, random or a seed 0..{2**31 - 1}, got {text!r}")
    return seed


def episode_look(look: str | int, episode: int) -> int | None:
    """The look an episode is drawn with: None (plain) or a `fgo_env.screens.Look.random` seed."""
    if look == "plain":
        return None
    return RANDOM_LOOK_BASE + int(episode) if look == "random" else int(look)


def _labels(true) -> dict:
    """A real recording's Features as `ParseScore` labels (its frames carry no scene to probe)."""
    return dataclasses.asdict(true)


def replay_screens(path: str | Path, look: str | int = "plain", limit: int | None = None,
                   render_size: tuple[int, int] = (1280, 720),
                   legibility: bool = True) -> Iterator[tuple[dict, Any, dict]]:
    """``(where, frame, labels)`` for every decision of the replay at ``path`` (at most
    ``limit``): re-rendered for a simulated replay (refused unless it re-simulates exactly),
    read off the file's frames for a real one; ``labels`` as `ParseScore` takes them."""
    from replays.io import open_replay
    from replays.resim import check_exact
    from replays.screens import recorded_screens

    replay = open_replay(path)
    real = replay.header.source != "sim"
    if not real:
        check_exact(replay.header, path)
    n = 0
    for e in replay.episodes():
        screens = ((t, f, _labels(true)) for t, f, true in recorded_screens(path, e)) if real else \
            _simulated(replay.header, e, episode_look(look, e.episode), render_size, legibility)
        for t, frame, labels in screens:
            if limit is not None and n >= limit:
                return
            yield {"episode": e.episode, "decision": t}, frame, labels
            n += 1


def _simulated(header, episode, look_seed: int | None, render_size: tuple[int, int],
               legibility: bool) -> Iterator[tuple[int, Any, dict]]:
    """Each decision's screen re-rendered, labelled as the datasets label theirs
    (`feature_models.data.frame_labels`, `visible_labels`): a field the look's status bar or
    notification covers, or a wave digit its disturbances erase (`feature_models.legibility`,
    with ``legibility``), is not scored, as no reader could be right on it but by chance (a
    random look's notification over "Battle 1/3" read 1/1 for whole episodes)."""
    from feature_models.data import frame_labels, look_family, unreadable, visible_labels
    from feature_models.legibility import LegibilityProbe
    from replays.screens import decision_envs

    probe = None
    for t, env in decision_envs(header, episode, look=look_seed, render_size=render_size):
        probe = probe or LegibilityProbe(env.renderer)
        scene = env.scene()
        frame = env.renderer.render(scene)
        labels = frame_labels(scene)
        hidden, illegible = unreadable(probe, scene, frame, labels, legibility)
        yield t, frame, visible_labels(labels, scene, look_family(env.renderer.look), hidden, illegible)


def score_replay(path: str | Path, parser, look: str | int = "plain", *, limit: int | None = None,
                 batch: int = 16, render_size: tuple[int, int] = (1280, 720),
                 progress: Callable[[int], Any] | None = None, legibility: bool = True) -> dict:
    """Score ``parser`` (a `FrameParser`) on every decision screen of a replay: per head, per
    whole frame and per screen phase. ``progress(n)`` is called after each batch of ``n`` frames."""
    from feature_models.evaluate import ParseScore
    from replays.io import open_replay

    header = open_replay(path).header
    score = ParseScore()
    episodes: set[int] = set()
    t0 = time.perf_counter()
    chunk: list = []

    def flush() -> None:
        for (where, _, labels), parsed in zip(chunk, parser.parse_batch([f for _, f, _ in chunk])):
            score.add(labels, parsed, where)
            episodes.add(where["episode"])
        if progress is not None:
            progress(len(chunk))
        chunk.clear()

    for item in replay_screens(path, look, limit, render_size, legibility):
        chunk.append(item)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    result = score.result()
    return {"file": str(path), "source": header.source, "look": "recorded frames" if header.source != "sim" else look,
            "legibility": legibility and header.source == "sim",
            "render_size": list(render_size), "episodes": len(episodes), "frames": result["frame"]["n"],
            "seconds": round(time.perf_counter() - t0, 2), "fields": {k: v for k, v in result.items() if k != "errors"},
            "by_phase": score.by_phase(), "errors": result["errors"]}


def report_rows(result: dict) -> list[dict]:
    """One row per head (then all fields and whole frames, then whole frames per phase); heads
    with nothing to read (card fields on a replay without card screens) are left out."""
    rows = [{"head": FIELD_LABELS[k], "readings": v["n"], "accuracy": v["acc"]}
            for k, v in result["fields"].items() if v["n"]]
    rows += [{"head": f"whole frame, {phase} screens", "readings": v["n"], "accuracy": v["acc"]}
             for phase, v in result["by_phase"].items() if v["n"]]
    return rows


def _markdown(result: dict, rows: list[dict], plot: Path) -> str:
    seen = "real frames" if result["source"] != "sim" else f"look {result['look']}"
    size = "x".join(map(str, result["render_size"]))
    lines = [f"# The vision model on {result['file']}", "",
             f"{result['frames']:,} decision screens of {result['episodes']:,} episodes ({seen}, {size}), "
             + f"{result['seconds']} s.", ""]
    if result.get("legibility"):
        lines += ["Wave digits and break pips the look's disturbances make illegible (`feature_models.legibility`), "
                  "and fields a status bar or notification covers, are not scored, as in the datasets "
                  "(`--no-legibility` scores them).", ""]
    lines += ["| head | readings | accuracy |", "|---|---:|---:|"]
    lines += [f"| {r['head']} | {r['readings']:,} | {100 * r['accuracy']:.2f} % |" for r in rows]
    return "\n".join(lines + ["", f"![per-head accuracy]({plot.name})", ""])


def plot_accuracy(rows: list[dict], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.2))
    acc = [100 * r["accuracy"] for r in rows]
    ax.barh([r["head"] for r in rows], acc, color="C0")
    for y, a in enumerate(acc):
        ax.text(min(a, 99.5), y, f"{a:.1f}", va="center", ha="right", color="white", fontsize=8)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (%)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(result: dict, out_dir: str | Path) -> dict[str, Path]:
    """``vision_replays.md``, ``.csv`` and ``.png`` of ``result`` in ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = report_rows(result)
    paths = {ext: out / f"vision_replays.{ext}" for ext in ("md", "csv", "png")}
    plot_accuracy(rows, paths["png"], f"{Path(result['file']).name}: {result['frames']:,} screens")
    paths["md"].write_text(_markdown(result, rows, paths["png"]))
    with paths["csv"].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["head", "readings", "accuracy"])
        writer.writerows([r["head"], r["readings"], round(r["accuracy"], 6)] for r in rows)
    return paths


__all__ = ["RANDOM_LOOK_BASE", "episode_look", "parse_look", "replay_screens", "report_rows", "score_replay",
           "write_report"]
