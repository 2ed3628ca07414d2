"""Negative sampling (chapter 4): a unigram^0.75 sampler and the 1 + k binary-classification loss."""

from __future__ import annotations

import numpy as np

from wordvec.errors import TrainingError
from wordvec.nn.layers import EmbeddingDot
from wordvec.nn.losses import SigmoidWithLoss
from wordvec.nn.sparse import merge_grads


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: draw i uniform, keep it with chance prob[i], else take alias[i].

    Makes each draw O(1) (two lookups) instead of a binary search over the cumulative sums.
    """
    n = len(p)
    scaled = np.asarray(p, dtype=np.float64) * n
    prob = np.ones(n)
    alias = np.arange(n)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    while small and large:
        s, g = small.pop(), large[-1]
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        if scaled[g] < 1.0:
            small.append(large.pop())
    return prob, alias  # leftovers (rounding) keep prob 1, alias to themselves


class UnigramSampler:
    """Draws negatives with P(w) proportional to count(w) ** power, for a whole batch at once.

    Draws are with replacement (as the word2vec C tool; the book draws k distinct words per row,
    which is rarely different on a real vocabulary) through an alias table. A negative never
    equals its own target: collisions are redrawn, vectorised, until none is left.
    """

    def __init__(self, counts: np.ndarray, power: float = 0.75, sample_size: int = 5, seed=None) -> None:
        counts = np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or len(counts) == 0 or np.any(counts < 0):
            raise TrainingError("word counts must be a non-empty 1-D array of non-negative numbers")
        weights = counts**power
        if np.count_nonzero(weights) < 2:
            raise TrainingError("negative sampling needs at least two words with a non-zero count")
        self.vocab_size = len(counts)
        self.sample_size = sample_size
        self.word_p = weights / weights.sum()
        self._prob, self._alias = alias_table(self.word_p)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def draw(self, size) -> np.ndarray:
        """Ids drawn from the unigram distribution, shaped `size`."""
        u = self.rng.random(size) * self.vocab_size
        i = np.minimum(u.astype(np.intp), self.vocab_size - 1)
        u -= i
        return np.where(u < self._prob[i], i, self._alias[i])

    def get_negative_sample(self, target: np.ndarray) -> np.ndarray:
        """Negatives shaped target.shape + (sample_size,), none equal to its own target."""
        target = np.asarray(target)
        negatives = self.draw(target.shape + (self.sample_size,))
        bad = np.flatnonzero(negatives == target[..., None])
        if len(bad):
            flat = negatives.reshape(-1)
            flat_target = target.reshape(-1)
            while len(bad):
                flat[bad] = self.draw(len(bad))
                bad = bad[flat[bad] == flat_target[bad // self.sample_size]]
        return negatives


class NegativeSamplingLoss:
    """Loss of scoring the true word high and `sample_size` sampled words low against h.

    forward(h, target) returns the book's loss: the batch-mean binary cross-entropy of the
    positive plus that of each negative. `target` may be (N,) or (N, C) (C true words per row of h,
    as skip-gram's window). `batched=True` scores target and negatives with one EmbeddingDot on a
    (N, C*(1+k)) id array; `batched=False` uses the book's list of 1 + k EmbeddingDot layers.
    """

    def __init__(
        self,
        W: np.ndarray,
        counts: np.ndarray,
        power: float = 0.75,
        sample_size: int = 5,
        *,
        sampler: UnigramSampler | None = None,
        seed=None,
        sparse: bool = True,
        batched: bool = True,
    ) -> None:
        self.sample_size = sample_size
        self.sampler = sampler if sampler is not None else UnigramSampler(counts, power, sample_size, seed)
        self.batched = batched
        n_layers = 1 if batched else sample_size + 1
        self.embed_dot_layers = [EmbeddingDot(W, sparse=sparse) for _ in range(n_layers)]
        self.loss_layers = [SigmoidWithLoss() for _ in range(n_layers)]
        self.params = [W]
        self.negatives: np.ndarray | None = None

    @property
    def grads(self) -> list:
        return [merge_grads([layer.grads[0] for layer in self.embed_dot_layers])]

    def forward(self, h: np.ndarray, target: np.ndarray) -> float:
        target = np.asarray(target)
        self.negatives = negatives = self.sampler.get_negative_sample(target)
        if self.batched:
            ids = np.concatenate([target[..., None], negatives], axis=-1).reshape(len(h), -1)
            labels = np.zeros(ids.shape, dtype=h.dtype)
            labels.reshape(len(h), -1, negatives.shape[-1] + 1)[:, :, 0] = 1  # target first
            score = self.embed_dot_layers[0].forward(h, ids)
            return self.loss_layers[0].forward(score, labels)
        if target.ndim != 1:
            raise ValueError("the layer-per-word form takes one target per row")
        n = len(target)
        loss = self.loss_layers[0].forward(self.embed_dot_layers[0].forward(h, target), np.ones(n, h.dtype))
        for i in range(self.sample_size):
            score = self.embed_dot_layers[i + 1].forward(h, negatives[:, i])
            loss += self.loss_layers[i + 1].forward(score, np.zeros(n, h.dtype))
        return loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dh = None
        for dot, loss_layer in zip(self.embed_dot_layers, self.loss_layers):
            d = dot.backward(loss_layer.backward(dout))
            dh = d if dh is None else dh + d
        return dh
