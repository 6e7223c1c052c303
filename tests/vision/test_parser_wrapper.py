"""The shipped weights parse fresh frames; the wrapper's observations equal the truth on plain looks;
ParsedGreedy (agents.experiments.vision_check) on true features plays exactly as greedy."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import fgo_env  # noqa: F401
from agents.cli.vision import greedy_policy
from agents.evaluate import play_episode as play
from agents.experiments.vision_check import ParsedGreedy
from feature_models.evaluate import LABEL_KEYS, parse_check
from feature_models.parser import ATTACK_PRESENT, DEFAULT_WEIGHTS, FrameParser
from feature_models.wrappers import ParsedFeatures
from fgo_env.features import Features

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                reason="shipped weights missing (run `fgo vision train --ship`)")


@pytest.fixture(scope="module")
def parser() -> FrameParser:
    return FrameParser()


# Thresholds a little under what the shipped weights (retrained 2026-12-03 for issue 13: the real
# look family, phone disturbances, menus, the same_owner head) read on this test's 150 frames
# (look seed 11; `parse_check`; Look.random now draws the real family 60 % of the time and the
# capture disturbances): all fields 95.17 %, phase 100 %, wave 93.6 %, wave total 92.7 %, card
# type 95.5 %, card owner (where its NP card is shown) 94.8 %, NP ready 97.6 %, Back 100 %, break
# bars 83.5 %, whole frames 74.7 %. Most misses are small (360p) real-family frames under blur,
# JPEG, noise and video artefacts at once; issue 13's >= 99.5 % per head under disturbances is
# not met yet (docs/vision.md). These floors guard against a broken pipeline or a regression.
# The weights shipped 2026-12-05 (runs/vision14ft) read 94.5 % of all fields, card owner 93.7 %;
# those shipped the same day later (runs/vision15ft, fine-tuned on 3x the data) 94.3 %: wave 92.7
# -> 96.0 %, break bars 81.1 -> 85.0 %, whole frames 73.3 -> 77.3 %, card type 93.9 -> 93.1 %,
# card owner 93.7 -> 90.2 % (6 of 174 cards; on the 2,455 held-out cards of data/vision14's test
# split both rose: type 99.92 -> 99.96 %, owner 97.9 -> 98.6 %).
FIELD_MIN = {"phase": 0.98, "wave": 0.90, "wave_total": 0.89, "card_type": 0.92, "card_owner": 0.88,
             "np_ready": 0.95, "back_available": 0.97, "breaks_left": 0.78}
ALL_FIELDS_MIN, FRAME_MIN, ATTACK_MIN, ATTACK_CLASS_MIN = 0.93, 0.68, 0.99, 0.95


def fresh_frames_with_attack(n: int = 150, seed: int = 11):
    """The frames of `feature_models.evaluate.fresh_frames` (looks 10,100,000+, never seen in
    training; greedy plays the episode, as under `fgo vision eval`), also keeping each frame's
    Attack-button label (present on command screens), which the Features labels do not carry."""
    from feature_models.data import DataConfig, iter_frames

    cfg = DataConfig(episodes=1, examples=n, seed=seed, examples_per_look=5)
    frames, attack = [], []
    for frame, _scene, rec in iter_frames(cfg, "test", scaled=False, policy_factory=greedy_policy):
        frames.append((frame, {k: rec.labels[k] for k in LABEL_KEYS}))
        attack.append(rec.kind == "command")
        if len(frames) >= n:
            break
    return frames, np.array(attack)


def test_shipped_weights_small_and_accurate(parser) -> None:
    """The shipped weights fit in 5 MB and read fresh frames about as well as the docs claim: every
    Features field, the pooled entries, whole frames and the attack head, each with its own floor."""
    assert DEFAULT_WEIGHTS.with_suffix(".safetensors").stat().st_size <= 5_000_000
    frames, attack = fresh_frames_with_attack()
    assert len(frames) == 150 and attack.sum() >= 20 and (~attack).sum() >= 20
    res = parse_check(parser, frames)
    assert res["all_fields"]["acc"] >= ALL_FIELDS_MIN, (res["all_fields"], res["errors"][:3])
    for field, floor in FIELD_MIN.items():
        assert res[field]["acc"] >= floor, (field, res[field], res["errors"][:3])
    assert res["frame"]["acc"] >= FRAME_MIN, res["frame"]
    present = np.concatenate([parser.predict_batch([f for f, _ in frames[i:i + 16]])["attack"][:, ATTACK_PRESENT]
                              for i in range(0, len(frames), 16)])
    read = present > 0.5
    assert np.mean(read == attack) >= ATTACK_MIN, (np.mean(read == attack), np.flatnonzero(read != attack))
    assert read[attack].mean() >= ATTACK_CLASS_MIN and (~read[~attack]).mean() >= ATTACK_CLASS_MIN  # each class


def test_wrapper_plain_look_equals_truth(parser) -> None:
    env = ParsedFeatures(gym.make("fgo_env/Battle-v1", quest="farming_3wave", obs_mode="features"), parser)
    obs, info = env.reset(seed=5)
    steps = 0
    from agents.scripted.greedy import GreedyAgent

    agent = GreedyAgent()
    agent.reset(env)
    done = False
    while not done and steps < 40:
        assert Features.from_array(obs) == Features.from_array(info["true_features"]), steps
        obs, _, term, trunc, info = env.step(agent.act(obs, info["action_mask"]))
        done = term or trunc
        steps += 1
    assert Features.from_array(obs) == Features.from_array(info["true_features"])
    assert steps > 5


def test_parsed_greedy_on_true_features_is_greedy() -> None:
    from agents.scripted.greedy import GreedyAgent

    env = gym.make("fgo_env/Battle-v1", quest="standard_crossroads", obs_mode="features")
    for seed in (1, 2):
        a = play(env, GreedyAgent(), seed)
        pg = ParsedGreedy()
        b = play(env, pg, seed)
        assert a["actions"] == b["actions"] and pg.stats["hand_differs"] == 0
        assert pg.stats["card_decisions"] > 0


def test_parser_reads_each_head_from_its_named_crops() -> None:
    """The parser's named positions and class indices are the crops and classes they name."""
    from feature_models import parser as P
    from feature_models.tasks import TASKS
    from fgo_env.features import PHASE_CARDS, PHASE_COMMAND, PHASE_NAMES, PHASE_OTHER

    assert [P.STAGE1[i] for i in (P.SCREEN_AT, P.ATTACK_AT)] == ["screen", "attack"]
    assert P.STAGE1[P.GAUGES_AT] == P.GAUGE_CROPS == ("gauge0", "gauge1", "gauge2")
    assert P.STAGE2[P.CARDS_AT] == P.CARD_CROPS and P.STAGE2[P.PORTRAITS_AT] == P.PORTRAIT_CROPS
    assert P.STAGE2[P.NP_CARDS_AT] == P.NP_CARD_CROPS == ("npcard0", "npcard1", "npcard2")
    assert TASKS["phase"].classes == PHASE_NAMES  # the phase head's output index is the Features phase
    assert [PHASE_NAMES[p] for p in (PHASE_COMMAND, PHASE_CARDS, PHASE_OTHER)] == ["command", "cards",
                                                                                   "other"]
    assert TASKS["attack"].classes[P.ATTACK_PRESENT] == "present"
    assert TASKS["np_ready"].classes[P.NP_READY_YES] == "yes"
    assert P.STAGE1[P.BREAKS_AT] == P.BREAK_CROPS == ("breaks0", "breaks1", "breaks2")
    assert P.STAGE2[P.BACK_AT] == "back" and TASKS["back"].classes[P.BACK_ACTIVE] == "active"
    assert TASKS["breaks"].classes == ("0", "1", "2", "3")  # class index = break bars left


def test_the_parser_reads_the_wave_crops_its_weights_were_trained_on() -> None:
    """Stage 1 ends with the wave heads' crops (`TaskSpec.crop`): one digit a crop for weights
    trained so, the "n/N" crop for the others, which read as they did."""
    import dataclasses

    import numpy as np
    import torch

    from feature_models.model import MultiTaskModel
    from feature_models.parser import STAGE1, FrameParser
    from feature_models.tasks import TASKS, extract_crops, task_specs
    from fgo_env.screens import Renderer, Scene

    new = FrameParser(model=MultiTaskModel(new_tasks=list(task_specs("digits").values())), jit=False)
    assert new.stage1 == STAGE1 + ("wave_n", "wave_N")
    old_model = MultiTaskModel(new_tasks=[dataclasses.replace(TASKS[t], crop="wave") if t in ("wave", "wave_total")
                                          else TASKS[t] for t in TASKS])
    old = FrameParser(model=old_model, jit=False, wave_shifts=False)  # untrained: unsure, read once here
    assert old.stage1 == STAGE1 + ("wave",)
    frame = Renderer(640, 360).render(Scene.example("command", 2))
    out = old.predict_batch([frame])
    crop = extract_crops(frame, ["wave"], old.size)
    with torch.inference_mode():
        want = old._head("wave", old._features(crop)).numpy()
    assert np.allclose(out["wave"], want, atol=1e-5)
    # both heads on the one crop, an unsure digit read a pixel to each side too
    from feature_models.parser import PHASE_OTHER
    from feature_models.shifted_reads import SHIFTS, shifted

    shifting = FrameParser(model=old_model, jit=False)
    both = shifting.predict_batch([frame])
    battle = both["phase_decision"][0] != PHASE_OTHER  # untrained, unseeded: a screen read as "other" is read once
    with torch.inference_mode():
        for task in ("wave", "wave_total"):
            reads = [shifting._head(task, shifting._features(c)).numpy()
                     for c in [crop] + [shifted(crop, *s) for s in SHIFTS]]
            want = np.mean(reads, axis=0) if battle else reads[0]
            assert reads[0].max() < 0.9 and np.allclose(both[task], want, atol=1e-5)
