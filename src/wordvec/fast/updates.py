"""The SGD step of each model x loss for one window, shared by the chunk kernels and exposed as
single-example functions (`sg_ns_update`, ...) so tests can compare one step with the reference
layers exactly.

Conventions (word2vec's): input rows `W_in` are the word vectors, output rows `W_out` are the
context/"syn1neg" vectors (for hierarchical softmax: inner nodes of the Huffman tree). In skip-gram
each context word's input row predicts the centre word's output row; in CBOW the mean of the context
input rows predicts it. Every update is `lr * (label - sigmoid(score))`, i.e. plain SGD on the
negative log-likelihood; the value returned is that NLL summed over the window's pairs.

CBOW follows word2vec and gensim: the context mean is the input, but each context row receives the
full gradient of that mean (not divided by the context size).
"""

from __future__ import annotations

import numpy as np
from wordvec._jit import FASTMATH, KERNEL_OPTS, njit

_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_PFLOOR = np.float32(1e-30)


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _sigmoid_and_prob(score, label):
    """(sigmoid(score), P(label | score)) with one exp; P is floored at 1e-30 so that its log
    stays finite. The NLL is taken as one log of a product of these per pair, not a log per score."""
    e = np.exp(-abs(score))
    big = _ONE / (_ONE + e)
    small = e * big
    if score >= _ZERO:
        sig = big
    else:
        sig = small
    if (label > _ZERO) == (score >= _ZERO):
        p = big
    else:
        p = small
    if p < _PFLOOR:  # not max(): a NaN p must stay NaN, so that the loss reports it
        p = _PFLOOR
    return sig, p


@njit(inline="always", cache=True, error_model="numpy")
def _fold(nll, prod):
    """Move a running probability product into the NLL sum before it underflows."""
    if prod < 1e-100:  # each factor is >= 1e-30, so the product never underflows
        return nll - np.log(prod), 1.0
    return nll, prod


@njit(inline="always", cache=True, error_model="numpy")
def _at(rows, i):
    """Matrix row holding word/node i: i itself, or its thread-private copy when `rows` maps it
    (`rows` is None when the kernel keeps no private copies; Numba then compiles the branch away)."""
    if rows is None:
        return i
    return rows[i]


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def sg_ns_window(W_in, W_out, in_rows, out_rows, words, lo, hi, skip, targets, valid, lr, X, G, g):
    """Skip-gram, negative sampling, one group of context words sharing negatives (Ji et al. 2016).

    Context rows `words[lo:hi]` (except index `skip`) each score against the output rows
    `targets` (targets[0] the true word, label 1; the rest negatives, label 0; `valid[k]==0` drops
    a negative equal to the true word). Each context row is updated at once, in order; the output
    updates use the pre-update context rows and are applied together at the end. The chunk kernel
    calls this once per half window (left contexts, then right contexts), each with its own
    negatives.

    Speed (the kernel's hot loop): the scores take six output rows per pass over a context row, and
    the context row's update too; the pre-update context rows are kept in `X` (one row per context,
    copied during the score pass) and their coefficients in `G` (context x target), so the output
    rows are written once per group, not once per context. A group past the end of `targets`
    repeats the last row with a zero coefficient. Returns (nll, pairs).
    """
    dim = W_in.shape[1]
    k1 = targets.shape[0]
    last = k1 - 1
    nll_sum = 0.0
    prod = 1.0
    m = 0
    for j in range(lo, hi):
        if j == skip:
            continue
        c = _at(in_rows, words[j])
        # scores W_in[c] . W_out[t_k], keeping the pre-update row in X[m]
        for k in range(0, k1, 6):
            t0 = _at(out_rows, targets[k])
            t1 = _at(out_rows, targets[min(k + 1, last)])
            t2 = _at(out_rows, targets[min(k + 2, last)])
            t3 = _at(out_rows, targets[min(k + 3, last)])
            t4 = _at(out_rows, targets[min(k + 4, last)])
            t5 = _at(out_rows, targets[min(k + 5, last)])
            f0 = _ZERO
            f1 = _ZERO
            f2 = _ZERO
            f3 = _ZERO
            f4 = _ZERO
            f5 = _ZERO
            for d in range(dim):
                x = W_in[c, d]
                X[m, d] = x
                f0 += x * W_out[t0, d]
                f1 += x * W_out[t1, d]
                f2 += x * W_out[t2, d]
                f3 += x * W_out[t3, d]
                f4 += x * W_out[t4, d]
                f5 += x * W_out[t5, d]
            g[k] = f0
            if k + 1 < k1:
                g[k + 1] = f1
            if k + 2 < k1:
                g[k + 2] = f2
            if k + 3 < k1:
                g[k + 3] = f3
            if k + 4 < k1:
                g[k + 4] = f4
            if k + 5 < k1:
                g[k + 5] = f5
        for k in range(k1):
            if valid[k] == 0:
                G[m, k] = _ZERO  # no update for its row, nothing added to the context row
                continue
            label = _ONE if k == 0 else _ZERO
            sig, pk = _sigmoid_and_prob(g[k], label)
            G[m, k] = (label - sig) * lr
            prod *= pk
            nll_sum, prod = _fold(nll_sum, prod)
        # W_in[c] += sum_k G[m, k] W_out[t_k]
        for k in range(0, k1, 6):
            k1_ = min(k + 1, last)
            k2_ = min(k + 2, last)
            k3_ = min(k + 3, last)
            k4_ = min(k + 4, last)
            k5_ = min(k + 5, last)
            t0 = _at(out_rows, targets[k])
            t1 = _at(out_rows, targets[k1_])
            t2 = _at(out_rows, targets[k2_])
            t3 = _at(out_rows, targets[k3_])
            t4 = _at(out_rows, targets[k4_])
            t5 = _at(out_rows, targets[k5_])
            g0 = G[m, k]
            g1 = G[m, k1_] if k + 1 < k1 else _ZERO
            g2 = G[m, k2_] if k + 2 < k1 else _ZERO
            g3 = G[m, k3_] if k + 3 < k1 else _ZERO
            g4 = G[m, k4_] if k + 4 < k1 else _ZERO
            g5 = G[m, k5_] if k + 5 < k1 else _ZERO
            for d in range(dim):
                W_in[c, d] += (g0 * W_out[t0, d] + g1 * W_out[t1, d] + g2 * W_out[t2, d]) + (g3 * W_out[t3, d] + g4 * W_out[t4, d] + g5 * W_out[t5, d])
        m += 1
    # W_out[t_k] += sum over the contexts of G[., k] X[.], three contexts per pass
    for k in range(k1):
        if valid[k] == 0:
            continue
        t = _at(out_rows, targets[k])
        for i in range(0, m, 3):
            ib = min(i + 1, m - 1)
            ic = min(i + 2, m - 1)
            ga = G[i, k]
            gb = G[ib, k] if i + 1 < m else _ZERO
            gc = G[ic, k] if i + 2 < m else _ZERO
            for d in range(dim):
                W_out[t, d] += ga * X[i, d] + gb * X[ib, d] + gc * X[ic, d]
    return nll_sum - np.log(prod), m


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _context_mean(W_in, in_rows, words, lo, hi, skip, h):
    """h = mean of the context rows; returns their number."""
    dim = W_in.shape[1]
    cw = 0
    for d in range(dim):
        h[d] = _ZERO
    for j in range(lo, hi):
        if j == skip:
            continue
        c = _at(in_rows, words[j])
        for d in range(dim):
            h[d] += W_in[c, d]
        cw += 1
    if cw > 0:
        inv = _ONE / np.float32(cw)
        for d in range(dim):
            h[d] *= inv
    return cw


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _add_to_context(W_in, in_rows, words, lo, hi, skip, neu1e):
    dim = W_in.shape[1]
    for j in range(lo, hi):
        if j == skip:
            continue
        c = _at(in_rows, words[j])
        for d in range(dim):
            W_in[c, d] += neu1e[d]


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _distinct(targets, valid):
    """True when no valid target appears twice (then updating the output rows one after another,
    as word2vec does, equals updating them all from the same pre-update values)."""
    k1 = targets.shape[0]
    for a in range(k1):
        if valid[a] == 0:
            continue
        for b in range(a + 1, k1):
            if valid[b] != 0 and targets[a] == targets[b]:
                return False
    return True


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def cbow_ns_window(W_in, W_out, in_rows, out_rows, words, lo, hi, skip, targets, valid, lr, h, neu1e, g):
    """CBOW, negative sampling: mean of the context rows predicts targets[0] against negatives.

    word2vec's order (each output row scored, then updated, one after another). When the valid
    targets are distinct (almost always) that equals scoring all of them first, so the kernel does
    that: six output rows per pass for the scores and for the updates; with a repeated negative it
    takes the row-by-row path.
    """
    dim = W_in.shape[1]
    k1 = targets.shape[0]
    if _context_mean(W_in, in_rows, words, lo, hi, skip, h) == 0:
        return 0.0, 0
    nll_sum = 0.0
    prod = 1.0
    if not _distinct(targets, valid):
        for d in range(dim):
            neu1e[d] = _ZERO
        for k in range(k1):
            if valid[k] == 0:
                continue
            t = _at(out_rows, targets[k])
            f = _ZERO
            for d in range(dim):
                f += h[d] * W_out[t, d]
            label = _ONE if k == 0 else _ZERO
            sig, pk = _sigmoid_and_prob(f, label)
            gk = (label - sig) * lr
            prod *= pk
            nll_sum, prod = _fold(nll_sum, prod)
            for d in range(dim):
                neu1e[d] += gk * W_out[t, d]
                W_out[t, d] += gk * h[d]
        _add_to_context(W_in, in_rows, words, lo, hi, skip, neu1e)
        return nll_sum - np.log(prod), 1
    last = k1 - 1
    for k in range(0, k1, 6):
        t0 = _at(out_rows, targets[k])
        t1 = _at(out_rows, targets[min(k + 1, last)])
        t2 = _at(out_rows, targets[min(k + 2, last)])
        t3 = _at(out_rows, targets[min(k + 3, last)])
        t4 = _at(out_rows, targets[min(k + 4, last)])
        t5 = _at(out_rows, targets[min(k + 5, last)])
        f0 = _ZERO
        f1 = _ZERO
        f2 = _ZERO
        f3 = _ZERO
        f4 = _ZERO
        f5 = _ZERO
        for d in range(dim):
            x = h[d]
            f0 += x * W_out[t0, d]
            f1 += x * W_out[t1, d]
            f2 += x * W_out[t2, d]
            f3 += x * W_out[t3, d]
            f4 += x * W_out[t4, d]
            f5 += x * W_out[t5, d]
        g[k] = f0
        if k + 1 < k1:
            g[k + 1] = f1
        if k + 2 < k1:
            g[k + 2] = f2
        if k + 3 < k1:
            g[k + 3] = f3
        if k + 4 < k1:
            g[k + 4] = f4
        if k + 5 < k1:
            g[k + 5] = f5
    for k in range(k1):
        if valid[k] == 0:
            g[k] = _ZERO  # no update for its row, nothing added to the context rows
            continue
        label = _ONE if k == 0 else _ZERO
        sig, pk = _sigmoid_and_prob(g[k], label)
        g[k] = (label - sig) * lr
        prod *= pk
        nll_sum, prod = _fold(nll_sum, prod)
    # neu1e = sum_k g_k W_out[t_k] (pre-update rows), W_out[t_k] += g_k h; a group past the end
    # repeats the last row with a zero coefficient, so it adds nothing and rewrites the same value
    for k in range(0, k1, 6):
        k1_ = min(k + 1, last)
        k2_ = min(k + 2, last)
        k3_ = min(k + 3, last)
        k4_ = min(k + 4, last)
        k5_ = min(k + 5, last)
        t0 = _at(out_rows, targets[k])
        t1 = _at(out_rows, targets[k1_])
        t2 = _at(out_rows, targets[k2_])
        t3 = _at(out_rows, targets[k3_])
        t4 = _at(out_rows, targets[k4_])
        t5 = _at(out_rows, targets[k5_])
        g0 = g[k]
        g1 = g[k1_] if k + 1 < k1 else _ZERO
        g2 = g[k2_] if k + 2 < k1 else _ZERO
        g3 = g[k3_] if k + 3 < k1 else _ZERO
        g4 = g[k4_] if k + 4 < k1 else _ZERO
        g5 = g[k5_] if k + 5 < k1 else _ZERO
        first = k == 0
        for d in range(dim):
            x = h[d]
            o0 = W_out[t0, d]
            o1 = W_out[t1, d]
            o2 = W_out[t2, d]
            o3 = W_out[t3, d]
            o4 = W_out[t4, d]
            o5 = W_out[t5, d]
            u = (g0 * o0 + g1 * o1 + g2 * o2) + (g3 * o3 + g4 * o4 + g5 * o5)
            if first:
                neu1e[d] = u
            else:
                neu1e[d] += u
            W_out[t5, d] = o5 + g5 * x
            W_out[t4, d] = o4 + g4 * x
            W_out[t3, d] = o3 + g3 * x
            W_out[t2, d] = o2 + g2 * x
            W_out[t1, d] = o1 + g1 * x
            W_out[t0, d] = o0 + g0 * x
    _add_to_context(W_in, in_rows, words, lo, hi, skip, neu1e)
    return nll_sum - np.log(prod), 1


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _hs_path(W_out, out_rows, x, codes, points, a, b, lr, neu1e):
    """Walk one Huffman path from input vector `x`: update the node rows, accumulate the input
    gradient in `neu1e`, return the NLL."""
    dim = x.shape[0]
    nll_sum = 0.0
    prod = 1.0
    for p in range(a, b):
        t = _at(out_rows, points[p])
        f = _ZERO
        for d in range(dim):
            f += x[d] * W_out[t, d]
        label = _ONE - np.float32(codes[p])
        sig, pk = _sigmoid_and_prob(f, label)
        gk = (label - sig) * lr
        prod *= pk
        nll_sum, prod = _fold(nll_sum, prod)
        for d in range(dim):
            neu1e[d] += gk * W_out[t, d]
            W_out[t, d] += gk * x[d]
    return nll_sum - np.log(prod)


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def sg_hs_window(W_in, W_out, in_rows, out_rows, words, lo, hi, skip, target, codes, points, offsets, lr, x, neu1e):
    """Skip-gram, hierarchical softmax: each context row walks the target word's Huffman path."""
    dim = W_in.shape[1]
    a = offsets[target]
    b = offsets[target + 1]
    nll_sum = 0.0
    pairs = 0
    for j in range(lo, hi):
        if j == skip:
            continue
        c = _at(in_rows, words[j])
        for d in range(dim):
            x[d] = W_in[c, d]
            neu1e[d] = _ZERO
        nll_sum += _hs_path(W_out, out_rows, x, codes, points, a, b, lr, neu1e)
        for d in range(dim):
            W_in[c, d] += neu1e[d]
        pairs += 1
    return nll_sum, pairs


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def cbow_hs_window(W_in, W_out, in_rows, out_rows, words, lo, hi, skip, target, codes, points, offsets, lr, h, neu1e):
    """CBOW, hierarchical softmax: the context mean walks the target word's Huffman path."""
    dim = W_in.shape[1]
    if _context_mean(W_in, in_rows, words, lo, hi, skip, h) == 0:
        return 0.0, 0
    for d in range(dim):
        neu1e[d] = _ZERO
    nll_sum = _hs_path(W_out, out_rows, h, codes, points, offsets[target], offsets[target + 1], lr, neu1e)
    _add_to_context(W_in, in_rows, words, lo, hi, skip, neu1e)
    return nll_sum, 1


# ---- single-example entry points (one window, given negatives), used by the cross-check tests ----


def _weights(W_in: np.ndarray, W_out: np.ndarray) -> int:
    """Check the two weight matrices (the kernels index them unchecked); returns the dimension."""
    for name, W in (("W_in", W_in), ("W_out", W_out)):
        if not isinstance(W, np.ndarray) or W.dtype != np.float32 or W.ndim != 2:
            raise TypeError(f"{name} must be a 2-D float32 numpy array")
        if not W.flags.c_contiguous or not W.flags.writeable:
            raise ValueError(f"{name} must be C-contiguous and writeable (it is updated in place)")
    if W_in.shape[1] != W_out.shape[1] or W_in.shape[1] < 1:
        raise ValueError(f"W_in and W_out must have the same number of columns >= 1, got "
                         f"{W_in.shape[1]} and {W_out.shape[1]}")
    return W_in.shape[1]


def _ids(values, n_rows: int, what: str, *, allow_empty: bool = True) -> np.ndarray:
    """`values` as an int32 array of row ids, each in [0, n_rows)."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"{what} must be integer ids, got {np.asarray(values).dtype} of shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{what} must not be empty")
    if arr.size and (arr.min() < 0 or arr.max() >= n_rows):
        raise IndexError(f"{what} must lie in [0, {n_rows}), got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int32)


def _lr(lr: float) -> np.float32:
    if not (isinstance(lr, (int, float, np.floating, np.integer)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    return np.float32(lr)


def _ns_targets(target: int, negatives, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    targets = np.concatenate([_ids(target, n_out, "target", allow_empty=False)[:1],
                              _ids(negatives, n_out, "negatives")]).astype(np.int32)
    if np.ndim(target) != 0:
        raise TypeError("target must be one id")
    valid = np.ones(len(targets), np.uint8)
    valid[1:][targets[1:] == targets[0]] = 0  # word2vec skips a negative that equals the true word
    return targets, valid


def _hs_target(W_out: np.ndarray, target: int, tree) -> int:
    from wordvec.fast.tables import HuffmanTree

    if not isinstance(tree, HuffmanTree):
        raise TypeError("tree must be a wordvec.fast.HuffmanTree")
    if np.ndim(target) != 0:
        raise TypeError("target must be one id")
    word = int(_ids(target, len(tree.offsets) - 1, "target", allow_empty=False)[0])
    a, b = int(tree.offsets[word]), int(tree.offsets[word + 1])
    if not 0 <= a <= b <= len(tree.points) or len(tree.codes) != len(tree.points):
        raise ValueError("tree is inconsistent (offsets, codes and points disagree)")
    path = tree.points[a:b]
    if path.size and (path.min() < 0 or path.max() >= W_out.shape[0]):
        raise IndexError(f"the tree's path for word {word} uses nodes outside W_out's {W_out.shape[0]} rows")
    return word


def sg_ns_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, negatives, lr: float) -> float:
    """One skip-gram/NS step in place: each of `contexts` (input rows) predicts `target` (output
    row) against the shared `negatives` (one half window of the training kernel, same compiled
    code). Ids are checked against the matrices. Returns the summed NLL."""
    dim = _weights(W_in, W_out)
    words = _ids(contexts, W_in.shape[0], "contexts")
    targets, valid = _ns_targets(target, negatives, W_out.shape[0])
    k1, m = len(targets), max(len(words), 1)
    nll, _ = _sg_ns_one(W_in, W_out, words, targets, valid, _lr(lr),
                        np.empty((m, dim), np.float32), np.empty((m, k1), np.float32), np.empty(k1, np.float32))
    return float(nll)


def cbow_ns_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, negatives, lr: float) -> float:
    """One CBOW/NS step in place: the mean of `contexts` predicts `target` against `negatives`."""
    dim = _weights(W_in, W_out)
    words = _ids(contexts, W_in.shape[0], "contexts")
    targets, valid = _ns_targets(target, negatives, W_out.shape[0])
    nll, _ = _cbow_ns_one(W_in, W_out, words, targets, valid, _lr(lr),
                          np.empty(dim, np.float32), np.empty(dim, np.float32), np.empty(len(targets), np.float32))
    return float(nll)


def sg_hs_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, tree, lr: float) -> float:
    """One skip-gram/HS step in place: each of `contexts` walks `target`'s path in `tree`."""
    dim = _weights(W_in, W_out)
    words = _ids(contexts, W_in.shape[0], "contexts")
    word = _hs_target(W_out, target, tree)
    nll, _ = _sg_hs_one(W_in, W_out, words, word, tree.codes, tree.points, tree.offsets,
                        _lr(lr), np.empty(dim, np.float32), np.empty(dim, np.float32))
    return float(nll)


def cbow_hs_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, tree, lr: float) -> float:
    """One CBOW/HS step in place: the mean of `contexts` walks `target`'s path in `tree`."""
    dim = _weights(W_in, W_out)
    words = _ids(contexts, W_in.shape[0], "contexts")
    word = _hs_target(W_out, target, tree)
    nll, _ = _cbow_hs_one(W_in, W_out, words, word, tree.codes, tree.points, tree.offsets,
                          _lr(lr), np.empty(dim, np.float32), np.empty(dim, np.float32))
    return float(nll)


@njit(**KERNEL_OPTS)
def _sg_ns_one(W_in, W_out, words, targets, valid, lr, X, G, g):
    return sg_ns_window(W_in, W_out, None, None, words, 0, words.shape[0], -1, targets, valid, lr, X, G, g)


@njit(**KERNEL_OPTS)
def _cbow_ns_one(W_in, W_out, words, targets, valid, lr, h, neu1e, g):
    return cbow_ns_window(W_in, W_out, None, None, words, 0, words.shape[0], -1, targets, valid, lr, h, neu1e, g)


@njit(**KERNEL_OPTS)
def _sg_hs_one(W_in, W_out, words, target, codes, points, offsets, lr, x, neu1e):
    return sg_hs_window(W_in, W_out, None, None, words, 0, words.shape[0], -1, target, codes, points, offsets,
                        lr, x, neu1e)


@njit(**KERNEL_OPTS)
def _cbow_hs_one(W_in, W_out, words, target, codes, points, offsets, lr, h, neu1e):
    return cbow_hs_window(W_in, W_out, None, None, words, 0, words.shape[0], -1, target, codes, points, offsets,
                          lr, h, neu1e)
