"""One SGD step of the fast engine for one group of hidden vectors (fastText's `Model::update`,
batched as in Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed Memory").

A group is what one set of output rows is scored against:
- skip-gram (`per_word`): each context word of a half window is one hidden vector, the mean of
  its input rows; all of them share the true word's output rows (and, with negative sampling, the
  negatives drawn for this half window);
- CBOW: one hidden vector, the mean of the input rows of all the context words.

The step, from the weights as they are at its start:
1. `forward`: hidden vectors X (one per member, the mean of its rows in the input-row table,
   `fast.rows`), and scores F = X W_out[T]^T against the rows T the loss chose
   (`fast.losses.choose_targets`);
2. the loss turns F into coefficients G = lr * dNLL/dF (`fast.losses.coefficients`);
3. `backward`: input gradient G[i] W_out[T] added to every input row of member i, then the output
   update W_out[T] += G^T X.
This is exactly one gradient step on the group's summed NLL (the reference layers' batch step), so
the tests compare it with the reference engine. CBOW passes the full gradient of the mean to each
context row, as word2vec and fastText do (not divided by the number of rows).

Speed: the products take six output rows per pass over a hidden vector (scores and input
gradient) and three members per pass over an output row (output update; CBOW's one member
alone); a pass past the end repeats the last row or member with coefficient 0. A skip-gram member
with a single input row gets its gradient added in place, without the buffer E. Each phase is one
flat function taking only arrays and numbers, called straight from the training loop: rows are
addressed by index, never sliced into views, and no phase calls a helper that takes arrays, so
the compiler can drop every reference-count update in the hot loop (they are atomic writes; see
benchmarks/README.md). `group_step` chains the phases for the single-step kernels; the training
loop calls the same three phases itself.
"""

from __future__ import annotations

import numpy as np
from wordvec._jit import FASTMATH, njit

from wordvec.fast import losses

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def forward(W_in, W_out, in_offsets, in_rows, words, lo, hi, skip, per_word, T, k1, X, G):
    """Hidden vectors of the members words[lo:hi] (without position `skip`) into X and their
    scores against the output rows T[:k1] into G; returns the number of members."""
    dim = W_in.shape[1]
    m = 0
    if per_word:  # skip-gram: each context word is a member
        for j in range(lo, hi):
            if j == skip:
                continue
            w = words[j]
            a = in_offsets[w]
            b = in_offsets[w + 1]
            r = in_rows[a]
            for d in range(dim):
                X[m, d] = W_in[r, d]
            for p in range(a + 1, b):
                r = in_rows[p]
                for d in range(dim):
                    X[m, d] += W_in[r, d]
            if b - a > 1:
                inv = _ONE / np.float32(b - a)
                for d in range(dim):
                    X[m, d] *= inv
            m += 1
    else:  # CBOW: one member, the mean over all the context words' rows
        n = 0
        for d in range(dim):
            X[0, d] = _ZERO
        for j in range(lo, hi):
            if j == skip:
                continue
            w = words[j]
            for p in range(in_offsets[w], in_offsets[w + 1]):
                r = in_rows[p]
                for d in range(dim):
                    X[0, d] += W_in[r, d]
                n += 1
        if n > 1:
            inv = _ONE / np.float32(n)
            for d in range(dim):
                X[0, d] *= inv
        m = 1 if n > 0 else 0
    last = k1 - 1
    for i in range(m):
        for k in range(0, k1, 6):
            t0 = T[k]
            t1 = T[min(k + 1, last)]
            t2 = T[min(k + 2, last)]
            t3 = T[min(k + 3, last)]
            t4 = T[min(k + 4, last)]
            t5 = T[min(k + 5, last)]
            f0 = _ZERO
            f1 = _ZERO
            f2 = _ZERO
            f3 = _ZERO
            f4 = _ZERO
            f5 = _ZERO
            for d in range(dim):
                x = X[i, d]
                f0 += x * W_out[t0, d]
                f1 += x * W_out[t1, d]
                f2 += x * W_out[t2, d]
                f3 += x * W_out[t3, d]
                f4 += x * W_out[t4, d]
                f5 += x * W_out[t5, d]
            G[i, k] = f0
            if k + 1 < k1:
                G[i, k + 1] = f1
            if k + 2 < k1:
                G[i, k + 2] = f2
            if k + 3 < k1:
                G[i, k + 3] = f3
            if k + 4 < k1:
                G[i, k + 4] = f4
            if k + 5 < k1:
                G[i, k + 5] = f5
    return m


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def backward(W_in, W_out, in_offsets, in_rows, words, lo, hi, skip, per_word, T, k1, X, G, E, m):
    """Apply the coefficients G of the m members: G[i] W_out[T] (the pre-step output rows) to
    every input row of member i, then W_out[T[k]] += sum_i G[i, k] X[i] (a row chosen twice gets
    both updates). E is a (1, dim) buffer."""
    dim = W_in.shape[1]
    last = k1 - 1
    i = 0
    for j in range(lo, hi):
        if j == skip or i == m:
            continue
        w0 = words[j]
        single = per_word and in_offsets[w0 + 1] - in_offsets[w0] == 1
        r0 = in_rows[in_offsets[w0]]
        for k in range(0, k1, 6):
            k1_ = min(k + 1, last)
            k2_ = min(k + 2, last)
            k3_ = min(k + 3, last)
            k4_ = min(k + 4, last)
            k5_ = min(k + 5, last)
            t0 = T[k]
            t1 = T[k1_]
            t2 = T[k2_]
            t3 = T[k3_]
            t4 = T[k4_]
            t5 = T[k5_]
            g0 = G[i, k]
            g1 = G[i, k1_] if k + 1 < k1 else _ZERO
            g2 = G[i, k2_] if k + 2 < k1 else _ZERO
            g3 = G[i, k3_] if k + 3 < k1 else _ZERO
            g4 = G[i, k4_] if k + 4 < k1 else _ZERO
            g5 = G[i, k5_] if k + 5 < k1 else _ZERO
            # the last pass adds straight into a member's only input row (word2vec: no buffer)
            fresh = k == 0
            direct = k + 6 >= k1 and single
            for d in range(dim):
                u = (g0 * W_out[t0, d] + g1 * W_out[t1, d] + g2 * W_out[t2, d]) + (g3 * W_out[t3, d] + g4 * W_out[t4, d] + g5 * W_out[t5, d])
                if not fresh:
                    u += E[0, d]
                if direct:
                    W_in[r0, d] += u
                else:
                    E[0, d] = u
        if single:
            i += 1
            continue
        # skip-gram: the rows of word j; CBOW: the rows of every context word
        a = j if per_word else lo
        b = j + 1 if per_word else hi
        for jj in range(a, b):
            if jj == skip:
                continue
            w = words[jj]
            for p in range(in_offsets[w], in_offsets[w + 1]):
                r = in_rows[p]
                for d in range(dim):
                    W_in[r, d] += E[0, d]
        i += 1
    # three members per pass over an output row (a pass past the last member repeats it with
    # coefficient 0), so each row is read and written once per three members; CBOW's one member alone
    step = 3 if m > 1 else 1
    for k in range(k1):
        t = T[k]
        for i in range(0, m, step):
            ib = min(i + 1, m - 1)
            ic = min(i + 2, m - 1)
            ga = G[i, k]
            gb = G[ib, k] if i + 1 < m else _ZERO
            gc = G[ic, k] if i + 2 < m else _ZERO
            if step == 1:
                for d in range(dim):
                    W_out[t, d] += ga * X[i, d]
            else:
                for d in range(dim):
                    W_out[t, d] += ga * X[i, d] + gb * X[ib, d] + gc * X[ic, d]


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def group_step(tables, W_in, W_out, in_offsets, in_rows, words, lo, hi, skip, per_word, T, labels, k1,
               target, lr, X, G, E):
    """One step for the members words[lo:hi] (without position `skip`) against the output rows
    T[:k1] with labels[:k1] (see the module docstring); X, G, E are scratch buffers. Returns
    (nll, pairs)."""
    m = forward(W_in, W_out, in_offsets, in_rows, words, lo, hi, skip, per_word, T, k1, X, G)
    nll = 0.0
    if m > 0 and k1 > 0:
        nll = losses.coefficients(tables, G, m, k1, labels, target, lr)
        backward(W_in, W_out, in_offsets, in_rows, words, lo, hi, skip, per_word, T, k1, X, G, E, m)
    return nll, m
