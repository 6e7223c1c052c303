"""Safe weights: a safetensors file plus a JSON config, never pickle.

``save_model(model, "dir/name")`` writes ``dir/name.safetensors`` (the state dict; every new head
promoted to a pretrained head, as Tonks does on save) and ``dir/name.json`` (the model config, the
file's size and SHA-256, and any metadata such as metrics). `load_model` rebuilds the model from
the JSON and refuses, with a `WeightsError` naming the file:

* a pickle or a ``torch.save`` zip (checked by the first bytes, before anything is parsed);
* a truncated file (size below the recorded one) or an altered one (SHA-256 mismatch);
* a file whose tensors do not match the config (missing, unexpected or misshapen).

Inference needs only torch, safetensors and this package.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save as save_bytes

from fgo_env.safe_files import atomic_write_bytes, atomic_write_text, looks_like_safetensors, sha256_file, unsafe_reason

from .model import MultiTaskModel

FORMAT = "pendragon-vision/1"


class WeightsError(ValueError):
    """A weights file that cannot be trusted or does not fit its config."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if not str(path).strip() or not p.name:  # "" (never the default), Path("") (= "."), "/": no name
        raise WeightsError(repr(str(path)), "empty weights path (no name); give dir/name for "
                                            "dir/name.safetensors and dir/name.json")
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def save_model(model: MultiTaskModel, path: str | Path, metadata: dict | None = None) -> tuple[Path, Path]:
    """Write ``path.safetensors`` and ``path.json``; returns both paths."""
    weights, config = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    model.promote_new_heads()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(weights, save_bytes(state, metadata={"format": FORMAT}))
    doc = {"format": FORMAT, "model": model.config(), "weights_file": weights.name,
           "bytes": weights.stat().st_size, "sha256": sha256_file(weights),
           "parameters": model.parameter_count(), "metadata": metadata or {}}
    atomic_write_text(config, json.dumps(doc, indent=1) + "\n")
    return weights, config


def check_weights_file(weights: Path, expected_bytes: int | None = None, expected_sha: str | None = None) -> None:
    """Raise `WeightsError` unless ``weights`` is an intact safetensors file."""
    if not weights.is_file():
        raise WeightsError(weights, "is a folder, not a weights file" if weights.is_dir() else
                           "weights file not found")
    with open(weights, "rb") as f:
        head = f.read(9)
    looks_safetensors = looks_like_safetensors(head)
    reason = unsafe_reason(head)
    if reason is not None:
        raise WeightsError(weights, f"{reason}; only safetensors weights are loaded")
    size = weights.stat().st_size
    if expected_bytes is not None and size < expected_bytes:
        raise WeightsError(weights, f"truncated: {size} bytes, the config records {expected_bytes}")
    if not looks_safetensors and size >= (expected_bytes or 0):
        raise WeightsError(weights, "not a safetensors file (no JSON header after the 8-byte length)")
    if len(head) < 9:
        raise WeightsError(weights, "not a safetensors file, or truncated (shorter than its header)")
    n = int.from_bytes(head[:8], "little")
    if n <= 1 or 8 + n > size:
        raise WeightsError(weights, "not a safetensors file, or truncated (bad header length)")
    if expected_bytes is not None and size != expected_bytes:
        raise WeightsError(weights, f"altered: {size} bytes, the config records {expected_bytes}")
    if expected_sha is not None and sha256_file(weights) != expected_sha:
        raise WeightsError(weights, "altered: SHA-256 does not match the one recorded in its config")


def read_config(path: str | Path) -> dict:
    _, config = _paths(path)  # first: an empty path is no folder to look into
    if Path(path).is_dir():  # a run folder given for the weights in it
        inside = sorted(str(p.with_suffix("")) for p in Path(path).glob("*.safetensors"))
        raise WeightsError(path, f"is a folder; give the weights in it by name, e.g. {', '.join(inside[:3])}"
                                 if inside else "is a folder, not weights (dir/name: dir/name.safetensors and .json)")
    if not config.is_file():
        raise WeightsError(config, "is a folder, not a config JSON" if config.is_dir() else
                           "config JSON not found (weights need their .json beside them)")
    try:
        doc = json.loads(config.read_bytes())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise WeightsError(config, f"config is not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("model"), dict):
        raise WeightsError(config, f"not a {FORMAT} config (an object with \"format\": \"{FORMAT}\" and a "
                                   f"\"model\" object)")
    for key, kind, name in (("bytes", int, "an integer"), ("sha256", str, "a string")):
        if doc.get(key) is not None and (type(doc[key]) is not kind):  # a bool is no byte count
            raise WeightsError(config, f"config field {key!r} must be {name}, got {doc[key]!r:.40}")
    return doc


def load_model(path: str | Path, map_location: str = "cpu") -> tuple[MultiTaskModel, dict]:
    """The model saved at ``path`` (``dir/name``, or either file) in eval mode, and its config doc."""
    weights, config = _paths(path)
    doc = read_config(path)
    check_weights_file(weights, doc.get("bytes"), doc.get("sha256"))
    try:
        with safe_open(str(weights), framework="pt", device=map_location) as f:
            state = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own error types
        raise WeightsError(weights, f"cannot be read as safetensors ({exc})") from None
    try:
        model = MultiTaskModel.from_config(doc["model"])
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:  # a config edited by hand, or of another model
        raise WeightsError(config, f"its \"model\" cannot make a model ({type(exc).__name__}: "
                                                 f"{str(exc)[:120]})") from None
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise WeightsError(weights, f"tensors do not match the config (missing {missing[:5]}, "
                                    f"unexpected {unexpected[:5]})")
    bad = [k for k in own if own[k].shape != state[k].shape]
    if bad:
        raise WeightsError(weights, f"tensor shapes do not match the config: {bad[:5]}")
    model.load_state_dict(state)
    model.eval()
    return model, doc


__all__ = ["FORMAT", "WeightsError", "check_weights_file", "load_model", "read_config", "save_model"]
