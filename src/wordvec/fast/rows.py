"""Input-row tables: which rows of the input matrix make up each word's input vector.

fastText's model: a word's hidden vector is the mean of its input rows, and the gradient computed
by the loss is added to every one of them. Plain word2vec is the table `word -> [word]`; the
subword model is `word -> [word, its n-gram rows...]`. The table is CSR: word w owns
`rows[offsets[w]:offsets[w + 1]]`. The engine's kernels read the table and never assume one row
per word (`fast.step` reads it), so a new input model is a new table, not new kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InputRows:
    """CSR table word -> input-matrix rows (`offsets` int64[V + 1], `rows` int32[nnz])."""

    offsets: np.ndarray
    rows: np.ndarray
    n_rows: int  # rows of the input matrix the table may name

    def __post_init__(self):
        # the kernels index with these unchecked: a bad table must fail here, not write out of bounds
        offsets, rows = self.offsets, self.rows
        if not (isinstance(offsets, np.ndarray) and offsets.dtype == np.int64 and offsets.ndim == 1):
            raise TypeError("InputRows.offsets must be a 1-D int64 array")
        if not (isinstance(rows, np.ndarray) and rows.dtype == np.int32 and rows.ndim == 1):
            raise TypeError("InputRows.rows must be a 1-D int32 array")
        if isinstance(self.n_rows, bool) or not isinstance(self.n_rows, (int, np.integer)) or self.n_rows < 1:
            raise ValueError(f"InputRows.n_rows must be an integer >= 1, got {self.n_rows!r}")
        if len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != len(rows):
            raise ValueError("InputRows.offsets must start at 0 and end at len(rows), one word at least")
        if np.any(np.diff(offsets) < 1):
            raise ValueError("every word needs at least one input row (offsets must increase)")
        if rows.min() < 0 or rows.max() >= self.n_rows:
            raise ValueError(f"input rows must lie in [0, {self.n_rows})")
        for array in (offsets, rows):
            array.flags.writeable = False  # checked once: nobody may change it afterwards

    @classmethod
    def words(cls, vocab_size: int) -> "InputRows":
        """word2vec's table: word w is input row w."""
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        return cls(np.arange(vocab_size + 1, dtype=np.int64), np.arange(vocab_size, dtype=np.int32), vocab_size)

    @classmethod
    def from_lists(cls, lists, n_rows: int) -> "InputRows":
        """A table from one list of row ids per word (each non-empty, each id in [0, n_rows))."""
        lists = [np.asarray(r, dtype=np.int64).ravel() for r in lists]
        if not lists:
            raise ValueError("an input-row table needs at least one word")
        sizes = np.array([len(r) for r in lists], dtype=np.int64)
        if np.any(sizes == 0):
            raise ValueError(f"word {int(np.argmin(sizes))} has no input rows")
        rows = np.concatenate(lists)
        if rows.min() < 0 or rows.max() >= n_rows:
            raise ValueError(f"input rows must lie in [0, {n_rows})")
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(offsets, rows.astype(np.int32), int(n_rows))

    @property
    def vocab_size(self) -> int:
        return len(self.offsets) - 1

    def of(self, word: int) -> np.ndarray:
        """The input rows of one word."""
        return self.rows[self.offsets[word]:self.offsets[word + 1]]

    @property
    def is_identity(self) -> bool:
        """True for word2vec's table (word w is row w alone)."""
        V = self.vocab_size
        return len(self.rows) == V and bool(np.array_equal(self.rows, np.arange(V))) and \
            bool(np.array_equal(self.offsets, np.arange(V + 1)))

    def compose(self, W: np.ndarray) -> np.ndarray:
        """Each word's input vector: the mean of its rows of W (a new float32 array, V x dim)."""
        if self.is_identity:
            return np.array(W[: self.vocab_size], dtype=np.float32)
        out = np.empty((self.vocab_size, W.shape[1]), np.float32)
        for start in range(0, self.vocab_size, 4096):  # blocks: memory bounded by the block, not the table
            stop = min(start + 4096, self.vocab_size)
            a, b = self.offsets[start], self.offsets[stop]
            sums = np.add.reduceat(W[self.rows[a:b]].astype(np.float64), self.offsets[start:stop] - a, axis=0)
            out[start:stop] = sums / np.diff(self.offsets[start:stop + 1])[:, None]
        return out
