"""Loss layers: the last layer of a network, forward(x, t) -> scalar loss, backward(dout=1)."""

from __future__ import annotations

import numpy as np

from wordvec.nn.functions import labels_from, log_softmax, sigmoid, sigmoid_cross_entropy


class SoftmaxWithLoss:
    """Softmax + cross-entropy, mean over rows; `t` holds class ids or one-hot rows."""

    def __init__(self) -> None:
        self.params, self.grads = [], []
        self.y: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.labels = labels_from(t, x.shape).reshape(-1)
        logp = log_softmax(x.reshape(-1, x.shape[-1]))
        self.y = np.exp(logp).reshape(x.shape)
        return float(-logp[np.arange(len(self.labels)), self.labels].mean())

    def backward(self, dout: float = 1.0) -> np.ndarray:
        n = len(self.labels)
        dx = self.y.reshape(n, -1).copy()
        dx[np.arange(n), self.labels] -= 1
        return (dx * (dout / n)).reshape(self.y.shape)


class SigmoidWithLoss:
    """Sigmoid + binary cross-entropy; the sum over all elements divided by the rows (axis 0).

    For 1-D scores this is the book's mean over the batch; for (N, K) scores it equals the sum of
    K separate book layers, which is how negative sampling adds up its 1 + k losses.
    """

    def __init__(self) -> None:
        self.params, self.grads = [], []
        self.cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        t = np.asarray(t, dtype=x.dtype)
        self.cache = (x, t)
        return float(sigmoid_cross_entropy(x, t).sum() / x.shape[0])

    def backward(self, dout: float = 1.0) -> np.ndarray:
        x, t = self.cache
        return (sigmoid(x) - t) * (dout / x.shape[0])
