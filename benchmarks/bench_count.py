"""Benchmark of the PPMI/SVD engine on PTB: where the time goes, and what quality each choice buys.

Run: WORDVEC_DATA=/work/shared/data python benchmarks/bench_count.py [--quick]
One line per setting: seconds (wall and CPU) in counting / PPMI / SVD, nonzeros, WordSim353
Spearman, Google analogy accuracy, how many of the book's neighbours appear in our top 5, and the
book's queries. Also times the book's Python double loop for counting on a slice, for scale.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from wordvec.corpus import book_corpus, load_corpus
from wordvec.count import cooccurrence, ppmi, truncated_svd
from wordvec.evaluate import evaluate_analogies, evaluate_word_pairs
from wordvec.vectors import KeyedVectors

DATA = os.environ.get("WORDVEC_DATA", "/work/shared/data")
# neighbours the book prints for its count-based PTB vectors (chapter 2)
BOOK_NEIGHBOURS = {"you": {"i", "we", "do", "anybody"}, "year": {"month", "quarter"},
                   "car": {"auto", "truck"}, "toyota": {"motor", "honda", "lexus", "mazda"}}


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def book_double_loop(ids: np.ndarray, vocab_size: int, window: int) -> np.ndarray:
    """The book's create_co_matrix, for timing only."""
    C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    n = len(ids)
    for idx, word_id in enumerate(ids):
        for i in range(1, window + 1):
            if idx - i >= 0:
                C[word_id, ids[idx - i]] += 1
            if idx + i < n:
                C[word_id, ids[idx + i]] += 1
    return C


def quality(kv: KeyedVectors) -> str:
    ws = evaluate_word_pairs(kv, f"{DATA}/eval/wordsim353.tsv").to_dict()["spearman"]
    an = evaluate_analogies(kv, f"{DATA}/eval/questions-words.txt")
    hits = sum(len(want & {w for w, _ in kv.most_similar(q, topn=5)}) for q, want in BOOK_NEIGHBOURS.items())
    return f"WS353 {ws:.3f}, analogies {an.correct}/{an.total} ({an.correct / an.total:.1%}), book neighbours {hits}/12"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="book mode, window 2 only")
    args = parser.parse_args()
    corpora = {"book mode (<eos>, one sequence)": book_corpus("ptb")}
    if not args.quick:
        corpora["sentences (min_count 5)"] = load_corpus("ptb")

    first = corpora["book mode (<eos>, one sequence)"]
    sl = first.ids[:100_000]
    with Clock() as loop:
        book_double_loop(sl, len(first.vocab), 2)
    with Clock() as ours:
        cooccurrence(sl, len(first.vocab), 2)
    print(f"counting 100k ids, window 2: book's double loop {loop.wall:.2f} s, cooccurrence {ours.wall:.3f} s "
          f"(x{loop.wall / ours.wall:.0f}); whole PTB would take the loop ~{loop.wall * len(first) / len(sl):.0f} s")

    windows = (2,) if args.quick else (2, 5)
    for name, corpus in corpora.items():
        words = list(corpus.vocab.index_to_key)
        print(f"\n== PTB train, {name}: {len(corpus):,} ids, {len(words):,} words")
        for window in windows:
            with Clock() as count_t:
                C = cooccurrence(corpus.ids, len(words), window, offsets=corpus.offsets)
            for alpha in (1.0, 0.75):
                with Clock() as ppmi_t:
                    M = ppmi(C, alpha)
                for method in ("arpack", "randomized"):
                    with Clock() as svd_t:
                        U, S, _ = truncated_svd(M, 100, method=method)
                    for eigen_weight in (0.0, 0.5, 1.0):
                        kv = KeyedVectors((U * S**eigen_weight).astype(np.float32), words)
                        print(f"window {window} alpha {alpha} {method:10s} eigen_weight {eigen_weight}: "
                              f"count {count_t.wall:.2f}/{count_t.cpu:.2f} s, "
                              f"ppmi {ppmi_t.wall:.2f}/{ppmi_t.cpu:.2f} s, "
                              f"svd {svd_t.wall:.2f}/{svd_t.cpu:.2f} s (wall/CPU); nnz {C.nnz:,} -> {M.nnz:,}; "
                              f"{quality(kv)}", flush=True)
                    if window == 2 and method == "arpack":
                        kv = KeyedVectors((U * S**0.5).astype(np.float32), words)
                        for q in BOOK_NEIGHBOURS:
                            print(f"    {q} -> {', '.join(w for w, _ in kv.most_similar(q, topn=5))}")


if __name__ == "__main__":
    main()
