"""Synchronisation of the workers' replicas: sparse deltas of the rows each worker changed.

Every replica starts from the same weights (its `base`, the last synchronised state). After a
period of training a worker sends only the rows that differ from `base` and by how much
(`sparse_delta`); the driver merges the workers' deltas (`merge_deltas`) and sends the one merged
update back, which every replica and the driver's master copy apply the same way
(`apply_update`), so all of them hold the same weights again, bit for bit.

The merges (figures in benchmarks/README.md):
- "scaled" (the default): every worker trains at `workers` x the learning rate and the deltas
  are averaged. A row few updates moved (a rare word) moves about as the sum of the workers'
  changes at the base rate would, so no worker's words are lost; a row many updates moved (a
  frequent word, settled near its optimum within the period) moves to the mean of where the
  workers settled it. Both are what one machine would do with all the words.
- "average": plain model averaging at the base rate (Spark's merge): stable, but each word
  learns about 1/workers of what it would on one machine.
- "sum": the deltas added up, as Hogwild threads add theirs into shared memory. Right for rare
  rows, but a frequent row that each worker moved to its optimum moves `workers` times as far:
  with 3 or more workers the overshoot grows every period and training diverges.
"""

from __future__ import annotations

import numpy as np

from wordvec._jit import njit

#: how the workers' deltas are merged (benchmarks/README.md has the figures behind the default)
MERGES = ("scaled", "average", "sum")
_OPTS = dict(cache=True, nogil=True, boundscheck=False)  # no fastmath: exact float32 arithmetic


@njit(**_OPTS)
def _changed_rows_kernel(W, base, out):
    """Writes the indices of rows that differ into out; returns their count (a row stops at its
    first difference; NaN differs from everything, so a diverged row is always sent)."""
    n = 0
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            if W[i, j] != base[i, j]:
                out[n] = i
                n += 1
                break
    return n


@njit(**_OPTS)
def _gather_delta(W, base, rows, out):
    for k in range(rows.shape[0]):
        i = rows[k]
        for j in range(W.shape[1]):
            out[k, j] = W[i, j] - base[i, j]


@njit(**_OPTS)
def _scatter_add(values, positions, delta):
    for k in range(positions.shape[0]):
        p = positions[k]
        for j in range(values.shape[1]):
            values[p, j] += delta[k, j]


@njit(**_OPTS)
def _apply(W, start, rows, values, base, has_base):
    for k in range(rows.shape[0]):
        i = rows[k]
        for j in range(W.shape[1]):
            x = start[i, j] + values[k, j]
            W[i, j] = x
            if has_base:
                base[i, j] = x


def changed_rows(W: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Indices (int64, ascending) of the rows of W that differ from base anywhere."""
    out = np.empty(len(W), np.int64)
    return out[:_changed_rows_kernel(W, base, out)].copy()


def sparse_delta(W: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, W[rows] - base[rows]) for the rows training changed since the last sync."""
    rows = changed_rows(W, base)
    delta = np.empty((len(rows), W.shape[1]), np.float32)
    _gather_delta(W, base, rows, delta)
    return rows, delta


def lr_scale(how: str, workers: int) -> int:
    """The factor on each worker's learning rate that merge `how` needs."""
    return workers if how == "scaled" else 1


def merge_deltas(deltas: list[tuple[np.ndarray, np.ndarray]], dim: int, how: str = "scaled"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One update from the workers' (rows, values) deltas: the union of their rows and, for each,
    the sum of the workers' changes ("sum") or their mean over the workers that trained this
    period ("scaled", "average": rows a worker left alone count as a zero change)."""
    if how not in MERGES:
        raise ValueError(f"merge must be one of {', '.join(MERGES)}, got {how!r}")
    if not deltas:
        return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
    rows = np.unique(np.concatenate([np.asarray(r, np.int64) for r, _ in deltas]))
    values = np.zeros((len(rows), dim), np.float32)
    for r, v in deltas:  # in worker order: the same sums whatever the machine
        _scatter_add(values, np.searchsorted(rows, r), np.ascontiguousarray(v, dtype=np.float32))
    if how != "sum":
        values /= np.float32(len(deltas))
    return rows, values


def apply_update(W: np.ndarray, base: np.ndarray | None, rows: np.ndarray, values: np.ndarray) -> None:
    """W[rows] = base[rows] + values (base: W itself when None), and base[rows] = W[rows]: the
    replica drops its own unsent change, which the merged update already holds."""
    if len(rows) == 0:
        return
    start = W if base is None else base
    _apply(W, start, np.asarray(rows, np.int64), np.ascontiguousarray(values, dtype=np.float32),
           W if base is None else base, base is not None)


def update_bytes(rows: np.ndarray, values: np.ndarray) -> int:
    """Bytes of an update on the wire (indices and float32 values)."""
    return int(rows.nbytes + values.nbytes)
