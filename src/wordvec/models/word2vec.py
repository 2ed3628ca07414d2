"""Chapter 4: CBOW and skip-gram with an Embedding input layer and negative sampling.

`input_rows` (an `InputRows`-like table: `offsets`, `rows`, `n_rows`) gives the subword model:
W_in gets the extra rows (zero at the start) and the input layer is a RaggedEmbeddingMean, so a
word's vector is the mean of its own row and its n-gram rows (fastText's model).

`batched=True` (default) runs the window's Embedding layers and their mean as one EmbeddingMean,
and the 1 + k EmbeddingDot layers as one EmbeddingDot on a 2-D id array; `batched=False` builds
the book's list of layers (same loss and gradients, one NumPy call per layer). Both share one
W_in and one W_out: `params` lists each table once and `grads` sums the gradients of all layers
that use it (row-sparse unless `sparse=False`), the clean form of the book's remove_duplicate.
"""

from __future__ import annotations

import numpy as np

from wordvec.models.negative_sampling import NegativeSamplingLoss, UnigramSampler
from wordvec.nn.layers import Embedding, EmbeddingMean, RaggedEmbeddingMean
from wordvec.nn.sparse import merge_grads


def _init_tables(vocab_size: int, hidden_size: int, rng: np.random.Generator, dtype,
                 input_rows=None) -> tuple[np.ndarray, np.ndarray]:
    """W_in (one row per word, then any extra input rows, e.g. n-grams, starting at zero) and W_out."""
    W_in = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(dtype)
    W_out = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(dtype)
    if input_rows is not None:
        if input_rows.n_rows < vocab_size or len(input_rows.offsets) != vocab_size + 1:
            raise ValueError(f"input_rows must describe {vocab_size} words over at least as many rows")
        W_in = np.concatenate([W_in, np.zeros((input_rows.n_rows - vocab_size, hidden_size), dtype)])
    return W_in, W_out


def _check_window(contexts: np.ndarray, n_layers: int) -> None:
    if contexts.ndim != 2 or contexts.shape[1] != n_layers:
        raise ValueError(f"contexts must have shape (N, {n_layers}) for this model, got {contexts.shape}")


class CBOW:
    """Predict the centre word from the mean of its 2 * window_size context vectors."""

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        window_size: int,
        counts: np.ndarray,
        *,
        sample_size: int = 5,
        power: float = 0.75,
        seed=None,
        sparse: bool = True,
        batched: bool = True,
        dtype=np.float32,
        input_rows=None,
    ) -> None:
        rng = np.random.default_rng(seed)
        W_in, W_out = _init_tables(vocab_size, hidden_size, rng, dtype, input_rows)
        self.batched = batched
        if input_rows is not None:  # the subword model: the mean of all the window's words' rows
            if not batched:
                raise ValueError("input_rows (subwords) needs batched=True: the book's per-position layers "
                                 "would weigh every word alike, not every row")
            self.in_layers: list = [RaggedEmbeddingMean(W_in, input_rows.offsets, input_rows.rows, sparse=sparse)]
        elif batched:  # one layer for the whole window, averaging included
            self.in_layers = [EmbeddingMean(W_in, sparse=sparse)]
        else:  # the book's: one Embedding per context position
            self.in_layers = [Embedding(W_in, sparse=sparse) for _ in range(2 * window_size)]
        self.ns_loss = NegativeSamplingLoss(
            W_out, counts, power, sample_size, seed=rng, sparse=sparse, batched=batched
        )
        self.sampler: UnigramSampler = self.ns_loss.sampler
        self.params = [W_in, W_out]
        self.word_vecs = W_in if input_rows is None else W_in[:vocab_size]  # the words' own rows
        self._n_context = 2 * window_size

    @property
    def grads(self) -> list:
        return [merge_grads([layer.grads[0] for layer in self.in_layers]), self.ns_loss.grads[0]]

    def forward(self, contexts: np.ndarray, target: np.ndarray) -> float:
        """contexts: (N, 2w) ids; target: (N,) ids; returns the batch loss."""
        self._n_context = contexts.shape[1]
        if self.batched:
            h = self.in_layers[0].forward(contexts)
        else:
            _check_window(contexts, len(self.in_layers))
            h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers))
            h = h * (1.0 / len(self.in_layers))
        return self.ns_loss.forward(h, target)

    def backward(self, dout: float = 1.0) -> None:
        dh = self.ns_loss.backward(dout)
        if self.batched:
            self.in_layers[0].backward(dh)
        else:
            dh = dh * (1.0 / self._n_context)
            for layer in self.in_layers:
                layer.backward(dh)


class SkipGram:
    """Predict each of the 2 * window_size context words from the centre word's vector."""

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        window_size: int,
        counts: np.ndarray,
        *,
        sample_size: int = 5,
        power: float = 0.75,
        seed=None,
        sparse: bool = True,
        batched: bool = True,
        dtype=np.float32,
        input_rows=None,
    ) -> None:
        rng = np.random.default_rng(seed)
        W_in, W_out = _init_tables(vocab_size, hidden_size, rng, dtype, input_rows)
        self.batched = batched
        # the subword model: the centre word's vector is the mean of its own and its n-gram rows
        self.in_layer = Embedding(W_in, sparse=sparse) if input_rows is None else \
            RaggedEmbeddingMean(W_in, input_rows.offsets, input_rows.rows, sparse=sparse)
        self.sampler = UnigramSampler(counts, power, sample_size, rng)
        self.loss_layers = [
            NegativeSamplingLoss(W_out, counts, power, sample_size, sampler=self.sampler, sparse=sparse, batched=batched)
            for _ in range(1 if batched else 2 * window_size)
        ]
        self.params = [W_in, W_out]
        self.word_vecs = W_in if input_rows is None else W_in[:vocab_size]  # the words' own rows

    @property
    def grads(self) -> list:
        return [self.in_layer.grads[0], merge_grads([layer.grads[0] for layer in self.loss_layers])]

    def forward(self, contexts: np.ndarray, target: np.ndarray) -> float:
        """contexts: (N, 2w) ids; target: (N,) ids; returns the sum over the window of the losses."""
        h = self.in_layer.forward(target)
        if self.batched:
            return self.loss_layers[0].forward(h, contexts)
        _check_window(contexts, len(self.loss_layers))
        return sum(layer.forward(h, contexts[:, i]) for i, layer in enumerate(self.loss_layers))

    def backward(self, dout: float = 1.0) -> None:
        dh = None
        for layer in self.loss_layers:
            d = layer.backward(dout)
            dh = d if dh is None else dh + d
        self.in_layer.backward(dh)
