"""Shared test helpers: central-difference gradients and dense views of sparse gradients."""

from __future__ import annotations

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


def dense(g) -> np.ndarray:
    """A gradient as a dense array, whether it is stored sparse or not."""
    return g.to_dense() if isinstance(g, SparseGrad) else g
