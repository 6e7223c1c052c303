"""Batched kernels: one compiled call steps, resets and observes every game of a batch.

The single env calls the serial kernels with a batch of one; the vector env calls the
``*_parallel`` twins (numba ``prange`` over games, both cores) with thousands, its step as one
fused kernel (`advance_games`: autoreset, step and observation in one pass per game). Both run the
same per-game functions, so rules, rewards and invalid-action handling agree.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import constants as C
from .observe import write_features_obs, write_state_obs
from .rng import uniform
from .rules import LEGAL, apply_action, begin, is_legal, refusal, write_mask

# Reward parameters, in this order in the ``reward`` array (see fgo_env.rewards).
R_WIN, R_LOSS, R_TIMEOUT, R_TURN, R_DAMAGE, R_INVALID, R_KILL = range(7)
N_REWARD_PARAMS = 7

OBS_STATE, OBS_FEATURES = 0, 1


@njit(cache=True)
def reward_of(s, resolved, params):
    """Reward of a legal decision: per-turn cost and damage share on resolved turns, outcome at the end."""
    r = 0.0
    if resolved:
        r += params[R_TURN] + params[R_DAMAGE] * s.last_damage / max(s.total_enemy_hp, 1.0)
        r += params[R_KILL] * s.last_kills
    if s.outcome == C.WIN:
        r += params[R_WIN]
    elif s.outcome == C.LOSS:
        r += params[R_LOSS]
    elif s.outcome == C.TIMEOUT:
        r += params[R_TIMEOUT]
    return r


@njit(cache=True)
def step_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved):
    """Step game ``b``; an illegal action changes nothing but the invalid-streak counter. After
    the end of the battle the one legal action (Attack) is a no-op worth 0."""
    s = state[b]
    a = actions[b]
    resolved[b] = False
    if is_legal(s, a):
        invalid[b] = False
        s.invalid_streak = 0
        if s.phase == C.PHASE_DONE:
            rewards[b] = 0.0
        else:
            resolved[b] = apply_action(s, a)
            rewards[b] = reward_of(s, resolved[b], params)
    else:
        invalid[b] = True
        s.invalid_streak += 1
        rewards[b] = params[R_INVALID]
    terminated[b] = s.outcome == C.WIN or s.outcome == C.LOSS
    truncated[b] = s.outcome == C.TIMEOUT or (not terminated[b] and s.invalid_streak >= invalid_limit)


@njit(cache=True)
def reset_one(state, b, state_bytes, template_bytes, template_idx, seeds, which):
    if which[b]:
        state_bytes[b, :] = template_bytes[template_idx[b], :]
        begin(state[b], seeds[b])


@njit(cache=True)
def observe_one(state, b, mode, obs, masks):
    if mode == OBS_STATE:
        write_state_obs(state[b], obs[b])
    else:
        write_features_obs(state[b], obs[b])
    write_mask(state[b], masks[b])


@intrinsic
def prefetch(typingctx, address):
    """LLVM's ``prefetch`` of the cache line at integer ``address`` (read, high locality): a hint
    the CPU may ignore, never a fault, and it does not wait for the line like a load does."""
    sig = types.void(types.uintp)

    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], ir.PointerType(ir.IntType(8)))
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


# A record's hot part: the dynamic state and the small static tables come first (`state.py`).
HOT_BYTES = 3840
PREFETCH_AHEAD = 2  # games ahead: a game takes about a microsecond, a line from memory 0.1


@njit(cache=True)
def prefetch_game(state_bytes, b):
    """Ask for the hot part of game ``b``'s record ahead of its step: at 4096 games the records
    outgrow the cache, and a step otherwise waits on its record's lines one miss at a time."""
    if b < state_bytes.shape[0]:
        base = state_bytes[b].ctypes.data
        for offset in range(0, min(HOT_BYTES, state_bytes.shape[1]), 64):
            prefetch(base + offset)


@njit(cache=True)
def advance_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved,
                restart, state_bytes, template_bytes, template_idx, seeds, mode, obs, masks):
    """A vector-env step of game ``b``: a game that ended on the last step starts its next game
    (``NEXT_STEP`` autoreset: its action is ignored, reward 0), any other plays its action; then
    the game is observed. One pass per game, because the batch's records (35 MB at 4096 games)
    outgrow the cache: observed in a second pass, every record would be fetched from memory again."""
    prefetch_game(state_bytes, b + PREFETCH_AHEAD)
    if restart[b]:
        reset_one(state, b, state_bytes, template_bytes, template_idx, seeds, restart)
        rewards[b] = 0.0
        terminated[b], truncated[b], invalid[b], resolved[b] = False, False, False, False
    else:
        step_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved)
    observe_one(state, b, mode, obs, masks)


@njit(cache=True, nogil=True)
def advance_games(state, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved,
                  restart, state_bytes, template_bytes, template_idx, seeds, mode, obs, masks):
    for b in range(state.shape[0]):
        advance_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved,
                    restart, state_bytes, template_bytes, template_idx, seeds, mode, obs, masks)


@njit(cache=True, parallel=True, nogil=True)
def advance_games_parallel(state, actions, params, invalid_limit, rewards, terminated, truncated, invalid,
                           resolved, restart, state_bytes, template_bytes, template_idx, seeds, mode, obs, masks):
    for b in prange(state.shape[0]):
        advance_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved,
                    restart, state_bytes, template_bytes, template_idx, seeds, mode, obs, masks)


@njit(cache=True, nogil=True)
def step_games(state, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved):
    for b in range(state.shape[0]):
        step_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved)


@njit(cache=True, nogil=True)
def reset_games(state, state_bytes, template_bytes, template_idx, seeds, which):
    """Reset the games flagged in ``which`` from their template rows and seeds."""
    for b in range(state.shape[0]):
        reset_one(state, b, state_bytes, template_bytes, template_idx, seeds, which)


@njit(cache=True, parallel=True, nogil=True)
def reset_games_parallel(state, state_bytes, template_bytes, template_idx, seeds, which):
    for b in prange(state.shape[0]):
        reset_one(state, b, state_bytes, template_bytes, template_idx, seeds, which)


@njit(cache=True, nogil=True)
def observe_games(state, mode, obs, masks):
    for b in range(state.shape[0]):
        observe_one(state, b, mode, obs, masks)


@njit(cache=True, parallel=True, nogil=True)
def observe_games_parallel(state, mode, obs, masks):
    for b in prange(state.shape[0]):
        observe_one(state, b, mode, obs, masks)


@njit(cache=True, nogil=True)
def refusals(state, actions, which, codes, index, values):
    """``rules.refusal`` of ``actions[b]`` for the games flagged in ``which`` (0 elsewhere):
    the reasons behind ``info["invalid_reason"]``, computed only for refused actions."""
    for b in range(state.shape[0]):
        if which[b]:
            codes[b], index[b], values[b] = refusal(state[b], actions[b])
        else:
            codes[b], index[b], values[b] = LEGAL, 0, 0


@njit(cache=True, parallel=True, nogil=True)
def sample_legal_actions(masks, seed, out):
    """A uniformly random legal action per row of ``masks`` (0 where a row has none; the envs'
    masks always have one).

    Draws are counter-based (row, seed), so a batched random policy adds little per game.
    """
    for b in prange(masks.shape[0]):
        n = 0
        for a in range(masks.shape[1]):
            n += masks[b, a]
        out[b] = 0
        if n == 0:
            continue
        k = int(uniform(seed, 0, 99, b) * n)
        for a in range(masks.shape[1]):
            if masks[b, a]:
                if k == 0:
                    out[b] = a
                    break
                k -= 1
