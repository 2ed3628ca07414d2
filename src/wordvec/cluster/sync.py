"""Synchronisation of the workers' replicas: sparse deltas of the rows each worker changed.

Every replica starts from the same weights (its `base`, the last synchronised state). After a
period of training a worker sends only the rows that differ from `base` and by how much
(`sparse_delta`); the driver merges the workers' deltas (`merge_deltas`: summed, as Hogwild threads
on one machine add their updates into shared memory, or averaged, as model averaging does) and
sends the one merged update back, which every replica and the driver's master copy apply the
same way (`apply_update`), so all of them hold the same weights again, bit for bit.
"""

from __future__ import annotations

import numpy as np

#: how the workers' deltas are merged (benchmarks/README.md has the figures behind the default)
MERGES = ("sum", "average", "touched")
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


def merge_deltas(deltas: list[tuple[np.ndarray, np.ndarray]], dim: int, how: str = "sum"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One update from the workers' (rows, values) deltas: the union of their rows and, for each,
    the sum of the workers' changes ("sum"), their mean over the workers that trained this
    period ("average": rows a worker left alone count as a zero change), or their mean over the
    workers that changed the row ("touched": a word only one shard holds keeps its whole
    change, a word every shard trains moves by the workers' consensus)."""
    if how not in MERGES:
        raise ValueError(f"merge must be one of {', '.join(MERGES)}, got {how!r}")
    if not deltas:
        return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
    rows = np.unique(np.concatenate([r for r, _ in deltas]))
    values = np.zeros((len(rows), dim), np.float32)
    for r, v in deltas:  # a worker's rows are distinct, so fancy-index += adds each once
        values[np.searchsorted(rows, r)] += v
    if how == "average":
        values /= np.float32(len(deltas))
    elif how == "touched":
        touched = np.zeros(len(rows), np.float32)
        for r, _ in deltas:
            touched[np.searchsorted(rows, r)] += 1
        values /= touched[:, None]
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
