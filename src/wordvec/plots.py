"""Figures: the training loss curve and 2-D word maps (the book's chapter 2 and 3 plots).

matplotlib is an optional extra (`pip install 'wordvec[plot]'`). Figures are drawn on an Agg
canvas without pyplot, so no display is needed and the caller's backend is left alone. The image
format follows the file extension (.png or .svg) and files are written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from wordvec.errors import UnknownWordError, WordvecError
from wordvec.fileio import atomic_write

__all__ = ["plot_loss", "plot_words", "project_2d"]

FORMATS = {".png": "png", ".svg": "svg"}
MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'wordvec[plot]'"


def _new_figure(size: tuple[float, float]):
    """A pyplot-free matplotlib Figure on an Agg canvas."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise WordvecError(MISSING_MATPLOTLIB) from None
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _image_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise WordvecError(f"image file must end in .png or .svg, got {os.fspath(path)}")
    return FORMATS[suffix]


def _save(fig, path: str | os.PathLike, fmt: str) -> None:
    import matplotlib

    # SVG keeps labels as text (searchable, smaller) rather than glyph outlines
    with matplotlib.rc_context({"svg.fonttype": "none"}), atomic_write(path, "wb") as handle:
        fig.savefig(handle, format=fmt, dpi=150)


def _moving_average(values: np.ndarray, width: int) -> np.ndarray:
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def plot_loss(history: Mapping[str, Sequence[float]], path: str | os.PathLike, title: str | None = None) -> None:
    """Draw loss per logged step (with a moving average) and per-epoch loss markers to `path`.

    `history` holds "step_loss" (one value per logged step), optionally "epoch_loss" (one per
    epoch) and "step_words" (cumulative words processed at each step; used as the x axis when it
    matches "step_loss" in length). Epoch markers sit at the end of each epoch's share of steps.
    """
    fmt = _image_format(path)
    step_loss = np.asarray(history.get("step_loss") or [], dtype=float)
    epoch_loss = np.asarray(history.get("epoch_loss") or [], dtype=float)
    if step_loss.size == 0 and epoch_loss.size == 0:
        raise WordvecError("the loss history is empty: nothing to plot")
    words = np.asarray(history.get("step_words") or [], dtype=float)
    by_words = words.size == step_loss.size > 0 and bool(np.all(np.diff(words) >= 0))
    fig = _new_figure((7.0, 4.2))
    ax = fig.add_subplot()
    if step_loss.size:
        x = words if by_words else np.arange(1, step_loss.size + 1)
        ax.plot(x, step_loss, color="tab:blue", alpha=0.35 if step_loss.size > 50 else 1.0, lw=1, label="step loss")
        if step_loss.size > 50:
            width = max(5, step_loss.size // 50)
            ax.plot(x[width - 1 :], _moving_average(step_loss, width), color="tab:blue", lw=2,
                    label=f"moving average ({width} steps)")
    if epoch_loss.size:
        if step_loss.size:
            ends = np.round(np.arange(1, epoch_loss.size + 1) * step_loss.size / epoch_loss.size).astype(int) - 1
            ex = x[np.clip(ends, 0, step_loss.size - 1)]
            for pos in ex[:-1]:
                ax.axvline(pos, color="grey", ls=":", lw=0.8)
        else:
            ex = np.arange(1, epoch_loss.size + 1)
        ax.plot(ex, epoch_loss, "o-", color="tab:red", ms=5, lw=1.2, label="epoch loss")
    ax.set_xlabel("words processed" if by_words else ("step" if step_loss.size else "epoch"))
    ax.set_ylabel("loss")
    ax.set_title(title or "training loss")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    _save(fig, path, fmt)


def project_2d(vectors: np.ndarray, method: str = "pca") -> np.ndarray:
    """2-D coordinates of the rows of `vectors`.

    "pca": the two leading principal components (centred). "svd": the two leading uncentred
    singular directions; vectors that are already 2-D are kept as they are (the book's figure,
    which plots the first two columns of U).
    """
    if method not in ("pca", "svd"):
        raise ValueError(f"method must be 'pca' or 'svd', got {method!r}")
    X = np.asarray(vectors, dtype=np.float64)
    if method == "svd" and X.shape[1] == 2:
        return X.copy()
    if method == "pca":
        X = X - X.mean(axis=0)
    if X.shape[0] < 2:
        return np.zeros((X.shape[0], 2))
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    coords = U[:, :2] * S[:2]
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((coords.shape[0], 2 - coords.shape[1]))])
    # fix the signs so the same data always gives the same picture
    signs = np.sign(coords[np.abs(coords).argmax(axis=0), [0, 1]])
    signs[signs == 0] = 1
    return coords * signs


def _merged_labels(coords: np.ndarray, labels: list[str]) -> list[tuple[int, str]]:
    """One label per distinct point: words at (nearly) the same place share a comma-joined label,
    so they stay readable instead of printing on top of each other."""
    span = float(np.ptp(coords, axis=0).max()) if len(coords) else 0.0
    tol = 1e-3 * span if span > 0 else 1e-12
    keys = np.round(coords / tol).astype(np.int64)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(map(tuple, keys)):
        groups.setdefault(key, []).append(i)
    return [(members[0], ", ".join(labels[i] for i in members)) for members in groups.values()]


def plot_words(
    kv: Any,
    words: Sequence[str],
    path: str | os.PathLike,
    neighbours: int = 0,
    method: str = "pca",
    title: str | None = None,
) -> None:
    """2-D map of `words` (and each one's top-`neighbours` neighbours), annotated, to `path`.

    Query words are large dots with bold labels, their neighbours small grey dots joined to them by
    faint lines. `kv` is a KeyedVectors (or anything with `key_to_index`, `vectors`, `most_similar`).
    Unknown words raise `UnknownWordError`.
    """
    fmt = _image_format(path)
    if method not in ("pca", "svd"):
        raise WordvecError(f"method must be 'pca' or 'svd', got {method!r}")
    if neighbours < 0:
        raise WordvecError(f"neighbours must be >= 0, got {neighbours}")
    words = list(dict.fromkeys(words))
    if not words:
        raise WordvecError("no words to plot")
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise UnknownWordError(missing)
    links: list[tuple[str, str]] = []
    extra: list[str] = []
    if neighbours:
        for word in words:
            for other, _ in kv.most_similar(word, topn=neighbours):
                links.append((word, other))
                if other not in words and other not in extra:
                    extra.append(other)
    labels = words + extra
    vectors = np.asarray(kv.vectors)[[kv.key_to_index[w] for w in labels]]
    coords = project_2d(vectors, method)
    where = {w: coords[i] for i, w in enumerate(labels)}

    fig = _new_figure((7.0, 6.0))
    ax = fig.add_subplot()
    for word, other in links:
        (x0, y0), (x1, y1) = where[word], where[other]
        ax.plot([x0, x1], [y0, y1], color="grey", lw=0.6, alpha=0.4, zorder=1)
    n = len(words)
    if extra:
        ax.scatter(coords[n:, 0], coords[n:, 1], s=14, color="grey", zorder=2, label="neighbours")
    ax.scatter(coords[:n, 0], coords[:n, 1], s=40, color="tab:red", zorder=3, label="words")
    for i, text in _merged_labels(coords, labels):
        query = i < n
        ax.annotate(text, coords[i], xytext=(4, 3), textcoords="offset points",
                    fontsize=10 if query else 8, fontweight="bold" if query else "normal",
                    color="black" if query else "dimgrey")
    ax.set_title(title or f"{'PCA' if method == 'pca' else 'SVD'} of {len(labels)} word vectors")
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.grid(alpha=0.3)
    if extra:
        ax.legend(loc="best", fontsize=8)
    ax.margins(0.12)
    _save(fig, path, fmt)
