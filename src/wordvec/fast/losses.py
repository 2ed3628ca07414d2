"""The fast engine's losses: each one chooses the output rows a group of hidden vectors is scored
against and turns the scores into gradient coefficients (fastText's Loss classes).

The step (`fast.step`) is the same for every loss: scores `F = X W_out[T]^T` for the hidden vectors
X, coefficients `G = lr * dNLL/dF` from the loss, then the input gradient `G W_out[T]` and the
output update `W_out[T] += G^T X`. A loss is therefore a class (its output rows and its tables)
and small compiled pieces:

- `choose_targets`: the output rows T of one group and a label per row (negative sampling: the
  true word and `negative` words drawn from counts**0.75, a negative equal to the true word
  labelled -1 = skipped; hierarchical softmax: the inner nodes on the true word's Huffman path,
  labelled 1 - branch bit; full softmax: every word);
- `max_targets`: the most rows one group can take (the kernels' buffer size);
- `coefficients`: from the members' scores against T, their coefficients and summed NLL.

Each loss's tables are a NamedTuple of its own class; the kernels call the generic
`choose_targets`/`max_targets`/`coefficients`, and `_PIECES` (tables class -> pieces) is resolved
while Numba types a kernel, so each loss compiles into its own machine code with its pieces inlined
and no branch on the loss. Adding a loss: its tables class, its class here, its three pieces, one
entry in `_PIECES` and in `LOSS_CLASSES`/`make_loss` (docs/DESIGN.md, fast engine).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

from wordvec._jit import FASTMATH, njit
from wordvec.errors import TrainingError
from wordvec.fast import _rng
from wordvec.fast.tables import AliasTable, HuffmanTree, draw


class NSTables(NamedTuple):
    prob: np.ndarray  # alias table of the noise distribution
    alias: np.ndarray
    negative: int


class HSTables(NamedTuple):
    points: np.ndarray  # every word's Huffman path (inner nodes = output rows), concatenated
    labels: np.ndarray  # 1 - branch bit of each step
    offsets: np.ndarray  # word w's path is points[offsets[w]:offsets[w + 1]]


class SoftmaxTables(NamedTuple):
    rows: np.ndarray  # all output rows, 0..V-1
    no_labels: np.ndarray  # unused (softmax needs no labels), float32[V]
    n_rows: int


_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_PFLOOR = np.float32(1e-30)


# ---- Python side: a loss's tables and the shape of its output matrix ----


class NegativeSampling:
    """Binary logistic loss on the true word and `negative` words drawn from counts**power."""

    name = "ns"

    def __init__(self, counts: np.ndarray, negative: int, power: float = 0.75):
        if int(negative) < 1:
            raise TrainingError(f"negative sampling needs negative >= 1, got {negative}")
        self.negative = int(negative)
        self.weights = np.maximum(np.asarray(counts, dtype=np.float64), 0) ** power
        self.table = AliasTable.from_weights(self.weights)

    def output_rows(self, vocab_size: int) -> int:
        return vocab_size

    def tables(self) -> tuple:
        return NSTables(self.table.prob, self.table.alias, self.negative)


class HierarchicalSoftmax:
    """Binary decisions along the true word's path in a Huffman tree of the counts (word2vec's)."""

    name = "hs"

    def __init__(self, counts: np.ndarray):
        self.tree = HuffmanTree.from_counts(np.maximum(np.asarray(counts), 0))

    def output_rows(self, vocab_size: int) -> int:
        return max(vocab_size - 1, 1)

    def tables(self) -> HSTables:
        return self.tables_of(self.tree)

    @staticmethod
    def tables_of(tree: HuffmanTree) -> HSTables:
        return HSTables(tree.points, path_labels(tree), tree.offsets)


class Softmax:
    """Full softmax over the vocabulary (the book's SimpleCBOW/SimpleSkipGram, fastText's
    `-loss softmax`): every output row in every step, so its cost grows with the vocabulary;
    practical up to a few tens of thousands of words."""

    name = "softmax"

    def __init__(self, vocab_size: int):
        self.all_rows = np.arange(vocab_size, dtype=np.int32)

    def output_rows(self, vocab_size: int) -> int:
        return vocab_size

    def tables(self) -> tuple:
        return SoftmaxTables(self.all_rows, np.zeros(len(self.all_rows), np.float32), len(self.all_rows))


LOSS_CLASSES = {"ns": NegativeSampling, "hs": HierarchicalSoftmax, "softmax": Softmax}


def make_loss(loss: str, counts: np.ndarray, negative: int, ns_exponent: float = 0.75):
    """The loss object for a config's `loss` option (`ns_exponent`: the noise distribution's power)."""
    if loss == "ns":
        return NegativeSampling(counts, negative, ns_exponent)
    if loss == "hs":
        return HierarchicalSoftmax(counts)
    if loss == "softmax":
        return Softmax(len(counts))
    raise TrainingError(f"the fast engine trains loss {', '.join(map(repr, LOSS_CLASSES))}, not {loss!r}")


def path_labels(tree: HuffmanTree) -> np.ndarray:
    """Label of each step of every Huffman path: 1 - branch bit (word2vec's convention)."""
    return (np.float32(1.0) - tree.codes.astype(np.float32)).astype(np.float32)


# ---- kernel pieces ----


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def sigmoid_and_prob(score, label):
    """(sigmoid(score), P(label | score)) with one exp; P is floored at 1e-30 so that its log
    stays finite. The NLL is taken as one log of a product of these per group, not a log per score."""
    e = np.exp(-abs(score))
    big = _ONE / (_ONE + e)
    small = e * big
    if score >= _ZERO:
        sig = big
    else:
        sig = small
    if (label > _ZERO) == (score >= _ZERO):
        p = big
    else:
        p = small
    if p < _PFLOOR:  # not max(): a NaN p must stay NaN, so that the loss reports it
        p = _PFLOOR
    return sig, p


@njit(inline="always", cache=True, error_model="numpy")
def fold(nll, prod):
    """Move a running probability product into the NLL sum before it underflows."""
    if prod < 1e-100:  # each factor is >= 1e-30, so the product never underflows
        return nll - np.log(prod), 1.0
    return nll, prod


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _logistic_coefficients(tables, G, m, k1, labels, target, lr):
    """Binary logistic loss per output row (NS and HS): G[i, k] = lr * (label_k - sigmoid(F_ik));
    a row labelled < 0 is skipped (coefficient 0, no loss). Returns the members' summed NLL."""
    nll = 0.0
    prod = 1.0
    for i in range(m):
        for k in range(k1):
            label = labels[k]
            if label < _ZERO:
                G[i, k] = _ZERO
                continue
            sig, pk = sigmoid_and_prob(G[i, k], label)
            G[i, k] = (label - sig) * lr
            prod *= pk
            nll, prod = fold(nll, prod)
    return nll - np.log(prod)


@njit(inline="always", cache=True, fastmath=FASTMATH, error_model="numpy")
def _softmax_coefficients(tables, G, m, k1, labels, target, lr):
    """Softmax cross-entropy over all k1 rows, true row `target`: G[i, k] = lr * (1[k = target] - p_k)."""
    nll = 0.0
    for i in range(m):
        top = G[i, 0]
        for k in range(1, k1):
            if G[i, k] > top:
                top = G[i, k]
        true_score = G[i, target] - top
        total = 0.0
        for k in range(k1):
            z = np.exp(G[i, k] - top)
            G[i, k] = z
            total += z
        inv = _ONE / np.float32(total)
        nll += np.log(total) - true_score  # -log softmax(F)[target], from the shifted scores
        for k in range(k1):
            G[i, k] = -lr * (G[i, k] * inv)
        G[i, target] += lr
    return nll


@njit(inline="always", cache=True, error_model="numpy")
def _ns_targets(prob, alias, negative, center, T, labels, state):
    T[0] = center
    labels[0] = _ONE
    for k in range(1, negative + 1):
        state = _rng.advance(state)
        t = draw(prob, alias, _rng.output(state))
        T[k] = t
        labels[k] = np.float32(-1.0) if t == center else _ZERO  # word2vec skips the true word
    return negative + 1, state


@njit(inline="always", cache=True, error_model="numpy")
def _hs_targets(points, path_labels, offsets, center, T, labels, state):
    a = offsets[center]
    n = offsets[center + 1] - a
    for k in range(n):
        T[k] = points[a + k]
        labels[k] = path_labels[a + k]
    return n, state


@njit(inline="always", cache=True, error_model="numpy")
def _softmax_targets(rows, no_labels, n_rows, center, T, labels, state):
    for k in range(n_rows):
        T[k] = rows[k]
    return n_rows, state


@njit(inline="always", cache=True, error_model="numpy")
def _ns_max(prob, alias, negative):
    return negative + 1


@njit(inline="always", cache=True, error_model="numpy")
def _hs_max(points, path_labels, offsets):
    m = 1
    for w in range(offsets.shape[0] - 1):
        if offsets[w + 1] - offsets[w] > m:
            m = offsets[w + 1] - offsets[w]
    return m


@njit(inline="always", cache=True, error_model="numpy")
def _softmax_max(rows, no_labels, n_rows):
    return max(n_rows, 1)


# ---- compile-time dispatch: the tables' type -> the loss's pieces ----
# Each loss's tables are a NamedTuple of their own class, so Numba types them apart: a kernel
# compiles once per loss (and caches on disk), with the loss's pieces inlined and no branch.

_PIECES = {}  # tables class -> (choose_targets, max_targets, coefficients)


def _pieces(tables):
    for cls, pieces in _PIECES.items():
        if isinstance(tables, types.BaseNamedTuple) and tables.instance_class is cls:
            return pieces
    raise TypingError(f"not the tables of a fast-engine loss: {tables}")


def choose_targets(tables, f0, f1, f2, center, T, labels, state):
    """Fill T[:count] and labels[:count] with the output rows (and their labels) of the group whose
    true word is `center`; returns (count, new random state). f0, f1, f2 are the fields of
    `tables` (which only selects the loss): the kernel unpacks them once per chunk, because taking
    an array out of a tuple, like returning one, is a reference-count update (see fast.step)."""
    raise NotImplementedError("only callable from compiled code")


def max_targets(tables, f0, f1, f2):
    """The most output rows one group is scored against."""
    raise NotImplementedError("only callable from compiled code")


def coefficients(tables, G, m, k1, labels, target, lr):
    """Turn rows 0..m-1 of G (scores against the k1 chosen rows) into gradient coefficients in
    place; returns the members' summed NLL."""
    raise NotImplementedError("only callable from compiled code")


@overload(choose_targets, inline="always")
def _choose_targets(tables, f0, f1, f2, center, T, labels, state):
    impl = _pieces(tables)[0]
    return lambda tables, f0, f1, f2, center, T, labels, state: impl(f0, f1, f2, center, T, labels, state)


@overload(max_targets, inline="always")
def _max_targets(tables, f0, f1, f2):
    impl = _pieces(tables)[1]
    return lambda tables, f0, f1, f2: impl(f0, f1, f2)


@overload(coefficients, inline="always")
def _coefficients(tables, G, m, k1, labels, target, lr):
    return _pieces(tables)[2].py_func


_PIECES[NSTables] = (_ns_targets, _ns_max, _logistic_coefficients)
_PIECES[HSTables] = (_hs_targets, _hs_max, _logistic_coefficients)
_PIECES[SoftmaxTables] = (_softmax_targets, _softmax_max, _softmax_coefficients)
