"""Optimizers: `update(params, grads)` changes each parameter in place from its gradient.

Gradients are dense arrays or `SparseGrad` (embedding tables). SGD and AdaGrad update only the
touched rows of a sparse gradient and give exactly the dense result. `Momentum` and `Adam` follow
the book: a sparse gradient is made dense and every row moves each step (O(V x H)).
`LazyAdam` is the fast default for embeddings: moments and weights change only on the rows of
this step's gradient, with the bias correction of the global step count (the approach of
TensorFlow's LazyAdam / PyTorch's SparseAdam). On rows that get a gradient every step it equals
Adam exactly; a row skipped for a while keeps its moments frozen instead of decaying them and does
not keep drifting along its old momentum, which on word2vec makes no measurable difference.
"""

from __future__ import annotations

import numpy as np

from wordvec.nn.sparse import SparseGrad


def _dense(g) -> np.ndarray:
    return g.to_dense() if isinstance(g, SparseGrad) else g


class SGD:
    """p -= lr * g."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: list, grads: list) -> None:
        for p, g in zip(params, grads):
            if isinstance(g, SparseGrad):
                g = g.coalesce()
                p[g.rows] -= self.lr * g.values
            else:
                p -= self.lr * g


class Momentum:
    """v = momentum * v - lr * g; p += v (dense, as the book)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: list[np.ndarray] | None = None

    def update(self, params: list, grads: list) -> None:
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v *= self.momentum
            v -= self.lr * _dense(g)
            p += v


class AdaGrad:
    """h += g * g; p -= lr * g / (sqrt(h) + eps); sparse gradients update only their rows (exact)."""

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        self.lr, self.eps = lr, eps
        self.h: list[np.ndarray] | None = None

    def update(self, params: list, grads: list) -> None:
        if self.h is None:
            self.h = [np.zeros_like(p) for p in params]
        for p, g, h in zip(params, grads, self.h):
            if isinstance(g, SparseGrad):
                g = g.coalesce()
                hr = h[g.rows] + g.values * g.values
                h[g.rows] = hr
                p[g.rows] -= self.lr * g.values / (np.sqrt(hr) + self.eps)
            else:
                h += g * g
                p -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam:
    """The book's Adam (Kingma & Ba, eps outside the sqrt): every row of every parameter each step."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def _step_size(self) -> float:
        self.iter += 1
        return float(self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter))

    def update(self, params: list, grads: list) -> None:
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        lr_t = self._step_size()
        for p, g, m, v in zip(params, grads, self.m, self.v):
            g = _dense(g)
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            p -= lr_t * m / (np.sqrt(v) + self.eps)


class LazyAdam(Adam):
    """Adam that, for a `SparseGrad`, updates moments and weights of the touched rows only."""

    def update(self, params: list, grads: list) -> None:
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        lr_t = self._step_size()
        b1, b2 = self.beta1, self.beta2
        for p, g, m, v in zip(params, grads, self.m, self.v):
            if not isinstance(g, SparseGrad):
                m += (1 - b1) * (g - m)
                v += (1 - b2) * (g * g - v)
                p -= lr_t * m / (np.sqrt(v) + self.eps)
                continue
            g = g.coalesce()
            rows, gv = g.rows, g.values
            mr = m[rows]
            mr += (1 - b1) * (gv - mr)
            m[rows] = mr
            vr = v[rows]
            vr += (1 - b2) * (gv * gv - vr)
            v[rows] = vr
            step = np.sqrt(vr, out=vr)
            step += self.eps
            np.divide(mr, step, out=step)
            step *= lr_t
            p[rows] -= step


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": LazyAdam, "dense_adam": Adam}


def make_optimizer(name: str, lr: float):
    """Optimizer by name (`adam` is the sparse-aware LazyAdam, `dense_adam` the book's)."""
    try:
        return OPTIMIZERS[name](lr=lr)
    except KeyError:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}") from None
