"""The book's chapter 4: CBOW with negative sampling on Penn Treebank, then its queries.

Settings as in the book: window 5, hidden 100, batch 100, Adam (lr 0.001), 5 negatives, the flat
corpus with `<eos>`; the book trains 10 epochs (use --epochs 1 for a ~10 s run). Prints the
neighbours of you, year, car, toyota and the analogies king:man = queen:?, take:took = go:?,
car:cars = child:?, good:better = bad:?. `--out` saves the vectors, `--plot` the loss curve.

Run: WORDVEC_DATA=/path/to/data python examples/ch04_cbow_ptb.py [--epochs 1] [--skipgram]
"""

from __future__ import annotations

import argparse
import time

from wordvec.config import TrainConfig
from wordvec.corpus import book_corpus
from wordvec.models import train

QUERIES = ["you", "year", "car", "toyota"]
ANALOGIES = [("king", "man", "queen"), ("take", "took", "go"), ("car", "cars", "child"), ("good", "better", "bad")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--skipgram", action="store_true", help="train skip-gram instead of CBOW")
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="save the vectors here (.npz native, .txt/.bin word2vec format)")
    p.add_argument("--plot", help="save the loss curve here (.png or .svg; needs matplotlib)")
    args = p.parse_args()

    corpus = book_corpus("ptb")
    print(f"PTB: {len(corpus):,} ids, {len(corpus.vocab):,} words")
    config = TrainConfig(model="skipgram" if args.skipgram else "cbow", engine="reference", dim=args.dim,
                         window=args.window, negative=5, epochs=args.epochs, batch_size=100,
                         optimizer="adam", seed=args.seed)
    start = time.perf_counter()
    kv = train(corpus, config, progress=True,
               callbacks=[lambda epoch, info: print(f"epoch {epoch + 1}: mean loss {info['loss']:.3f}", flush=True)])
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s ({len(corpus) * args.epochs / seconds:,.0f} words/s)")

    for word in QUERIES:
        print(f"\n[query] {word}")
        for other, score in kv.most_similar(word, topn=5):
            print(f" {other}: {score:.3f}")
    print()
    for a, b, c in ANALOGIES:
        (answer, score), = kv.analogy(a, b, c, topn=1)
        print(f"{a}:{b} = {c}:{answer}  ({score:.3f})")
    if args.out:
        kv.save(args.out)
        print("vectors saved to", args.out)
    if args.plot:
        from wordvec.plots import plot_loss

        plot_loss(kv.metadata["loss_history"], args.plot, title=f"{config.model} on PTB (reference engine)")
        print("loss curve saved to", args.plot)


if __name__ == "__main__":
    main()
