"""Chunk kernels: train on sentences [s_begin, s_end) of the corpus, one specialised kernel per
model x loss (a loss flag inside the hot loop costs ~15%).

Each kernel applies word2vec's sampling (frequency subsampling with the vocabulary's keep
probabilities, then a window shrunk by a random 0..window-1, noise words from an alias table) and
a learning rate falling linearly from `lr_begin` to `lr_end` across the chunk's raw words. All
kernels are `nogil` so Python threads run them in parallel (Hogwild: unsynchronised writes to the
shared weight matrices), and `cache=True` so a second process does not compile again. The thread's
random state lives in `rng[0]` and is written back at the end. Returns (nll_sum, pairs).

Hot rows: the weight matrices carry extra rows, a private block per thread starting at
`in_base`/`out_base`. `hot_in`/`hot_out` list the most used words/nodes; at the start of a chunk
the kernel copies them into its block, works there (`in_rows`/`out_rows` map each id to the row
to use), and at the end merges back lock-free (shared += private - snapshot), so two threads stop
fighting over the same cache lines. With `in_rows is None` (one thread) that code compiles away.
"""

from __future__ import annotations

import numpy as np
from wordvec._jit import KERNEL_OPTS, njit

from wordvec.fast import _rng
from wordvec.fast.tables import draw
from wordvec.fast.updates import cbow_hs_window, cbow_ns_window, sg_hs_window, sg_ns_window



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


@njit(inline="always", cache=True, error_model="numpy")
def _draw_negatives(prob, alias, targets, valid, state):
    center = targets[0]
    for k in range(1, targets.shape[0]):
        state = _rng.advance(state)
        t = draw(prob, alias, _rng.output(state))
        targets[k] = t
        valid[k] = 0 if t == center else 1
    return state


@njit(inline="always", cache=True, error_model="numpy")
def _hot_load(W, hot, base):
    """Refresh the thread's private rows W[base + k] from the shared rows W[hot[k]]; return the
    snapshot they start from."""
    S = np.empty((hot.shape[0], W.shape[1]), np.float32)
    for k in range(hot.shape[0]):
        for d in range(W.shape[1]):
            S[k, d] = W[hot[k], d]
            W[base + k, d] = S[k, d]
    return S


@njit(inline="always", cache=True, error_model="numpy")
def _hot_merge(W, S, hot, base):
    """Lock-free merge: shared += private - snapshot (other threads' updates in between are kept)."""
    for k in range(hot.shape[0]):
        for d in range(W.shape[1]):
            W[hot[k], d] += W[base + k, d] - S[k, d]


@njit(**KERNEL_OPTS)
def sg_ns_chunk(W_in, W_out, ids, offsets, s_begin, s_end, keep, lr_begin, lr_end, window, rng,
                in_rows, hot_in, in_base, out_rows, hot_out, out_base, prob, alias, negative):
    """Skip-gram with negative sampling; negatives shared by each window."""
    dim = W_in.shape[1]
    buf = np.empty(_max_sentence(offsets, s_begin, s_end), np.int32)
    targets = np.empty(negative + 1, np.int32)
    valid = np.ones(negative + 1, np.uint8)
    X = np.empty((window, dim), np.float32)  # a half window's pre-update context rows
    G = np.empty((window, negative + 1), np.float32)  # and their coefficients
    g = np.empty(negative + 1, np.float32)
    total = offsets[s_end] - offsets[s_begin]
    S_in = _hot_load(W_in, hot_in, in_base)
    S_out = _hot_load(W_out, hot_out, out_base)
    state = rng[0]
    nll = 0.0
    pairs = 0
    for s in range(s_begin, s_end):
        a = offsets[s]
        b = offsets[s + 1]
        lr = _lr_at(lr_begin, lr_end, a - offsets[s_begin], total)
        n, state = _subsample(ids, a, b, keep, buf, state)
        for i in range(n):
            state = _rng.advance(state)
            reach = window - _rng.below(_rng.output(state), window)
            lo = max(i - reach, 0)
            hi = min(i + reach + 1, n)
            if hi - lo < 2:
                continue
            targets[0] = buf[i]
            # each half window (left contexts, then right contexts) shares its own negatives
            if lo < i:
                state = _draw_negatives(prob, alias, targets, valid, state)
                l, p = sg_ns_window(W_in, W_out, in_rows, out_rows, buf, lo, i, -1, targets, valid, lr, X, G, g)
                nll += l
                pairs += p
            if i + 1 < hi:
                state = _draw_negatives(prob, alias, targets, valid, state)
                l, p = sg_ns_window(W_in, W_out, in_rows, out_rows, buf, i + 1, hi, -1, targets, valid, lr, X, G, g)
                nll += l
                pairs += p
    rng[0] = state
    _hot_merge(W_in, S_in, hot_in, in_base)
    _hot_merge(W_out, S_out, hot_out, out_base)
    return nll, pairs


@njit(**KERNEL_OPTS)
def cbow_ns_chunk(W_in, W_out, ids, offsets, s_begin, s_end, keep, lr_begin, lr_end, window, rng,
                in_rows, hot_in, in_base, out_rows, hot_out, out_base, prob, alias, negative):
    """CBOW (context mean) with negative sampling."""
    dim = W_in.shape[1]
    buf = np.empty(_max_sentence(offsets, s_begin, s_end), np.int32)
    targets = np.empty(negative + 1, np.int32)
    valid = np.ones(negative + 1, np.uint8)
    h = np.empty(dim, np.float32)
    neu1e = np.empty(dim, np.float32)
    g = np.empty(negative + 1, np.float32)
    total = offsets[s_end] - offsets[s_begin]
    S_in = _hot_load(W_in, hot_in, in_base)
    S_out = _hot_load(W_out, hot_out, out_base)
    state = rng[0]
    nll = 0.0
    pairs = 0
    for s in range(s_begin, s_end):
        a = offsets[s]
        b = offsets[s + 1]
        lr = _lr_at(lr_begin, lr_end, a - offsets[s_begin], total)
        n, state = _subsample(ids, a, b, keep, buf, state)
        for i in range(n):
            state = _rng.advance(state)
            reach = window - _rng.below(_rng.output(state), window)
            lo = max(i - reach, 0)
            hi = min(i + reach + 1, n)
            if hi - lo < 2:
                continue
            targets[0] = buf[i]
            state = _draw_negatives(prob, alias, targets, valid, state)
            l, p = cbow_ns_window(W_in, W_out, in_rows, out_rows, buf, lo, hi, i, targets, valid, lr, h, neu1e, g)
            nll += l
            pairs += p
    rng[0] = state
    _hot_merge(W_in, S_in, hot_in, in_base)
    _hot_merge(W_out, S_out, hot_out, out_base)
    return nll, pairs


@njit(**KERNEL_OPTS)
def sg_hs_chunk(W_in, W_out, ids, offsets, s_begin, s_end, keep, lr_begin, lr_end, window, rng,
                in_rows, hot_in, in_base, out_rows, hot_out, out_base, codes, points, code_offsets):
    """Skip-gram with hierarchical softmax."""
    dim = W_in.shape[1]
    buf = np.empty(_max_sentence(offsets, s_begin, s_end), np.int32)
    neu1e = np.empty(dim, np.float32)
    x = np.empty(dim, np.float32)
    total = offsets[s_end] - offsets[s_begin]
    S_in = _hot_load(W_in, hot_in, in_base)
    S_out = _hot_load(W_out, hot_out, out_base)
    state = rng[0]
    nll = 0.0
    pairs = 0
    for s in range(s_begin, s_end):
        a = offsets[s]
        b = offsets[s + 1]
        lr = _lr_at(lr_begin, lr_end, a - offsets[s_begin], total)
        n, state = _subsample(ids, a, b, keep, buf, state)
        for i in range(n):
            state = _rng.advance(state)
            reach = window - _rng.below(_rng.output(state), window)
            lo = max(i - reach, 0)
            hi = min(i + reach + 1, n)
            if hi - lo < 2:
                continue
            l, p = sg_hs_window(W_in, W_out, in_rows, out_rows, buf, lo, hi, i, buf[i], codes, points, code_offsets, lr, x, neu1e)
            nll += l
            pairs += p
    rng[0] = state
    _hot_merge(W_in, S_in, hot_in, in_base)
    _hot_merge(W_out, S_out, hot_out, out_base)
    return nll, pairs


@njit(**KERNEL_OPTS)
def cbow_hs_chunk(W_in, W_out, ids, offsets, s_begin, s_end, keep, lr_begin, lr_end, window, rng,
                in_rows, hot_in, in_base, out_rows, hot_out, out_base, codes, points, code_offsets):
    """CBOW (context mean) with hierarchical softmax."""
    dim = W_in.shape[1]
    buf = np.empty(_max_sentence(offsets, s_begin, s_end), np.int32)
    h = np.empty(dim, np.float32)
    neu1e = np.empty(dim, np.float32)
    total = offsets[s_end] - offsets[s_begin]
    S_in = _hot_load(W_in, hot_in, in_base)
    S_out = _hot_load(W_out, hot_out, out_base)
    state = rng[0]
    nll = 0.0
    pairs = 0
    for s in range(s_begin, s_end):
        a = offsets[s]
        b = offsets[s + 1]
        lr = _lr_at(lr_begin, lr_end, a - offsets[s_begin], total)
        n, state = _subsample(ids, a, b, keep, buf, state)
        for i in range(n):
            state = _rng.advance(state)
            reach = window - _rng.below(_rng.output(state), window)
            lo = max(i - reach, 0)
            hi = min(i + reach + 1, n)
            if hi - lo < 2:
                continue
            l, p = cbow_hs_window(W_in, W_out, in_rows, out_rows, buf, lo, hi, i, buf[i], codes, points, code_offsets, lr, h, neu1e)
            nll += l
            pairs += p
    rng[0] = state
    _hot_merge(W_in, S_in, hot_in, in_base)
    _hot_merge(W_out, S_out, hot_out, out_base)
    return nll, pairs
