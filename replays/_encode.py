"""The vector recorder's line encoder, compiled: the numbers of every episode that ended in a
step (actions, rewards, turn summaries) written as JSON text into one byte buffer.

Python's ``json`` writes a float as ``repr``. Here an integral float below 1e15 is written as its
digits and ``.0`` (what ``repr`` gives), any other float is looked up among texts Python made once
per distinct value (`float_table`). The recorder's tests hold every line equal to
``json.dumps(Episode.to_json())``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

FAST_LIMIT = 1e15  # integral floats below this are written digit by digit ("19647.0")
KIND_INT, KIND_FLOAT, KIND_BOOL, KIND_NAME = 0, 1, 2, 3


def fast_float(values: np.ndarray) -> np.ndarray:
    """Which floats the compiled writer formats itself (integral, below `FAST_LIMIT`)."""
    return (values == np.floor(values)) & (np.abs(values) < FAST_LIMIT)


def float_table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct values, text bytes, text offsets) of the floats of ``values`` that are not
    `fast_float`: ``repr`` of each, made once. (Only integral floats can be equal with different
    bits, -0.0 and 0.0, and those are fast.)"""
    keys = np.unique(values[~fast_float(values)])
    return (keys,) + pack([float.__repr__(v) for v in keys.tolist()])


def pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as one uint8 buffer and ``len + 1`` offsets."""
    data = [t.encode() for t in texts]
    offsets = np.zeros(len(data) + 1, np.int64)
    offsets[1:] = np.cumsum([len(d) for d in data])
    return np.frombuffer(b"".join(data), np.uint8), offsets


@njit(cache=True)
def _copy(out, at, src, lo, hi):
    for k in range(lo, hi):
        out[at] = src[k]
        at += 1
    return at


@njit(cache=True)
def _int(out, at, v):
    if v < 0:
        out[at] = 45  # "-"
        at += 1
        v = -v
    start = at
    while True:
        out[at] = 48 + v % 10
        at += 1
        v //= 10
        if v == 0:
            break
    i, j = start, at - 1
    while i < j:
        out[i], out[j] = out[j], out[i]
        i += 1
        j -= 1
    return at


@njit(cache=True)
def _float(out, at, v, keys, text, text_off):
    if v == math.floor(v) and abs(v) < FAST_LIMIT:
        if v == 0.0 and math.copysign(1.0, v) < 0:
            out[at] = 45
            at += 1
        at = _int(out, at, abs(int(v)) if v == 0.0 else int(v))
        out[at] = 46  # "."
        out[at + 1] = 48  # "0"
        return at + 2
    k = np.searchsorted(keys, v)
    return _copy(out, at, text, text_off[k], text_off[k + 1])


@njit(cache=True)
def _bool(out, at, v):
    if v:  # "true"
        out[at], out[at + 1], out[at + 2], out[at + 3] = 116, 114, 117, 101
        return at + 4
    out[at], out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 102, 97, 108, 115, 101  # "false"
    return at + 5


@njit(cache=True)
def _turn(out, at, step, values, kinds, slots, slot_off, names, name_off, keys, text, text_off):
    """One turn summary: ``slots`` are '{"step":', the text before each value, and the closing."""
    n = kinds.size
    at = _copy(out, at, slots, slot_off[0], slot_off[1])
    at = _int(out, at, step)
    for j in range(n):
        at = _copy(out, at, slots, slot_off[j + 1], slot_off[j + 2])
        v = values[j]
        kind = kinds[j]
        if kind == KIND_INT:
            at = _int(out, at, int(v))
        elif kind == KIND_FLOAT:
            at = _float(out, at, v, keys, text, text_off)
        elif kind == KIND_BOOL:
            at = _bool(out, at, v != 0.0)
        else:
            c = int(v)
            at = _copy(out, at, names, name_off[c], name_off[c + 1])
    return _copy(out, at, slots, slot_off[n + 1], slot_off[n + 2])


@njit(cache=True)
def encode(out, pieces, piece_off, actions, rewards, lengths, turn_counts, turn_steps, turn_values, kinds, slots,
           slot_off, names, name_off, keys, text, text_off):
    """Every episode's line into ``out``; returns the bytes written.

    Episode ``e`` has 4 ``pieces``: its head (up to ``"actions":[``), ``],"rewards":[``, its middle
    (up to ``"summaries":[``) and its tail; ``lengths[e]`` decisions and ``turn_counts[e]`` turns.
    """
    at = 0
    a = 0
    t = 0
    for e in range(lengths.size):
        p = 4 * e
        at = _copy(out, at, pieces, piece_off[p], piece_off[p + 1])
        for k in range(lengths[e]):
            if k:
                out[at] = 44  # ","
                at += 1
            at = _int(out, at, actions[a + k])
        at = _copy(out, at, pieces, piece_off[p + 1], piece_off[p + 2])
        for k in range(lengths[e]):
            if k:
                out[at] = 44
                at += 1
            at = _float(out, at, rewards[a + k], keys, text, text_off)
        a += lengths[e]
        at = _copy(out, at, pieces, piece_off[p + 2], piece_off[p + 3])
        for u in range(turn_counts[e]):
            if u:
                out[at] = 44
                at += 1
            at = _turn(out, at, turn_steps[t], turn_values[t], kinds, slots, slot_off, names, name_off, keys, text,
                       text_off)
            t += 1
        at = _copy(out, at, pieces, piece_off[p + 3], piece_off[p + 4])
    return at
