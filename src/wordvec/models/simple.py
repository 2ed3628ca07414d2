"""Chapter 3: CBOW and skip-gram with a full softmax over the vocabulary, built from MatMul layers.

Inputs are one-hot (as in the book) or plain ids, which are one-hot encoded here. Only for toy
corpora: every step costs O(V x H).
"""

from __future__ import annotations

import numpy as np

from wordvec.models.data import convert_one_hot
from wordvec.nn.layers import MatMul
from wordvec.nn.losses import SoftmaxWithLoss


def _one_hot(x: np.ndarray, vocab_size: int, id_ndim: int) -> np.ndarray:
    x = np.asarray(x)
    return convert_one_hot(x, vocab_size) if x.ndim == id_ndim else x


class SimpleCBOW:
    """Mean of the context words' W_in rows, then scores over the vocabulary (W_out) and softmax."""

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int = 1, *, seed=None, dtype=np.float32) -> None:
        rng = np.random.default_rng(seed)
        V, H = vocab_size, hidden_size
        W_in = (0.01 * rng.standard_normal((V, H))).astype(dtype)
        W_out = (0.01 * rng.standard_normal((H, V))).astype(dtype)
        self.vocab_size = V
        self.in_layers = [MatMul(W_in) for _ in range(2 * window_size)]
        self.out_layer = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()
        self.params = [W_in, W_out]
        self.word_vecs = W_in

    @property
    def grads(self) -> list:
        return [sum(layer.grads[0] for layer in self.in_layers), self.out_layer.grads[0]]

    def forward(self, contexts: np.ndarray, target: np.ndarray) -> float:
        """contexts: (N, 2w, V) one-hot or (N, 2w) ids; target: (N, V) one-hot or (N,) ids."""
        contexts = _one_hot(contexts, self.vocab_size, 2).astype(self.params[0].dtype)
        h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers))
        h = h / len(self.in_layers)
        score = self.out_layer.forward(h)
        return self.loss_layer.forward(score, target)

    def backward(self, dout: float = 1.0) -> None:
        da = self.out_layer.backward(self.loss_layer.backward(dout)) / len(self.in_layers)
        for layer in self.in_layers:
            layer.backward(da)


class SimpleSkipGram:
    """W_in row of the centre word, scores over the vocabulary, one softmax loss per context slot."""

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int = 1, *, seed=None, dtype=np.float32) -> None:
        rng = np.random.default_rng(seed)
        V, H = vocab_size, hidden_size
        W_in = (0.01 * rng.standard_normal((V, H))).astype(dtype)
        W_out = (0.01 * rng.standard_normal((H, V))).astype(dtype)
        self.vocab_size = V
        self.in_layer = MatMul(W_in)
        self.out_layer = MatMul(W_out)
        self.loss_layers = [SoftmaxWithLoss() for _ in range(2 * window_size)]
        self.params = [W_in, W_out]
        self.word_vecs = W_in

    @property
    def grads(self) -> list:
        return [self.in_layer.grads[0], self.out_layer.grads[0]]

    def forward(self, contexts: np.ndarray, target: np.ndarray) -> float:
        """contexts: (N, 2w, V) one-hot or (N, 2w) ids; target: (N, V) one-hot or (N,) ids."""
        target = _one_hot(target, self.vocab_size, 1).astype(self.params[0].dtype)
        contexts = np.asarray(contexts)
        score = self.out_layer.forward(self.in_layer.forward(target))
        return sum(layer.forward(score, contexts[:, i]) for i, layer in enumerate(self.loss_layers))

    def backward(self, dout: float = 1.0) -> None:
        ds = sum(layer.backward(dout) for layer in self.loss_layers)
        self.in_layer.backward(self.out_layer.backward(ds))
