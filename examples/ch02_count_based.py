"""The book's chapter 2 (count-based methods) redone with wordvec.

First the toy corpus "you say goodbye and i say hello .": co-occurrence matrix, cosine similarity,
most similar words to 'you', PPMI, SVD and a 2-D plot. Then the same pipeline on Penn Treebank
with the book's settings (window 2, 100 dimensions) and its queries.

Run: WORDVEC_DATA=/path/to/data python examples/ch02_count_based.py [--plot ch02_svd.png]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from wordvec.config import TrainConfig
from wordvec.corpus import book_corpus, load_corpus
from wordvec.count import cooccurrence, ppmi, train, truncated_svd
from wordvec.vectors import KeyedVectors

TEXT = "you say goodbye and i say hello ."


def toy(plot_path: str) -> None:
    corpus = load_corpus([TEXT.split()], min_count=1, order="first_seen")  # the book's preprocess()
    words = corpus.vocab.index_to_key
    print("ids:", corpus.ids, "words:", words)

    C = cooccurrence(corpus.ids, len(words), window=1)  # sparse; .toarray() only because it is tiny
    print("co-occurrence matrix (window 1):\n", C.toarray().astype(int))

    counts = KeyedVectors(C.toarray().astype(np.float32), words)
    print(f"cos_similarity(you, i) = {counts.similarity('you', 'i'):.4f}")
    print("most similar to 'you' (counts):", [(w, round(s, 3)) for w, s in counts.most_similar("you", topn=5)])

    W = ppmi(C, alpha=1.0)  # the book's ppmi(C)
    np.set_printoptions(precision=3)
    print("PPMI:\n", W.toarray())

    U, S, _ = truncated_svd(W, len(words), method="dense")  # the book's np.linalg.svd(W)
    print("C[0] =", C.toarray()[0], " W[0] =", W.toarray()[0], " U[0] =", U[0])
    svd2 = KeyedVectors(U[:, :2].astype(np.float32), words)

    from wordvec.plots import plot_words

    plot_words(svd2, words, plot_path, method="svd", title="toy corpus: first two columns of U")
    print(f"wrote {plot_path}")


def ptb() -> None:
    start = time.perf_counter()
    corpus = book_corpus("ptb")  # <eos> per line end, one flat sequence, as the book reads PTB
    read_s = time.perf_counter() - start
    book = TrainConfig(model="ppmi", window=2, dim=100, alpha=1.0, eigen_weight=0.0)  # word_vecs = U
    tuned = TrainConfig(model="ppmi", window=2, dim=100)  # package defaults: alpha 0.75, U * S**0.5
    for label, config in (("book's settings", book), ("package defaults", tuned)):
        start = time.perf_counter()
        kv = train(corpus, config, progress=False)
        t = kv.metadata["timings"]
        print(f"\nPTB, {label}: read {read_s:.2f} s, trained in {time.perf_counter() - start:.2f} s "
              f"(counting {t['count_s']:.2f}, PPMI {t['ppmi_s']:.2f}, SVD {t['svd_s']:.2f})")
        for query in ("you", "year", "car", "toyota"):
            print(f"[query] {query}")
            for word, sim in kv.most_similar(query, topn=5):
                print(f"  {word}: {sim:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="The book's chapter 2 with wordvec")
    parser.add_argument("--plot", default="ch02_svd.png", help="where to save the toy corpus plot (.png or .svg)")
    parser.add_argument("--skip-ptb", action="store_true", help="only the toy corpus")
    args = parser.parse_args()
    toy(args.plot)
    if not args.skip_ptb:
        ptb()


if __name__ == "__main__":
    main()
