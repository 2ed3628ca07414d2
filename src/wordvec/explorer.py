"""The queries behind `wordvec serve`: one `ModelView` per vector file, answers as plain JSON data.

This module knows nothing of HTTP (`wordvec.serve` maps URLs onto it), so every answer the web
explorer gives can be asked for, and tested, from Python. Words are data: they go out as JSON
strings and the page writes them with `textContent`, never as markup.

Work is lazy so that a file of a million words opens at once: unit norms (and a subword model's
composed vectors) are computed on the first query or by `warm_up` in the background, the sorted
index behind completion on the first completion.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import threading
import time
from numbers import Real
from typing import Any, Sequence

import numpy as np

from wordvec import formats
from wordvec.errors import UnknownWordError, WordvecError
from wordvec.vectors import KeyedVectors

MAX_TOPN = 1000
"""Most neighbours or analogy answers one query returns."""
MAX_MAP_WORDS = 300
"""Most neighbours one map shows (t-SNE on 300 points takes about a second)."""
MAX_COMPLETIONS = 100
MAX_QUERY_CHARS = 4096
"""Longest word a query may hold. Only a native file can hold a longer one (word2vec files stop at
65,535 bytes, and a GET request's line at about 8 KiB); such a word is shown but cannot be asked for."""
MAX_HISTORY_POINTS = 2000
"""A loss curve sent to the page is thinned to at most this many points per series."""
ANALOGY_METHODS = {"add": "3CosAdd", "mul": "3CosMul"}
MAP_METHODS = ("pca", "tsne", "umap")
MAX_WAITING_PROJECTIONS = 8
"""t-SNE and UMAP maps are computed one at a time (each already uses every core); beyond this many
waiting, a map request is refused as busy rather than holding the server's threads."""
_INT = re.compile(r"[0-9]{1,9}")

_SEARCH = threading.Lock()
"""One search at a time in a process. Each search is a matrix-vector product that OpenBLAS already
spreads over every core; when many threads call it at once, its threads contend and 40 concurrent
searches took 20x longer than the same searches one after another (benchmarks/README.md). Waiting
on this lock costs nothing, so 200 concurrent requests are answered at the one-at-a-time rate."""


class _Timed:
    """`with _Timed() as t:` takes the search lock; t.wait_ms is the wait for it, t.ms the search."""

    def __enter__(self) -> "_Timed":
        start = time.perf_counter()
        _SEARCH.acquire()
        self._start = time.perf_counter()
        self.wait_ms = round((self._start - start) * 1000, 3)
        return self

    def __exit__(self, *exc) -> None:
        self.ms = round((time.perf_counter() - self._start) * 1000, 3)
        _SEARCH.release()


class QueryError(WordvecError, ValueError):
    """A malformed query (missing or bad parameter): HTTP 400, with this message."""


class BusyError(WordvecError):
    """Too many slow maps are waiting: HTTP 503, try again (or use PCA)."""


class ModelUnavailableError(WordvecError):
    """A model that cannot answer: its memory-mapped file was edited in place, or it holds NaN/Inf
    (HTTP 409; restart the server with a sound file)."""


def map_methods() -> list[str]:
    """The 2-D projections available here: PCA always, t-SNE with scikit-learn, UMAP with umap-learn."""
    methods = ["pca"]
    for method, module in (("tsne", "sklearn"), ("umap", "umap")):
        try:
            __import__(module)
        except ImportError:
            continue
        methods.append(method)
    return methods


def _check_word(value: Any, name: str = "word") -> str:
    if not isinstance(value, str) or value == "":
        raise QueryError(f"{name} is required")
    if len(value) > MAX_QUERY_CHARS:
        raise QueryError(f"{name} is longer than {MAX_QUERY_CHARS} characters")
    return value


def _check_count(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, str):  # ASCII digits only: no signs, spaces, underscores or other scripts' digits
        if not _INT.fullmatch(value):
            raise QueryError(f"{name} must be a whole number, got {value[:40]!r}")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueryError(f"{name} must be a whole number from {low} to {high}, got {value!r:.40}")
    return value


def _score(value: float) -> float:
    return round(float(value), 6)


def _thin(values: Sequence[Any], limit: int) -> tuple[list[int], list[float | None]]:
    """At most `limit` evenly spaced (step, value) points of a series; NaN/Inf become None (JSON null)."""
    n = len(values)
    steps = list(range(n)) if n <= limit else sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    out = []
    for i in steps:
        v = values[i]
        out.append(float(v) if isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) else None)
    return steps, out


class ModelView:
    """One vector file as the explorer shows it: its facts, completions, neighbours, analogies,
    maps and loss curve. Safe to query from many threads at once."""

    def __init__(self, kv: KeyedVectors, name: str, model_id: int = 0) -> None:
        if not isinstance(kv, KeyedVectors):
            raise TypeError(f"expected KeyedVectors, got {type(kv).__name__}")
        self.kv = kv
        self.name = str(name)
        self.id = int(model_id)
        self._ready = False
        self._lock = threading.Lock()
        self._sorted: list[str] | None = None  # vocabulary in code point order, for completion
        self._order: np.ndarray | None = None  # row of each word in `_sorted`
        self._file: tuple | None = None  # (path, stat signature) of a memory-mapped file
        self._problem: str | None = None  # why this model cannot answer (found by warm_up)

    @classmethod
    def open(cls, path: str | os.PathLike, model_id: int = 0, mmap: bool = True) -> "ModelView":
        """Read a vector file. With `mmap` a native file is memory-mapped, so a big one opens at
        once; its values are then checked by `warm_up`. Replacing or deleting the file (wordvec's
        writers replace) is safe: the mapping keeps the old one, which is served until a restart.
        Editing it in place is not: each query first checks the file's size and time and refuses,
        though an edit in the middle of a search can still end the process (SIGBUS)."""
        mapped = mmap and formats.resolve_format(path, None) == "native"
        before = _signature(path) if mapped else None
        kv = KeyedVectors.load(path, mmap="r" if mapped else None)
        view = cls(kv, os.path.basename(os.fspath(path)), model_id)
        if mapped:
            view._file = (os.fspath(path), before)
        return view

    def _begin(self) -> None:
        """Before a query: the mapped file unchanged, the lazy work done, the values sound."""
        if self._file is not None:
            path, signature = self._file
            try:
                now = _signature(path)
            except OSError:
                now = None  # deleted: the mapping keeps the old file alive
            if now is not None and now[:2] == signature[:2] and now != signature:  # same file, edited
                raise ModelUnavailableError(f"{self.name} changed on disk after the server opened it (it is "
                                        "memory-mapped): restart wordvec serve")
        self.warm_up()
        if self._problem:
            raise ModelUnavailableError(self._problem)

    @property
    def subwords(self) -> bool:
        return hasattr(self.kv, "ngram_vectors")

    def warm_up(self) -> None:
        """Do the lazy work now (norms, composed subword vectors): the first query is then as quick
        as the rest. Idempotent, and safe to call from a background thread."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                try:
                    if self._file is not None:  # a mapped file was not scanned when read
                        formats._check_all_finite(self.kv.vectors, self.kv.index_to_key, "the file is damaged")
                    self.kv.fill_norms()
                except (OSError, WordvecError, ValueError) as exc:
                    self._problem = f"{self.name}: {' '.join(str(exc).split())[:300]}"
                self._ready = True

    # -- facts ---------------------------------------------------------------------------------

    @property
    def _metadata(self) -> dict[str, Any]:
        return self.kv.metadata if isinstance(self.kv.metadata, dict) else {}

    def info(self) -> dict[str, Any]:
        """Size, kind and the file's metadata (without the loss history, served by `history`)."""
        meta = self._metadata
        history = meta.get("loss_history")
        info: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "words": len(self.kv),
            "dim": self.kv.vector_size,
            "subwords": self.subwords,
            "has_history": self._history_series(history) != {},
            "metadata": {k: v for k, v in meta.items() if k != "loss_history"},
        }
        if self.subwords:
            info["ngrams"] = {"minn": self.kv.minn, "maxn": self.kv.maxn, "bucket": self.kv.bucket}
        return info

    @staticmethod
    def _history_series(history: Any) -> dict[str, list]:
        if not isinstance(history, dict):
            return {}
        return {str(k): v for k, v in history.items() if isinstance(v, list) and v}

    def history(self) -> dict[str, Any]:
        """The loss curves saved with the vectors (native files trained by wordvec), thinned."""
        series = {}
        for key, values in self._history_series(self._metadata.get("loss_history")).items():
            steps, points = _thin(values, MAX_HISTORY_POINTS)
            series[key] = {"length": len(values), "steps": steps, "values": points}
        return {"model": self.id, "series": series}

    # -- completion ----------------------------------------------------------------------------

    def _completion_index(self) -> tuple[list[str], np.ndarray]:
        if self._sorted is None:
            with self._lock:
                if self._sorted is None:
                    words = self.kv.index_to_key
                    order = sorted(range(len(words)), key=words.__getitem__)
                    self._order = np.asarray(order, dtype=np.int64)
                    self._sorted = [words[i] for i in order]
        return self._sorted, self._order  # type: ignore[return-value]

    def complete(self, prefix: str, limit: int = 10) -> dict[str, Any]:
        """Up to `limit` vocabulary words starting with `prefix`, most frequent (first rows) first.
        When no word starts with it as typed, the lower-cased prefix is tried too."""
        if not isinstance(prefix, str) or len(prefix) > MAX_QUERY_CHARS:
            raise QueryError(f"prefix must be a string of at most {MAX_QUERY_CHARS} characters")
        limit = _check_count(limit, "limit", 1, MAX_COMPLETIONS)
        if prefix == "":
            return {"model": self.id, "prefix": prefix, "words": self.kv.index_to_key[:limit]}
        words, order = self._completion_index()
        for candidate in dict.fromkeys((prefix, prefix.lower())):
            lo = bisect.bisect_left(words, candidate)
            hi = bisect.bisect_left(words, candidate + "\U0010ffff", lo)
            while hi < len(words) and words[hi].startswith(candidate):  # words that go on with U+10FFFF
                hi += 1
            if hi > lo:
                rows = order[lo:hi]
                if len(rows) > limit:
                    rows = np.partition(rows, limit - 1)[:limit]
                found = [self.kv.index_to_key[i] for i in np.sort(rows)]
                return {"model": self.id, "prefix": prefix, "words": found}
        return {"model": self.id, "prefix": prefix, "words": []}

    # -- queries -------------------------------------------------------------------------------

    def _known(self, word: str) -> bool:
        return self.kv.has_index_for(word)

    def neighbours(self, word: str, topn: int = 10) -> dict[str, Any]:
        """The `topn` nearest vocabulary words of `word` by cosine similarity; `ms` is the time
        the search itself took. A subword model answers for unseen words too (`known`: False)."""
        word = _check_word(word)
        topn = _check_count(topn, "topn", 1, MAX_TOPN)
        self._begin()
        with _Timed() as timed:
            pairs = self.kv.most_similar(positive=[word], topn=topn)
        return {"model": self.id, "word": word, "known": self._known(word),
                "neighbours": [{"word": w, "score": _score(s)} for w, s in pairs],
                "ms": timed.ms, "wait_ms": timed.wait_ms}

    def analogy(self, a: str, b: str, c: str, method: str = "add", topn: int = 10) -> dict[str, Any]:
        """a : b = c : ?, by 3CosAdd ("add") or 3CosMul ("mul"); the three words are left out."""
        a, b, c = _check_word(a, "a"), _check_word(b, "b"), _check_word(c, "c")
        if method not in ANALOGY_METHODS:
            raise QueryError(f"method must be one of {', '.join(ANALOGY_METHODS)}, got {method!r:.40}")
        topn = _check_count(topn, "topn", 1, MAX_TOPN)
        self._begin()
        with _Timed() as timed:
            pairs = self.kv.analogy(a, b, c, topn=topn, method=method)
        return {"model": self.id, "a": a, "b": b, "c": c, "method": method,
                "answers": [{"word": w, "score": _score(s)} for w, s in pairs],
                "ms": timed.ms, "wait_ms": timed.wait_ms}

    def similarity(self, a: str, b: str) -> dict[str, Any]:
        a, b = _check_word(a, "a"), _check_word(b, "b")
        self._begin()
        with _Timed():
            value = self.kv.similarity(a, b)
        return {"model": self.id, "a": a, "b": b, "similarity": _score(value)}

    def map(self, word: str, n: int = 30, method: str = "pca") -> dict[str, Any]:
        """2-D coordinates (scaled into [-1, 1]) of `word` and its `n` nearest neighbours, projected
        from their unit vectors by PCA, t-SNE or UMAP (see `map_methods`)."""
        word = _check_word(word)
        n = _check_count(n, "n", 1, MAX_MAP_WORDS)
        if method not in MAP_METHODS:
            raise QueryError(f"unknown map method {method!r:.40} (one of {', '.join(MAP_METHODS)})")
        if method not in map_methods():
            raise QueryError(f"{method} maps are not available here: they need "
                             + ("scikit-learn" if method == "tsne" else "umap-learn") + " installed")
        self._begin()
        start = time.perf_counter()
        with _Timed() as timed:
            pairs = self.kv.most_similar(positive=[word], topn=n)
            words = [word] + [w for w, _ in pairs]
            unit = np.stack([self.kv.get_vector(w, norm=True) for w in words]).astype(np.float64)
        scores = [1.0] + [s for _, s in pairs]
        wait = timed.wait_ms
        if method == "pca" or len(words) < 3 or unit.shape[1] < 2:
            coords = _project(unit, "pca")
        else:
            with _Slow() as slow:  # outside the search lock: a t-SNE map does not hold up searches
                coords = _project(unit, method)
            wait += slow.wait_ms
        ms = (time.perf_counter() - start) * 1000 - wait
        points = [{"word": w, "x": _score(x), "y": _score(y), "score": _score(s)}
                  for w, (x, y), s in zip(words, coords, scores)]
        return {"model": self.id, "word": word, "known": self._known(word), "method": method,
                "points": points, "ms": round(ms, 3), "wait_ms": round(wait, 3)}


_SLOW = threading.Lock()
_SLOW_WAITING = [0]
_SLOW_COUNT = threading.Lock()


class _Slow:
    """`with _Slow() as s:` runs one t-SNE/UMAP projection at a time; BusyError when too many wait."""

    def __enter__(self) -> "_Slow":
        with _SLOW_COUNT:
            if _SLOW_WAITING[0] >= MAX_WAITING_PROJECTIONS:
                raise BusyError(f"{MAX_WAITING_PROJECTIONS} maps are already waiting to be computed; "
                                "try again shortly, or use PCA")
            _SLOW_WAITING[0] += 1
        start = time.perf_counter()
        try:
            _SLOW.acquire()
        finally:
            with _SLOW_COUNT:
                _SLOW_WAITING[0] -= 1
        self.wait_ms = (time.perf_counter() - start) * 1000
        return self

    def __exit__(self, *exc) -> None:
        _SLOW.release()


def _signature(path) -> tuple:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _project(unit: np.ndarray, method: str) -> np.ndarray:
    """(n, 2) coordinates of the rows of `unit`, centred and scaled so the farthest is at 1."""
    from wordvec.plots import project_2d

    n = len(unit)
    if method == "pca":  # `map` sends t-SNE/UMAP only 3+ points of 2+ dimensions
        coords = project_2d(unit, "pca")
    elif method == "tsne":
        from sklearn.manifold import TSNE

        coords = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca", metric="cosine",
                      random_state=0).fit_transform(unit)
    else:
        import umap

        coords = umap.UMAP(n_neighbors=min(15, n - 1), metric="cosine", random_state=0,
                           init="random").fit_transform(unit)
    coords = np.asarray(coords, dtype=np.float64)
    coords = coords - coords.mean(axis=0)
    scale = np.abs(coords).max()
    return coords / scale if scale > 0 and np.isfinite(scale) else np.zeros_like(coords)


class Explorer:
    """The models one `wordvec serve` shows, by id (their order on the command line)."""

    def __init__(self, views: Sequence[ModelView]) -> None:
        if not views:
            raise ValueError("give at least one model")
        self.views = list(views)
        seen: dict[str, int] = {}
        for i, view in enumerate(self.views):
            view.id = i
            seen[view.name] = seen.get(view.name, 0) + 1
            if seen[view.name] > 1:  # the same name twice: tell them apart in the menus
                view.name = f"{view.name} ({seen[view.name]})"

    @classmethod
    def open(cls, paths: Sequence[str | os.PathLike], mmap: bool = True) -> "Explorer":
        return cls([ModelView.open(path, i, mmap=mmap) for i, path in enumerate(paths)])

    def model(self, model_id: Any) -> ModelView:
        """The model numbered `model_id` (an int or its decimal string)."""
        number = _check_count(model_id if model_id is not None else 0, "model", 0, len(self.views) - 1)
        return self.views[number]

    def models(self) -> dict[str, Any]:
        return {"models": [view.info() for view in self.views], "map_methods": map_methods(),
                "analogy_methods": ANALOGY_METHODS,
                "limits": {"topn": MAX_TOPN, "map": MAX_MAP_WORDS, "completions": MAX_COMPLETIONS}}

    def warm_up(self) -> None:
        for view in self.views:
            view.warm_up()


__all__ = ["BusyError", "Explorer", "ModelUnavailableError", "ModelView", "QueryError", "UnknownWordError", "map_methods"]
