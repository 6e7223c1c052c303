"""The owners heads end to end: same_owner / card_owner samples from scenes (per look family), the
pair and match heads, the loader and learner on them, the parser's Readings, the brave-chain score."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from feature_models.backbone import BackboneConfig
from feature_models.data import (NONE_OWNER, DataConfig, TaskData, _TaskBuffer, frame_samples,
                                 hide_unready_np_cards, np_cards_shown, owner_labels, random_look,
                                 same_owner_pairs, true_groups)
from feature_models.evaluate import BraveScore, brave_lines, brave_of, family_lines, parse_check, write_report
from feature_models.grouping import PAIRS
from feature_models.io import load_model, save_model
from feature_models.learner import FitConfig, MultiTaskLearner, evaluate_model
from feature_models.loader import MultiDatasetLoader, iterate_dataset
from feature_models.model import MatchHead, MultiTaskModel, PairHead
from feature_models.reading import Reading
from feature_models.tasks import TASK_NAMES, TASKS, TaskSpec, extract_crops
from fgo_env.features import Features
from fgo_env.screens import Scene

torch.set_num_threads(1)
SIZE = 16


def _tiny(tasks=TASK_NAMES) -> MultiTaskModel:
    backbone = BackboneConfig(widths=(8, 16), blocks=(1,), in_size=SIZE)
    return MultiTaskModel(backbone, new_tasks=tasks, head_hidden=8)


def _cards_scene(seed: int, np_ready=(True, False, False), owners=None) -> Scene:
    scene = Scene.example("cards", seed)
    servants = tuple(s for s in scene.servants)
    if any(s is None for s in servants):  # every slot present, for simple expectations
        full = Scene.example("command", seed + 1).servants
        servants = tuple(s if s is not None else f for s, f in zip(servants, full))
        servants = tuple(s if s is not None else Scene.example("cards", 0).servants[0] for s in servants)
    if owners is None:
        owners = [c.owner_slot for c in scene.cards]
    cards = tuple(dataclasses.replace(c, owner_slot=o, owner_key=servants[o].key, owner_cls=servants[o].cls)
                  for c, o in zip(scene.cards, owners))
    return dataclasses.replace(scene, servants=servants, cards=cards, np_cards=tuple(np_ready),
                               np_owner_keys=())


# ------------------------------------------------------------------------------ tasks and labels
def test_task_specs() -> None:
    so, co = TASKS["same_owner"], TASKS["card_owner"]
    assert so.head == "pair" and so.n_crops == 2 and so.classes == ("different", "same") and so.indexed
    assert co.head == "match" and co.n_crops == 4 and co.classes[-1] == "none" and co.indexed
    assert not TASKS["phase"].indexed
    assert TaskSpec.from_dict(so.to_dict()) == so


def test_samples_per_family() -> None:
    owners = [0, 1, 1, 2, 1]
    scene = _cards_scene(3, np_ready=(False, False, True), owners=owners)
    assert np_cards_shown(scene, "classic") == (True, True, True)
    assert np_cards_shown(scene, "real") == (False, False, True)
    # classic: every NP card shown (lit or dimmed), the owner's slot is the label
    assert owner_labels(scene, "classic") == owners
    # real: only slot 2's NP card (ready) is shown; the others' cards match no shown NP card
    assert owner_labels(scene, "real") == [NONE_OWNER, NONE_OWNER, NONE_OWNER, 2, NONE_OWNER]
    real = frame_samples(scene, "real")
    assert [y for _, y in real["card_owner"]] == owner_labels(scene, "real")
    assert all(names == (f"portrait{i}", "npcard0", "npcard1", "npcard2")
               for i, (names, _) in enumerate(real["card_owner"]))
    # np_ready keeps its meaning in both families: a non-ready slot's crop is "no"
    assert [y for _, y in real["np_ready"]] == [0, 0, 1] == [y for _, y in frame_samples(scene)["np_ready"]]
    pairs = real["same_owner"]
    assert len(pairs) == 10
    for (a, b), same in pairs:
        i, j = int(a[-1]), int(b[-1])
        assert i < j and same == int(owners[i] == owners[j])
    assert not frame_samples(Scene.example("command", 1))["same_owner"]
    with pytest.raises(ValueError, match="family"):
        np_cards_shown(scene, "sepia")


def test_hidden_unready_np_cards_are_not_candidates() -> None:
    """The classic look drawn with the real game's NP row (no NP card for a servant whose NP is
    not ready): those slots' NP crops change, their cards are labelled "none"."""
    from fgo_env.screens import Look, Renderer

    owners = [0, 1, 1, 2, 1]
    scene = _cards_scene(5, np_ready=(True, False, False), owners=owners)
    hidden = hide_unready_np_cards(scene)
    assert hidden.np_owner_keys[0] == scene.np_owner_keys[0] and hidden.np_owner_keys[1:] == (None, None)
    assert np_cards_shown(hidden) == (True, False, False)
    assert owner_labels(hidden) == [0, NONE_OWNER, NONE_OWNER, NONE_OWNER, NONE_OWNER]
    r = Renderer(640, 360, Look.plain())
    a = extract_crops(r.render(scene), ["npcard0", "npcard1", "npcard2"], 16).astype(int)
    b = extract_crops(r.render(hidden), ["npcard0", "npcard1", "npcard2"], 16).astype(int)
    diff = np.abs(a - b).mean(axis=(1, 2, 3))
    assert diff[0] < 1 and diff[1] > 5 and diff[2] > 5
    assert hide_unready_np_cards(Scene.example("command", 2)) == Scene.example("command", 2)
    with pytest.raises(ValueError, match="hide_unready_np"):
        DataConfig(hide_unready_np=1.5)


def test_twin_servants_pairs_left_out() -> None:
    scene = _cards_scene(4, owners=[0, 1, 0, 1, 2])
    twin = scene.servants[0]
    servants = (twin, dataclasses.replace(scene.servants[1], key=twin.key), scene.servants[2])
    cards = tuple(dataclasses.replace(c, owner_key=servants[c.owner_slot].key) for c in scene.cards)
    scene = dataclasses.replace(scene, servants=servants, cards=cards)
    pairs = same_owner_pairs(scene)
    assert (0, 1, 0) not in pairs and (0, 2, 1) in pairs and (0, 4, 0) in pairs and len(pairs) == 6


def test_true_groups_and_brave_of() -> None:
    assert true_groups([2, 0, 2, 1, 1]) == [0, 1, 0, 2, 2]
    assert true_groups([-1] * 5) == [-1] * 5
    assert brave_of([0, 1, 0, 1, 0]) == (0, 2, 4) and brave_of([0, 1, 0, 2, 2]) is None


def test_random_look_families() -> None:
    look = random_look(5)
    assert getattr(look, "family", "classic") in ("classic", "real")
    assert getattr(random_look(5, "classic"), "family", "classic") == "classic"


# ------------------------------------------------------------------------------ heads
def test_pair_head_symmetric_match_head_none() -> None:
    torch.manual_seed(0)
    f = torch.randn(6, 2, 12)
    head = PairHead(12, 2)
    assert torch.allclose(head(f), head(f.flip(1)), atol=1e-6) and head(f).shape == (6, 2)
    m = MatchHead(12, 4, n_candidates=3)
    assert m(torch.randn(6, 4, 12)).shape == (6, 4) and m.none_logit is not None
    old = MatchHead(12, 3)  # older weights: no "none"
    assert old(torch.randn(6, 4, 12)).shape == (6, 3) and old.none_logit is None
    with pytest.raises(ValueError):
        MatchHead(12, 5, n_candidates=3)
    model = _tiny(["same_owner", "card_owner"])
    with pytest.raises(ValueError, match="5-d"):
        model(torch.rand(3, 3, SIZE, SIZE), "same_owner")
    # a model of older weights (3-class card_owner) still builds from its config
    cfg = model.config()
    cfg["tasks"]["card_owner"]["classes"] = ["slot0", "slot1", "slot2"]
    assert MultiTaskModel.from_config(cfg)(torch.rand(2, 4, 3, SIZE, SIZE), "card_owner").shape == (2, 3)


def _pair_data(n: int, seed: int) -> TaskData:
    """Pairs of random blocky crops: "same" pairs show one crop twice (with a little noise),
    "different" pairs two crops."""
    rng = np.random.default_rng(seed)
    x = np.kron(rng.integers(0, 255, (2 * n, 4, 4, 3)), np.ones((1, SIZE // 4, SIZE // 4, 1)))
    y = rng.integers(0, 2, n)
    index = np.stack([np.arange(0, 2 * n, 2), np.arange(1, 2 * n, 2)], 1).astype(np.int32)
    x[index[y == 1, 1]] = x[index[y == 1, 0]] + rng.normal(0, 6, x[index[y == 1, 0]].shape)
    x = np.clip(x, 0, 255).astype(np.uint8)
    return TaskData("same_owner", x, y.astype(np.int64), index, np.arange(n, dtype=np.int32) // 10)


def test_same_owner_head_learns_and_round_trips(tmp_path) -> None:
    torch.manual_seed(0)
    model = _tiny(["same_owner"])
    train, val = _pair_data(400, 0), _pair_data(100, 1)
    loader = MultiDatasetLoader({"same_owner": train}, batch_size=32, steps=60, seed=0)
    x, y = loader.batch("same_owner")
    assert isinstance(x, tuple) and x[1].shape == (32, 2) and x[0].shape[1:] == (3, SIZE, SIZE)
    hist = MultiTaskLearner(model, loader, {"same_owner": val}).fit(
        FitConfig(epochs=2, warmup_steps=5, patience=0, lr_backbone=5e-3, lr_new_heads=1e-2, device="cpu"),
        progress=False)
    assert hist[-1]["val"]["same_owner"]["acc"] >= 0.8, hist[-1]["val"]
    save_model(model, tmp_path / "m")
    loaded, _ = load_model(tmp_path / "m")
    (xb, _yb), = list(iterate_dataset(val, 16))[:1]
    with torch.no_grad():
        assert torch.equal(loaded(xb, "same_owner"), model(xb, "same_owner"))
    assert evaluate_model(loaded, {"same_owner": val})["same_owner"]["acc"] >= 0.8


def test_task_buffer_stores_pairs_once() -> None:
    buf = _TaskBuffer(True, 2)
    crops = np.arange(5 * 4 * 4 * 3, dtype=np.uint8).reshape(5, 4, 4, 3)
    pos = {f"portrait{i}": i for i in range(5)}
    samples = [((f"portrait{i}", f"portrait{j}"), int(i == j - 1)) for i, j in PAIRS]
    buf.add_frame(pos, crops, samples, 0)
    arrays = buf.arrays(4)
    assert arrays["x"].shape == (5, 4, 4, 3) and arrays["index"].shape == (10, 2)
    assert np.array_equal(arrays["x"][arrays["index"]], crops[PAIRS])


# ------------------------------------------------------------------------------ parser and evaluation
def _frame_data(scenes) -> dict[str, TaskData]:
    from fgo_env.screens import Look, Renderer

    r = Renderer(640, 360, Look.plain())
    bufs = {t: _TaskBuffer(TASKS[t].indexed, TASKS[t].n_crops) for t in TASK_NAMES}
    frames = []
    for fid, scene in enumerate(scenes):
        frame = r.render(scene)
        frames.append(frame)
        samples = frame_samples(scene)
        names = sorted({n for ss in samples.values() for ns, _ in ss for n in ns})
        crops = extract_crops(frame, names, SIZE)
        pos = {n: k for k, n in enumerate(names)}
        for t, ss in samples.items():
            bufs[t].add_frame(pos, crops, ss, fid)
    out = {}
    for t, b in bufs.items():
        a = b.arrays(SIZE)
        out[t] = TaskData(t, a["x"], a["y"], a.get("index"), a["frame"])
    return out, frames


@pytest.fixture(scope="module")
def tiny_parser():
    from feature_models.parser import FrameParser

    torch.manual_seed(0)
    scenes = [Scene.example(k, s) for s in range(4) for k in ("cards", "cards", "command", "chain")]
    data, frames = _frame_data(scenes)
    model = _tiny()
    loader = MultiDatasetLoader(data, batch_size=16, mode="all", steps=8, seed=0)
    MultiTaskLearner(model, loader, None).fit(FitConfig(epochs=1, warmup_steps=1, patience=0, device="cpu"),
                                              progress=False)
    return FrameParser(model=model, jit=False), scenes, frames


def test_parser_readings(tiny_parser) -> None:
    parser, scenes, frames = tiny_parser
    out = parser.predict_batch(frames)
    assert out["same_owner"].shape == (len(frames), 10, 2) and out["card_owner"].shape[-1] == 4
    readings = parser.decode_readings(out)
    assert [r.features for r in readings] == parser.decode(out)
    for r in readings:
        assert isinstance(r, Reading) and r.unknown is None
        base = {"phase", "attack", "wave", "wave_total", "np_ready", "breaks"}
        assert base <= set(r.confidence) and all(0 <= v <= 1 for v in r.confidence.values())
        f = r.features
        if f.phase == 1:
            assert {"card_type", "card_owner", "same_owner", "card_groups", "back"} <= set(r.confidence)
            assert min(r.card_groups) == 0 and max(r.card_groups) <= 2
            for i in range(5):
                for j in range(5):
                    assert (r.card_groups[i] == r.card_groups[j]) == (f.card_owners[i] == f.card_owners[j])
        else:
            assert r.card_groups == [-1] * 5 and not any(r.owners_known) and "card_owner" not in r.confidence


def test_parse_check_scores_brave_chains(tiny_parser) -> None:
    parser, scenes, frames = tiny_parser
    from feature_models.data import frame_labels
    from feature_models.evaluate import LABEL_KEYS

    pairs = [(f, {**{k: frame_labels(s)[k] for k in LABEL_KEYS}, "family": "classic"})
             for f, s in zip(frames, scenes)]
    res = parse_check(parser, pairs, batch_size=5)
    brave = res["brave_chain"]
    # every true card screen is a hand, read as one or not (a hand not read is a miss)
    assert brave["hands"] == sum(s.kind == "cards" for s in scenes) == 8
    assert list(res["by_family"]) == ["classic"] and res["by_family"]["classic"]["frame"] == res["frame"]
    assert "| card_owner | " in "\n".join(family_lines(res["by_family"])) and family_lines(None) == []
    assert set(BraveScore.KEYS) <= set(brave)
    assert brave["by_family"].get("classic", {"n": 0})["n"] == brave["hands"]


def test_brave_score_by_hand() -> None:
    def reading(groups, owners, known):
        f = Features(1, 1, 3, [0] * 5, owners, [False] * 3, False, 0)
        return Reading(f, card_groups=groups, owners_known=known)

    lab = {"phase": 1, "card_owners": [2, 0, 2, 1, 2], "family": "real"}
    score = BraveScore()
    score.add(lab, reading([0, 1, 0, 2, 0], [2, 0, 2, 1, 2], [True, False, True, False, True]))  # right
    score.add(lab, reading([0, 1, 0, 2, 2], [2, 0, 2, 1, 1], [True] * 5))  # misses the chain
    other = {"phase": 1, "card_owners": [0, 1, 2, 0, 1]}
    score.add(other, reading([0, 0, 0, 1, 2], [0, 0, 0, 1, 2], [False] * 5))
    score.add({"phase": 0, "card_owners": [-1] * 5}, reading([-1] * 5, [-1] * 5, [False] * 5))  # not a hand
    r = score.result()
    assert r["hands"] == 3 and r["hands_with_brave"] == 2
    assert r["brave_detect"] == {"acc": 1 / 3, "n": 3} and r["brave_exact"]["acc"] == pytest.approx(1 / 3)
    assert r["brave_recall"] == {"acc": 0.5, "n": 2} and r["brave_precision"] == {"acc": 0.5, "n": 2}
    assert r["groups_exact"]["acc"] == pytest.approx(1 / 3) and r["pairs"]["n"] == 30
    assert r["owner_known"]["n"] == 3 + 5 and r["owner_eliminated"]["n"] == 2 + 5
    assert r["by_family"]["real"] == {"acc": 0.5, "n": 2}
    text = "\n".join(brave_lines(r))
    assert "brave chain" in text and "3 hands, 2 of them" in text and "real 50.00 %" in text
    assert brave_lines(None) == []
    results = {"threads": 1, "test_samples": {"phase": 1}, "multitask": {"phase": 1.0}, "multitask_params": 1,
               "multitask_bytes": 1, "latency_640x360": {"cards": {"multitask_ms": 1.0}},
               "parse_check": {"phase": {"acc": 1.0, "n": 1}, "brave_chain": r, "episode_policy": "greedy"},
               "greedy": None}
    assert "## Card owners and brave chains" in write_report(results, None)
