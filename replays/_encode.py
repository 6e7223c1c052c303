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
    """(the text id of each value, -1 for a `fast_float`; text bytes; offsets: the text of id
    ``i`` is ``text[offsets[i]:offsets[i + 1]]``, ``repr`` of the value)."""
    return FloatTexts().ids_of(values)


class FloatTexts:
    """`float_table` with the texts kept between calls: a recorder meets the same rewards and
    damage figures step after step (a few new values among hundreds per step), so ``repr`` runs
    once per distinct value, not once per value per step, and the compiled code looks the rest
    up in ``table`` itself. (Only integral floats can be equal with different bits, -0.0 and
    0.0, and those are fast.)"""

    LIMIT = 1 << 20  # distinct values kept (about 20 MB of text); then start over

    def __init__(self):
        # value -> text id for the compiled code: an open-addressing hash table on the float's bits
        # (a numba typed dict costs ~100 ns a lookup, and a step looks up thousands of rewards)
        self.table = (np.zeros(1 << 12, np.int64), np.full(1 << 12, -1, np.int64))
        self.ids: dict[float, int] = {}  # the same, for Python
        self.text = np.zeros(1 << 16, np.uint8)
        self.offsets = np.zeros(1 << 12, np.int64)
        self.longest = 0  # bytes of the longest text

    def ids_of(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids = np.empty(values.size, np.int64)
        missing = np.empty(values.size, np.int64)
        found = _lookup(values, self.table, ids, 0, missing, 0)
        self.fill(ids, values[missing[:found]], missing[:found])
        return ids, self.text, self.offsets

    def fill(self, ids: np.ndarray, values: np.ndarray, where: np.ndarray) -> None:
        """Set ``ids[where]`` to the text ids of ``values``, which the compiled lookup missed."""
        if not values.size:
            return
        listed = values.tolist()
        new = list(dict.fromkeys(v for v in listed if v not in self.ids))
        if len(self.ids) + len(new) > self.LIMIT:
            self.ids.clear()
            self.table = (np.zeros(1 << 12, np.int64), np.full(1 << 12, -1, np.int64))
            self.longest = 0
            new = list(dict.fromkeys(listed))
        if new:
            self._add(new)
        ids[where] = list(map(self.ids.__getitem__, listed))

    def _add(self, values: list[float]) -> None:
        """Texts for new distinct values, appended in one go."""
        first, data = len(self.ids), [float.__repr__(v).encode() for v in values]
        sizes = np.array([len(d) for d in data], np.int64)
        while first + len(values) + 1 > self.offsets.size:
            self.offsets = np.concatenate([self.offsets, np.zeros_like(self.offsets)])
        begin = self.offsets[first]
        end = begin + int(sizes.sum())
        while end > self.text.size:
            self.text = np.concatenate([self.text, np.zeros_like(self.text)])
        self.text[begin:end] = np.frombuffer(b"".join(data), np.uint8)
        self.offsets[first + 1:first + len(values) + 1] = begin + np.cumsum(sizes)
        self.ids.update(zip(values, range(first, first + len(values))))
        bits, ids = self.table
        if 2 * len(self.ids) > bits.size:  # half full at most: rebuilt larger
            size = 1 << (4 * len(self.ids)).bit_length()
            bits, ids = np.zeros(size, np.int64), np.full(size, -1, np.int64)
            values, first = list(self.ids), 0
        _insert(bits, ids, np.array(values, np.float64).view(np.int64), np.arange(first, first + len(values)))
        self.table = (bits, ids)
        self.longest = max(self.longest, int(sizes.max(initial=0)))


@njit(cache=True)
def _slot(bits, key):
    """The first slot of ``key`` (a float's bits) in a table of ``bits.size`` (a power of 2)."""
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & (bits.size - 1)


@njit(cache=True)
def _insert(bits, ids, keys, values):
    mask = bits.size - 1
    for k in range(keys.size):
        j = _slot(bits, keys[k])
        while ids[j] >= 0 and bits[j] != keys[k]:
            j = (j + 1) & mask
        bits[j] = keys[k]
        ids[j] = values[k]


@njit(cache=True)
def _get(table, v):
    bits, ids = table
    key = np.float64(v).view(np.int64)
    mask = bits.size - 1
    j = _slot(bits, key)
    while ids[j] >= 0:
        if bits[j] == key:
            return ids[j]
        j = (j + 1) & mask
    return -1


@njit(cache=True)
def _lookup(values, table, ids, at, missing, found):
    """``ids[at + k]``: the text id of ``values[k]``, -1 when fast; the positions of the values
    not in ``table`` go to ``missing[found:]``. Returns the new ``found``."""
    for k in range(values.size):
        v = values[k]
        if v == math.floor(v) and abs(v) < FAST_LIMIT:
            ids[at + k] = -1
        else:
            i = _get(table, v)
            ids[at + k] = i
            if i < 0:
                missing[found] = at + k
                found += 1
    return found


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
def _float(out, at, v, i, text, offsets):
    """``v`` as JSON: digits and ".0" when integral (`fast_float`, id -1), else text id ``i``."""
    if i < 0:
        if v == 0.0 and math.copysign(1.0, v) < 0:
            out[at] = 45
            at += 1
        at = _int(out, at, abs(int(v)) if v == 0.0 else int(v))
        out[at] = 46  # "."
        out[at + 1] = 48  # "0"
        return at + 2
    return _copy(out, at, text, offsets[i], offsets[i + 1])


@njit(cache=True)
def _bool(out, at, v):
    if v:  # "true"
        out[at], out[at + 1], out[at + 2], out[at + 3] = 116, 114, 117, 101
        return at + 4
    out[at], out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 102, 97, 108, 115, 101  # "false"
    return at + 5


@njit(cache=True)
def _turn(out, at, step, values, ids, kinds, slots, slot_off, names, name_off, text, offsets):
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
            at = _float(out, at, v, ids[j], text, offsets)
        elif kind == KIND_BOOL:
            at = _bool(out, at, v != 0.0)
        else:
            c = int(v)
            at = _copy(out, at, names, name_off[c], name_off[c + 1])
    return _copy(out, at, slots, slot_off[n + 1], slot_off[n + 2])


@njit(cache=True, nogil=True)
def encode(out, pieces, piece_off, actions, rewards, reward_ids, lengths, turn_counts, turn_steps, turn_values,
           turn_ids, kinds, slots, slot_off, names, name_off, text, offsets):
    """Every episode's line into ``out``; returns the bytes written.

    Episode ``e`` has 4 ``pieces``: its head (up to ``"actions":[``), ``],"rewards":[``, its middle
    (up to ``"summaries":[``) and its tail; ``lengths[e]`` decisions and ``turn_counts[e]`` turns.
    Floats come with their text ids (`FloatTexts`): ``reward_ids`` beside ``rewards``, ``turn_ids``
    beside ``turn_values``.
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
            at = _float(out, at, rewards[a + k], reward_ids[a + k], text, offsets)
        a += lengths[e]
        at = _copy(out, at, pieces, piece_off[p + 2], piece_off[p + 3])
        for u in range(turn_counts[e]):
            if u:
                out[at] = 44
                at += 1
            at = _turn(out, at, turn_steps[t], turn_values[t], turn_ids[t], kinds, slots, slot_off, names, name_off,
                       text, offsets)
            t += 1
        at = _copy(out, at, pieces, piece_off[p + 3], piece_off[p + 4])
    return at


@njit(cache=True, nogil=True)
def gather(actions_buf, rewards_buf, games, rows, lengths, turn_game, turn_step, turns, start, turn_pool, floats,
           table):
    """The numbers of the episodes of ``games`` as `encode` takes them: their actions and rewards
    (from buffer row ``rows[e]``, ``lengths[e]`` decisions, flat), their turns among the first
    ``turns`` kept ones (those since each game's episode ``start``, episode by episode in step
    order: decision, values, counts), and the text ids of the floats (rewards, columns ``floats``
    of the turns) from ``table``; the ones it lacks are listed (position among the rewards and
    then the turns' floats, and value) for `FloatTexts.fill`."""
    total = 0
    for e in range(games.size):
        total += lengths[e]
    actions = np.empty(total, np.int64)
    rewards = np.empty(total, np.float64)
    a = 0
    for e in range(games.size):
        g, r = games[e], rows[e]
        for k in range(lengths[e]):
            actions[a] = actions_buf[r + k, g]
            rewards[a] = rewards_buf[r + k, g]
            a += 1
    pos = np.full(start.size, -1, np.int64)
    for e in range(games.size):
        pos[games[e]] = e
    counts = np.zeros(games.size, np.int64)
    for m in range(turns):
        g = turn_game[m]
        if pos[g] >= 0 and turn_step[m] >= start[g]:
            counts[pos[g]] += 1
    at = np.zeros(games.size, np.int64)  # where each episode's turns begin
    for e in range(1, games.size):
        at[e] = at[e - 1] + counts[e - 1]
    n = counts.sum()
    width = turn_pool.shape[1]
    turn_steps = np.empty(n, np.int64)
    turn_values = np.empty((n, width), np.float64)
    for m in range(turns):  # kept turns are in step order: each episode's stay so
        g = turn_game[m]
        if pos[g] >= 0 and turn_step[m] >= start[g]:
            u = at[pos[g]]
            turn_steps[u] = turn_step[m] - start[g]
            turn_values[u] = turn_pool[m]
            at[pos[g]] += 1
    ids = np.empty(total + n * floats.size, np.int64)
    missing = np.empty(ids.size, np.int64)
    found = _lookup(rewards, table, ids, 0, missing, 0)
    picked = np.empty(n * floats.size, np.float64)
    for u in range(n):
        for f in range(floats.size):
            picked[u * floats.size + f] = turn_values[u, floats[f]]
    found = _lookup(picked, table, ids, total, missing, found)
    return actions, rewards, turn_steps, turn_values, counts, ids, picked, missing[:found]
