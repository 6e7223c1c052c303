"""The vector recorder's line encoder, compiled: every episode that ended in a step written as
its JSON line into one byte buffer, straight from the recorder's buffers (the actions and rewards
of each step, each game's list of resolved turns), with no Python per episode.

Python's ``json`` writes a float as ``repr``. Here an integral float below 1e15 is written as its
digits and ``.0`` (the return; format version 3 writes the rewards' and the summaries' whole
floats as integers, `_short`), and a float that is a whole number of hundredths below 1e9 (the NP
gains, most rewards) as those digits ("18.7", "-0.02"): what ``repr`` gives (the shortest text
that reads back as the value; two texts of hundredths differ by far more than the value's
precision). Any other float is looked up among texts Python made once per distinct value
(`FloatTexts`). The recorder's tests hold every line equal to ``json.dumps(Episode.to_json())``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

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
def _short(out, at, v):
    """``v`` as format version 3 writes a reward or a summary's float (`replays.format.
    short_number`): a whole float below `FAST_LIMIT` (but -0.0) as an integer, else `_fast`."""
    if v == math.floor(v) and abs(v) < FAST_LIMIT and (v != 0.0 or math.copysign(1.0, v) > 0):
        return _int(out, at, int(v))
    return _fast(out, at, v)


@njit(cache=True, inline="always")
def _bool(out, at, v):
    if v:  # "true"
        out[at], out[at + 1], out[at + 2], out[at + 3] = 116, 114, 117, 101
        return at + 4
    out[at], out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 102, 97, 108, 115, 101  # "false"
    return at + 5


# Per step, one compiled call (`record_and_encode`, or `record_step` where the lines are written
# by a second call) stores every game's action and reward and appends the turn it resolved (its
# summary values) to the game's own rows: each
# game's decisions and turns lie contiguous (game-major), so the encoder reads an episode in a
# few cache lines and the prefetcher follows it (rows pooled across games cost the encoder a
# cache miss per turn).

# The turn summary's arrays as the vector env's info gives them, in `fgo_env.engine.explain.
# turn_summary`'s order (the recorder checks it): 13 keys, 17 values.
SUMMARY_WIDTHS = (("chain", 1), ("brave", 1), ("cards", 3), ("damage", 1), ("damage_per_enemy", 3),
                  ("np_gained", 1), ("stars", 1), ("kills", 1), ("crits", 1), ("overcharge", 1),
                  ("damage_taken", 1), ("deaths", 1), ("wave_cleared", 1))
TURNS_FULL = -1  # `record_step`'s (and `record_and_encode`'s) answer when a game has no room for its turn


@njit(cache=True, inline="always")
def _turns_fit(resolved, skip, nturns, capacity):
    for g in range(resolved.size):
        if resolved[g] and not skip[g] and nturns[g] >= capacity:
            return False
    return True


@njit(cache=True, inline="always")
def _end_step(step, terminated, truncated, game_seed, quest, ended, start, seeds, quests, nturns, ended_games):
    """The games reset by this step (``ended`` at the last) begin their episode at the next
    (its seed, quest, no turn yet); the games that ended at this step are listed in
    ``ended_games``, by index; ``ended`` becomes this step's. Returns how many ended."""
    count = 0
    for g in range(ended.size):
        now = terminated[g] or truncated[g]
        if ended[g]:
            start[g] = step + 1
            seeds[g] = game_seed[g]
            quests[g] = quest[g]
            nturns[g] = 0
        elif now:
            ended_games[count] = g
            count += 1
        ended[g] = now
    return count


# `record_step` takes its arrays in tuples:
#   env_out: (actions, rewards, turn_resolved, terminated, truncated, game_seed, quest): the step's
#   summary: the turn summary's arrays (`SUMMARY_WIDTHS`)
#   buffers: (decisions, turn_values, turn_steps, nturns): the recorder's, game-major (a
#            decision's action and reward side by side: one cache line a game a step)
#   games:   (ended, start, seeds, quests): each game's last step ended / its episode's first
#            absolute step, seed and quest index


@njit(cache=True, nogil=True)
def record_step(step, row, env_out, summary, buffers, games, ended_games, n_actions):
    """Record absolute step ``step`` (buffer column ``row``): every game's integer action (-1 for
    one out of range, as the replay writes it) and reward, and the turn it resolved after the
    game's others (but for the games this step reset, whose action did not count), then
    `_end_step`. Returns how many games ended (listed in ``ended_games``), or `TURNS_FULL`
    (and records nothing) when a game's turn rows are all taken: the caller grows them and
    calls again."""
    return _record_all(step, row, env_out, summary, buffers, games, ended_games, n_actions)


@njit(cache=True, inline="always")
def _record_all(step, row, env_out, summary, buffers, games, ended_games, n_actions):
    """`record_step`'s work; its games' loop a ``prange``, which runs on every core in a
    ``parallel=True`` function and as a plain loop in the others.

    The loop's body is written out here, not in an inlined helper: numba binds an inlined call's
    array arguments anew at each call, with reference counting it cannot always prune, and with
    some 25 arrays that made the one-core loop several times slower than the same loop in the
    multi-core kernel (docs/replays.md, Figures, 2026-12-07 evening).
    """
    actions, rewards, resolved, terminated, truncated, game_seed, quest = env_out
    chain, brave, cards, damage, per_enemy, np_gained, stars, kills, crits = summary[:9]
    overcharge, damage_taken, deaths, wave_cleared = summary[9:]
    decisions, turn_values, turn_steps, nturns = buffers
    ended, start, seeds, quests = games
    if not _turns_fit(resolved, ended, nturns, turn_steps.shape[1]):
        return TURNS_FULL
    for g in prange(actions.size):
        a = actions[g]
        decisions[g, row, 0] = a if 0 <= a < n_actions else -1
        decisions[g, row, 1] = rewards[g]
        if resolved[g] and not ended[g]:  # (not for a game this step reset: its action did not count)
            k = nturns[g]
            v = turn_values[g, k]
            v[0] = chain[g]
            v[1] = brave[g]
            v[2], v[3], v[4] = cards[g, 0], cards[g, 1], cards[g, 2]
            v[5] = damage[g]
            v[6], v[7], v[8] = per_enemy[g, 0], per_enemy[g, 1], per_enemy[g, 2]
            v[9] = np_gained[g]
            v[10] = stars[g]
            v[11] = kills[g]
            v[12] = crits[g]
            v[13] = overcharge[g]
            v[14] = damage_taken[g]
            v[15] = deaths[g]
            v[16] = wave_cleared[g]
            turn_steps[g, k] = step
            nturns[g] = k + 1
    return _end_step(step, terminated, truncated, game_seed, quest, ended, start, seeds, quests, nturns, ended_games)


@njit(cache=True, nogil=True, parallel=True)
def record_step_parallel(step, row, env_out, summary, buffers, games, ended_games, n_actions):
    """`record_step` over both cores (thousands of games)."""
    return _record_all(step, row, env_out, summary, buffers, games, ended_games, n_actions)


@njit(cache=True)
def _fsum(values, partials):
    """``math.fsum`` of ``values``, as CPython computes it (Shewchuk's partials, then
    the correctly rounded sum); NaN when a value or a partial sum is not finite (the caller asks
    Python then)."""
    count = 0
    for k in range(values.size):
        x = values[k]
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


@njit(cache=True)
def _lookup(out, at, v, table, text, offsets, missed, found):
    """Write float ``v``'s text from ``table``; a value without one is listed in ``missed`` while
    it has room (nothing is written for it). Returns (at, found + 1 if it had none).

    The encoder writes ``_fast(...)`` first and calls this only when that fails: written out at
    each float, not through an inlined helper that does both, which made numba's code for the
    whole line slower (`benchmarks/recorder_ab.py` compares such variants)."""
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
#   buffers:  (decisions, turn_values, turn_steps, nturns): the recorder's (`record_step`)
#   texts:    (pieces, piece_off, quest_text, quest_off, outcome_text, outcome_off, tails, kinds, slots,
#              slot_off, names, name_off): the fixed texts around the numbers
#   floats:   (bits, ids, text, offsets): `FloatTexts`' table and texts


@njit(cache=True, inline="always")
def _room(e, episodes, buffers, texts):
    """An upper bound of episode ``e``'s line in bytes."""
    games, lengths, quests, tail_lo, tail_hi = episodes[0], episodes[2], episodes[6], episodes[11], episodes[12]
    nturns = buffers[3]
    piece_off, quest_off, kinds, slot_off = texts[1], texts[3], texts[7], texts[9]
    turns = nturns[games[e]]
    return (256 + piece_off[-1] + quest_off[quests[e] + 1] - quest_off[quests[e]] + tail_hi[e] - tail_lo[e]
            + lengths[e] * (8 + MAX_FLOAT) + turns * (slot_off[-1] + 24 + kinds.size * (2 + MAX_FLOAT)))


@njit(cache=True, inline="always")
def _episode(out, at, e, episodes, buffers, texts, floats, scratch, missed, found):
    """Episode ``e``'s line at ``out[at:]``: the head pieces around its numbers, its quest's text,
    its turns, its tail. Returns (the end, ``found``: the floats without a text so far, listed in
    ``missed`` while it has room; nothing is written for them), or (`NOT_FINITE`, found)."""
    games, rows, lengths, start, episode0, seeds, quests = episodes[:7]
    outcomes, turns_played, terminated, truncated, tail_lo, tail_hi = episodes[7:]
    decisions, turn_values, turn_steps, nturns = buffers
    pieces, piece_off, quest_text, quest_off, outcome_text, outcome_off, tails = texts[:7]
    kinds, slots, slot_off, names, name_off = texts[7:]
    bits, ids, text, offsets = floats
    table = (bits, ids)
    g, r, n = games[e], rows[e], lengths[e]
    partials, rewards = scratch[0], scratch[1]
    at = _piece(out, at, pieces, piece_off, 0)  # {"episode":
    at = _int(out, at, episode0 + e)
    at = _piece(out, at, pieces, piece_off, 1)  # ,"game_seed":
    at = _int(out, at, seeds[e])
    at = _piece(out, at, pieces, piece_off, 2)  # ,
    at = _copy(out, at, quest_text, quest_off[quests[e]], quest_off[quests[e] + 1])
    at = _piece(out, at, pieces, piece_off, 3)  # ,"agent":...,"actions":[
    mask = decisions.shape[1] - 1  # a ring: step r + k in column (r + k) & mask
    for k in range(n):
        if k:
            out[at] = 44  # ","
            at += 1
        at = _int(out, at, int(decisions[g, (r + k) & mask, 0]))
    at = _piece(out, at, pieces, piece_off, 4)  # ],"rewards":[
    for k in range(n):
        if k:
            out[at] = 44
            at += 1
        v = decisions[g, (r + k) & mask, 1]
        rewards[k] = v
        end = _short(out, at, v)
        if end >= 0:
            at = end
        else:
            at, found = _lookup(out, at, v, table, text, offsets, missed, found)
    at = _piece(out, at, pieces, piece_off, 5)  # ],"outcome":"
    at = _copy(out, at, outcome_text, outcome_off[outcomes[e]], outcome_off[outcomes[e] + 1])
    at = _piece(out, at, pieces, piece_off, 6)  # ","turns":
    at = _int(out, at, turns_played[e])
    at = _piece(out, at, pieces, piece_off, 7)  # ,"return":
    total = _fsum(rewards[:n], partials)
    if not math.isfinite(total):
        return NOT_FINITE, found  # JSON has no text for it
    end = _fast(out, at, total)
    if end >= 0:
        at = end
    else:
        at, found = _lookup(out, at, total, table, text, offsets, missed, found)
    at = _piece(out, at, pieces, piece_off, 8)  # ,"terminated":
    at = _bool(out, at, terminated[e])
    at = _piece(out, at, pieces, piece_off, 9)  # ,"truncated":
    at = _bool(out, at, truncated[e])
    at = _piece(out, at, pieces, piece_off, 10)  # ,"summaries":[
    for m in range(nturns[g]):
        if m:
            out[at] = 44
            at += 1
        at = _copy(out, at, slots, slot_off[0], slot_off[1])  # [ (the step)
        at = _int(out, at, turn_steps[g, m] - start[g])
        for j in range(kinds.size):
            at = _copy(out, at, slots, slot_off[j + 1], slot_off[j + 2])
            v = turn_values[g, m, j]
            kind = kinds[j]
            if kind == KIND_INT:
                at = _int(out, at, int(v))
            elif kind == KIND_FLOAT:
                end = _short(out, at, v)
                if end >= 0:
                    at = end
                else:
                    at, found = _lookup(out, at, v, table, text, offsets, missed, found)
            elif kind == KIND_BOOL:  # 1 or 0 (format version 3)
                out[at] = 49 if v != 0.0 else 48
                at += 1
            else:
                c = int(v)
                at = _copy(out, at, names, name_off[c], name_off[c + 1])
        at = _copy(out, at, slots, slot_off[kinds.size + 1], slot_off[kinds.size + 2])
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
    scratch = np.empty((2, lengths.max() + 1 if lengths.size else 1), np.float64)  # `_fsum`'s partials, the rewards
    at = 0
    found = 0
    for e in range(lengths.size):
        if at + _room(e, episodes, buffers, texts) > out.size:
            return TOO_SMALL, found
        at, found = _episode(out, at, e, episodes, buffers, texts, floats, scratch, missed, found)
        if at == NOT_FINITE:
            return NOT_FINITE, found
    return at, found


@njit(cache=True, nogil=True)
def _encode_range(lo, hi, out, at, ends, founds, part, episodes, buffers, texts, floats):
    """Episodes ``lo`` to ``hi`` one after the other from ``out[at]``: ``ends[part]`` is the end
    (or `NOT_FINITE`), ``founds[part]`` the floats without a text (not listed)."""
    lengths = episodes[2]
    scratch = np.empty((2, lengths.max() + 1 if lengths.size else 1), np.float64)  # `_fsum`'s partials, the rewards
    none = np.empty(0, np.float64)
    found = 0
    for e in range(lo, hi):
        at, found = _episode(out, at, e, episodes, buffers, texts, floats, scratch, none, found)
        if at == NOT_FINITE:
            break
    ends[part], founds[part] = at, found


@njit(cache=True, inline="always")
def _encode_halves(out, episodes, buffers, texts, floats, spans, founds):
    """The episodes' lines in two parts of about equal size, each written one after the other
    from its own start in ``out`` (the first from 0, the second from an upper bound of the
    first's size), in a ``prange``: ``spans`` gets each part's (start, end), ``founds`` each
    part's floats without a text (then its text is incomplete). Returns the bytes written, or
    `TOO_SMALL` or `NOT_FINITE` as `encode_episodes`."""
    lengths = episodes[2]
    n = lengths.size
    bounds = np.zeros(n + 1, np.int64)
    for e in range(n):
        bounds[e + 1] = bounds[e] + _room(e, episodes, buffers, texts)
    if bounds[n] > out.size:
        return TOO_SMALL
    half = np.searchsorted(bounds, bounds[n] // 2)
    spans[0, 0], spans[1, 0] = 0, bounds[half]
    for part in prange(2):
        lo, hi = (0, half) if part == 0 else (half, n)
        _encode_range(lo, hi, out, spans[part, 0], spans[:, 1], founds, part, episodes, buffers, texts, floats)
    if spans[0, 1] == NOT_FINITE or spans[1, 1] == NOT_FINITE:
        return NOT_FINITE
    return spans[0, 1] - spans[0, 0] + spans[1, 1] - spans[1, 0]


@njit(cache=True, nogil=True, parallel=True)
def encode_episodes_parallel(out, episodes, buffers, texts, floats, missed, spans):
    """`encode_episodes` on both cores (`_encode_halves`): the lines are ``out[spans[0, 0]:
    spans[0, 1]]`` then ``out[spans[1, 0]:spans[1, 1]]`` (moving them together cost a third of
    the encoding). Returns (bytes written, floats without a text) as `encode_episodes`; with
    such floats it lists them by the serial pass, whose lines are then ``out[:written]``
    (``spans`` says so)."""
    founds = np.zeros(2, np.int64)
    written = _encode_halves(out, episodes, buffers, texts, floats, spans, founds)
    if written < 0:
        return written, 0
    if founds[0] + founds[1] == 0:
        return written, 0
    written, found = encode_episodes(out, episodes, buffers, texts, floats, missed)
    spans[0, 0], spans[0, 1], spans[1, 0], spans[1, 1] = 0, written, written, written
    return written, found


# The vector recorder's usual step (no agent info, no writer thread): one compiled call records
# the step and writes the lines of the games that ended, with no Python between the two. When it
# cannot (the lines do not fit ``out``, a float met for the first time, a return that is not
# finite), the step is recorded all the same and the caller writes the lines by `encode_episodes`
# or `encode_episodes_parallel`. Both take:
#   ends_of: (outcome, turns_played, tail_size): each game's outcome code and turns played, and
#            the size of ``texts``' tail (the line's closing)
#   spans:   where the lines are written: ``out[spans[0, 0]:spans[0, 1]]`` then
#            ``out[spans[1, 0]:spans[1, 1]]``
# and return (how many games ended (listed in ``ended_games``), the bytes written, -1 when the
# lines are not written), or (`TURNS_FULL`, 0) with nothing recorded, as `record_step`.


@njit(cache=True)
def ended_episodes(ended, step, capacity, terminated, truncated, start, seeds, quests, ends_of, episode0):
    """The ``episodes`` tuple of `encode_episodes` for the games ``ended`` at absolute step
    ``step`` (a ring of ``capacity`` columns), their tails the closing only; fresh arrays but
    ``ended`` and ``start``, gathered in one plain loop (numpy expressions in the parallel
    `record_and_encode` would each be a parallel region of their own)."""
    outcome, turns_played, tail_size = ends_of
    count = ended.size
    ints, flags = np.empty((8, count), np.int64), np.empty((2, count), np.bool_)
    rows, lengths, seed, quest, outcomes, turns, lo, hi = ints
    term, trunc = flags
    for e in range(count):
        g = ended[e]
        rows[e], lengths[e] = start[g] & (capacity - 1), step + 1 - start[g]
        seed[e], quest[e], outcomes[e], turns[e] = seeds[g], quests[g], outcome[g], turns_played[g]
        term[e], trunc[e], lo[e], hi[e] = terminated[g], truncated[g], 0, tail_size
    return ended, rows, lengths, start, episode0, seed, quest, outcomes, turns, term, trunc, lo, hi


@njit(cache=True, inline="always")
def _ended_episodes(count, step, env_out, buffers, games, ended_games, ends_of, episode0):
    return ended_episodes(ended_games[:count], step, buffers[0].shape[1], env_out[3], env_out[4], games[1], games[2],
                          games[3], ends_of, episode0)


@njit(cache=True, nogil=True)
def record_and_encode_serial(step, row, env_out, summary, buffers, games, ended_games, n_actions, ends_of, episode0,
                             texts, floats, out, spans):
    """`record_step`, then the lines of the games that ended (`encode_episodes`), on one core."""
    count = _record_all(step, row, env_out, summary, buffers, games, ended_games, n_actions)
    if count <= 0:
        return count, 0
    episodes = _ended_episodes(count, step, env_out, buffers, games, ended_games, ends_of, episode0)
    written, found = encode_episodes(out, episodes, buffers, texts, floats, np.empty(0, np.float64))
    spans[0, 0], spans[0, 1], spans[1, 0], spans[1, 1] = 0, written, written, written
    return count, written if written >= 0 and found == 0 else -1


@njit(cache=True, nogil=True, parallel=True)
def record_and_encode(step, row, env_out, summary, buffers, games, ended_games, n_actions, ends_of, episode0,
                      texts, floats, out, spans):
    """`record_step_parallel`, then the lines of the games that ended as `encode_episodes_parallel`
    writes them, on every core."""
    count = _record_all(step, row, env_out, summary, buffers, games, ended_games, n_actions)
    if count <= 0:
        return count, 0
    episodes = _ended_episodes(count, step, env_out, buffers, games, ended_games, ends_of, episode0)
    founds = np.zeros(2, np.int64)
    written = _encode_halves(out, episodes, buffers, texts, floats, spans, founds)
    return count, written if written >= 0 and founds[0] + founds[1] == 0 else -1
