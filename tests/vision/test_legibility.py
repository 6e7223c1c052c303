"""The legibility probe: which wave digits a frame's disturbances leave unreadable, and what the
datasets do with them (no sample, not scored)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from feature_models.data import DataConfig, generate_split, load_split
from feature_models.legibility import LEGIBLE_MIN_CORR, LegibilityProbe, contrast_kept, shape_correlation
from feature_models.tasks import TASK_NAMES
from fgo_env.screens import Look, Renderer, Scene
from fgo_env.screens.post import mid_animation_effect

SCENE = Scene.example("command", 3)  # "Battle 2/2"


def probe_of(look: Look, size=(640, 360), scene: Scene = SCENE) -> tuple[LegibilityProbe, np.ndarray]:
    renderer = Renderer(*size, look)
    return LegibilityProbe(renderer), renderer.render(scene)


def test_shape_correlation_ignores_contrast_not_shape() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(size=(32, 32)).astype(np.float32)
    assert shape_correlation(d, d) == pytest.approx(1.0)
    assert shape_correlation(0.1 * d, d) == pytest.approx(1.0)  # a translucent band: fainter, same shape
    assert shape_correlation(np.zeros_like(d), d) == 0.0  # covered: the change left no trace
    assert abs(shape_correlation(rng.normal(size=(32, 32)), d)) < 0.2


def test_contrast_kept_is_the_changes_strength_against_the_clean_one() -> None:
    d = np.random.default_rng(1).normal(size=(32, 32)).astype(np.float32)
    assert contrast_kept(d, d) == pytest.approx(1.0)
    assert contrast_kept(0.1 * d, d) == pytest.approx(0.1)  # a band 90 % opaque over the digit
    assert contrast_kept(np.zeros_like(d), d) == 0.0 and contrast_kept(d, np.zeros_like(d)) == 0.0


def test_a_light_status_bar_keeps_the_digits_shape_not_all_their_contrast() -> None:
    base = Look.random(7, family="classic").undisturbed()
    probe, frame = probe_of(base)
    assert all(m == (pytest.approx(1.0), pytest.approx(1.0)) for m in probe.measures(SCENE, frame).values())
    probe, frame = probe_of(dataclasses.replace(base, status_bar="light"))
    found = probe.measures(SCENE, frame)
    assert found.keys() == {"wave", "wave_total"}
    for corr, kept in found.values():
        assert corr > 0.8 and 0.0 < kept < 0.6, found  # the band is 60-100 % opaque
    assert probe.correlations(SCENE, frame) == {f: c for f, (c, _) in found.items()}


def test_undisturbed_and_translucent_looks_show_the_digits() -> None:
    base = Look.random(7, family="classic").undisturbed()
    for knobs in ({}, {"status_bar": "dark"}, {"status_bar": "light"}, {"gamma": 1.5}, {"rescale": 540}):
        probe, frame = probe_of(dataclasses.replace(base, **knobs))
        corr = probe.correlations(SCENE, frame)
        assert min(corr.values()) > 0.8, (knobs, corr)
        assert probe.illegible(SCENE, frame) == ()
    probe, frame = probe_of(Look.plain())
    assert probe.sharp and probe.illegible(SCENE, frame) == ()


def test_a_strong_motion_blur_smears_the_digits_and_a_fade_does_not() -> None:
    looks = [dataclasses.replace(Look.random(s).undisturbed(), mid_animation=1.0) for s in range(12)]
    effects = [mid_animation_effect(look) for look in looks]
    assert {"motion", "fade", "slide"} <= set(effects)
    for look, effect in zip(looks, effects):
        probe, frame = probe_of(look)
        if effect == "motion":  # 2.5 % of the width: longer than a digit is wide
            assert probe.illegible(SCENE, frame) == ("wave", "wave_total"), probe.correlations(SCENE, frame)
        else:  # a fade keeps half the scene; a slide moves the lower half only
            assert probe.illegible(SCENE, frame) == (), probe.correlations(SCENE, frame)
    assert 0 < LEGIBLE_MIN_CORR < 1


def test_probe_skips_menus_and_unscored_labels() -> None:
    look = next(dataclasses.replace(Look.random(s).undisturbed(), mid_animation=1.0) for s in range(40)
                if mid_animation_effect(dataclasses.replace(Look.random(s), mid_animation=1.0)) == "motion")
    probe, frame = probe_of(look)
    assert probe.illegible(SCENE, frame, skip={"wave"}) == ("wave_total",)
    menu = Scene.example("menu", 1)
    renderer = Renderer(640, 360, look)
    assert LegibilityProbe(renderer).illegible(menu, renderer.render(menu)) == ()


def boss_scene() -> tuple[Scene, str]:
    """`SCENE` with its first enemy a boss with 1 of 3 break pips lit, and that enemy's field."""
    enemies = list(SCENE.enemies)
    e = next(i for i, en in enumerate(enemies) if en is not None)
    enemies[e] = dataclasses.replace(enemies[e], breaks=3, breaks_left=1)
    return dataclasses.replace(SCENE, enemies=tuple(enemies)), f"breaks{e}"


@pytest.mark.parametrize("family", ["classic", "real"])
@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
def test_every_look_draws_a_break_pips_state_at_every_size(family, size) -> None:
    """Lit and broken pips differ in the crop in every look: a real-family pip too small for its
    rim was drawn all gold either way at 640x360 (its label a coin toss) before 2026-12-05."""
    boss, field = boss_scene()
    for s in range(12):
        probe, frame = probe_of(Look.random(s, family=family).undisturbed(), size, boss)
        assert probe.sharp and probe.correlations(boss, frame, (field,))[field] > 0.99, (s, family, size)
        assert probe.illegible(boss, frame, fields=("wave", field)) == ()


def test_break_pips_a_blur_smears_are_illegible_and_a_fade_or_slide_keeps() -> None:
    boss, field = boss_scene()
    smeared = 0
    for s in range(12):
        look = dataclasses.replace(Look.random(s).undisturbed(), mid_animation=1.0)
        probe, frame = probe_of(look, scene=boss)
        corr = probe.correlations(boss, frame, (field,))[field]
        if mid_animation_effect(look) == "motion":  # a pip is about as wide as the blur is long
            smeared += corr < LEGIBLE_MIN_CORR
            assert (field in probe.illegible(boss, frame, fields=(field,))) == (corr < LEGIBLE_MIN_CORR)
        else:
            assert corr > 0.95 and probe.illegible(boss, frame, fields=(field,)) == ()
    assert smeared >= 1


def test_a_boss_with_more_bars_than_pips_drawn_is_probed_on_the_pips_drawn() -> None:
    """The painters draw at most MAX_BREAKS pips: the probe moves the lit count within them, so a
    boss with 5 bars and 3 lit (all drawn pips lit) is legible, not a change that leaves no trace."""
    boss, field = boss_scene()
    enemies = list(boss.enemies)
    e = int(field[len("breaks"):])
    enemies[e] = dataclasses.replace(enemies[e], breaks=5, breaks_left=3)
    many = dataclasses.replace(boss, enemies=tuple(enemies))
    probe, frame = probe_of(Look.plain(), scene=many)
    assert probe.correlations(many, frame, (field,))[field] > 0.99
    assert probe.illegible(many, frame, fields=(field,)) == ()


def test_fields_of_distinct_crops_are_drawn_changed_together_and_score_as_alone() -> None:
    from feature_models.legibility import _batches

    assert _batches(["wave", "wave_total", "breaks0", "breaks2"]) == [["wave", "breaks0", "breaks2"], ["wave_total"]]
    boss, field = boss_scene()
    look = next(dataclasses.replace(Look.random(s).undisturbed(), mid_animation=1.0) for s in range(40)
                if mid_animation_effect(dataclasses.replace(Look.random(s), mid_animation=1.0)) == "motion")
    probe, frame = probe_of(look, scene=boss)
    together = probe.correlations(boss, frame, ("wave", "wave_total", field))
    alone = {f: probe.correlations(boss, frame, (f,))[f] for f in ("wave", "wave_total", field)}
    assert together == pytest.approx(alone, abs=1e-6)


def test_probed_fields_are_the_bosses_on_screens_that_draw_enemies() -> None:
    from feature_models.data import probed_fields

    boss, field = boss_scene()
    assert probed_fields(SCENE) == ("wave", "wave_total")  # no enemy with break bars
    assert probed_fields(boss) == ("wave", "wave_total", field)
    assert probed_fields(dataclasses.replace(boss, kind="wave_banner")) == ("wave", "wave_total")


def _subsequence(short, long) -> bool:
    """Whether the crops and labels ``short`` (x, y) appear in ``long`` in order."""
    k = 0
    for x, y in zip(long.x, long.y):
        if k < len(short.y) and short.y[k] == y and np.array_equal(short.x[k], x):
            k += 1
    return k == len(short.y)


def test_datasets_drop_and_unscore_illegible_labels_and_nothing_else(tmp_path) -> None:
    """With the probe, the illegible wave labels and break pips give no sample and are listed
    unscored; every other crop and label is the same bytes as without it (the probe's renders
    leave the renderer as it was)."""
    cfg = DataConfig(episodes=1, examples=96, max_decisions=6, examples_per_look=2, quests=("farming_3wave",),
                     plain_fraction=0.0, seed=1)
    on = generate_split(tmp_path / "on", "train", cfg)
    off = generate_split(tmp_path / "off", "train", dataclasses.replace(cfg, legibility=False))
    assert off["illegible"] == {} and all(on["illegible"].get(t) for t in ("wave", "wave_total", "breaks")), \
        "no look of this split disturbs the counter or a boss's pips"
    a, b = load_split(tmp_path / "on", "train"), load_split(tmp_path / "off", "train")
    for t in TASK_NAMES:
        if t in ("wave", "wave_total", "breaks"):
            assert on["samples"][t] == off["samples"][t] - on["illegible"].get(t, 0)
            assert _subsequence(a[t], b[t])  # the others as they were
        else:
            assert np.array_equal(a[t].x, b[t].x) and np.array_equal(a[t].y, b[t].y)
    frames = json.loads((tmp_path / "on" / "train" / "frames.json").read_text())
    before = json.loads((tmp_path / "off" / "train" / "frames.json").read_text())

    def unscored(records, field):
        return sum(field in r["unscored"] for r in records if r["kind"] != "menu")

    for f in ("wave", "wave_total"):
        assert unscored(frames, f) - unscored(before, f) == on["illegible"][f]
    assert 1 <= unscored(frames, "breaks_left") - unscored(before, "breaks_left") <= on["illegible"]["breaks"]


def test_cli_writes_the_old_datasets_on_request_and_the_report_says_so(tmp_path) -> None:
    from agents.cli.main import main
    from feature_models.evaluate import _illegible, _illegible_note

    assert main(["vision", "data", "--root", str(tmp_path), "--episodes", "1", "--examples", "4",
                 "--splits", "test", "--policy", "random", "--no-legibility"]) == 0
    manifest = json.loads((tmp_path / "test" / "manifest.json").read_text())
    assert manifest["config"]["legibility"] is False and manifest["illegible"] == {}
    assert _illegible(tmp_path) is None and "without the legibility probe" in " ".join(_illegible_note(None))


def test_cli_renders_only_the_frame_sizes_asked_for(tmp_path) -> None:
    """``--frame-sizes``: a folder of small frames only (where the wave digits are a few pixels
    wide); the config says so, every frame is drawn at that size, and a size that is no 16:9
    game area is refused by `DataConfig` too."""
    from agents.cli.main import main
    from feature_models.data import DataConfig

    assert main(["vision", "data", "--root", str(tmp_path), "--episodes", "1", "--examples", "6",
                 "--splits", "test", "--policy", "random", "--frame-sizes", "800x450"]) == 0
    manifest = json.loads((tmp_path / "test" / "manifest.json").read_text())
    assert manifest["config"]["frame_sizes"] == [[800, 450]]
    records = json.loads((tmp_path / "test" / "frames.json").read_text())
    assert records and {tuple(r["size"]) for r in records} == {(800, 450)}
    with pytest.raises(ValueError, match="16:9"):
        DataConfig(frame_sizes=((640, 480),))
    with pytest.raises(ValueError, match="frame_sizes"):
        DataConfig(frame_sizes=())
