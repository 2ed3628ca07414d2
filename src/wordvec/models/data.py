"""Training pairs for word2vec: (context window, target word) rows, as in the book."""

from __future__ import annotations

import numpy as np

from wordvec.errors import CorpusError


def _window_offsets(window_size: int) -> np.ndarray:
    return np.concatenate([np.arange(-window_size, 0), np.arange(1, window_size + 1)])


def create_contexts_target(corpus: np.ndarray, window_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The book's pairs over one flat id sequence: contexts (N, 2w) and targets (N,).

    Targets are the words that have `window_size` neighbours on both sides; contexts list the
    left neighbours then the right ones, nearest last on the left and first on the right.
    """
    corpus = np.asarray(corpus)
    return contexts_in_sentences(corpus, np.array([0, len(corpus)]), window_size)


def contexts_in_sentences(ids: np.ndarray, offsets: np.ndarray, window_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose whole window lies inside one sentence (`ids[offsets[i]:offsets[i+1]]`).

    With a single sentence this is exactly `create_contexts_target`; sentences shorter than
    2 * window_size + 1 give no pair.
    """
    if window_size < 1:
        raise ValueError(f"window_size must be >= 1, got {window_size}")
    ids = np.asarray(ids)
    offsets = np.asarray(offsets, dtype=np.int64)
    starts, ends = offsets[:-1] + window_size, offsets[1:] - window_size
    lengths = np.maximum(ends - starts, 0)
    total = int(lengths.sum())
    if total == 0:
        raise CorpusError(f"no sentence has {2 * window_size + 1} words, the least a window of {window_size} needs")
    # positions: concatenation of ranges [starts[i], ends[i]) without a Python loop
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    positions = np.arange(total, dtype=np.int64) + shift
    target = ids[positions]
    contexts = ids[positions[:, None] + _window_offsets(window_size)[None, :]]
    return contexts, target


def convert_one_hot(corpus: np.ndarray, vocab_size: int) -> np.ndarray:
    """One-hot encoding of an id array of any shape: result shape corpus.shape + (vocab_size,)."""
    corpus = np.asarray(corpus)
    one_hot = np.zeros(corpus.shape + (vocab_size,), dtype=np.int32)
    np.put_along_axis(one_hot, corpus[..., None], 1, axis=-1)
    return one_hot
