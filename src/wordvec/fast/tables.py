"""Lookup tables built once per run from the vocabulary counts.

- `AliasTable`: exact sampling from counts**0.75 in O(1) with two small arrays (Vose's method),
  instead of the C tool's 10**8-entry table whose every draw is a cache/TLB miss.
- `HuffmanTree`: word2vec's binary tree for hierarchical softmax; each word gets the inner nodes on
  its root-to-leaf path (`points`, rows of the output matrix) and the branch bits (`codes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from wordvec._jit import njit

from wordvec.fast import _rng


@dataclass(frozen=True)
class AliasTable:
    """Vose alias table: draw i uniformly, keep it with probability `prob[i]`, else take `alias[i]`."""

    prob: np.ndarray  # float32[V]
    alias: np.ndarray  # int32[V]

    @classmethod
    def from_weights(cls, weights: np.ndarray) -> "AliasTable":
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("alias table needs a non-empty vector of non-negative weights")
        prob, alias = _build_alias(w * (len(w) / w.sum()))
        return cls(prob.astype(np.float32), alias)

    @classmethod
    def unigram(cls, counts: np.ndarray, power: float = 0.75) -> "AliasTable":
        """The word2vec noise distribution: counts**power, normalised."""
        return cls.from_weights(np.asarray(counts, dtype=np.float64) ** power)

    def probabilities(self) -> np.ndarray:
        """The exact distribution the table samples (float64), for tests."""
        n = len(self.prob)
        p = self.prob.astype(np.float64) / n
        np.add.at(p, self.alias, (1.0 - self.prob.astype(np.float64)) / n)
        return p

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """`n` draws with the kernels' own generator (for tests and diagnostics)."""
        return _sample_many(self.prob, self.alias, n, _rng.seed_states(seed, 1))


@njit(cache=True, error_model="numpy")
def _build_alias(scaled):
    n = scaled.shape[0]
    prob = np.ones(n, np.float64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    q = scaled.copy()
    for i in range(n):
        if q[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        prob[s] = q[s]
        alias[s] = g
        q[g] = (q[g] + q[s]) - 1.0
        if q[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    return prob, alias  # leftovers keep prob 1 (rounding)


@njit(inline="always", cache=True, error_model="numpy")
def draw(prob, alias, bits):
    """One draw from an alias table, using 64 random bits (index from the high, coin from the low)."""
    i = _rng.below(bits, prob.shape[0])
    if _rng.unit_low(bits) < prob[i]:
        return i
    return np.int64(alias[i])


@njit(cache=True, error_model="numpy")
def _sample_many(prob, alias, n, state):
    out = np.empty(n, np.int64)
    s = state[0]
    for k in range(n):
        s = _rng.advance(s)
        out[k] = draw(prob, alias, _rng.output(s))
    state[0] = s
    return out


@dataclass(frozen=True)
class HuffmanTree:
    """Paths of every word in word2vec's Huffman tree, flattened.

    Word w's path is `points[offsets[w]:offsets[w+1]]` (inner-node rows of the output matrix, root
    first) with branch bits `codes[...]` (the label for node j is 1 - code). Frequent words get short
    paths, so the average cost per word is about log2 of the perplexity of the unigram distribution.
    """

    codes: np.ndarray  # uint8[total path length]
    points: np.ndarray  # int32[total path length]
    offsets: np.ndarray  # int64[V+1]

    @property
    def n_inner(self) -> int:
        return max(len(self.offsets) - 2, 0)

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> "HuffmanTree":
        counts = np.asarray(counts, dtype=np.int64)
        if counts.ndim != 1 or len(counts) == 0 or np.any(counts < 0):
            raise ValueError("Huffman tree needs a non-empty vector of non-negative counts")
        order = np.argsort(-counts, kind="stable").astype(np.int64)
        codes, points, offsets = _build_huffman(counts[order], order)
        return cls(codes, points, offsets)

    def path(self, word: int) -> tuple[np.ndarray, np.ndarray]:
        """(codes, points) of one word."""
        a, b = self.offsets[word], self.offsets[word + 1]
        return self.codes[a:b], self.points[a:b]


@njit(cache=True, error_model="numpy")
def _build_huffman(sorted_counts, order):
    # word2vec's linear-time construction: leaves sorted by count descending, merged nodes appended
    # in increasing order, so the two smallest are always at one of two cursors.
    v = sorted_counts.shape[0]
    offsets = np.zeros(v + 1, np.int64)
    if v == 1:
        return np.zeros(0, np.uint8), np.zeros(0, np.int32), offsets
    n = 2 * v - 1
    count = np.empty(n, np.int64)
    count[:v] = sorted_counts
    count[v:] = np.iinfo(np.int64).max // 4
    parent = np.zeros(n, np.int64)
    branch = np.zeros(n, np.uint8)
    pos1 = v - 1
    pos2 = v
    for a in range(v - 1):
        picks = np.empty(2, np.int64)
        for m in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                picks[m] = pos1
                pos1 -= 1
            else:
                picks[m] = pos2
                pos2 += 1
        count[v + a] = count[picks[0]] + count[picks[1]]
        parent[picks[0]] = v + a
        parent[picks[1]] = v + a
        branch[picks[1]] = 1
    root = n - 1
    depth = np.zeros(v, np.int64)
    for leaf in range(v):
        node = leaf
        d = 0
        while node != root:
            node = parent[node]
            d += 1
        depth[leaf] = d
    # offsets follow the caller's word ids, so place each sorted leaf at its original id
    lengths = np.zeros(v, np.int64)
    for leaf in range(v):
        lengths[order[leaf]] = depth[leaf]
    for w in range(v):
        offsets[w + 1] = offsets[w] + lengths[w]
    codes = np.empty(offsets[v], np.uint8)
    points = np.empty(offsets[v], np.int32)
    for leaf in range(v):
        start = offsets[order[leaf]]
        d = depth[leaf]
        node = leaf
        j = d - 1
        while node != root:  # walk up, filling the path from its end (root first when done)
            codes[start + j] = branch[node]
            node = parent[node]
            points[start + j] = node - v
            j -= 1
    return codes, points, offsets
