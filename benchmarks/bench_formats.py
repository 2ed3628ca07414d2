#!/usr/bin/env python
"""Vector file speed: median save/load times of wordvec and gensim, measured in the same run.

    python benchmarks/bench_formats.py [--sizes 10000 100000] [--dim 100] [--repeats 5]
                                       [--formats text binary native]

For each size, random float32 vectors (words "w0", "w1", ...) are saved and loaded in every format,
alternating wordvec and gensim call by call so both see the same machine load. For text and binary
both libraries load the *same* file (the one wordvec wrote; gensim's own is byte-identical for
binary). "native" is each library's own format: wordvec's .npz, gensim's `KeyedVectors.save`
(pickle + .npy). One untimed load per library comes first (Numba's cached kernels, file cache).
Timings on a shared machine are only comparable within one run; the ratio column is gensim / wordvec
(above 1: wordvec is faster). The last lines time a *fresh process* importing each library and
loading the largest binary file once: the binary reader's Numba kernels are imported (and, the very
first time, compiled into the on-disk cache) on that first call.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from wordvec.vectors import KeyedVectors


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_one(tmp: Path, n_words: int, dim: int, fmt: str, repeats: int) -> dict[str, float]:
    from gensim.models import KeyedVectors as GensimKV

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(n_words)]
    ours = KeyedVectors(rng.standard_normal((n_words, dim)).astype(np.float32), words)
    theirs = GensimKV(dim)
    theirs.add_vectors(words, ours.vectors)
    ext = {"text": "txt", "binary": "bin", "native": "npz"}[fmt]
    our_path, their_path = tmp / f"w.{ext}", tmp / f"g.{ext}"

    def save_ours():
        ours.save(our_path, format=fmt)

    def save_theirs():
        if fmt == "native":
            theirs.save(str(their_path))
        else:
            theirs.save_word2vec_format(str(their_path), binary=fmt == "binary")

    def load_ours():
        return KeyedVectors.load(our_path, format=fmt)

    def load_theirs():
        if fmt == "native":
            return GensimKV.load(str(their_path))
        return GensimKV.load_word2vec_format(str(our_path), binary=fmt == "binary")

    results = {"wordvec save": [], "gensim save": [], "wordvec load": [], "gensim load": []}
    save_ours(), save_theirs()
    loaded_ours, loaded_theirs = load_ours(), load_theirs()  # warm-up, and a correctness check
    assert loaded_ours.index_to_key == words and np.array_equal(loaded_ours.vectors, ours.vectors)
    assert list(loaded_theirs.index_to_key) == words
    for _ in range(repeats):  # alternate the libraries, one call each per round
        results["wordvec save"].append(seconds(save_ours))
        results["gensim save"].append(seconds(save_theirs))
        results["wordvec load"].append(seconds(load_ours))
        results["gensim load"].append(seconds(load_theirs))
    return {key: statistics.median(values) for key, values in results.items()}


_COLD = {
    "wordvec": "from wordvec.vectors import KeyedVectors as K; K.load(path, format='binary')",
    "gensim": "from gensim.models import KeyedVectors as K; K.load_word2vec_format(path, binary=True)",
}


def cold_seconds(library: str, path: Path) -> float:
    """Wall time of a new interpreter importing `library` and loading `path` once (startup excluded)."""
    code = f"import time; t = time.perf_counter(); path = {str(path)!r}; {_COLD[library]}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["text", "binary", "native"],
                        choices=["text", "binary", "native"])
    args = parser.parse_args()
    print(f"{'words':>8} {'format':>7} {'op':>5} {'wordvec s':>10} {'gensim s':>9} {'gensim/wordvec':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for n_words in args.sizes:
            for fmt in args.formats:
                r = bench_one(Path(tmp), n_words, args.dim, fmt, args.repeats)
                for op in ("save", "load"):
                    ours, theirs = r[f"wordvec {op}"], r[f"gensim {op}"]
                    print(f"{n_words:>8} {fmt:>7} {op:>5} {ours:>10.4f} {theirs:>9.4f} {theirs / ours:>14.2f}x",
                          flush=True)
        n_words = max(args.sizes)
        path = Path(tmp) / "cold.bin"
        rng = np.random.default_rng(0)
        KeyedVectors(rng.standard_normal((n_words, args.dim)).astype(np.float32),
                     [f"w{i}" for i in range(n_words)]).save(path)
        cold = {lib: statistics.median(cold_seconds(lib, path) for _ in range(3)) for lib in _COLD}
        print(f"{n_words:>8} {'binary':>7} {'cold':>5} {cold['wordvec']:>10.4f} {cold['gensim']:>9.4f} "
              f"{cold['gensim'] / cold['wordvec']:>14.2f}x   (fresh process: import + first load)")


if __name__ == "__main__":
    main()
