"""Datasets: labels match the state they were rendered from; splits are reproducible and disjoint;
the injected policy plays the episodes."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from agents.cli.vision import greedy_policy
from feature_models.data import (LOOK_BASE, DataConfig, RandomPolicy, episode_scenes, frame_labels, frame_samples,
                                 generate_split, hidden_crops, iter_frames, load_split)
from feature_models.tasks import TASK_NAMES, extract_crops
from fgo_env.screens import Scene

FIELDS = ("phase", "wave", "wave_total", "card_types", "card_owners", "np_ready", "back_available", "breaks_left")


def test_labels_match_true_state() -> None:
    decisions = in_between = 0
    kinds = set()
    for quest, seed in (("farming_3wave", 3), ("farming_2wave", 4)):
        for scene, true in episode_scenes(quest, seed, greedy_policy(seed), max_decisions=40):
            labels = frame_labels(scene)
            kinds.add(scene.kind)
            if true is None:
                in_between += 1
                assert labels["phase"] == 2 and labels["card_types"] == [-1] * 5
                continue
            decisions += 1
            assert {k: labels[k] for k in FIELDS} == true, (scene.kind, labels, true)
    assert decisions > 10 and in_between > 3
    assert {"command", "cards", "chain"} <= kinds


def test_frame_samples_per_kind() -> None:
    cards_scene = Scene.example("cards", 1)
    cards = frame_samples(cards_scene)
    assert len(cards["card_type"]) == 5 and len(cards["card_owner"]) == 5 and len(cards["np_ready"]) == 3
    assert all(names[1:] == ("npcard0", "npcard1", "npcard2") for names, _ in cards["card_owner"])
    cmd = frame_samples(Scene.example("command", 1))
    assert cmd["attack"] == [(("attack",), 1)] and not cmd["card_type"]
    assert [n for (n,), _ in cmd["np_ready"]] == ["gauge0", "gauge1", "gauge2"]
    assert frame_samples(Scene.example("victory", 1))["attack"][0][1] == 0
    assert cards["back"] == [(("back",), int(cards_scene.back_active))] and not cmd["back"]
    assert [n for (n,), _ in cmd["breaks"]] == ["breaks0", "breaks1", "breaks2"]
    victory = frame_samples(Scene.example("victory", 1))["breaks"]
    assert [y for _, y in victory] == [0, 0, 0]  # banners draw no enemy boxes


def test_augmented_frames_hold_the_new_elements() -> None:
    """The data episodes' augmentation (`augment_record`) gives frames with break bars, a greyed
    Back button, seals, craft essences and buffs, with labels equal to the augmented state's."""
    backs, breaks, seals, ces, buffs = set(), set(), set(), 0, 0
    scenes = [x for seed in (5, 6) for x in episode_scenes("farming_3wave", seed, None, max_decisions=60)]
    for scene, true in scenes:
        lab = frame_labels(scene)
        if true is not None:
            assert {k: lab[k] for k in FIELDS} == true
        if scene.kind == "cards":
            backs.add(scene.back_active)
        breaks.add(lab["breaks_left"])
        seals.add(scene.seals)
        ces += sum(s is not None and s.ce >= 0 for s in scene.servants)
        buffs += sum(len(s.buffs) for s in scene.servants if s is not None)
    assert backs == {True, False} and breaks >= {0, 1, 2} and len(seals) >= 3 and ces and buffs


def test_crops_any_aspect() -> None:
    for shape in ((360, 640, 3), (360, 780, 3), (720, 1280, 3), (500, 600, 3)):
        crops = extract_crops(np.zeros(shape, np.uint8), ["screen", "wave", "card0"], 24)
        assert crops.shape == (3, 24, 24, 3) and crops.dtype == np.uint8


def test_generate_reproducible_and_disjoint(tmp_path) -> None:
    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3,
                     quests=("farming_3wave",), plain_fraction=0.0)
    m1 = generate_split(tmp_path / "a", "train", cfg)
    m2 = generate_split(tmp_path / "b", "train", cfg)
    assert m1["samples"] == m2["samples"] and m1["frames"] > 6
    a, b = load_split(tmp_path / "a", "train"), load_split(tmp_path / "b", "train")
    for t in TASK_NAMES:
        assert np.array_equal(a[t].x, b[t].x) and np.array_equal(a[t].y, b[t].y)
    assert a["card_owner"].index.shape[1] == 4
    generate_split(tmp_path / "a", "test", cfg)
    looks = {s: {r["look"] for r in json.loads((tmp_path / "a" / s / "frames.json").read_text())}
             for s in ("train", "test")}
    assert not looks["train"] & looks["test"]
    assert all(LOOK_BASE["test"] <= lk < LOOK_BASE["test"] + 100_000 for lk in looks["test"])


def test_mid_animation_looks_only_and_the_default_draw_unchanged(tmp_path, capsys) -> None:
    """``looks="mid-animation"`` (``fgo vision data --looks mid-animation``): every frame is drawn
    in a random look caught mid-transition, its look seed (in the split's ranges) still gives that
    look, and the split's other draws (frame sizes, example kinds) are the default split's; the
    default ("any") draws the look seeds it always drew; a wrong name, or more example looks
    than the filter keeps, is refused (by the CLI in one line)."""
    from agents.cli.main import main
    from feature_models.data import KEPT_EXAMPLE_LOOKS, random_look

    cfg = DataConfig(episodes=2, examples=24, max_decisions=6, quests=("farming_3wave",), plain_fraction=0.8)
    default = [rec for _, _, rec in iter_frames(cfg, "train", scaled=False)]
    base, frames_so_far = LOOK_BASE["train"], {}  # per episode (None: the examples)
    for r in default:  # the k-th frame of its episode (or of the examples) in the k // 8-th look, as before
        k = frames_so_far.get(r.episode_seed, 0)
        frames_so_far[r.episode_seed] = k + 1
        seed = (base + 80_000 + k // 8 if r.source == "example"
                else base + 100 * (r.episode_seed - base) + min(k // 8, 99))
        assert r.look_seed in (None, seed)
    assert {r.look_seed is None for r in default} == {True, False}  # the plain share and random looks
    kept = [rec for _, _, rec in iter_frames(dataclasses.replace(cfg, looks="mid-animation"), "train", scaled=False)]
    assert len(kept) == len(default) and all(r.look_seed is not None for r in kept)
    assert all(random_look(r.look_seed).mid_animation > 0 and random_look(r.look_seed).family == r.family
               for r in kept)
    assert [(r.size, r.kind) for r in kept] == [(r.size, r.kind) for r in default]
    assert all(base + 100 * (r.episode_seed - base) <= r.look_seed < base + 100 * (r.episode_seed - base + 1)
               for r in kept if r.source == "episode")
    assert all(base + 80_000 <= r.look_seed < base + 100_000 for r in kept if r.source == "example")
    assert main(["vision", "data", "--root", str(tmp_path), "--episodes", "1", "--examples", "8",
                 "--splits", "test", "--policy", "random", "--looks", "mid-animation"]) == 0
    manifest = json.loads((tmp_path / "test" / "manifest.json").read_text())
    assert manifest["config"]["looks"] == "mid-animation"
    with pytest.raises(ValueError, match="looks must be one of any, mid-animation"):
        DataConfig(looks="blurry")
    too_many = str((KEPT_EXAMPLE_LOOKS + 1) * 8)
    capsys.readouterr()
    assert main(["vision", "data", "--root", str(tmp_path / "more"), "--examples", too_many,
                 "--looks", "mid-animation"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fgo: error: ") and "at most 2,000 example looks" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "more").exists()


def test_covered_top_looks_only(tmp_path) -> None:
    """``looks="covered-top"`` (``fgo vision data --looks covered-top``): every frame is drawn in a
    random look with a status bar or a notification over the top band (where the wave digits'
    misses gather), the split's other draws the default's."""
    from agents.cli.main import main
    from feature_models.data import random_look

    cfg = DataConfig(episodes=2, examples=24, max_decisions=6, quests=("farming_3wave",), plain_fraction=0.5)
    default = [rec for _, _, rec in iter_frames(cfg, "train", scaled=False)]
    covered = dataclasses.replace(cfg, looks="covered-top")
    kept = [rec for _, _, rec in iter_frames(covered, "train", scaled=False)]
    assert len(kept) == len(default) and all(r.look_seed is not None for r in kept)
    looks = [random_look(r.look_seed) for r in kept]
    assert all(lk.status_bar != "none" or lk.notification for lk in looks)
    assert all(lk.family == r.family for lk, r in zip(looks, kept))
    assert [(r.size, r.kind) for r in kept] == [(r.size, r.kind) for r in default]
    assert main(["vision", "data", "--root", str(tmp_path), "--episodes", "1", "--examples", "8",
                 "--splits", "test", "--policy", "random", "--looks", "covered-top"]) == 0
    assert json.loads((tmp_path / "test" / "manifest.json").read_text())["config"]["looks"] == "covered-top"


class RecordingPolicy:
    """Plays the first legal action and records every call (and the episode seed it was made for)."""

    name = "recording"

    def __init__(self, seed: int, log: list):
        self.seed, self.log = seed, log
        log.append(("make", seed))

    def reset(self, env) -> None:
        self.log.append(("reset", self.seed))

    def act(self, obs, mask) -> int:
        self.log.append(("act", self.seed))
        return int(np.flatnonzero(mask)[0])


def test_injected_policy_plays_the_data_episodes(tmp_path) -> None:
    cfg = DataConfig(episodes=3, examples=2, max_decisions=3, examples_per_look=2, quests=("farming_3wave",),
                     greedy_fraction=1.0)
    log: list = []
    recs = [rec for _, _, rec in iter_frames(cfg, "train", scaled=False,
                                             policy_factory=lambda seed: RecordingPolicy(seed, log))]
    seeds = sorted({r.episode_seed for r in recs if r.source == "episode"})
    assert len(seeds) == 3 and {r.policy for r in recs if r.source == "episode"} == {"recording"}
    # one fresh policy per episode, reset once, then one act per decision (max_decisions=3)
    assert log == [e for s in seeds for e in [("make", s), ("reset", s)] + [("act", s)] * 3]
    # greedy_fraction=0: the random policy plays, the factory is never called; the manifest says so
    log.clear()
    m = generate_split(tmp_path, "train", dataclasses.replace(cfg, greedy_fraction=0.0),
                       policy_factory=lambda seed: RecordingPolicy(seed, log))
    assert log == [] and m["episode_policies"] == {"random": 3}
    m = generate_split(tmp_path, "val", cfg, policy_factory=lambda seed: RecordingPolicy(seed, log))  # 1 episode
    assert m["episode_policies"] == {"recording": 1} and log


def test_no_policy_means_random(tmp_path) -> None:
    cfg = DataConfig(episodes=1, examples=1, max_decisions=3, quests=("farming_3wave",), greedy_fraction=1.0)
    recs = [rec for _, _, rec in iter_frames(cfg, "train", scaled=False)]
    assert {r.policy for r in recs if r.source == "episode"} == {RandomPolicy.name}


def test_vision_train_widths_option(tmp_path) -> None:
    """`fgo vision train --widths` builds the multi-task backbone it names (the narrow ablation)."""
    from agents.cli.main import main
    from feature_models.data import generate
    from feature_models.io import load_model

    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3,
                     quests=("farming_3wave",), plain_fraction=0.0)
    generate(tmp_path / "data", cfg, splits=("train", "val"))
    assert main(["vision", "train", "--root", str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                 "--epochs", "1", "--steps", "1", "--no-baselines", "--widths", "8", "16", "32"]) == 0
    model, _ = load_model(tmp_path / "out" / "multitask")
    assert model.backbone_config.widths == (8, 16, 32) and model.backbone_config.blocks == (1, 1)


def test_more_train_folders_add_their_samples(tmp_path, capsys) -> None:
    """`load_splits` concatenates folders of other seeds with every sample's crops its own (match
    tasks' indices and frame ids offset); `fgo vision train --more-train` trains on them; the same
    folder twice (or one of the same seed) is a one-line error."""
    from agents.cli.main import main
    from feature_models.data import generate, load_splits

    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3,
                     quests=("farming_3wave",), plain_fraction=0.0)
    generate(tmp_path / "a", cfg, splits=("train", "val"))
    generate(tmp_path / "b", dataclasses.replace(cfg, seed=1), splits=("train",))
    a, b = load_split(tmp_path / "a", "train"), load_split(tmp_path / "b", "train")
    both = load_splits([tmp_path / "a", tmp_path / "b"], "train")
    for t in TASK_NAMES:
        n = len(a[t])
        assert len(both[t]) == n + len(b[t])
        assert np.array_equal(both[t].inputs(np.arange(n)), a[t].inputs(np.arange(n)))
        assert np.array_equal(both[t].inputs(np.arange(n, len(both[t]))), b[t].inputs(np.arange(len(b[t]))))
        assert np.array_equal(both[t].y, np.concatenate([a[t].y, b[t].y]))
        assert both[t].frame[n:].min() > both[t].frame[:n].max()  # one frame never spans two folders
    assert not np.array_equal(a["wave"].x, b["wave"].x)  # another seed: other looks
    out = tmp_path / "out"
    assert main(["vision", "train", "--root", str(tmp_path / "a"), "--more-train", str(tmp_path / "b"),
                 "--out", str(out), "--epochs", "1", "--steps", "1", "--no-baselines"]) == 0
    assert json.loads((out / "multitask.json").read_text())["metadata"]["more_train"] == [str(tmp_path / "b")]
    capsys.readouterr()
    assert main(["vision", "train", "--root", str(tmp_path / "a"), "--more-train", str(tmp_path / "a"),
                 "--out", str(out), "--epochs", "1", "--steps", "1", "--no-baselines"]) != 0
    err = capsys.readouterr().err.strip()
    assert "same --seed (0)" in err and "another --seed" in err and "Traceback" not in err and "\n" not in err


def test_translucent_status_bars_leave_the_wave_labelled_and_opaque_overlays_hide_it():
    """The wave counter stays legible under a translucent band (every dark bar, most light ones),
    so those crops keep their labels; a near-opaque light bar or a banner over it hides them."""
    from fgo_env.screens.look import Look
    from fgo_env.screens.post import status_bar_overlay

    def hidden(seed: int, **knobs) -> bool:
        look = dataclasses.replace(Look.random(seed), **{"notification": False, **knobs})
        return "wave" in hidden_crops(look, 1280, 720)

    assert not any(hidden(s, status_bar="dark") for s in range(60))
    light = {s: hidden(s, status_bar="light") for s in range(60)}
    assert 0 < sum(light.values()) < 30  # only the near-opaque ones
    for s, h in light.items():  # hidden exactly where the band is nearly opaque
        band = 1 - status_bar_overlay("light", (1280, 720), Look.random(s).seed).keep.mean()
        assert not h or band > 0.8
    assert hidden(3, status_bar="none", notification=True)  # a banner at the top is opaque


def test_wave_digits_are_read_one_a_crop_and_old_folders_and_weights_keep_their_crop(tmp_path) -> None:
    """The wave heads can read one digit a crop (`TaskSpec.crop`, ``wave_crops="digits"``); a
    dataset's manifest says which crop its samples are, one written before (no ``crop``) the "n/N"
    crop; folders of both kinds do not mix, and weights are not scored on the other kind (one-line
    `DatasetError`s)."""
    import pytest

    from feature_models.data import DatasetError, check_crops, generate, hidden_crops, load_split, load_splits
    from feature_models.learner import evaluate_model
    from feature_models.model import MultiTaskModel
    from feature_models.tasks import CROP_NAMES, TASKS, TaskSpec, task_specs
    from fgo_env.screens.look import Look

    assert (TASKS["wave"].crop, TASKS["wave_total"].crop) == ("wave", "wave")  # what the shipped weights read
    digits = task_specs("digits")
    assert (digits["wave"].crop, digits["wave_total"].crop) == ("wave_n", "wave_N")
    with pytest.raises(ValueError, match="wave_crops must be one of"):
        DataConfig(wave_crops="pixels")
    for t in ("wave", "wave_total"):  # a spec saved before names no crop: it reads the "n/N" one
        old = {k: v for k, v in digits[t].to_dict().items() if k != "crop"}
        assert TaskSpec.from_dict(old).crop == "wave" and TaskSpec.from_dict(digits[t].to_dict()) == digits[t]
    with pytest.raises(ValueError, match="none of"):
        TaskSpec.from_dict({**TASKS["wave"].to_dict(), "crop": "wave_x"})
    scene = Scene.example("command", 3)
    samples = frame_samples(scene, specs=digits)
    assert samples["wave"] == [(("wave_n",), scene.wave - 1)]
    assert samples["wave_total"] == [(("wave_N",), scene.wave_total - 1)]
    assert frame_samples(scene)["wave"] == [(("wave",), scene.wave - 1)]
    # a digit's crop is covered or not with the counter: the same labels are scored as before
    look = next(Look.random(s) for s in range(500) if Look.random(s).status_bar != "none")
    assert not {"wave_n", "wave_N"} & set(hidden_crops(look, 640, 360))
    assert {"wave_n", "wave_N"} <= set(CROP_NAMES)

    cfg = DataConfig(episodes=1, examples=4, max_decisions=4, examples_per_look=2, quests=("farming_3wave",),
                     plain_fraction=0.0, wave_crops="digits")
    generate(tmp_path / "new", cfg, splits=("test",))
    new = load_split(tmp_path / "new", "test")
    assert new["wave"].crop == "wave_n" and new["wave_total"].crop == "wave_N" and new["phase"].crop == ""
    frames = json.loads((tmp_path / "new" / "test" / "frames.json").read_text())
    assert len(new["wave"]) == sum("wave" not in f["unscored"] for f in frames if f["kind"] != "menu" or
                                   f["wave"])  # one digit sample a scored counter
    generate(tmp_path / "old", dataclasses.replace(cfg, seed=1, wave_crops="counter"), splits=("test",))
    manifest = tmp_path / "old" / "test" / "manifest.json"
    doc = json.loads(manifest.read_text())
    for spec in doc["tasks"].values():
        spec.pop("crop", None)
    manifest.write_text(json.dumps(doc))
    old = load_split(tmp_path / "old", "test")
    assert old["wave"].crop == old["wave_total"].crop == "wave"
    with pytest.raises(DatasetError, match="other crops in other folders"):
        load_splits([tmp_path / "new", tmp_path / "old"], "test")
    model = MultiTaskModel(new_tasks=list(digits.values()))
    assert evaluate_model(model, {"wave": new["wave"]})["wave"]["n"] == len(new["wave"])
    with pytest.raises(DatasetError, match="reads crop 'wave_n'.*'wave' crops"):
        evaluate_model(model, {"wave": old["wave"]})
    check_crops(model.specs, {"phase": old["phase"]}, "phase reads any")  # heads of no fixed crop: no check
