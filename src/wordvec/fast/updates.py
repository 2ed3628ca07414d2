"""One checked SGD step of the fast engine, from Python: `update(...)` runs the compiled
`kernels.skipgram_group`/`cbow_group` (the training loop's own step, same flags) on given contexts,
target and output rows, so tests compare one step of every model x loss with the reference engine.

Conventions (word2vec's): input rows `W_in` are the word vectors, output rows `W_out` are the
context/"syn1neg" vectors (hierarchical softmax: inner nodes of the Huffman tree). In skip-gram
each context word's input vector predicts the target word; in CBOW the mean of the context input
vectors predicts it. The value returned is the NLL summed over the step's pairs.
"""

from __future__ import annotations

import numpy as np

from wordvec.fast import kernels, losses
from wordvec.fast.rows import InputRows
from wordvec.fast.tables import HuffmanTree


def _weights(W_in: np.ndarray, W_out: np.ndarray) -> int:
    """Check the two weight matrices (the kernels index them unchecked); returns the dimension."""
    for name, W in (("W_in", W_in), ("W_out", W_out)):
        if not isinstance(W, np.ndarray) or W.dtype != np.float32 or W.ndim != 2:
            raise TypeError(f"{name} must be a 2-D float32 numpy array")
        if not W.flags.c_contiguous or not W.flags.writeable:
            raise ValueError(f"{name} must be C-contiguous and writeable (it is updated in place)")
    if np.shares_memory(W_in, W_out):
        raise ValueError("W_in and W_out must be separate arrays")
    if W_in.shape[1] != W_out.shape[1] or W_in.shape[1] < 1:
        raise ValueError(f"W_in and W_out must have the same number of columns >= 1, got "
                         f"{W_in.shape[1]} and {W_out.shape[1]}")
    return W_in.shape[1]


def _ids(values, n_rows: int, what: str, *, allow_empty: bool = True) -> np.ndarray:
    """`values` as an int32 array of row ids, each in [0, n_rows)."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"{what} must be integer ids, got {np.asarray(values).dtype} of shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{what} must not be empty")
    if arr.size and (arr.min() < 0 or arr.max() >= n_rows):
        raise IndexError(f"{what} must lie in [0, {n_rows}), got values from {arr.min()} to {arr.max()}")
    return arr.astype(np.int32)


def _lr(lr: float) -> np.float32:
    ok = isinstance(lr, (int, float, np.floating, np.integer)) and not isinstance(lr, (bool, np.bool_))
    with np.errstate(over="ignore"):
        value = np.float32(lr) if ok and np.isfinite(lr) else np.float32("nan")
    if not (np.isfinite(value) and value > 0):  # as float32, the kernels' type: 1e39 is inf, 1e-50 is 0
        raise ValueError(f"lr must be a finite number > 0 in float32, got {lr!r}")
    return value


def _input_rows(input_rows: InputRows | None, W_in: np.ndarray) -> InputRows:
    if input_rows is None:
        return InputRows.words(W_in.shape[0])
    if not isinstance(input_rows, InputRows):
        raise TypeError("input_rows must be a wordvec.fast.InputRows")
    if input_rows.n_rows > W_in.shape[0]:
        raise IndexError(f"input_rows names {input_rows.n_rows} rows, W_in has {W_in.shape[0]}")
    return input_rows


def _ns_rows(target: int, negatives, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    if negatives is None:
        raise ValueError("negative sampling needs `negatives`")
    T = np.concatenate([_ids(target, n_out, "target", allow_empty=False)[:1],
                        _ids(negatives, n_out, "negatives")]).astype(np.int32)
    labels = np.zeros(len(T), np.float32)
    labels[0] = 1.0
    labels[1:][T[1:] == T[0]] = -1.0  # word2vec skips a negative that equals the true word
    return T, labels


def _hs_rows(W_out: np.ndarray, target: int, tree) -> tuple[np.ndarray, np.ndarray, losses.HSTables]:
    if not isinstance(tree, HuffmanTree):
        raise TypeError("tree must be a wordvec.fast.HuffmanTree")
    word = int(_ids(target, len(tree.offsets) - 1, "target", allow_empty=False)[0])
    a, b = int(tree.offsets[word]), int(tree.offsets[word + 1])
    if not 0 <= a <= b <= len(tree.points) or len(tree.codes) != len(tree.points):
        raise ValueError("tree is inconsistent (offsets, codes and points disagree)")
    path = tree.points[a:b]
    if path.size and (path.min() < 0 or path.max() >= W_out.shape[0]):
        raise IndexError(f"the tree's path for word {word} uses nodes outside W_out's {W_out.shape[0]} rows")
    tables = losses.HierarchicalSoftmax.tables_of(tree)
    return np.ascontiguousarray(path, dtype=np.int32), tables.labels[a:b].copy(), tables


def update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, lr: float, *, model: str = "skipgram",
           loss: str = "ns", negatives=None, tree: HuffmanTree | None = None,
           input_rows: InputRows | None = None) -> float:
    """One step in place: `contexts` (word ids) predict `target` with `model` ("skipgram": each
    context word separately, "cbow": their mean) and `loss` ("ns" with the given `negatives`, "hs"
    along `target`'s path in `tree`, "softmax" over all rows of W_out). `input_rows` maps words to
    input rows (default: word w is row w). Everything is checked before the compiled step runs.
    Returns the summed NLL of the step."""
    _weights(W_in, W_out)
    if model not in kernels.MODELS:
        raise ValueError(f"model must be one of {sorted(kernels.MODELS)}, got {model!r}")
    if np.ndim(target) != 0:
        raise TypeError("target must be one id")
    table = _input_rows(input_rows, W_in)
    words = _ids(contexts, table.vocab_size, "contexts")
    if loss == "ns":
        T, labels = _ns_rows(target, negatives, W_out.shape[0])
        tables = losses.NSTables(np.ones(1, np.float32), np.zeros(1, np.int32), len(T) - 1)
    elif loss == "hs":
        T, labels, tables = _hs_rows(W_out, target, tree)
    elif loss == "softmax":
        _ids(target, W_out.shape[0], "target", allow_empty=False)
        T, labels = np.arange(W_out.shape[0], dtype=np.int32), np.zeros(W_out.shape[0], np.float32)
        tables = losses.SoftmaxTables(T, labels, len(T))
    else:
        raise ValueError(f"loss must be one of {sorted(losses.LOSS_CLASSES)}, got {loss!r}")
    # the tables only select the loss's compiled pieces here: the rows to score are T, given
    nll, _ = kernels.MODELS[model][1](tables, W_in, W_out, table.offsets, table.rows,
                                 words, T, labels, int(target), _lr(lr))
    return float(nll)


def sg_ns_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, negatives, lr: float) -> float:
    """Skip-gram/NS step: each of `contexts` predicts `target` against the shared `negatives`
    (one half window of the training loop)."""
    return update(W_in, W_out, contexts, target, lr, model="skipgram", loss="ns", negatives=negatives)


def cbow_ns_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, negatives, lr: float) -> float:
    """CBOW/NS step: the mean of `contexts` predicts `target` against `negatives`."""
    return update(W_in, W_out, contexts, target, lr, model="cbow", loss="ns", negatives=negatives)


def sg_hs_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, tree, lr: float) -> float:
    """Skip-gram/HS step: each of `contexts` walks `target`'s path in `tree`."""
    return update(W_in, W_out, contexts, target, lr, model="skipgram", loss="hs", tree=tree)


def cbow_hs_update(W_in: np.ndarray, W_out: np.ndarray, contexts, target: int, tree, lr: float) -> float:
    """CBOW/HS step: the mean of `contexts` walks `target`'s path in `tree`."""
    return update(W_in, W_out, contexts, target, lr, model="cbow", loss="hs", tree=tree)
