"""The fast engine's compiled entry points, per model family: `*_chunk`, the training loop over a
range of sentences, and `*_group`, one step on given rows (what the cross-check tests call).

The loop (`_chunk_loop`, written once) applies word2vec's sampling (frequency subsampling with the
vocabulary's keep probabilities, then a window shrunk by a random 0..window-1) and a learning rate
falling linearly from `lr_begin` to `lr_end` across the chunk's raw words. The model family
decides the groups of `fast.step`: skip-gram one group per half window (left contexts, then right
contexts), each with its own output rows from the loss; CBOW one group for the whole window.

Specialisation without copies: each family's entry point is one line that inlines the loop with
its family as a constant, and the loss's tables are a NamedTuple of the loss's own class, so Numba
compiles one kernel per model x loss, with no branch on either, and caches each on disk
(docs/DESIGN.md says why this shape and not another). The kernels are `nogil`, so Python threads
run them in parallel (Hogwild: unsynchronised writes to the shared weight matrices). The thread's
random state lives in `rng[0]` and is written back at the end. A chunk kernel returns
(nll_sum, pairs).
"""

from __future__ import annotations

import numpy as np

from wordvec._jit import KERNEL_OPTS, njit
from wordvec.fast import _rng, losses
from wordvec.fast.step import backward, forward, group_step


@njit(inline="always", cache=True, error_model="numpy")
def _max_sentence(offsets, s_begin, s_end):
    m = 1
    for s in range(s_begin, s_end):
        n = offsets[s + 1] - offsets[s]
        if n > m:
            m = n
    return m


@njit(inline="always", cache=True, error_model="numpy")
def _subsample(ids, a, b, keep, buf, state):
    """Copy the kept words of ids[a:b] into buf; returns (count, new state)."""
    n = 0
    for p in range(a, b):
        w = ids[p]
        kp = keep[w]
        if kp < np.float32(1.0):
            state = _rng.advance(state)
            if _rng.unit(_rng.output(state)) >= kp:
                continue
        buf[n] = w
        n += 1
    return n, state


@njit(inline="always", cache=True, error_model="numpy")
def _lr_at(lr_begin, lr_end, done, total):
    if total <= 0:
        return lr_begin
    return np.float32(lr_begin + (lr_end - lr_begin) * (np.float32(done) / np.float32(total)))


# ---- entry points ----


@njit(inline="always", cache=True, error_model="numpy")
def _chunk_loop(per_word, tables, window, W_in, W_out, in_offsets, in_rows, ids, offsets, s_begin, s_end, keep,
                lr_begin, lr_end, rng):
    """The training loop over sentences [s_begin, s_end) (see the module docstring); `per_word`
    is the model family (a constant in each entry point, so the compiler drops the other one)."""
    dim = W_in.shape[1]
    members = window if per_word else 1  # a skip-gram half window holds at most `window` words
    buf = np.empty(_max_sentence(offsets, s_begin, s_end), np.int32)
    f0, f1, f2 = tables  # once per chunk (see losses.choose_targets)
    kmax = losses.max_targets(tables, f0, f1, f2)
    T = np.empty(kmax, np.int32)
    labels = np.empty(kmax, np.float32)
    X = np.empty((members, dim), np.float32)
    G = np.empty((members, kmax), np.float32)
    E = np.empty((1, dim), np.float32)
    total = offsets[s_end] - offsets[s_begin]
    state = rng[0]
    nll = 0.0
    pairs = 0
    for s in range(s_begin, s_end):
        a = offsets[s]
        lr = _lr_at(lr_begin, lr_end, a - offsets[s_begin], total)
        n, state = _subsample(ids, a, offsets[s + 1], keep, buf, state)
        for i in range(n):
            state = _rng.advance(state)
            reach = window - _rng.below(_rng.output(state), window)
            lo = max(i - reach, 0)
            hi = min(i + reach + 1, n)
            if hi - lo < 2:
                continue
            center = buf[i]
            # skip-gram: the left contexts, then the right ones, each a group with its own output
            # rows; CBOW: the whole window, one group
            for half in range(2 if per_word else 1):
                if per_word:
                    g_lo = lo if half == 0 else i + 1
                    g_hi = i if half == 0 else hi
                    skip = -1
                else:
                    g_lo = lo
                    g_hi = hi
                    skip = i
                if g_lo == g_hi:
                    continue
                k1, state = losses.choose_targets(tables, f0, f1, f2, center, T, labels, state)
                m = forward(W_in, W_out, in_offsets, in_rows, buf, g_lo, g_hi, skip, per_word, T, k1, X, G)
                if m > 0 and k1 > 0:  # k1 = 0: an empty Huffman path (a one-word vocabulary)
                    nll += losses.coefficients(tables, G, m, k1, labels, center, lr)
                    backward(W_in, W_out, in_offsets, in_rows, buf, g_lo, g_hi, skip, per_word, T, k1, X, G, E, m)
                    pairs += m
    rng[0] = state
    return nll, pairs


@njit(**KERNEL_OPTS)
def skipgram_chunk(tables, window, W_in, W_out, in_offsets, in_rows, ids, offsets, s_begin, s_end, keep,
                   lr_begin, lr_end, rng):
    """Skip-gram on sentences [s_begin, s_end); a half window holds at most `window` members."""
    return _chunk_loop(True, tables, window, W_in, W_out, in_offsets, in_rows, ids, offsets,
                       s_begin, s_end, keep, lr_begin, lr_end, rng)


@njit(**KERNEL_OPTS)
def cbow_chunk(tables, window, W_in, W_out, in_offsets, in_rows, ids, offsets, s_begin, s_end, keep,
               lr_begin, lr_end, rng):
    """CBOW on sentences [s_begin, s_end): one member per window, the context mean."""
    return _chunk_loop(False, tables, window, W_in, W_out, in_offsets, in_rows, ids, offsets,
                       s_begin, s_end, keep, lr_begin, lr_end, rng)


@njit(inline="always", cache=True, error_model="numpy")
def _group(per_word, tables, W_in, W_out, in_offsets, in_rows, words, T, labels, target, lr):
    m = max(words.shape[0], 1) if per_word else 1
    k1 = T.shape[0]
    X = np.empty((m, W_in.shape[1]), np.float32)
    G = np.empty((m, max(k1, 1)), np.float32)
    e = np.empty((1, W_in.shape[1]), np.float32)
    return group_step(tables, W_in, W_out, in_offsets, in_rows, words, 0, words.shape[0], -1, per_word,
                      T, labels, k1, target, lr, X, G, e)


@njit(**KERNEL_OPTS)
def skipgram_group(tables, W_in, W_out, in_offsets, in_rows, words, T, labels, target, lr):
    """One skip-gram step: each of `words` against the output rows T with their labels (the
    loss's choice, given here), true word `target`. The step `skipgram_chunk` takes, compiled with
    the same flags. Returns (nll, pairs)."""
    return _group(True, tables, W_in, W_out, in_offsets, in_rows, words, T, labels, target, lr)


@njit(**KERNEL_OPTS)
def cbow_group(tables, W_in, W_out, in_offsets, in_rows, words, T, labels, target, lr):
    """One CBOW step: the mean of `words` against the rows T (as `skipgram_group`)."""
    return _group(False, tables, W_in, W_out, in_offsets, in_rows, words, T, labels, target, lr)


#: model name -> (chunk kernel, single-step kernel): the engine's model registry
MODELS = {"skipgram": (skipgram_chunk, skipgram_group), "cbow": (cbow_chunk, cbow_group)}
