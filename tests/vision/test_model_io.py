"""Model: adding a task leaves old heads bit-identical; safe weights round trip and refusals."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from feature_models.data import TaskData
from feature_models.io import WeightsError, load_model, save_model
from feature_models.learner import FitConfig, MultiTaskLearner
from feature_models.loader import MultiDatasetLoader
from feature_models.model import MultiTaskModel
from feature_models.tasks import TaskSpec

torch.set_num_threads(1)


def _model(tasks) -> MultiTaskModel:
    from feature_models.backbone import BackboneConfig

    return MultiTaskModel(BackboneConfig(widths=(8, 16), blocks=(1,), in_size=16), new_tasks=tasks, head_hidden=8)


def _random_data(task: str, n: int, k: int, seed: int) -> TaskData:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 255, (n, 16, 16, 3), dtype=np.uint8)
    y = (x[:, :8].mean(axis=(1, 2, 3)) > x[:, 8:].mean(axis=(1, 2, 3))).astype(np.int64) % k
    return TaskData(task, x, y)


def _fit(model, data, steps=6):
    loader = MultiDatasetLoader(data, batch_size=16, steps=steps, augment=True)
    MultiTaskLearner(model, loader, None).fit(FitConfig(epochs=1, warmup_steps=1, patience=0), progress=False)


def test_add_task_keeps_old_heads_bit_identical() -> None:
    torch.manual_seed(0)
    a, b = TaskSpec("a", ("x", "y")), TaskSpec("b", ("x", "y"))
    model = _model([a, b])
    _fit(model, {"a": _random_data("a", 64, 2, 0), "b": _random_data("b", 64, 2, 1)})
    probe = torch.rand(8, 3, 16, 16)
    model.eval()
    with torch.no_grad():
        before = {t: model(probe, t).clone() for t in ("a", "b")}
    model.add_task(TaskSpec("c", ("p", "q", "r")))
    assert list(model.new_heads) == ["c"] and set(model.pretrained_heads) == {"a", "b"}
    assert not any(p.requires_grad for p in model.backbone.parameters())
    _fit(model, {"c": _random_data("c", 64, 3, 2)}, steps=8)
    model.eval()
    with torch.no_grad():
        for t in ("a", "b"):
            assert torch.equal(model(probe, t), before[t])
    # asked to train the backbone too, the old heads' outputs do move
    model.add_task(TaskSpec("d", ("p", "q")), train_backbone=True)
    _fit(model, {"d": _random_data("d", 64, 2, 3)}, steps=4)
    model.eval()
    with torch.no_grad():
        assert not torch.equal(model(probe, "a"), before["a"])


def test_round_trip_and_refusals(tmp_path) -> None:
    torch.manual_seed(1)
    model = _model(["phase", "card_owner"])
    model.eval()
    probe = torch.rand(4, 3, 16, 16)
    pairs = torch.rand(2, 4, 3, 16, 16)
    weights, config = save_model(model, tmp_path / "m", {"note": "test"})
    loaded, doc = load_model(tmp_path / "m")
    assert doc["metadata"] == {"note": "test"}
    with torch.no_grad():
        assert torch.equal(loaded(probe, "phase"), model(probe, "phase"))
        assert torch.equal(loaded(pairs, "card_owner"), model(pairs, "card_owner"))
    raw = weights.read_bytes()
    # truncated
    weights.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(WeightsError, match="truncated") as err:
        load_model(tmp_path / "m")
    assert str(weights) in str(err.value)
    # altered (same size, one byte flipped near the end: inside tensor data)
    altered = bytearray(raw)
    altered[-5] ^= 0xFF
    weights.write_bytes(bytes(altered))
    with pytest.raises(WeightsError, match="altered") as err:
        load_model(tmp_path / "m")
    assert str(weights) in str(err.value)
    # a pickle under the weights' name, and a torch.save file
    weights.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(WeightsError, match="pickle") as err:
        load_model(tmp_path / "m")
    assert str(weights) in str(err.value)
    torch.save(model.state_dict(), weights)
    with pytest.raises(WeightsError, match="pickle"):
        load_model(weights)
    config.unlink()
    with pytest.raises(WeightsError, match="config JSON not found"):
        load_model(tmp_path / "m")


def test_safetensors_whose_header_length_starts_like_pickle(tmp_path) -> None:
    """A header length whose low byte is 0x80 (pickle's first byte) is still a safetensors file."""
    from safetensors.torch import save_file

    from feature_models.io import check_weights_file

    path = tmp_path / "w.safetensors"
    for pad in range(0, 600):
        save_file({"x": torch.zeros(2)}, str(path), metadata={"pad": "a" * pad})
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    check_weights_file(path)  # no error


@pytest.mark.parametrize("config, needle", [
    (b"\xff\xfe\x00garbage", "config is not valid JSON"),
    (b"[1, 2]", "not a pendragon-vision/1 config"),
    (b'"text"', "not a pendragon-vision/1 config"),
    (b"[" * 100_000 + b"]" * 100_000, "config is not valid JSON"),
    (None, "config field 'bytes' must be an integer"),
    ("tasks", "its \"model\" cannot make a model (KeyError"),
    ("widths", "its \"model\" cannot make a model (ValueError"),
    ("negative", "its \"model\" cannot make a model (RuntimeError"),
])
def test_a_config_edited_or_corrupt_is_a_weights_error(tmp_path, config, needle) -> None:
    """Each of these raised its own exception (UnicodeDecodeError, AttributeError, KeyError, ...)
    where a user gets a one-line `WeightsError` naming the file."""
    import json

    _, path = save_model(_model(["phase"]), tmp_path / "m")
    doc = json.loads(path.read_text())
    if config is None:
        doc["bytes"] = "abc"
    elif config == "tasks":
        del doc["model"]["tasks"]
    elif config == "widths":
        doc["model"]["backbone"]["widths"] = [8, 16, 32, 64]
    elif config == "negative":  # torch: "Trying to create tensor with negative dimension"
        doc["model"]["backbone"]["widths"] = [-5, -5]
    path.write_bytes(json.dumps(doc).encode() if isinstance(config, (str, type(None))) else config)
    with pytest.raises(WeightsError, match="m.json: ") as err:
        load_model(tmp_path / "m")
    assert needle in str(err.value)


def test_a_folder_or_a_single_task_baseline_for_the_parser_says_what_to_give(tmp_path) -> None:
    from feature_models.parser import FrameParser

    save_model(_model(["phase", "attack"]), tmp_path / "run" / "phase")
    with pytest.raises(WeightsError, match="is a folder; give the weights in it by name, e.g. .*run/phase"):
        load_model(tmp_path / "run")
    with pytest.raises(WeightsError, match=r"lacks heads .* a single-task baseline\?"):
        FrameParser(tmp_path / "run" / "phase")
