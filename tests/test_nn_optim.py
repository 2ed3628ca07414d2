"""Optimizers: sparse updates against dense ones, the book's Adam formula, gradient clipping."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec.nn import SGD, AdaGrad, Adam, LazyAdam, Momentum, SparseGrad, clip_grads, make_optimizer

V, H = 12, 4


def random_sparse(rng, rows) -> SparseGrad:
    rows = np.asarray(rows)
    return SparseGrad(rows, rng.standard_normal((len(rows), H)), (V, H))


def run_both(opt_sparse, opt_dense, steps):
    """Apply the same gradients, sparse to one copy and dense to another; return both weights."""
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((V, H))
    b0 = rng.standard_normal(H)
    Ws, bs, Wd, bd = W0.copy(), b0.copy(), W0.copy(), b0.copy()
    for rows in steps:
        g = random_sparse(rng, rows)
        gb = rng.standard_normal(H)
        opt_sparse.update([Ws, bs], [g, gb])
        opt_dense.update([Wd, bd], [g.to_dense(), gb.copy()])
    return W0, (Ws, bs), (Wd, bd)


def test_adam_matches_book_formula():
    rng = np.random.default_rng(1)
    p = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(3)]
    opt = Adam(lr=0.01)
    expected, m, v = p.copy(), np.zeros(5), np.zeros(5)
    for it, g in enumerate(grads, start=1):
        opt.update([p], [g])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.01 * np.sqrt(1 - 0.999**it) / (1 - 0.9**it) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: AdaGrad(lr=0.1)])
def test_sgd_and_adagrad_sparse_equal_dense_always(make):
    steps = [[0, 3, 3], [5], [3, 7, 0, 0], [11, 2]]  # repeated rows, rows skipped on some steps
    _, sparse, dense = run_both(make(), make(), steps)
    for a, b in zip(sparse, dense):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_momentum_accepts_sparse_grads_as_dense():
    steps = [[0, 3, 3], [5], [3, 7]]
    _, sparse, dense = run_both(Momentum(lr=0.1), Momentum(lr=0.1), steps)
    for a, b in zip(sparse, dense):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("catch_up", [True, False])
def test_lazy_adam_equals_dense_adam_on_rows_touched_every_step(catch_up):
    always = [1, 4, 4, 9]  # with a duplicate
    steps = [always + extra for extra in ([0], [2, 2], [], [0, 7], [2])]
    W0, (Ws, bs), (Wd, bd) = run_both(LazyAdam(lr=0.01, catch_up=catch_up), Adam(lr=0.01), steps)
    np.testing.assert_allclose(Ws[always], Wd[always], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(bs, bd, rtol=1e-12)  # dense parameters: plain Adam
    never = [3, 5, 6, 8, 10, 11]  # rows never touched stay put in both
    assert np.array_equal(Ws[never], W0[never]) and np.array_equal(Wd[never], W0[never])
    # row 7 was touched on step 4 only: dense Adam keeps moving it on step 5, LazyAdam defers
    # that drift (catch_up) or drops it (plain lazy Adam)
    assert not np.allclose(Ws[7], Wd[7])


def _random_sparse_run(opt, steps=3000, vocab=500, touched=20, seed=1):
    rng = np.random.default_rng(seed)
    W = np.random.default_rng(0).standard_normal((vocab, H))
    W0 = W.copy()
    for _ in range(steps):
        rows = rng.integers(0, vocab, touched)
        g = SparseGrad(rows, rng.standard_normal((touched, H)), (vocab, H))
        opt.update([W], [g if isinstance(opt, LazyAdam) else g.to_dense()])
    return W0, W


def test_lazy_adam_catch_up_follows_dense_adam_on_skipped_rows():
    """Rows skipped for ~25 steps at a time: the deferred drift reproduces dense Adam closely."""
    W0, dense = _random_sparse_run(Adam(lr=0.01))
    lazy_opt = LazyAdam(lr=0.01)
    _, lazy = _random_sparse_run(lazy_opt)
    before_flush = lazy.copy()
    lazy_opt.flush([lazy])
    assert not np.array_equal(before_flush, lazy)  # pending drift applied
    _, plain = _random_sparse_run(LazyAdam(lr=0.01, catch_up=False))

    def rel(a):
        return np.linalg.norm(a - dense) / np.linalg.norm(dense - W0)

    assert rel(lazy) < 0.01  # shared step size per gap: small, documented approximation
    assert rel(plain) > 10 * rel(lazy)
    flushed = lazy.copy()
    lazy_opt.flush([lazy])  # idempotent: nothing left to apply
    np.testing.assert_array_equal(lazy, flushed)


def test_lazy_adam_coalesces_duplicates():
    """Two entries for one row must act as their sum (not as two separate Adam steps)."""
    g = SparseGrad(np.array([2, 2]), np.array([[1.0, -1.0], [0.5, 3.0]]), (3, 2))
    a, b = np.zeros((3, 2)), np.zeros((3, 2))
    LazyAdam(lr=0.1).update([a], [g])
    Adam(lr=0.1).update([b], [g.to_dense()])
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_clip_grads_sparse_norm_counts_duplicates():
    g = SparseGrad(np.array([0, 0]), np.array([[3.0, 0.0], [0.0, 0.0]]), (2, 2))
    d = np.array([4.0, 0.0])
    dup = SparseGrad(np.array([0, 0]), np.array([[1.5, 0.0], [1.5, 0.0]]), (2, 2))
    out = clip_grads([dup, d], max_norm=1.0)  # true norm sqrt(3^2 + 4^2) = 5
    np.testing.assert_allclose(out[0].to_dense(), g.to_dense() / 5, rtol=1e-6)
    np.testing.assert_allclose(out[1], d / 5, rtol=1e-6)
    small = [np.array([0.3, 0.4])]
    assert np.array_equal(clip_grads(small, max_norm=1.0)[0], small[0])


def test_make_optimizer_names():
    assert isinstance(make_optimizer("adam", 0.001), LazyAdam)
    assert type(make_optimizer("dense_adam", 0.001)) is Adam
    assert make_optimizer("sgd", 0.5).lr == 0.5
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("rmsprop", 0.1)
