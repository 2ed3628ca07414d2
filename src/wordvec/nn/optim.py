"""Optimizers: `update(params, grads)` changes each parameter in place from its gradient.

Gradients are dense arrays or `SparseGrad` (embedding tables). SGD and AdaGrad update only the
touched rows of a sparse gradient and give exactly the dense result. `Momentum` and `Adam` follow
the book: a sparse gradient is made dense and every row moves each step (O(V x H)).
`LazyAdam` is the fast default for embeddings: each step touches only the rows of this step's
gradient, and the drift dense Adam would have given a row while it was skipped is applied when
the row comes back (see its docstring); it equals Adam exactly on rows touched every step.
"""

from __future__ import annotations

import numpy as np

from wordvec.errors import TrainingError
from wordvec.nn.sparse import SparseGrad


def _dense(g) -> np.ndarray:
    return g.to_dense() if isinstance(g, SparseGrad) else g


class _Stateful:
    """`state_dict()` / `load_state_dict()` for an optimizer: hyperparameters, step count and the
    per-parameter arrays (moments), as a flat dict of numpy arrays (`"m.0"`, `"m.1"`, ...) and
    JSON-safe scalars; no pickling. Loading into an optimizer of another class is refused."""

    #: hyperparameters saved and restored (the learning rate included)
    _scalars: tuple[str, ...] = ("lr",)
    #: attributes holding one array per parameter (None before the first update)
    _arrays: tuple[str, ...] = ()

    def state_dict(self) -> dict:
        state: dict = {"type": type(self).__name__}
        for name in self._scalars:
            value = getattr(self, name)
            state[name] = value if isinstance(value, (bool, int)) else float(value)
        for name in self._arrays:
            for i, array in enumerate(getattr(self, name) or ()):
                state[f"{name}.{i}"] = array.copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        if state.get("type") != type(self).__name__:
            raise TrainingError(f"optimizer state is for {state.get('type')!r}, not {type(self).__name__}")
        for name in self._scalars:
            setattr(self, name, type(getattr(self, name))(state[name]))
        for name in self._arrays:
            arrays = []
            while f"{name}.{len(arrays)}" in state:
                arrays.append(np.array(state[f"{name}.{len(arrays)}"]))
            setattr(self, name, arrays or None)


class SGD(_Stateful):
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


class Momentum(_Stateful):
    """v = momentum * v - lr * g; p += v (dense, as the book)."""

    _scalars = ("lr", "momentum")
    _arrays = ("v",)

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


class AdaGrad(_Stateful):
    """h += g * g; p -= lr * g / (sqrt(h) + eps); sparse gradients update only their rows (exact)."""

    _scalars = ("lr", "eps")
    _arrays = ("h",)

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


class Adam(_Stateful):
    """The book's Adam (Kingma & Ba, eps outside the sqrt): every row of every parameter each step."""

    _scalars = ("lr", "beta1", "beta2", "eps", "iter")
    _arrays = ("m", "v")

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
    """Adam whose work on a `SparseGrad` is proportional to the touched rows, not the table.

    Dense Adam keeps moving a row after its last gradient: its moments decay (m by beta1, v by
    beta2 per step) and each step still applies lr_t * m / (sqrt(v) + eps). With
    `catch_up=True` (default) that drift is applied in one go the next time the row is touched
    (and for all rows by `flush()`, which `Trainer.fit` calls at the end): k skipped steps move
    the row by lr_s * m / (sqrt(v) + eps) * sum_{j=1..k} (beta1 / sqrt(beta2))**j and decay the
    moments by beta1**k and beta2**k. This is dense Adam's trajectory except that the skipped
    steps share one step size (that of the step min(k, 6) into the gap, near the weighted middle
    of the decaying drift) and eps is scaled with sqrt(v); on rows touched every step it is exact. `catch_up=False` is the plain lazy Adam of
    TensorFlow/PyTorch's SparseAdam: skipped rows stay frozen, which learns rare words more slowly
    (PTB CBOW epoch-1 loss about 0.05 higher). Dense gradients get ordinary Adam.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7,
                 catch_up: bool = True) -> None:
        super().__init__(lr, beta1, beta2, eps)
        self.catch_up = catch_up
        self.last: list[np.ndarray] | None = None  # per row: step of its last update
        self._scratch: dict = {}

    _scalars = Adam._scalars + ("catch_up",)
    _arrays = ("m", "v", "last")

    #: powers are read from tables up to this many steps; beyond it they have reached their limit
    #: (beta1**k and the drift sum converge within ~1,000 steps, beta2**k and lr_s within ~2**17)
    TABLE_STEPS = 2**17
    #: rows updated per pass group: small enough that the scratch arrays stay in L2 cache
    CHUNK_ROWS = 1024

    def _init_state(self, params: list) -> None:
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.last = [np.zeros(p.shape[0], dtype=np.int64) for p in params]
        self._init_tables()

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if (self.m is None) != (self.last is None):
            raise TrainingError("LazyAdam state needs both moments and last-update steps")
        if self.m is not None:
            self._init_tables()

    def _init_tables(self) -> None:
        """Powers of beta1/beta2, the drift sums and the per-step sizes, read by `_drift`."""
        b1, b2 = self.beta1, self.beta2
        k = np.arange(self.TABLE_STEPS + 1, dtype=np.float64)
        r = b1 / np.sqrt(b2)
        with np.errstate(under="ignore"):
            self._b1_pow = b1**k
            self._b2_pow = b2**k
            self._drift_sum = r * (1.0 - r**k) / (1.0 - r)  # sum_{j=1..k} r**j
        s = np.maximum(k, 1.0)
        self._lr_of_step = self.lr * np.sqrt(1.0 - b2**s) / (1.0 - b1**s)
        self._table_lr = self.lr

    def _drift(self, last_rows: np.ndarray, skipped: np.ndarray, dtype) -> tuple[np.ndarray, ...]:
        """Per-row (total step size, m decay, v decay) for `skipped` steps after `last_rows`."""
        if self._table_lr != self.lr:  # lr changed by the user: rebuild the step-size table
            self._table_lr, self._lr_of_step = self.lr, self._lr_of_step * (self.lr / self._table_lr)
        cap = self.TABLE_STEPS
        k = np.minimum(skipped, cap)
        first = np.minimum(last_rows + 1 + np.minimum(skipped - 1, 5), cap)  # early in the gap
        move = self._lr_of_step[first] * self._drift_sum[k]
        return (move.astype(dtype)[:, None], self._b1_pow[k].astype(dtype)[:, None],
                self._b2_pow[k].astype(dtype)[:, None])

    def _buffers(self, n_rows: int, like: np.ndarray) -> list[np.ndarray]:
        """Four reusable (n_rows, H) scratch arrays: no large temporaries allocated per step."""
        shape = (n_rows,) + like.shape[1:]
        key = (like.dtype, like.shape[1:])
        buf = self._scratch.get(key)
        if buf is None or buf.shape[1] < n_rows:
            buf = np.empty((4, max(n_rows, 1024)) + like.shape[1:], dtype=like.dtype)
            self._scratch[key] = buf
        return [buf[i, :n_rows].reshape(shape) for i in range(4)]

    def update(self, params: list, grads: list) -> None:
        if self.m is None:
            self._init_state(params)
        lr_t = self._step_size()
        b1, b2, eps = self.beta1, self.beta2, self.eps
        for p, g, m, v, last in zip(params, grads, self.m, self.v, self.last):
            if not isinstance(g, SparseGrad):
                m += (1 - b1) * (g - m)
                v += (1 - b2) * (g * g - v)
                p -= lr_t * m / (np.sqrt(v) + eps)
                last[:] = self.iter
                continue
            g = g.coalesce()
            chunk = self.CHUNK_ROWS
            for lo in range(0, len(g.rows), chunk):  # chunks stay in cache across the passes
                self._update_rows(p, m, v, last, g.rows[lo : lo + chunk], g.values[lo : lo + chunk], lr_t)

    def _update_rows(self, p, m, v, last, rows, gv, lr_t: float) -> None:
        """One Adam step (plus pending drift) on `rows` of p with their summed gradient `gv`."""
        b1, b2, eps = self.beta1, self.beta2, self.eps
        mr, vr, work, drift = self._buffers(len(rows), p)
        np.take(m, rows, axis=0, out=mr)
        np.take(v, rows, axis=0, out=vr)
        m_keep, v_keep, has_drift = b1, b2, False
        if self.catch_up:
            last_rows = last[rows]
            skipped = self.iter - 1 - last_rows
            if skipped.any():
                move, m_decay, v_decay = self._drift(last_rows, skipped, p.dtype)
                np.sqrt(vr, out=drift)
                drift += eps
                np.divide(mr, drift, out=drift)
                drift *= move
                m_keep, v_keep, has_drift = m_decay * b1, v_decay * b2, True
            last[rows] = self.iter
        # m = keep * m + (1 - b1) g, with keep = b1 (times the skipped steps' decay); v alike
        mr *= m_keep
        np.multiply(gv, 1 - b1, out=work)
        mr += work
        m[rows] = mr
        np.square(gv, out=work)
        work *= 1 - b2
        vr *= v_keep
        vr += work
        v[rows] = vr
        step = np.sqrt(vr, out=vr)
        step += eps
        np.divide(mr, step, out=step)
        step *= lr_t
        if has_drift:
            step += drift
        np.take(p, rows, axis=0, out=work)
        work -= step
        p[rows] = work

    def flush(self, params: list) -> None:
        """Apply the pending drift of every row up to the current step (before using the weights)."""
        if not self.catch_up or self.m is None:
            return
        for p, m, v, last in zip(params, self.m, self.v, self.last):
            skipped = self.iter - last
            rows = np.flatnonzero(skipped > 0)
            if len(rows) == 0:
                continue
            move, m_decay, v_decay = self._drift(last[rows], skipped[rows], p.dtype)
            mr, vr = m[rows], v[rows]
            p[rows] -= move * mr / (np.sqrt(vr) + self.eps)
            m[rows] = mr * m_decay
            v[rows] = vr * v_decay
            last[:] = self.iter


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": LazyAdam, "dense_adam": Adam}


def make_optimizer(name: str, lr: float):
    """Optimizer by name (`adam` is the sparse-aware LazyAdam, `dense_adam` the book's)."""
    try:
        return OPTIMIZERS[name](lr=lr)
    except KeyError:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}") from None
