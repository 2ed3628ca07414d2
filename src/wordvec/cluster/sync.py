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

#: how the workers' deltas are merged (benchmarks/README.md has the figures behind the default)
MERGES = ("scaled", "average", "sum")
ROW_BLOCK = 1 << 16  # rows compared at a time: the mask stays small on big vocabularies


def changed_rows(W: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Indices (int64, ascending) of the rows of W that differ from base anywhere."""
    found = []
    for a in range(0, len(W), ROW_BLOCK):
        b = min(a + ROW_BLOCK, len(W))
        found.append(a + np.flatnonzero(np.any(W[a:b] != base[a:b], axis=1)))
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def sparse_delta(W: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, W[rows] - base[rows]) for the rows training changed since the last sync."""
    rows = changed_rows(W, base)
    return rows, W[rows] - base[rows]


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
    rows = np.unique(np.concatenate([r for r, _ in deltas]))
    values = np.zeros((len(rows), dim), np.float32)
    for r, v in deltas:  # a worker's rows are distinct, so fancy-index += adds each once
        values[np.searchsorted(rows, r)] += v
    if how != "sum":
        values /= np.float32(len(deltas))
    return rows, values


def apply_update(W: np.ndarray, base: np.ndarray | None, rows: np.ndarray, values: np.ndarray) -> None:
    """W[rows] = base[rows] + values (base: W itself when None), and base[rows] = W[rows]: the
    replica drops its own unsent change, which the merged update already holds."""
    if len(rows) == 0:
        return
    start = W if base is None else base
    W[rows] = start[rows] + values
    if base is not None:
        base[rows] = W[rows]


def update_bytes(rows: np.ndarray, values: np.ndarray) -> int:
    """Bytes of an update on the wire (indices and float32 values)."""
    return int(rows.nbytes + values.nbytes)
