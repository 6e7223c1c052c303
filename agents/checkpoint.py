"""Safe files for trained agents and training checkpoints: no pickles, atomic writes.

**Agent weights** (what users share and load by path) are a folder with two files::

    agent.json          {"format": "pendragon-weights", "version": 1, "weights": "model.safetensors",
                         "sha256": "<hex digest of the weights file>", "config": {...}}
    model.safetensors   the tensors (safetensors: a JSON header plus raw little-endian data)

`save_weights` writes both atomically (temp file + ``os.replace``), and in an order that keeps the
pair whole: the new weights under a side name (``model.next.safetensors``), the JSON naming it,
the weights under their own name, the JSON naming them, the side copy removed. A process killed at
any moment leaves a JSON naming complete weights with their digest (before, a kill between the
two replaces left new weights beside the old JSON). `load_weights` refuses, with a
`CheckpointError` naming the file, anything that is not exactly what `save_weights` wrote: a
pickle or a zip (SB3's ``.zip`` holds cloudpickled objects), a truncated or altered weights file
(the SHA-256 is checked before parsing), a malformed JSON, a missing file. Weights load as NumPy
arrays, so loading an agent does not import torch.

**Training checkpoints** (for ``resume``) hold plain tensors and primitives written with
``torch.save`` and are read back only with ``torch.load(..., weights_only=True)``
(`save_checkpoint` / `load_checkpoint`), which cannot run code from the file.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fgo_env.safe_files import atomic_write_bytes, atomic_write_text, unsafe_reason

FORMAT = "pendragon-weights"
VERSION = 1
CONFIG_FILE = "agent.json"
WEIGHTS_FILE = "model.safetensors"



class CheckpointError(ValueError):
    """A weights or checkpoint file that cannot be trusted or read; the message names the file."""


# ----------------------------------------------------------------------------- agent weights

def _to_numpy(tensors: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out = {}
    for name, t in tensors.items():
        if hasattr(t, "detach"):  # a torch tensor; no torch import needed
            t = t.detach().cpu().numpy()
        out[name] = np.ascontiguousarray(np.asarray(t))
    return out


def save_weights(path: str | Path, tensors: Mapping[str, Any], config: Mapping[str, Any],
                 metadata: Mapping[str, Any] | None = None) -> Path:
    """Write ``tensors`` (name -> torch tensor or NumPy array) and ``config`` (JSON-able) into
    the folder ``path`` as ``model.safetensors`` + ``agent.json``; returns the folder.
    ``metadata`` (JSON-able values) goes inside the weights file, covered by its SHA-256."""
    from safetensors.numpy import save

    folder = Path(path)
    if folder.suffix == ".json":
        folder = folder.parent
    data = save(_to_numpy(tensors), metadata={k: json.dumps(v) for k, v in (metadata or {}).items()} or None)
    meta = {"format": FORMAT, "version": VERSION, "weights": WEIGHTS_FILE,
            "sha256": hashlib.sha256(data).hexdigest(), "config": dict(config)}
    text = json.dumps(meta, indent=2, sort_keys=False) + "\n"  # fails early on non-JSON config
    # Each file is replaced atomically, but not the pair: a kill between the two replaces left new
    # weights beside the old JSON (a SHA-256 mismatch). So the JSON first names a side copy of the
    # new weights, then the weights under their own name: at every moment it names a whole file
    # whose digest it holds.
    side = WEIGHTS_FILE.replace(".safetensors", ".next.safetensors")
    atomic_write_bytes(folder / side, data)
    atomic_write_text(folder / CONFIG_FILE, json.dumps({**meta, "weights": side}, indent=2) + "\n")
    atomic_write_bytes(folder / WEIGHTS_FILE, data)
    atomic_write_text(folder / CONFIG_FILE, text)
    (folder / side).unlink(missing_ok=True)
    return folder


def _sniff_refuse(file: Path, head: bytes) -> None:
    reason = unsafe_reason(head)
    if reason is not None:
        raise CheckpointError(f"{file}: {reason}; refusing to load it. Agents load from agent.json + "
                              "model.safetensors")


def read_config(path: str | Path) -> tuple[dict, Path]:
    """The parsed ``agent.json`` of an agent folder (or the JSON file itself) and its path."""
    p = Path(path)
    file = p / CONFIG_FILE if p.is_dir() else p
    if file.suffix == ".safetensors":
        file = file.with_name(CONFIG_FILE)
    if not file.is_file():
        raise CheckpointError(f"{file}: no such file (an agent folder holds {CONFIG_FILE} and {WEIGHTS_FILE})")
    raw = file.read_bytes()
    _sniff_refuse(file, raw[:9])
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{file}: not a valid JSON agent config ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{file}: not a {FORMAT} config (missing \"format\": \"{FORMAT}\")")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{file}: unsupported version {meta.get('version')!r} (this code reads {VERSION})")
    for key in ("weights", "sha256", "config"):
        if key not in meta:
            raise CheckpointError(f"{file}: missing field {key!r}")
    if not isinstance(meta["config"], dict):  # every reader takes it as the agent's settings by name
        raise CheckpointError(f"{file}: field 'config' must be a JSON object (the agent's settings), "
                              f"got {type(meta['config']).__name__} {json.dumps(meta['config'])[:60]}")
    return meta, file


def load_weights(path: str | Path, with_metadata: bool = False) -> tuple:
    """Read an agent folder written by `save_weights` (or its ``agent.json`` / weights file).

    Returns ``(tensors, config)`` with NumPy arrays (and the weights file's metadata with
    ``with_metadata``). Raises `CheckpointError` naming the file
    for a pickle/zip, a truncated or altered weights file, or a malformed config.
    """
    from safetensors.numpy import load

    p = Path(path)
    if p.is_file() and p.suffix not in (".json", ".safetensors"):
        with open(p, "rb") as f:
            _sniff_refuse(p, f.read(9))
        raise CheckpointError(f"{p}: not an agent file (expected a folder with {CONFIG_FILE} + {WEIGHTS_FILE})")
    meta, cfg_file = read_config(p)
    name = meta["weights"]
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise CheckpointError(f"{cfg_file}: bad weights file name {name!r}")
    wfile = cfg_file.parent / name
    if not wfile.is_file():
        raise CheckpointError(f"{wfile}: weights file missing (named by {cfg_file})")
    data = wfile.read_bytes()
    _sniff_refuse(wfile, data[:9])
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        raise CheckpointError(f"{wfile}: SHA-256 mismatch (file is truncated or altered: {len(data)} bytes, "
                              f"sha256 {digest[:12]}..., {cfg_file.name} expects {str(meta['sha256'])[:12]}...)")
    try:
        tensors = load(data)
    except Exception as err:  # noqa: BLE001  (SafetensorError and friends: any parse failure)
        raise CheckpointError(f"{wfile}: not a valid safetensors file ({err})") from None
    if not with_metadata:
        return dict(tensors), dict(meta["config"])
    return dict(tensors), dict(meta["config"]), _read_metadata(wfile, data)


def _read_metadata(wfile: Path, data: bytes) -> dict:
    """The JSON values of a safetensors header's ``__metadata__`` (the data already passed its checks)."""
    n = int.from_bytes(data[:8], "little")
    try:
        raw = json.loads(data[8:8 + n]).get("__metadata__") or {}
        return {k: json.loads(v) for k, v in raw.items()}
    except (ValueError, AttributeError) as err:
        raise CheckpointError(f"{wfile}: unreadable metadata in the safetensors header ({err})") from None


# ----------------------------------------------------------------------------- training checkpoints

def save_checkpoint(path: str | Path, payload: Mapping[str, Any]) -> None:
    """``torch.save`` a dict of tensors and primitives to ``path`` atomically."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save(dict(payload), buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by `save_checkpoint` with ``weights_only=True``."""
    import pickle

    import torch

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: no checkpoint file")
    try:
        with warnings.catch_warnings():  # torch warns of a refused pickle before raising: the error says it
            warnings.simplefilter("ignore", UserWarning)
            out = torch.load(p, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        raise CheckpointError(f"{p}: cannot be loaded safely as a training checkpoint ({_load_failure(err)}); "
                              "it is not one fgo train wrote, or it is damaged") from None
    if not isinstance(out, dict):
        raise CheckpointError(f"{p}: checkpoint is a {type(out).__name__}, not a dict")
    return out


def _load_failure(err: BaseException) -> str:
    """Why torch refused the file, without torch's advice to load it with ``weights_only=False``
    (which runs the file's code: never for a file this project reads)."""
    text = str(err).strip()
    if "WeightsUnpickler error:" in text:  # the reason follows torch's paragraph on weights_only
        reason = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()
        return f"refused by the safe loader: {reason[0].strip() if reason else 'an object other than tensors'}"
    if isinstance(err, EOFError) or not text:
        return "the file is empty or cut short"
    return text.splitlines()[0].split(". ")[0]  # torch's first sentence; the rest is advice


__all__ = ["CONFIG_FILE", "CheckpointError", "WEIGHTS_FILE", "atomic_write_bytes", "atomic_write_text",
           "load_checkpoint", "load_weights", "read_config", "save_checkpoint", "save_weights"]
