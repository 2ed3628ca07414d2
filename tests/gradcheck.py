"""Shared test helpers: central-difference gradients, dense views of sparse gradients, and a
tolerant comparison of neighbour lists computed two different ways."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from wordvec.nn import SparseGrad


def numerical_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of scalar f() with respect to array x (changed in place)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


class FixedNegatives:
    """Sampler stand-in for the reference engine's negative-sampling loss: every target gets the
    same given negatives, so a fast step can be given exactly the rows a reference step drew."""

    def __init__(self, negatives):
        self.negatives = np.asarray(negatives)

    def get_negative_sample(self, target):
        target = np.asarray(target)
        return np.broadcast_to(self.negatives, target.shape + self.negatives.shape).copy()


def dense(g) -> np.ndarray:
    """A gradient as a dense array, whether it is stored sparse or not."""
    return g.to_dense() if isinstance(g, SparseGrad) else g


def assert_neighbours_match(
    ours: Sequence[tuple[str, float]],
    expected: Sequence[tuple[str, float]],
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Two ranked (word, score) lists from different code paths (BLAS kernels, float32 vs float64,
    block shapes, another library) are the same answer: equal length, scores equal position by
    position within tolerance, and words equal except where near-equal scores may be ordered
    either way. A word missing from `expected` must tie with its last score (the cut-off).

    Exact equality would fail on machines whose SIMD summation order differs by one ulp."""
    ours, expected = list(ours), list(expected)
    assert len(ours) == len(expected), (ours, expected)
    np.testing.assert_allclose([float(s) for _, s in ours], [float(s) for _, s in expected],
                               rtol=rtol, atol=atol, err_msg=f"scores differ:\n{ours}\n{expected}")
    reference = {word: float(score) for word, score in expected}
    for (word, score), (other_word, _) in zip(ours, expected):
        if word == other_word:
            continue
        tie = reference.get(word, float(expected[-1][1]))
        assert abs(tie - float(score)) <= atol + rtol * abs(tie), (
            f"{word!r} ranked where {other_word!r} was expected, and not a near-tie:\n{ours}\n{expected}")
