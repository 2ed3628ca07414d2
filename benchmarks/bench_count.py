"""Benchmark of the PPMI/SVD engine on PTB: where train() spends its time, and what quality it buys.

Run: WORDVEC_DATA=/work/shared/data python benchmarks/bench_count.py [--quick]
Prints one line per setting: seconds in counting / PPMI / SVD, nonzeros, WordSim353 Spearman and
the book's neighbour queries. Reads PTB with wordvec.corpus when available, else a tiny reader
that gives the book's ids (first-seen, <eos> per line end).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from wordvec.count import embed

QUERIES = ("you", "year", "car", "toyota")


def load_ptb() -> tuple[np.ndarray, list[str]]:
    """PTB train in the book's mode: one flat id sequence, <eos> per line end, first-seen ids."""
    try:
        from wordvec.corpus import book_corpus

        corpus = book_corpus("ptb")
        return corpus.ids, list(corpus.vocab.index_to_key)
    except ImportError:
        pass
    path = Path(os.environ.get("WORDVEC_DATA", "/work/shared/data")) / "ptb" / "ptb.train.txt"
    word_to_id: dict[str, int] = {}
    ids = [word_to_id.setdefault(w, len(word_to_id)) for line in path.open() for w in line.split() + ["<eos>"]]
    return np.array(ids, dtype=np.int32), list(word_to_id)


def wordsim(vectors: np.ndarray, words: list[str]) -> tuple[float, int]:
    """Spearman correlation on WordSim353 over the pairs whose words are both known."""
    path = Path(os.environ.get("WORDVEC_DATA", "/work/shared/data")) / "eval" / "wordsim353.tsv"
    index = {w: i for i, w in enumerate(words)}
    normed = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    gold, pred = [], []
    for line in path.open():
        if line.startswith("#") or not line.strip():
            continue
        a, b, score = line.rstrip("\n").split("\t")
        a, b = a.lower(), b.lower()
        if a in index and b in index:
            gold.append(float(score))
            pred.append(float(normed[index[a]] @ normed[index[b]]))
    return float(spearmanr(gold, pred).statistic), len(gold)


def neighbours(vectors: np.ndarray, words: list[str], query: str, topn: int = 5) -> list[str]:
    index = {w: i for i, w in enumerate(words)}
    normed = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = normed @ normed[index[query]]
    sims[index[query]] = -np.inf
    return [words[i] for i in np.argsort(-sims)[:topn]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the book's setting and the default")
    args = parser.parse_args()
    t0 = time.perf_counter()
    ids, words = load_ptb()
    print(f"PTB train: {len(ids):,} ids, {len(words):,} words, read in {time.perf_counter() - t0:.2f} s")
    settings = [
        dict(window=2, alpha=1.0, eigen_weight=0.0, svd="randomized"),  # the book's
        dict(window=2, alpha=0.75, eigen_weight=0.5, svd="randomized"),  # package default
    ]
    if not args.quick:
        settings += [
            dict(window=2, alpha=0.75, eigen_weight=0.0, svd="randomized"),
            dict(window=2, alpha=0.75, eigen_weight=1.0, svd="randomized"),
            dict(window=2, alpha=1.0, eigen_weight=0.5, svd="randomized"),
            dict(window=2, alpha=0.75, eigen_weight=0.5, svd="arpack"),
            dict(window=5, alpha=0.75, eigen_weight=0.5, svd="randomized"),
            dict(window=5, alpha=0.75, eigen_weight=0.5, svd="randomized", weighting="harmonic"),
        ]
    for setting in settings:
        timings: dict = {}
        start = time.perf_counter()
        vectors, _ = embed(ids, len(words), dim=100, timings=timings, **setting)
        total = time.perf_counter() - start
        rho, pairs = wordsim(vectors, words)
        label = " ".join(f"{k}={v}" for k, v in setting.items())
        print(
            f"{label}: total {total:.2f} s (count {timings['count_s']:.2f}, ppmi {timings['ppmi_s']:.2f}, "
            f"svd {timings['svd_s']:.2f}); nnz {timings['nnz_counts']:,} -> {timings['nnz_ppmi']:,}; "
            f"WS353 rho {rho:.3f} ({pairs} pairs)"
        )
        for query in QUERIES:
            print(f"    {query} -> {', '.join(neighbours(vectors, words, query))}")


if __name__ == "__main__":
    main()
