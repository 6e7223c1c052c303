"""Evaluation of the vision model: held-out accuracy, size, latency, frame parsing, greedy win rates.

`run_evaluation` (behind ``fgo vision eval``) measures, on looks never used in training:

* per-head accuracy of the multi-task model and of the single-task baselines on the ``test``
  split, with parameters, bytes on disk and per-frame latency side by side, and the wave heads
  as the parser reads them (`parser_correct`: a battle screen's unsure digit read again a pixel
  to each side);
* `parse_check`: `FrameParser` on freshly rendered frames (new look seeds, episodes and example
  scenes) against the Features of the scene each frame shows, per field and per whole frame, and
  the card screens' ownership read as the real screen allows (`BraveScore`, its own figure):
  brave-chain detection (does the hand hold 3+ cards of one servant, and which), the same-servant
  groups, and the owners read from NP cards vs assigned by elimination;
* greedy on parsed features vs greedy on true features over the same episode seeds, when a
  ``greedy_check`` is injected (``fgo vision eval`` injects ``agents.experiments.vision_check.greedy_parsed_vs_true``;
  this package sits below ``agents`` and does not import it). Without one the section is not run
  and the report says so.

The episodes of the fresh frames are played by the injected ``policy_factory`` (``fgo vision
eval``: the greedy agent) or, without one, by the random policy (see `feature_models.data`).

`write_report` turns the results into ``docs/vision_report.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


LABEL_KEYS = ("phase", "wave", "wave_total", "card_types", "card_owners", "np_ready", "back_available",
              "breaks_left", "unscored", "owner_visible")  # the Features fields a frame's labels hold, and
# what the frame does not show (`feature_models.data.visible_labels`): not scored
FRESH_SEED = 7  # DataConfig seed of the fresh parse check: looks 9,700,000+ (never trained on)
GREEDY_LOOK_BASE = 9_800_000
BATTLE_KINDS = ("command", "cards")  # a frame's kind (frames.json) when the parser reads a battle screen


def battle_of(frames: Sequence[dict]) -> np.ndarray:
    """Per frame (a split's ``frames.json`` entries): is it a command or card screen (by its
    label), the screens whose unsure wave digits the parser reads again (it tells them 99.99 %
    right)."""
    return np.array([f["kind"] in BATTLE_KINDS for f in frames], bool)


def battle_frames(root: str | Path, split: str) -> np.ndarray | None:
    """`battle_of` the frames of ``root/split``; None for a folder without ``frames.json``."""
    path = Path(root) / split / "frames.json"
    return battle_of(json.loads(path.read_text())) if path.exists() else None


def parser_correct(model, data, battle: np.ndarray | None = None) -> np.ndarray:
    """Per sample of ``data`` (a `TaskData`): did ``model``'s head read it right (eval mode, in
    order); the samples flagged in ``battle`` (per sample), when a wave head's, read as the parser
    reads them: unsure, read again a pixel to each side (`feature_models.shifted_reads`)."""
    import torch

    from .loader import iterate_dataset
    from .model import to_input
    from .shifted_reads import SHIFTED_TASKS, steadied

    model.eval()
    with torch.no_grad():
        p = np.concatenate([np.zeros((0, len(model.specs[data.task].classes)), np.float32)] +
                           [model(x, data.task).softmax(-1).numpy() for x, _ in iterate_dataset(data)])
        if battle is not None and data.task in SHIFTED_TASKS:
            rows = np.flatnonzero(battle)
            p[rows] = steadied(p[rows], data.x[rows], lambda x: model(to_input(x), data.task).softmax(-1).numpy())
    return p.argmax(-1) == data.y


def fresh_frames(n: int = 300, seed: int = FRESH_SEED, episodes: int | None = None,
                 policy_factory: Callable[[int], Any] | None = None, hide_unready_np: float = 0.0,
                 real_fraction: float | None = None):
    """``n`` freshly rendered (frame, labels) pairs under held-out looks (about a third from env
    episodes, the rest example scenes); ``policy_factory`` as `feature_models.data.iter_frames`
    (None: random play)."""
    from .data import DataConfig, iter_frames

    episodes = max(1, n // 90) if episodes is None else episodes
    cfg = DataConfig(episodes=episodes, examples=n, seed=seed, examples_per_look=5,
                     hide_unready_np=hide_unready_np, real_fraction=real_fraction)
    out = []
    for frame, _scene, rec in iter_frames(cfg, "test", scaled=False, policy_factory=policy_factory):
        out.append((frame, {**{k: rec.labels[k] for k in LABEL_KEYS}, "family": rec.family}))
        if len(out) >= n:
            break
    return out


PARSE_FIELDS = ("phase", "wave", "wave_total", "card_type", "card_owner", "np_ready", "back_available",
                "breaks_left")  # what `ParseScore` scores: one head's reading each (cards per card)
PHASE_NAMES = ("command", "cards", "other")  # the Features phases, in order


class ParseScore:
    """Running accuracy of parsed Features against labels: per field, per whole frame, and the
    whole frames per phase. Feed it with `add` (any number of batches), read it with `result`.

    The card fields and ``back_available`` are scored only on card screens (elsewhere the parser
    reports them as absent by construction); a wrong one still spoils its whole frame. Fields the
    frame does not show (``lab["unscored"]``) are not scored, and a card's owner slot only where
    its servant's NP card is shown (``lab["owner_visible"]``; the grouping of the hand is scored by
    `BraveScore`)."""

    def __init__(self, max_errors: int = 10):
        self.counts = {k: [0, 0] for k in (*PARSE_FIELDS, "frame")}
        self.phases = {name: [0, 0] for name in PHASE_NAMES}
        self.errors: list[dict] = []
        self.max_errors = max_errors

    def add(self, lab: dict, p, where: dict | None = None) -> bool:
        """Score one parsed `Features` ``p`` against labels ``lab`` (a dict of `LABEL_KEYS`);
        ``where`` (e.g. episode and decision) goes with the frame into ``errors``. True when
        every field is right."""
        ok_all = True
        unscored = set(lab.get("unscored", ()))
        visible = lab.get("owner_visible") or [True] * len(p.card_owners)
        for key, got, want in (("phase", [p.phase], [lab["phase"]]), ("wave", [p.wave], [lab["wave"]]),
                               ("wave_total", [p.wave_total], [lab["wave_total"]]),
                               ("card_type", p.card_types, lab["card_types"]),
                               ("card_owner", p.card_owners, lab["card_owners"]),
                               ("np_ready", p.np_ready, lab["np_ready"]),
                               ("back_available", [p.back_available], [lab["back_available"]]),
                               ("breaks_left", [p.breaks_left], [lab["breaks_left"]])):
            if key in unscored:  # not shown on this frame (a menu's wave, a wave under a notification)
                continue
            if key in ("card_type", "card_owner", "back_available") and lab["phase"] != 1:
                ok_all &= list(got) == list(want)
                continue
            if key == "card_owner":  # only the owners the screen names (their NP card is shown)
                got, want = [g for g, v in zip(got, visible) if v], [w for w, v in zip(want, visible) if v]
            for g, w in zip(got, want):
                self.counts[key][0] += int(g == w)
                self.counts[key][1] += 1
                ok_all &= g == w
        for c in (self.counts["frame"], self.phases[PHASE_NAMES[lab["phase"]]]):
            c[0] += int(ok_all)
            c[1] += 1
        if not ok_all and len(self.errors) < self.max_errors:
            self.errors.append({**(where or {}), "want": lab, "got": p.__dict__})
        return bool(ok_all)

    def result(self) -> dict:
        """``{field: {"acc", "n"}}`` for every field, ``frame`` and ``all_fields``; ``errors``."""
        out = {k: {"acc": c[0] / max(c[1], 1), "n": c[1]} for k, c in self.counts.items()}
        fields = [c for k, c in self.counts.items() if k != "frame"]
        out["all_fields"] = {"acc": sum(c[0] for c in fields) / max(sum(c[1] for c in fields), 1),
                             "n": sum(c[1] for c in fields)}
        return out | {"errors": self.errors}

    def by_phase(self) -> dict:
        """Whole-frame accuracy per screen phase: ``{phase: {"acc", "n"}}``."""
        return {k: {"acc": c[0] / max(c[1], 1), "n": c[1]} for k, c in self.phases.items()}


def brave_of(groups) -> tuple[int, ...] | None:
    """Indices of the cards of the group with 3 or more cards (a brave chain is possible), or None."""
    for g in sorted(set(groups) - {-1}):
        idx = tuple(i for i, x in enumerate(groups) if x == g)
        if len(idx) >= 3:
            return idx
    return None


class BraveScore:
    """Card screens' ownership, scored the way the real screen allows: brave chains, groups, owners.

    Per hand (a card screen whose labels hold its owners): the true groups come from the true owner
    slots (`feature_models.data.true_groups`), the read ones from ``Reading.card_groups``.

    * ``brave_detect``: the hand's answer to "3+ cards of one servant?" is right;
    * ``brave_exact``: that answer and, where there is one, exactly which cards;
    * ``brave_precision`` / ``brave_recall``: over the hands read / truly holding one (exact cards);
    * ``groups_exact``: the whole partition right; ``pairs``: the 10 same/different relations;
    * ``owner_known`` / ``owner_eliminated``: card-owner accuracy of the cards whose slot was read
      from a matching NP card and of those assigned by elimination (``n`` = how many were which).

    ``by_family`` holds ``brave_exact`` per look family when the labels carry one."""

    KEYS = ("brave_detect", "brave_exact", "brave_precision", "brave_recall", "groups_exact", "pairs",
            "owner_known", "owner_eliminated")

    def __init__(self):
        self.counts = {k: [0, 0] for k in self.KEYS}
        self.family: dict[str, list[int]] = {}
        self.hands_with_brave = 0

    def add(self, lab: dict, reading) -> None:
        from .data import true_groups
        from .grouping import PAIRS

        owners = list(lab.get("card_owners") or [])
        if lab.get("phase") != 1 or len(owners) != len(reading.card_groups) or min(owners, default=-1) < 0:
            return
        want_g, got_g = true_groups(owners), list(reading.card_groups)
        want, got = brave_of(want_g), brave_of(got_g)
        self.hands_with_brave += want is not None
        c = self.counts
        for key, ok, counted in (("brave_detect", (want is None) == (got is None), True),
                                 ("brave_exact", want == got, True),
                                 ("brave_precision", want == got, got is not None),
                                 ("brave_recall", want == got, want is not None),
                                 ("groups_exact", want_g == got_g, True)):
            if counted:
                c[key][0] += int(ok)
                c[key][1] += 1
        for i, j in PAIRS:
            c["pairs"][0] += int((want_g[i] == want_g[j]) == (got_g[i] == got_g[j]))
            c["pairs"][1] += 1
        for o, p, known in zip(owners, reading.features.card_owners, reading.owners_known):
            if p < 0:  # the hand was not read as one (scored above as wrong groups)
                continue
            k = c["owner_known" if known else "owner_eliminated"]
            k[0] += int(o == p)
            k[1] += 1
        fam = self.family.setdefault(str(lab.get("family", "classic")), [0, 0])
        fam[0] += int(want == got)
        fam[1] += 1

    def result(self) -> dict:
        out = {k: {"acc": c[0] / max(c[1], 1), "n": c[1]} for k, c in self.counts.items()}
        out["hands"] = self.counts["brave_detect"][1]
        out["hands_with_brave"] = self.hands_with_brave
        out["by_family"] = {f: {"acc": c[0] / max(c[1], 1), "n": c[1]}
                            for f, c in sorted(self.family.items())}
        return out


def read_batch(parser, frames) -> list:
    """`Reading` objects of ``frames``: ``parser.read_batch`` where the parser has it, else the
    parser's two stages and `decode_readings` (the same reads without the frame checks)."""
    if hasattr(parser, "read_batch"):
        return parser.read_batch(frames)
    return parser.decode_readings(parser.predict_batch(frames))


def parse_check(parser, frames, batch_size: int = 16) -> dict:
    """Accuracy of ``parser`` on (frame, labels) pairs: per field and exact whole frames;
    ``by_family``: the same per look family (the labels' ``family``, default classic);
    ``brave_chain``: the card screens' `BraveScore`."""
    score, brave, families = ParseScore(), BraveScore(), {}
    for s in range(0, len(frames), batch_size):
        chunk = frames[s:s + batch_size]
        for (_, lab), r in zip(chunk, read_batch(parser, [f for f, _ in chunk])):
            score.add(lab, r.features)
            brave.add(lab, r)
            family = str(lab.get("family", "classic"))
            families.setdefault(family, ParseScore(max_errors=0)).add(lab, r.features)
    by_family = {f: {k: v for k, v in sc.result().items() if k != "errors"}
                 for f, sc in sorted(families.items())}
    return score.result() | {"by_family": by_family, "brave_chain": brave.result()}


def parser_accuracy(model, test: dict, battle: np.ndarray | None) -> dict[str, float]:
    """{wave head: accuracy} of ``model`` on ``test`` ({task: TaskData}) as the parser reads them,
    ``battle`` flagging each frame of the split (`battle_frames`); the other heads read as their
    own reads (`learner.evaluate_model`). Empty where the frames are not known (a folder of
    before frames.json, samples without frame numbers)."""
    from .shifted_reads import SHIFTED_TASKS

    if battle is None:
        return {}
    return {t: float(parser_correct(model, test[t], battle[test[t].frame]).mean())
            for t in SHIFTED_TASKS if t in test and t in model.specs and len(test[t]) and test[t].frame is not None}


def _file_bytes(path: Path) -> int:
    return path.with_name(path.name + ".safetensors").stat().st_size


def latency(parser, reader, frames_by_kind: dict, repeats: int = 40) -> dict:
    """Median ms per frame (batch 1) of the multi-task parser and of the baselines, per kind."""
    from .baselines import time_call

    out = {}
    for kind, frame in frames_by_kind.items():
        row = {"multitask_ms": 1000 * time_call(lambda: parser.parse(frame), repeats)}
        if reader is not None:
            row["baselines_ms"] = 1000 * time_call(lambda: reader.read(frame, kind == "cards"), repeats)
        out[kind] = row
    return out


GreedyCheck = Callable[..., list[dict]]
"""``greedy_check(quests, episodes, seed=, parser=, look=, progress=) -> rows`` (one dict per quest:
quest, episodes, win_rate_true, win_rate_parsed, episodes_differing, card_decisions, hand_misread,
unread_hands), as ``agents.experiments.vision_check.greedy_parsed_vs_true``."""


def run_evaluation(root: str | Path, out: str | Path, weights: str | Path | None = None, *, frames: int = 300,
                   quests: Sequence[str] = (), episodes: int = 100, seed: int = 0, threads: int = 1,
                   greedy_check: GreedyCheck | None = None,
                   policy_factory: Callable[[int], Any] | None = None) -> dict:
    """Everything the report shows (see module docstring).

    ``root``: the datasets (its ``test`` split is scored). ``out``: the training folder (its
    ``multitask`` and ``baselines`` weights are used when present). ``weights``: the multi-task
    weights (default: ``out/multitask``, else the shipped ones). ``frames``: freshly rendered
    frames of the parse check. ``quests``, ``episodes``, ``seed``: the greedy check's games.
    ``threads``: recorded in the results (the caller sets torch's).

    ``greedy_check``: the greedy parsed-vs-true comparison (None: not run; ``results["greedy"]``
    is None). ``policy_factory``: plays the ``greedy_fraction`` share of the fresh frames'
    episodes, the random policy the rest (None: random play throughout);
    ``results["parse_check"]["episode_policy"]`` names the injected policy."""
    from fgo_env.screens import Look, Renderer, Scene

    from .baselines import BaselineReader, load_baselines
    from .data import RandomPolicy, load_split, policy_name
    from .io import load_model
    from .learner import evaluate_model
    from .parser import DEFAULT_WEIGHTS, FrameParser
    from .tasks import DERIVED_TASKS, TASK_NAMES

    out_dir = Path(out)
    weights = Path(weights) if weights else (
        out_dir / "multitask" if (out_dir / "multitask.json").exists() else DEFAULT_WEIGHTS)
    model, doc = load_model(weights)
    tasks = [t for t in TASK_NAMES if t in model.tasks]  # older weights may lack a newer task's head
    tasks += [t for t in DERIVED_TASKS if t in model.tasks]  # the BGR detector: no baseline of its own
    rendered = [t for t in tasks if t in TASK_NAMES]
    results: dict = {"weights": str(weights), "threads": threads}
    test = load_split(root, "test", tasks)
    results["test_samples"] = {t: len(d) for t, d in test.items()}
    results["test_illegible"] = _illegible(root)
    results["multitask"] = {t: m["acc"] for t, m in evaluate_model(model, test).items()}
    results["multitask_parser"] = parser_accuracy(model, test, battle_frames(root, "test"))
    results["multitask_params"] = model.parameter_count()
    results["multitask_bytes"] = _file_bytes(weights)
    tonks = out_dir / "multitask_tonks"
    if (out_dir / "multitask_tonks.json").exists():  # optional ablation: one task per step (Tonks)
        tm, tdoc = load_model(tonks)
        results["multitask_tonks"] = {t: m["acc"] for t, m in evaluate_model(
            tm, {t: d for t, d in test.items() if t in tm.tasks}).items()}
    base_dir = out_dir / "baselines"
    baselines = None
    if all((base_dir / f"{t}.json").exists() for t in rendered):
        baselines = load_baselines(base_dir, rendered)
        results["baselines"] = {t: evaluate_model(baselines[t], {t: test[t]})[t]["acc"] for t in rendered}
        results["baseline_params"] = {t: baselines[t].parameter_count() for t in rendered}
        results["baseline_bytes"] = sum(_file_bytes(base_dir / t) for t in rendered)
    parser = FrameParser(model=model)
    reader = BaselineReader(baselines) if baselines else None
    r = Renderer(640, 360, Look.random(GREEDY_LOOK_BASE - 1))
    frames_by_kind = {k: r.render(Scene.example(k, 12345)) for k in ("command", "cards", "chain")}
    results["latency_640x360"] = latency(parser, reader, frames_by_kind)
    t0 = time.perf_counter()
    fresh = fresh_frames(frames, policy_factory=policy_factory)
    results["parse_check"] = parse_check(parser, fresh)
    results["parse_check"]["seconds"] = round(time.perf_counter() - t0, 1)
    results["parse_check"]["episode_policy"] = policy_name(
        policy_factory(0) if policy_factory is not None else RandomPolicy(0))
    results["greedy"] = None if greedy_check is None else greedy_check(
        list(quests), episodes, seed=10_000 + seed, parser=parser, look=GREEDY_LOOK_BASE,
        progress=True)
    return results


BRAVE_ROWS = (("brave_detect", "brave chain detected or not (3+ cards of one servant?)"),
              ("brave_exact", "brave chain: detection and which cards, exact"),
              ("brave_precision", "of the hands read with a brave chain: right cards"),
              ("brave_recall", "of the hands holding a brave chain: found, right cards"),
              ("groups_exact", "same-servant groups of the hand, exact"),
              ("pairs", "same / different servant, per card pair"),
              ("owner_known", "card owner, slot read from a matching NP card"),
              ("owner_eliminated", "card owner, slot assigned by elimination"))


def brave_lines(brave: dict | None) -> list[str]:
    """The report's brave-chain section (`BraveScore.result`), or nothing without one."""
    if not brave:
        return []
    lines = ["", "## Card owners and brave chains (card screens of the fresh frames)", "",
             f"{brave['hands']} hands, {brave['hands_with_brave']} of them with 3+ cards of one servant. "
             "Groups come from the `same_owner` pair head and the `card_owner` match head, made consistent "
             "(best partition into at most 3 groups); a group's slot is read from a matching NP card when "
             "one is shown, else assigned by elimination.", "", "| figure | accuracy | n |", "|---|---|---|"]
    for k, text in BRAVE_ROWS:
        if k in brave:
            acc = f"{brave[k]['acc'] * 100:.2f} %" if brave[k]["n"] else "—"
            lines.append(f"| {text} | {acc} | {brave[k]['n']} |")
    fam = brave.get("by_family") or {}
    if fam:
        lines += ["", "Brave chain exact, per look family: " + ", ".join(
            f"{f} {v['acc'] * 100:.2f} % ({v['n']} hands)" for f, v in fam.items()) + "."]
    return lines


def real_lines(pc: dict, real: dict | None) -> list[str]:
    """The real screenshots' table beside the fresh synthetic frames' (`feature_models.real`), or
    nothing without a real folder."""
    if not real:
        return []
    from .real import HEAD_ROWS, report_table

    brave = pc.get("brave_chain") or {}
    synthetic = {"phase": pc.get("phase"), "wave": pc.get("wave"), "wave_total": pc.get("wave_total"),
                 "card_type": pc.get("card_type"), "card_owner": pc.get("card_owner"),
                 "card_owner_shown": brave.get("owner_known"), "card_pairs": brave.get("pairs"),
                 "brave_chain": brave.get("brave_exact"), "np_ready": pc.get("np_ready"), "frame": pc.get("frame")}

    def cell(h: dict | None) -> str:
        return "–" if not h or not h.get("n") else f"{h['acc'] * 100:.2f} % ({h['n']})"

    kinds = ", ".join(f"{v} {k}" for k, v in real["kinds"].items())
    lines = ["", "## Real screenshots beside synthetic frames", "",
             f"`{real['dir']}`: {real['n_frames']} labelled real screenshots ({kinds}), read by the same "
             "weights with the game-area front end; the synthetic column is the fresh-frame check above "
             "(brave chain: detection and which cards, exact).", "",
             "| head | synthetic (fresh frames) | real screenshots |", "|---|---|---|"]
    real_heads = real["heads"]
    for key, label in HEAD_ROWS:
        r = real_heads.get(key)
        lines.append(f"| {label} | {cell(synthetic.get(key))} | "
                     + ("–" if not r or r.get("acc") is None else f"{r['acc'] * 100:.1f} % ({round(r['acc'] * r['n'])}/{r['n']})")
                     + " |")
    lines += ["", "The real screenshots' full table:", "", report_table({"real": real})]
    bad = [f"`{row['file']}`: " + "; ".join(row["errors"]) for row in real.get("frames", []) if not row["ok"]]
    if bad:
        lines += ["", "Misread real screenshots:", ""] + [f"- {b}" for b in bad]
    return lines


def family_lines(by_family: dict | None) -> list[str]:
    """The fresh-frame accuracy per look family (`parse_check`'s ``by_family``), or nothing."""
    if not by_family:
        return []
    fams = list(by_family)
    fields = [k for k, v in by_family[fams[0]].items() if isinstance(v, dict) and "acc" in v]
    counts = ", ".join(f"{f}: {by_family[f]['frame']['n']} frames" for f in fams)
    lines = ["", f"Per look family ({counts}):", "", "| field | " + " | ".join(fams) + " |",
             "|---|" + "---|" * len(fams)]
    for k in fields:
        cells = [f"{by_family[f][k]['acc'] * 100:.2f} %" if by_family[f].get(k, {}).get("n") else "—"
                 for f in fams]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return lines


def _parser_reads_note(parser: dict | None, heads: dict) -> list[str]:
    """The wave heads as the parser reads them, beside their own reads in the table."""
    if not parser:
        return []
    reads = ", ".join(f"{t} {v * 100:.2f} % (own reads {heads[t] * 100:.2f} %)" for t, v in parser.items())
    return ["", "As the parser reads them (a command or card screen's wave digit read under 0.9 is read again "
                f"a pixel to each side and the three reads averaged, `feature_models/shifted_reads.py`): {reads}."]


def _illegible(root: str | Path) -> dict[str, int] | None:
    """The test split's labels left out as illegible (its manifest's count), None for a split
    written without the legibility probe (before it, or ``DataConfig.legibility`` off)."""
    manifest = Path(root) / "test" / "manifest.json"
    if not manifest.is_file():
        return None
    doc = json.loads(manifest.read_text())
    return doc.get("illegible") if doc.get("config", {}).get("legibility", False) else None


def _illegible_note(counts: dict[str, int] | None) -> list[str]:
    if counts is None:
        return ["", "The test split was written without the legibility probe: every wave label is scored, "
                    "legible or not."]
    said = ", ".join(f"{n} {t}" for t, n in counts.items()) or "none"
    return ["", f"Not scored (no sample): labels the legibility probe (`feature_models/legibility.py`) found "
                f"illegible (wave digits and bosses' break pips the frame's disturbances erase or its look draws alike): "
                f"{said}."]


def write_report(results: dict, path: str | Path | None) -> str:
    """The Markdown report of `run_evaluation`'s results (written to ``path`` if given)."""
    mt, bl = results["multitask"], results.get("baselines")
    heads = list(mt)  # the heads the evaluated model has
    lines = ["# Vision model: evaluation report", "",
             "Generated by `fgo vision eval` (`feature_models/evaluate.py`). Accuracy on the `test` split, "
             "rendered with look seeds never used in training; latency at batch 1 on "
             f"{results['threads']} thread(s), 640×360 frames, crop extraction included.", "",
             "## Per-head accuracy (held-out looks)", ""]
    tk = results.get("multitask_tonks")
    if bl:
        extra = " one task per step (Tonks) |" if tk else ""
        lines += ["| head | test samples | multi-task | single-task | Δ (points) |" + extra,
                  "|---|---|---|---|---|" + ("---|" if tk else "")]
        both = [t for t in heads if t in bl]  # the BGR detector (channels) has no single-task model
        for t in heads:
            single = f"{bl[t] * 100:.2f} % | {(mt[t] - bl[t]) * 100:+.2f}" if t in bl else "- | -"
            tonks = (f" {tk[t] * 100:.2f} % |" if t in tk else " - |") if tk else ""
            lines.append(f"| {t} | {results['test_samples'][t]} | {mt[t] * 100:.2f} % | {single} |" + tonks)
        label = "**mean**" if both == heads else "**mean** (heads with a single-task model)"
        lines.append(f"| {label} | | {np.mean([mt[t] for t in both]) * 100:.2f} % | "
                     f"{np.mean([bl[t] for t in both]) * 100:.2f} % | |"
                     + (f" {np.mean([tk[t] for t in both if t in tk]) * 100:.2f} % |" if tk else ""))
        if tk:
            lines += ["", "Multi-task = all-task steps (one batch of every task, one backbone pass); the last "
                          "column is the same model trained Tonks' way, one task per step, whose batch-norm "
                          "statistics follow whichever tasks came last."]
    else:
        lines += ["| head | test samples | multi-task |", "|---|---|---|"]
        lines += [f"| {t} | {results['test_samples'][t]} | {mt[t] * 100:.2f} % |" for t in heads]
    lines += _parser_reads_note(results.get("multitask_parser"), mt)
    lines += _illegible_note(results.get("test_illegible"))
    lines += ["", "## Size and latency", ""]
    lat = results["latency_640x360"]
    mt_lat = np.mean([v["multitask_ms"] for v in lat.values()])
    if bl:
        bp = sum(results["baseline_params"].values())
        bl_lat = np.mean([v["baselines_ms"] for v in lat.values()])
        lines += [f"| | multi-task (1 backbone, {len(heads)} heads) | {len(bl)} single-task models | ratio |",
                  "|---|---|---|---|",
                  f"| parameters | {results['multitask_params']:,} | {bp:,} | "
                  f"{results['multitask_params'] / bp:.2f} |",
                  f"| bytes on disk | {results['multitask_bytes'] / 1e6:.2f} MB | "
                  f"{results['baseline_bytes'] / 1e6:.2f} MB | {results['multitask_bytes'] / results['baseline_bytes']:.2f} |"]
        for kind, v in lat.items():
            lines.append(f"| ms per {kind} frame | {v['multitask_ms']:.2f} | {v['baselines_ms']:.2f} | "
                         f"{v['multitask_ms'] / v['baselines_ms']:.2f} |")
        lines.append(f"| ms per frame (mean) | {mt_lat:.2f} | {bl_lat:.2f} | {mt_lat / bl_lat:.2f} |")
    else:
        lines += [f"- parameters: {results['multitask_params']:,}; bytes: {results['multitask_bytes']:,}"]
        lines += [f"- ms per {k} frame: {v['multitask_ms']:.2f}" for k, v in lat.items()]
    pc = dict(results["parse_check"])
    if "all_fields" not in pc:
        fields = [v for k, v in pc.items() if isinstance(v, dict) and "acc" in v and k != "frame"]
        pc["all_fields"] = {"acc": sum(v["acc"] * v["n"] for v in fields) / max(sum(v["n"] for v in fields), 1),
                            "n": sum(v["n"] for v in fields)}
    lines += ["", "## Parsing freshly rendered frames (held-out looks, any size and aspect ratio)", "",
              "| field | accuracy | n |", "|---|---|---|"]
    lines += [f"| {k} | {v['acc'] * 100:.2f} % | {v['n']} |" for k, v in pc.items() if isinstance(v, dict) and "acc" in v]
    lines += ["", "`all_fields` = every Features entry pooled (phase, wave, total, 5 types and 5 owners on card "
                  "screens, 3 NP flags, the Back flag on card screens, the break-bar count); `frame` = every field of the frame's Features right."]
    lines += family_lines(pc.get("by_family"))
    lines += brave_lines(pc.get("brave_chain"))
    lines += real_lines(pc, results.get("real"))
    policy = pc.get("episode_policy")
    if policy not in (None, "greedy"):
        lines += ["", f"The episodes of these frames were played by the `{policy}` policy, not greedy "
                      "(run `fgo vision eval` for the greedy-played frames)."]
    lines += ["", "## Greedy on parsed vs true features (same episode seeds, held-out looks)", ""]
    if results.get("greedy") is None:
        lines += ["Not run: no greedy comparison was injected (`feature_models.pipeline.evaluate` called "
                  "without one; `fgo vision eval` runs it)."]
    else:
        lines += ["| quest | episodes | win rate, true | win rate, parsed | Δ (points) | episodes with "
                  "other actions | card screens with a misread hand |", "|---|---|---|---|---|---|---|"]
        tw = tp = te = 0
        for g in results["greedy"]:
            lines.append(f"| {g['quest']} | {g['episodes']} | {g['win_rate_true'] * 100:.1f} % | "
                         f"{g['win_rate_parsed'] * 100:.1f} % | "
                         f"{(g['win_rate_parsed'] - g['win_rate_true']) * 100:+.1f} | "
                         f"{g['episodes_differing']} | {g['hand_misread']} / {g['card_decisions']} |")
            tw += g["win_rate_true"] * g["episodes"]
            tp += g["win_rate_parsed"] * g["episodes"]
            te += g["episodes"]
        if te:
            lines.append(f"| **all** | {te} | {tw / te * 100:.1f} % | {tp / te * 100:.1f} % | "
                         f"{(tp - tw) / te * 100:+.1f} | | |")
    text = "\n".join(lines) + "\n"
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return text


__all__ = ["PARSE_FIELDS", "BraveScore", "GreedyCheck", "ParseScore", "brave_lines", "brave_of",
           "family_lines", "fresh_frames", "latency", "parse_check", "read_batch", "run_evaluation",
           "write_report"]
