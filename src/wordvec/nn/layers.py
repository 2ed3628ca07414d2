"""The book's layers: each has `params` and `grads` (aligned lists), `forward` and `backward`.

`backward` stores the parameter gradients in `grads` and returns the gradient of the input.
Embedding tables get row-sparse gradients (`SparseGrad`) by default so a step costs
O(batch x hidden); pass `sparse=False` for the book's dense V x H gradient.
Embedding and EmbeddingDot also accept 2-D id arrays: that is the batched form of several
layers sharing one table (a CBOW window, or the target plus k negatives) in one NumPy op.
"""

from __future__ import annotations

import numpy as np

from wordvec.nn.functions import sigmoid, softmax
from wordvec.nn.sparse import SparseGrad, outer_rows_grad, scatter_add


class MatMul:
    """y = x @ W (no bias); x may have leading batch axes."""

    def __init__(self, W: np.ndarray) -> None:
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.params[0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (W,) = self.params
        x2 = self.x.reshape(-1, W.shape[0])
        self.grads[0][...] = x2.T @ dout.reshape(-1, W.shape[1])
        return dout @ W.T


class Affine:
    """y = x @ W + b."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        W, b = self.params
        return x @ W + b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        W, _ = self.params
        d2 = dout.reshape(-1, W.shape[1])
        self.grads[0][...] = self.x.reshape(-1, W.shape[0]).T @ d2
        self.grads[1][...] = d2.sum(axis=0)
        return dout @ W.T


class Sigmoid:
    """Elementwise logistic function."""

    def __init__(self) -> None:
        self.params, self.grads = [], []
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)


class ReLU:
    """Elementwise max(x, 0)."""

    def __init__(self) -> None:
        self.params, self.grads = [], []
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.where(self.mask, x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self.mask, dout, 0)


class Softmax:
    """Softmax over the last axis."""

    def __init__(self) -> None:
        self.params, self.grads = [], []
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = softmax(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self.out
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))


class Embedding:
    """Row lookup W[idx] for ids of any shape; equivalent to a MatMul with one-hot input.

    Repeated ids are handled: their gradient rows add up (in `SparseGrad` they are kept as
    separate entries and summed when coalesced; the dense form sums them by sorting).
    """

    def __init__(self, W: np.ndarray, sparse: bool = True) -> None:
        self.params = [W]
        self.sparse = sparse
        self.grads: list = [SparseGrad.empty(W.shape, W.dtype) if sparse else np.zeros_like(W)]
        self.idx: np.ndarray | None = None

    def forward(self, idx: np.ndarray) -> np.ndarray:
        self.idx = np.asarray(idx)
        return self.params[0][self.idx]

    def backward(self, dout: np.ndarray) -> None:
        W = self.params[0]
        rows = self.idx.reshape(-1)
        values = np.ascontiguousarray(dout, dtype=W.dtype).reshape(len(rows), W.shape[1])
        if self.sparse:
            self.grads[0] = SparseGrad(rows, values, W.shape)
        else:
            dW = self.grads[0]
            dW[...] = 0
            scatter_add(dW, rows, values)
        return None


class EmbeddingMean:
    """Mean of the rows W[idx[n, :]] for each n: the batched form of a CBOW window's C Embedding
    layers and their average, with the table gradient built coalesced in one sparse product."""

    def __init__(self, W: np.ndarray, sparse: bool = True) -> None:
        self.params = [W]
        self.sparse = sparse
        self.grads: list = [SparseGrad.empty(W.shape, W.dtype) if sparse else np.zeros_like(W)]
        self.idx: np.ndarray | None = None

    def forward(self, idx: np.ndarray) -> np.ndarray:
        self.idx = np.asarray(idx)
        return self.params[0][self.idx].mean(axis=1)

    def backward(self, dout: np.ndarray) -> None:
        W = self.params[0]
        n, c = self.idx.shape
        weights = np.full((n, c), 1.0 / c, dtype=W.dtype)
        grad = outer_rows_grad(self.idx, weights, np.asarray(dout, dtype=W.dtype), W.shape)
        if self.sparse:
            self.grads[0] = grad
        else:
            self.grads[0][...] = grad.to_dense()
        return None



class RaggedEmbeddingMean:
    """The subword model's input layer: each item's hidden vector is the mean of a variable number
    of rows of W (fastText's `computeHidden`).

    Word w owns the rows `rows[offsets[w]:offsets[w + 1]]` of W (its own row and its n-gram rows;
    `wordvec.subwords.NgramTable`). `forward(idx)` takes word ids of shape (N,) (skip-gram: one
    word per item) or (N, C) (CBOW: the window's words, all their rows pooled into one mean).
    `backward` gives each pooled row `dout / (number of rows pooled)`, the true gradient of the
    mean (the fast engine's SGD passes the undivided gradient to each row instead, as fastText
    does; the cross-check tests scale for it). With one row per word (`rows = offsets[:-1] =
    arange(V)`) it is `Embedding` for (N,) ids and `EmbeddingMean` for (N, C).
    """

    def __init__(self, W: np.ndarray, offsets: np.ndarray, rows: np.ndarray, sparse: bool = True) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        if offsets.ndim != 1 or len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != len(rows) \
                or np.any(np.diff(offsets) < 1):
            raise ValueError("offsets must rise from 0 to len(rows), each word owning at least one row")
        if len(rows) and (rows.min() < 0 or rows.max() >= W.shape[0]):
            raise ValueError(f"rows must lie in [0, {W.shape[0]})")
        self.embed = Embedding(W, sparse=sparse)  # the pooled rows' lookup and their gradient
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.sparse = sparse
        self.offsets, self.rows = offsets, rows
        self.cache: tuple[np.ndarray, np.ndarray] | None = None

    def _gather(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item of each pooled row, the row, rows pooled per item) for word ids `idx`."""
        idx = np.asarray(idx)
        n = idx.shape[0]
        words = idx.reshape(n, -1)
        flat = words.reshape(-1)
        if len(flat) and (flat.min() < 0 or flat.max() >= len(self.offsets) - 1):
            raise ValueError(f"word ids must lie in [0, {len(self.offsets) - 1})")
        sizes = self.offsets[flat + 1] - self.offsets[flat]
        first = np.repeat(self.offsets[flat] - (np.cumsum(sizes) - sizes), sizes)
        pooled = self.rows[first + np.arange(int(sizes.sum()))]
        item = np.repeat(np.repeat(np.arange(n), words.shape[1]), sizes)
        return item, pooled, np.bincount(item, minlength=n)

    def forward(self, idx: np.ndarray) -> np.ndarray:
        W = self.params[0]
        item, pooled, per_item = self._gather(idx)
        h = np.zeros((len(per_item), W.shape[1]), dtype=W.dtype)
        np.add.at(h, item, self.embed.forward(pooled))
        h /= per_item[:, None].astype(W.dtype)
        self.cache = (item, per_item)
        return h

    def backward(self, dout: np.ndarray) -> None:
        item, per_item = self.cache
        dtype = self.params[0].dtype
        self.embed.backward((np.asarray(dout, dtype=dtype) / per_item[:, None].astype(dtype))[item])
        return None

class EmbeddingDot:
    """Score of each hidden row against selected rows of W: out[n, ...] = W[idx[n, ...]] . h[n].

    `idx` of shape (N,) gives the book's layer; (N, K) scores K rows per example at once.
    """

    def __init__(self, W: np.ndarray, sparse: bool = True) -> None:
        self.embed = Embedding(W, sparse=sparse)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, h: np.ndarray, idx: np.ndarray) -> np.ndarray:
        target_W = self.embed.forward(idx)
        if target_W.ndim == 2:
            out = np.einsum("nh,nh->n", target_W, h)
        else:
            out = np.matmul(target_W, h[:, :, None])[:, :, 0]
        self.cache = (h, target_W)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        h, target_W = self.cache
        if target_W.ndim == 2:
            dh = dout[:, None] * target_W
        else:
            dh = np.matmul(dout[:, None, :], target_W)[:, 0, :]
        if self.embed.sparse:  # the coalesced table gradient straight from (ids, dout, h)
            self.grads[0] = self.embed.grads[0] = outer_rows_grad(
                self.embed.idx, dout, h, self.params[0].shape
            )
        else:
            douts = dout[:, None] * h if target_W.ndim == 2 else dout[:, :, None] * h[:, None, :]
            self.embed.backward(douts)
            self.grads[0] = self.embed.grads[0]
        return dh
