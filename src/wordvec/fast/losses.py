"""Output layers of the fast engine behind one interface (like fastText's Loss classes).

A loss strategy owns its tables (noise alias table or Huffman tree), says how many output rows it
needs, and hands the driver the specialised chunk kernel for a model plus the extra arguments that
kernel takes. Adding a loss means adding a class here and its kernels; the driver does not change.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from wordvec.errors import TrainingError
from wordvec.fast import kernels
from wordvec.fast.tables import AliasTable, HuffmanTree


class LossStrategy(Protocol):
    name: str

    def output_rows(self, vocab_size: int) -> int:
        """Rows of the output matrix this loss trains."""

    def kernel(self, model: str) -> Callable:
        """The chunk kernel for `model` ("skipgram" or "cbow")."""

    def kernel_args(self) -> tuple:
        """Arguments appended after the common ones in every kernel call."""

    def hot_output_rows(self, n: int) -> np.ndarray:
        """The (up to) n output rows touched most often, for thread-private copies."""


class NegativeSampling:
    """Binary logistic loss on the true word and `negative` words drawn from counts**0.75."""

    name = "ns"
    _KERNELS = {"skipgram": kernels.sg_ns_chunk, "cbow": kernels.cbow_ns_chunk}

    def __init__(self, counts: np.ndarray, negative: int, power: float = 0.75):
        self.negative = int(negative)
        self.weights = np.maximum(np.asarray(counts, dtype=np.float64), 0) ** power
        self.table = AliasTable.from_weights(self.weights)

    def output_rows(self, vocab_size: int) -> int:
        return vocab_size

    def kernel(self, model: str) -> Callable:
        return self._KERNELS[model]

    def kernel_args(self) -> tuple:
        return (self.table.prob, self.table.alias, self.negative)

    def hot_output_rows(self, n: int) -> np.ndarray:
        # every window draws `negative` noise words: the noise distribution dominates the use
        return np.argsort(-self.weights, kind="stable")[:n].astype(np.int32)


class HierarchicalSoftmax:
    """Binary decisions along the target word's path in a Huffman tree of the counts."""

    name = "hs"
    _KERNELS = {"skipgram": kernels.sg_hs_chunk, "cbow": kernels.cbow_hs_chunk}

    def __init__(self, counts: np.ndarray):
        self.tree = HuffmanTree.from_counts(np.maximum(np.asarray(counts), 0))

    def output_rows(self, vocab_size: int) -> int:
        return max(vocab_size - 1, 1)

    def kernel(self, model: str) -> Callable:
        return self._KERNELS[model]

    def kernel_args(self) -> tuple:
        return (self.tree.codes, self.tree.points, self.tree.offsets)

    def hot_output_rows(self, n: int) -> np.ndarray:
        # inner nodes are numbered in merge order: the last ones are the root and its neighbours,
        # which lie on almost every path
        inner = self.tree.n_inner
        return np.arange(inner - 1, max(inner - n, 0) - 1, -1, dtype=np.int32)


def make_loss(loss: str, counts: np.ndarray, negative: int) -> LossStrategy:
    """The strategy for a config's `loss` option."""
    if loss == "ns":
        return NegativeSampling(counts, negative)
    if loss == "hs":
        return HierarchicalSoftmax(counts)
    raise TrainingError(f"the fast engine supports loss 'ns' or 'hs', not {loss!r}")
