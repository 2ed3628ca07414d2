"""Count-based word vectors: sparse co-occurrence counts -> PPMI -> truncated SVD.

This is the engine of the book's chapter 2 built to scale: counts are accumulated chunk by chunk
into a `scipy.sparse` matrix (never a dense V x V array), PPMI is computed on the nonzeros only,
and the SVD is truncated (ARPACK, exact; or randomized, seeded). With the book's settings (window 2,
alpha 1.0, eigen_weight 0) it reproduces the book's `create_co_matrix`, `ppmi` and `U[:, :dim]`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
import warnings
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from wordvec.errors import TrainingError
from wordvec.progress import progress_bar

__all__ = [
    "cooccurrence",
    "ppmi",
    "truncated_svd",
    "embed",
    "train",
]

WEIGHTINGS = ("uniform", "harmonic")
SVD_METHODS = ("arpack", "randomized", "dense")

# Pairs per chunk: bounds the temporary arrays (about 16 bytes a pair) whatever the corpus size.
_CHUNK_PAIRS = 8_000_000
_PPMI_BLOCK = 4_000_000  # nonzeros per block of rows in ppmi()


def _check_ids(ids: np.ndarray, offsets: np.ndarray | None, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError("ids must be a 1-D integer array")
    if offsets is None:
        offsets = np.array([0, len(ids)], dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(ids):
        raise ValueError("offsets must start at 0 and end at len(ids)")
    if np.any(np.diff(offsets) < 0):
        raise ValueError("offsets must be non-decreasing")
    if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    return ids, offsets


class _PairwiseSum:
    """Sum of many sparse matrices by merging equal-sized partial sums (a binary counter), so each
    entry is copied O(log chunks) times instead of once per chunk as a running total would."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, sp.csr_matrix]] = []

    def add(self, matrix: sp.csr_matrix) -> None:
        level = 0
        while self._stack and self._stack[-1][0] == level:
            matrix = self._stack.pop()[1] + matrix
            level += 1
        self._stack.append((level, matrix))

    def result(self, size: int) -> sp.csr_matrix:
        total = sp.csr_matrix((size, size), dtype=np.float64)
        for _, matrix in self._stack:
            total = total + matrix
        return total


def cooccurrence(
    ids: np.ndarray,
    vocab_size: int,
    window: int,
    *,
    offsets: np.ndarray | None = None,
    weighting: str = "uniform",
    progress: bool = False,
) -> sp.csr_matrix:
    """Symmetric co-occurrence counts as a CSR matrix (float64, shape V x V).

    `C[w, c]` sums, over every occurrence of `w`, the weight of each `c` at distance 1..`window`
    on either side within the same sentence (`offsets` as in `EncodedCorpus`; None = one sentence,
    the book's mode). Weight is 1 ("uniform", the book's) or 1/d ("harmonic", GloVe's). Each pair
    at distance d is counted from both ends, so the matrix is symmetric, as the book's.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    ids, offsets = _check_ids(ids, offsets, vocab_size)
    n = len(ids)
    V = int(vocab_size)
    idx_dtype = np.int32 if V < 2**31 else np.int64
    ids = ids.astype(idx_dtype, copy=False)
    chunk = max(1, _CHUNK_PAIRS // window)
    partial = _PairwiseSum()
    bar = progress_bar(n, "co-occurrence", enabled=progress)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        pos = np.arange(start, stop, dtype=np.int64)
        # tokens left in each position's sentence, counting itself
        sent = np.searchsorted(offsets, pos, side="right") - 1
        remaining = offsets[sent + 1] - pos
        rows, cols, weights = [], [], []
        for d in range(1, window + 1):
            keep = np.flatnonzero(remaining > d)
            if keep.size == 0:
                break
            src = keep + start
            rows.append(ids[src])
            cols.append(ids[src + d])
            if weighting == "harmonic":
                weights.append(np.full(keep.size, 1.0 / d))
        if rows:
            r = np.concatenate(rows)
            c = np.concatenate(cols)
            w = np.concatenate(weights) if weights else np.ones(r.size)
            # COO -> CSR sums duplicate (row, col) entries in linear time per row
            partial.add(sp.csr_matrix((w, (r, c)), shape=(V, V)))
        bar.update(stop - start)
    bar.close()
    total = partial.result(V)
    counts = (total + total.T).tocsr()
    counts.sum_duplicates()
    counts.sort_indices()
    return counts


def _smoothing(context_smoothing: float, alpha: float | None) -> float:
    """`context_smoothing`, or the deprecated `alpha` spelling of it (alpha is the learning rate)."""
    if alpha is not None:
        warnings.warn("alpha= for PPMI's smoothing is deprecated (alpha is the learning rate); "
                      "use context_smoothing=", DeprecationWarning, stacklevel=3)
        return alpha
    return context_smoothing


def ppmi(counts: sp.spmatrix | np.ndarray, context_smoothing: float = 0.75, *, shift: float = 0.0,
         alpha: float | None = None) -> sp.csr_matrix:
    """Positive pointwise mutual information (log base 2) of a co-occurrence matrix, sparse.

    `PMI(w, c) = log2(C_wc * Z / (S_w * S_c**a))` with `S_w` the row sums, `S_c` the column
    sums, `Z = sum_c S_c**a` and a = `context_smoothing`; a < 1 smooths the context distribution
    (Levy et al. 2015) so rare contexts get less inflated scores. a = 1 is the book's `ppmi(C)`:
    `log2(C_ij * N / (S_i * S_j))`. Entries below `shift` (log2 of k, shifted PPMI) are dropped,
    the rest are lowered by `shift`; only nonzeros of `counts` are ever computed. `alpha` is the
    deprecated name of `context_smoothing`.
    """
    alpha = _smoothing(context_smoothing, alpha)
    if not alpha > 0:
        raise ValueError(f"context_smoothing must be > 0, got {alpha}")
    if shift < 0:
        raise ValueError(f"shift must be >= 0, got {shift}")
    C = sp.csr_matrix(counts, dtype=np.float64)
    if not C.has_canonical_format or (C.data == 0).any():
        C = C.copy()  # never reorder or prune the caller's matrix
        C.sum_duplicates()
        C.eliminate_zeros()
    if C.nnz and C.data.min() < 0:
        raise ValueError("co-occurrence counts must be non-negative")
    row_sums = np.asarray(C.sum(axis=1)).ravel()
    ctx = np.asarray(C.sum(axis=0)).ravel() ** alpha
    log_z = np.log2(ctx.sum()) if C.nnz else 0.0
    log_rows = np.log2(row_sums, where=row_sums > 0, out=np.zeros_like(row_sums))
    log_ctx = np.log2(ctx, where=ctx > 0, out=np.zeros_like(ctx))
    # rows in blocks of ~_PPMI_BLOCK nonzeros: temporaries stay small whatever the matrix size
    bounds = np.unique(np.searchsorted(C.indptr, np.arange(0, C.nnz, _PPMI_BLOCK), side="right") - 1)
    bounds = np.append(bounds, C.shape[0])
    values, columns, kept = [], [], np.zeros(C.shape[0] + 1, dtype=np.int64)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        a, b = C.indptr[lo], C.indptr[hi]
        rows = np.repeat(np.arange(lo, hi), np.diff(C.indptr[lo : hi + 1]))
        pmi = np.log2(C.data[a:b]) + (log_z - shift) - log_rows[rows] - log_ctx[C.indices[a:b]]
        keep = pmi > 0
        values.append(pmi[keep].astype(np.float32))
        columns.append(C.indices[a:b][keep])
        kept[lo + 1 : hi + 1] = np.bincount(rows[keep] - lo, minlength=hi - lo)
    if not values:
        return sp.csr_matrix(C.shape, dtype=np.float32)
    indptr = np.cumsum(kept)
    return sp.csr_matrix((np.concatenate(values), np.concatenate(columns), indptr), shape=C.shape)


def _flip_signs(U: np.ndarray, Vt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make each component's largest |U| entry positive, so results do not depend on the solver."""
    if U.shape[1] == 0:
        return U, Vt
    pivots = np.abs(U).argmax(axis=0)
    signs = np.sign(U[pivots, np.arange(U.shape[1])])
    signs[signs == 0] = 1
    return U * signs, Vt * signs[:, None]


def truncated_svd(
    matrix: sp.spmatrix | np.ndarray,
    k: int,
    *,
    method: str = "arpack",
    n_iter: int = 7,
    oversamples: int | None = None,
    seed: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top-`k` singular triplets `(U, S, Vt)` of a sparse or dense matrix, S descending.

    "arpack" (`scipy.sparse.linalg.svds`, seeded start vector) is exact. "randomized" is Halko,
    Martinsson & Tropp's range finder with `n_iter` re-orthonormalised power iterations and
    `oversamples` extra columns (default max(20, k // 2)); it is approximate in the tail, where
    PPMI spectra are flat: on PTB (k=100) it captures ~95% of the exact subspace, for about the
    same time as ARPACK there (analogy accuracy within noise of ARPACK's, once 13% lower). "dense" is numpy's full SVD (small matrices). Dense steps run on one BLAS
    thread (see `limit_blas_threads`). Signs are fixed so the largest entry of each left vector is
    positive, whatever the method.
    """
    if method not in SVD_METHODS:
        raise ValueError(f"method must be one of {', '.join(SVD_METHODS)}, got {method!r}")
    m, n = matrix.shape
    if not 1 <= k <= min(m, n):
        raise ValueError(f"k must be in [1, {min(m, n)}] for a {m} x {n} matrix, got {k}")
    with limit_blas_threads(1):
        U, S, Vt = _svd(matrix, k, method, n_iter, oversamples, seed)
    U, Vt = _flip_signs(U, Vt)
    return U, S, Vt


def _svd(matrix, k: int, method: str, n_iter: int, oversamples: int | None, seed: int):
    m, n = matrix.shape
    if method == "dense" or (method == "arpack" and k >= min(m, n)):
        dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
        U, S, Vt = np.linalg.svd(dense.astype(np.float64), full_matrices=False)
        U, S, Vt = U[:, :k], S[:k], Vt[:k]
    elif method == "arpack":
        from scipy.sparse.linalg import ArpackNoConvergence, svds

        A = sp.csr_matrix(matrix, dtype=np.float64) if sp.issparse(matrix) else np.asarray(matrix, np.float64)
        v0 = np.random.default_rng(seed).uniform(-1, 1, min(m, n))
        try:
            U, S, Vt = svds(A, k=k, solver="arpack", v0=v0)
        except ArpackNoConvergence:  # rare; the randomized method always returns
            return _randomized_svd(A, k, n_iter=2 * n_iter, oversamples=oversamples, seed=seed)
        order = np.argsort(S)[::-1]
        U, S, Vt = U[:, order], S[order], Vt[order]
    else:
        U, S, Vt = _randomized_svd(matrix, k, n_iter=n_iter, oversamples=oversamples, seed=seed)
    return U, S, Vt


def _orthonormalize(Y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of a tall `Y`.

    CholeskyQR2 (two rounds of Y R^-1 with R from Cholesky of Y^T Y) uses only matrix products,
    which stay fast on a busy machine where multithreaded Householder QR can be 50x slower;
    rank-deficient or ill-conditioned blocks fall back to Householder QR.
    """
    Y = np.asarray(Y)
    try:
        Q = Y
        for _ in range(2):
            R = np.linalg.cholesky(Q.T @ Q).T
            Q = sla.solve_triangular(R, Q.T, trans="T", lower=False, check_finite=False).T
        if np.isfinite(Q).all() and np.allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-8):
            return Q
    except np.linalg.LinAlgError:
        pass
    return np.linalg.qr(Y)[0]


# (get, set) symbol names of the OpenBLAS builds shipped with numpy/scipy wheels and plain OpenBLAS
_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


def _loaded_openblas() -> list[tuple[Callable, Callable]]:
    """(get, set) thread-count functions of every OpenBLAS loaded in this process (Linux only)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_LOCAL)
        except OSError:
            continue
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                found.append((getattr(lib, get_name), getattr(lib, set_name)))
                break
    return found


@contextlib.contextmanager
def limit_blas_threads(n: int = 1) -> Iterator[None]:
    """Run the block with OpenBLAS limited to `n` threads, then restore the previous counts.

    The SVD's dense steps are small (V x (dim + oversamples) blocks); on a busy machine a
    multithreaded OpenBLAS spends most of its time waiting at barriers (10x slower measured on a
    shared 2-core box), while one thread is never much slower. Best effort: a no-op where the
    library cannot be found (other BLAS, other OS).
    """
    libs = _loaded_openblas()
    saved = []
    for get, set_ in libs:
        try:
            saved.append((set_, int(get())))
            set_(ctypes.c_int(n))
        except Exception:  # pragma: no cover - exotic builds
            continue
    try:
        yield
    finally:
        for set_, previous in saved:
            set_(ctypes.c_int(previous))


def _randomized_svd(matrix, k: int, *, n_iter: int, oversamples: int | None, seed: int):
    m, n = matrix.shape
    A = sp.csr_matrix(matrix, dtype=np.float64) if sp.issparse(matrix) else np.asarray(matrix, np.float64)
    AT = A.T.tocsr() if sp.issparse(A) else A.T
    if oversamples is None:
        oversamples = max(20, k // 2)
    width = min(k + max(oversamples, 0), min(m, n))
    rng = np.random.default_rng(seed)
    Q = _orthonormalize(A @ rng.standard_normal((n, width)))
    for _ in range(n_iter):
        Q = _orthonormalize(AT @ Q)
        Q = _orthonormalize(A @ Q)
    B = np.asarray(AT @ Q).T  # (width, n) = Q^T A
    Ub, S, Vt = np.linalg.svd(B, full_matrices=False)
    return np.asarray(Q @ Ub[:, :k]), S[:k], Vt[:k]


def embed(
    ids: np.ndarray,
    vocab_size: int,
    *,
    offsets: np.ndarray | None = None,
    window: int = 2,
    dim: int = 100,
    context_smoothing: float = 0.75,
    eigen_weight: float = 0.5,
    weighting: str = "uniform",
    shift: float = 0.0,
    svd: str = "arpack",
    seed: int = 1,
    progress: bool = False,
    stats: dict | None = None,
    alpha: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Word vectors `U * S**eigen_weight` (float32, V x dim) and the singular values S.

    The whole pipeline as plain arrays (no vocabulary needed): counts, PPMI, truncated SVD (see
    `truncated_svd` for `svd`). `stats`, if given, receives the seconds spent in each stage
    (count_s, ppmi_s, svd_s) and the nonzeros of the count and PPMI matrices. `alpha` is the
    deprecated name of `context_smoothing`.
    """
    context_smoothing = _smoothing(context_smoothing, alpha)
    if dim > vocab_size:
        raise TrainingError(f"dim ({dim}) must not exceed the vocabulary size ({vocab_size}) for PPMI/SVD")
    clock = time.perf_counter()
    counts = cooccurrence(ids, vocab_size, window, offsets=offsets, weighting=weighting, progress=progress)
    t_count = time.perf_counter()
    M = ppmi(counts, context_smoothing, shift=shift)
    t_ppmi = time.perf_counter()
    if M.nnz == 0:
        raise TrainingError("the PPMI matrix is empty: the corpus has no word pairs within the window")
    U, S, _ = truncated_svd(M, min(dim, min(M.shape)), method=svd, seed=seed)
    vectors = (U * S**eigen_weight).astype(np.float32)
    t_svd = time.perf_counter()
    if not np.isfinite(vectors).all():
        raise TrainingError("the SVD produced non-finite vectors")
    if stats is not None:
        stats.update(
            count_s=t_count - clock,
            ppmi_s=t_ppmi - t_count,
            svd_s=t_svd - t_ppmi,
            nnz_counts=int(counts.nnz),
            nnz_ppmi=int(M.nnz),
        )
    return vectors, S


def train(corpus: Any, config: Any, *, progress: bool = True, callbacks: Iterable[Callable] = ()) -> Any:
    """Train PPMI/SVD vectors on an `EncodedCorpus` with a `TrainConfig` -> `KeyedVectors`.

    Reads `window`, `dim`, `alpha`, `eigen_weight` and `seed` from the config; sentences are taken
    from `corpus.offsets` (windows never cross them). The SVD is ARPACK's (exact). `callbacks` is
    accepted for the common engine signature; this engine has no epochs, so none are called. The
    metadata records the config, the stage timings (seconds), nonzeros and leading singular values.
    """
    from wordvec.vectors import KeyedVectors

    vocab = corpus.vocab
    V = len(vocab)
    stats: dict = {}
    vectors, S = embed(
        corpus.ids,
        V,
        offsets=corpus.offsets,
        window=config.window,
        dim=config.dim,
        context_smoothing=config.context_smoothing,
        eigen_weight=config.eigen_weight,
        seed=config.seed,
        progress=progress,
        stats=stats,
    )
    metadata = {
        "config": config.to_dict(),
        "engine": "count",
        "svd": "arpack",
        "timings": {k: round(stats[k], 4) for k in ("count_s", "ppmi_s", "svd_s")},
        "nnz_counts": stats["nnz_counts"],
        "nnz_ppmi": stats["nnz_ppmi"],
        "singular_values": [float(s) for s in S[:10]],
    }
    return KeyedVectors(vectors, list(vocab.index_to_key), counts=getattr(vocab, "counts", None), metadata=metadata)
