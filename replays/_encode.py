"""The vector recorder's line encoder, compiled: every episode that ended in a step written as
its JSON line into one byte buffer, straight from the recorder's buffers (the actions and rewards
of each step, each game's list of resolved turns), with no Python per episode.

Python's ``json`` writes a float as ``repr``. Here an integral float below 1e15 is written as its
digits and ``.0``, and a float that is a whole number of hundredths below 1e9 (the NP gains, most
rewards) as those digits ("18.7", "-0.02"): what ``repr`` gives (the shortest text that reads
back as the value; two texts of hundredths differ by far more than the value's precision). Any
other float is looked up among texts Python made once per distinct value (`FloatTexts`). The
recorder's tests hold every line equal to ``json.dumps(Episode.to_json())``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

FAST_LIMIT = 1e15  # integral floats below this are written digit by digit ("19647.0")
HUNDREDTHS_LIMIT = 1e9  # and whole hundredths below this ("18.7")
KIND_INT, KIND_FLOAT, KIND_BOOL, KIND_NAME = 0, 1, 2, 3
MAX_FLOAT = 32  # bytes of the longest float or integer text ("-1.2345678901234567e-308", an int64)
TOO_SMALL, NOT_FINITE = -2, -1  # `encode_episodes`' answers other than a size


class FloatTexts:
    """The text of every float the writer met that it does not write itself (`_fast`), kept
    between steps: a recorder meets the same rewards step after step (a few new values among
    thousands), so ``repr`` runs once per distinct value, and the compiled code looks the texts
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

    def add(self, values: np.ndarray) -> None:
        """Make the texts of the values not known yet (all kept are dropped past `LIMIT`)."""
        listed = np.asarray(values, np.float64).tolist()
        new = list(dict.fromkeys(v for v in listed if v not in self.ids))
        if len(self.ids) + len(new) > self.LIMIT:
            self.__init__()
            new = list(dict.fromkeys(listed))
        if new:
            self._add(new)

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


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
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


def pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as one uint8 buffer and ``len + 1`` offsets."""
    data = [t.encode() for t in texts]
    offsets = np.zeros(len(data) + 1, np.int64)
    offsets[1:] = np.cumsum([len(d) for d in data])
    return np.frombuffer(b"".join(data), np.uint8), offsets


@njit(cache=True, inline="always")
def _copy(out, at, src, lo, hi):
    for k in range(lo, hi):
        out[at] = src[k]
        at += 1
    return at


@njit(cache=True, inline="always")
def _int(out, at, v):
    if v < 0:
        out[at] = 45  # "-"
        at += 1
        v = -v
    if v < 10:  # most numbers of a replay: one or two digits
        out[at] = 48 + v
        return at + 1
    if v < 100:
        out[at] = 48 + v // 10
        out[at + 1] = 48 + v % 10
        return at + 2
    end, rest = at, v
    while rest:
        end += 1
        rest //= 10
    p = end
    while v:
        p -= 1
        out[p] = 48 + v % 10
        v //= 10
    return end


@njit(cache=True, inline="always")
def _fast(out, at, v):
    """``repr(v)`` when ``v`` is integral below `FAST_LIMIT` or whole hundredths below
    `HUNDREDTHS_LIMIT`; -1 (nothing written) for any other float."""
    if v == math.floor(v):
        if not abs(v) < FAST_LIMIT:
            return -1
        if v < 0.0 or (v == 0.0 and math.copysign(1.0, v) < 0):
            out[at] = 45  # "-"
            at += 1
        at = _int(out, at, int(abs(v)))
        out[at] = 46  # "."
        out[at + 1] = 48  # "0"
        return at + 2
    if not abs(v) < HUNDREDTHS_LIMIT:
        return -1
    k = int(round(v * 100.0))
    if k / 100.0 != v:
        return -1
    if k < 0:
        out[at] = 45
        at += 1
        k = -k
    at = _int(out, at, k // 100)
    out[at] = 46
    out[at + 1] = 48 + (k % 100) // 10
    if k % 10 == 0:
        return at + 2
    out[at + 2] = 48 + k % 10
    return at + 3


@njit(cache=True, inline="always")
def _bool(out, at, v):
    if v:  # "true"
        out[at], out[at + 1], out[at + 2], out[at + 3] = 116, 114, 117, 101
        return at + 4
    out[at], out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 102, 97, 108, 115, 101  # "false"
    return at + 5


# Each game's resolved turns not yet written: a linked list through a pool of rows (values, the
# absolute step, the next row), so a step adds its resolved turns and an ended episode walks its
# own in O(its turns) (a flat list scanned per step cost more than the encoding).

@njit(cache=True, nogil=True)
def store_step(actions, rewards, actions_buf, rewards_buf, row, n_actions):
    """A step's integer actions (-1 for one out of range, as the replay writes it) and rewards
    into column ``row`` of the recorder's buffers."""
    for g in range(actions.size):
        a = actions[g]
        actions_buf[g, row] = a if 0 <= a < n_actions else -1
        rewards_buf[g, row] = rewards[g]


# The turn summary's arrays as the vector env's info gives them, in `fgo_env.engine.explain.
# turn_summary`'s order (the recorder checks it): 13 keys, 17 values.
SUMMARY_WIDTHS = (("chain", 1), ("brave", 1), ("cards", 3), ("damage", 1), ("damage_per_enemy", 3),
                  ("np_gained", 1), ("stars", 1), ("kills", 1), ("crits", 1), ("overcharge", 1),
                  ("damage_taken", 1), ("deaths", 1), ("wave_cleared", 1))


@njit(cache=True, nogil=True)
def add_turns(resolved, skip, step, chain, brave, cards, damage, per_enemy, np_gained, stars, kills, crits,
              overcharge, damage_taken, deaths, wave_cleared, values, steps, nxt, head, tail, free, nfree):
    """Append the turn each game resolved at ``step`` (``resolved`` and not ``skip``: its summary
    values, `SUMMARY_WIDTHS`) to its list, taking rows from the ``free`` stack. Returns the new
    ``nfree``, or -1 (and adds nothing) when the stack has too few rows."""
    count = 0
    for g in range(resolved.size):
        if resolved[g] and not skip[g]:
            count += 1
    if count > nfree:
        return -1
    for g in range(resolved.size):
        if not resolved[g] or skip[g]:
            continue
        nfree -= 1
        m = free[nfree]
        row = values[m]
        row[0] = chain[g]
        row[1] = brave[g]
        row[2], row[3], row[4] = cards[g, 0], cards[g, 1], cards[g, 2]
        row[5] = damage[g]
        row[6], row[7], row[8] = per_enemy[g, 0], per_enemy[g, 1], per_enemy[g, 2]
        row[9] = np_gained[g]
        row[10] = stars[g]
        row[11] = kills[g]
        row[12] = crits[g]
        row[13] = overcharge[g]
        row[14] = damage_taken[g]
        row[15] = deaths[g]
        row[16] = wave_cleared[g]
        steps[m] = step
        nxt[m] = -1
        if tail[g] < 0:
            head[g] = m
        else:
            nxt[tail[g]] = m
        tail[g] = m
    return nfree


@njit(cache=True, nogil=True)
def free_turns(games, nxt, head, tail, free, nfree):
    """Empty the lists of ``games``, returning their rows to the ``free`` stack; returns ``nfree``."""
    for g in games:
        m = head[g]
        while m >= 0:
            free[nfree] = m
            nfree += 1
            m = nxt[m]
        head[g] = -1
        tail[g] = -1
    return nfree


@njit(cache=True)
def _fsum(buf, row, n, g, partials):
    """``math.fsum`` of ``buf[g, row:row + n]``, as CPython computes it (Shewchuk's partials, then
    the correctly rounded sum); NaN when a value or a partial sum is not finite (the caller asks
    Python then)."""
    count = 0
    for k in range(n):
        x = buf[g, row + k]
        i = 0
        for j in range(count):
            y = partials[j]
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo != 0.0:
                partials[i] = lo
                i += 1
            x = hi
        count = i
        if x != 0.0:
            if not math.isfinite(x):
                return math.nan
            partials[count] = x
            count += 1
    hi = 0.0
    if count > 0:
        count -= 1
        hi = partials[count]
        lo = 0.0
        while count > 0:
            x = hi
            count -= 1
            y = partials[count]
            hi = x + y
            yr = hi - x
            lo = y - yr
            if lo != 0.0:
                break
        if count > 0 and ((lo < 0.0 and partials[count - 1] < 0.0) or (lo > 0.0 and partials[count - 1] > 0.0)):
            y = lo * 2.0
            x = hi + y
            yr = x - hi
            if y == yr:
                hi = x
    return hi


@njit(cache=True, inline="always")
def _value(out, at, v, table, text, offsets, missed, found):
    """Write float ``v`` (`_fast`, or its text from ``table``); a value without a text is listed
    in ``missed`` (nothing is written for it). Returns (at, found)."""
    end = _fast(out, at, v)
    if end >= 0:
        return end, found
    i = _get(table, v)
    if i < 0:
        if found < missed.size:
            missed[found] = v
        return at, found + 1
    return _copy(out, at, text, offsets[i], offsets[i + 1]), found


@njit(cache=True, inline="always")
def _piece(out, at, pieces, piece_off, p):
    return _copy(out, at, pieces, piece_off[p], piece_off[p + 1])


# `encode_episodes` takes its many arrays in tuples:
#   episodes: (games, rows, lengths, start, episode0, seeds, quests, outcomes, turns_played, terminated,
#              truncated, tail_lo, tail_hi): the ended episodes (``start`` and ``episode0`` as in
#              the recorder: each game's first step, the first episode's number)
#   buffers:  (actions, rewards, values, steps, next, head): the recorder's (`add_turns`)
#   texts:    (pieces, piece_off, quest_text, quest_off, outcome_text, outcome_off, tails, kinds, slots,
#              slot_off, names, name_off): the fixed texts around the numbers
#   floats:   (bits, ids, text, offsets): `FloatTexts`' table and texts


@njit(cache=True, inline="always")
def _room(e, episodes, buffers, texts):
    """An upper bound of episode ``e``'s line in bytes."""
    games, lengths, quests, tail_lo, tail_hi = episodes[0], episodes[2], episodes[6], episodes[11], episodes[12]
    nxt, head = buffers[4], buffers[5]
    piece_off, quest_off, kinds, slot_off = texts[1], texts[3], texts[7], texts[9]
    turns = 0
    m = head[games[e]]
    while m >= 0:
        turns += 1
        m = nxt[m]
    return (256 + piece_off[-1] + quest_off[quests[e] + 1] - quest_off[quests[e]] + tail_hi[e] - tail_lo[e]
            + lengths[e] * (8 + MAX_FLOAT) + turns * (slot_off[-1] + 24 + kinds.size * (2 + MAX_FLOAT)))


@njit(cache=True, inline="always")
def _episode(out, at, e, episodes, buffers, texts, floats, partials, missed, found):
    """Episode ``e``'s line at ``out[at:]``: the head pieces around its numbers, its quest's text,
    its turns, its tail. Returns (the end, ``found``: the floats without a text so far, listed in
    ``missed`` while it has room; nothing is written for them), or (`NOT_FINITE`, found)."""
    games, rows, lengths, start, episode0, seeds, quests = episodes[:7]
    outcomes, turns_played, terminated, truncated, tail_lo, tail_hi = episodes[7:]
    actions_buf, rewards_buf, values, steps, nxt, head = buffers
    pieces, piece_off, quest_text, quest_off, outcome_text, outcome_off, tails = texts[:7]
    kinds, slots, slot_off, names, name_off = texts[7:]
    bits, ids, text, offsets = floats
    table = (bits, ids)
    g, r, n = games[e], rows[e], lengths[e]
    at = _piece(out, at, pieces, piece_off, 0)  # {"episode":
    at = _int(out, at, episode0 + e)
    at = _piece(out, at, pieces, piece_off, 1)  # ,"game_seed":
    at = _int(out, at, seeds[e])
    at = _piece(out, at, pieces, piece_off, 2)  # ,
    at = _copy(out, at, quest_text, quest_off[quests[e]], quest_off[quests[e] + 1])
    at = _piece(out, at, pieces, piece_off, 3)  # ,"agent":...,"actions":[
    for k in range(n):
        if k:
            out[at] = 44  # ","
            at += 1
        at = _int(out, at, actions_buf[g, r + k])
    at = _piece(out, at, pieces, piece_off, 4)  # ],"rewards":[
    for k in range(n):
        if k:
            out[at] = 44
            at += 1
        at, found = _value(out, at, rewards_buf[g, r + k], table, text, offsets, missed, found)
    at = _piece(out, at, pieces, piece_off, 5)  # ],"outcome":"
    at = _copy(out, at, outcome_text, outcome_off[outcomes[e]], outcome_off[outcomes[e] + 1])
    at = _piece(out, at, pieces, piece_off, 6)  # ","turns":
    at = _int(out, at, turns_played[e])
    at = _piece(out, at, pieces, piece_off, 7)  # ,"return":
    total = _fsum(rewards_buf, r, n, g, partials)
    if not math.isfinite(total):
        return NOT_FINITE, found  # JSON has no text for it
    at, found = _value(out, at, total, table, text, offsets, missed, found)
    at = _piece(out, at, pieces, piece_off, 8)  # ,"terminated":
    at = _bool(out, at, terminated[e])
    at = _piece(out, at, pieces, piece_off, 9)  # ,"truncated":
    at = _bool(out, at, truncated[e])
    at = _piece(out, at, pieces, piece_off, 10)  # ,"summaries":[
    m = head[g]
    while m >= 0:
        if m != head[g]:
            out[at] = 44
            at += 1
        at = _copy(out, at, slots, slot_off[0], slot_off[1])  # [ (the step)
        at = _int(out, at, steps[m] - start[g])
        for j in range(kinds.size):
            at = _copy(out, at, slots, slot_off[j + 1], slot_off[j + 2])
            v = values[m, j]
            kind = kinds[j]
            if kind == KIND_INT:
                at = _int(out, at, int(v))
            elif kind == KIND_FLOAT:
                at, found = _value(out, at, v, table, text, offsets, missed, found)
            elif kind == KIND_BOOL:
                at = _bool(out, at, v != 0.0)
            else:
                c = int(v)
                at = _copy(out, at, names, name_off[c], name_off[c + 1])
        at = _copy(out, at, slots, slot_off[kinds.size + 1], slot_off[kinds.size + 2])
        m = nxt[m]
    at = _piece(out, at, pieces, piece_off, 11)  # ]
    return _copy(out, at, tails, tail_lo[e], tail_hi[e]), found


@njit(cache=True, nogil=True)
def encode_episodes(out, episodes, buffers, texts, floats, missed):
    """Every ended episode's line into ``out``, one after the other. Returns (bytes written,
    floats without a text): when some floats have none (the first time a value is met), they are
    listed in ``missed`` and the text is incomplete: the caller makes their texts and calls
    again. The bytes written are `TOO_SMALL` when ``out`` is (the caller grows it and calls
    again) and `NOT_FINITE` for a return that is not finite."""
    lengths = episodes[2]
    partials = np.empty(lengths.max() + 1 if lengths.size else 1, np.float64)
    at = 0
    found = 0
    for e in range(lengths.size):
        if at + _room(e, episodes, buffers, texts) > out.size:
            return TOO_SMALL, found
        at, found = _episode(out, at, e, episodes, buffers, texts, floats, partials, missed, found)
        if at == NOT_FINITE:
            return NOT_FINITE, found
    return at, found
