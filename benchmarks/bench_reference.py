"""Reference engine speed and loss on PTB with the book's settings.

Window 5, hidden 100, batch 100, Adam lr 0.001, 5 negatives, the book's flat corpus (929,589 ids
with `<eos>`). Prints words/s (wall clock and CPU time of this process, which is less disturbed by
other jobs on a shared machine) and the mean loss of every 500 batches of epoch 1 next to the
book's CBOW figures.

    WORDVEC_DATA=/work/shared/data python benchmarks/bench_reference.py
    python benchmarks/bench_reference.py --models cbow --batches 3000 --optimizer dense_adam
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from wordvec.corpus import book_corpus
from wordvec.models import CBOW, SkipGram, create_contexts_target
from wordvec.nn import Trainer, make_optimizer

#: the book's CBOW, epoch 1 (batch number -> loss printed by its Trainer)
BOOK_CBOW_EPOCH1 = {1: 4.16, 2500: 2.48, 6500: 2.31, 9000: 2.23}
#: the book's own code on this 2-core machine (words/s)
BOOK_SPEED = {"cbow": 1800, "skipgram": 470}
INTERVAL = 500


def bench(name: str, contexts: np.ndarray, target: np.ndarray, counts: np.ndarray, args) -> dict:
    model_cls = CBOW if name == "cbow" else SkipGram
    model = model_cls(len(counts), args.hidden, args.window, counts, sample_size=args.negative, seed=args.seed)
    trainer = Trainer(model, make_optimizer(args.optimizer, args.lr), seed=args.seed, progress=not args.quiet)
    n = min(len(target), args.batches * args.batch_size) if args.batches else len(target)
    # an epoch's shuffle over all pairs, cut to the first n rows when --batches is given
    order = np.random.default_rng(args.seed).permutation(len(target))[:n]
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.fit(contexts[order], target[order], max_epoch=1, batch_size=args.batch_size, eval_interval=INTERVAL)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "model": name,
        "words": int(n),
        "batches": -(-n // args.batch_size),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "words_per_s_wall": round(n / wall),
        "words_per_s_cpu": round(n / cpu),
        "loss_per_500_batches": [round(x, 3) for x in trainer.loss_list],
        "epoch_loss": round(trainer.epoch_losses[-1], 4),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["cbow", "skipgram"], choices=["cbow", "skipgram"])
    p.add_argument("--batches", type=int, default=0, help="stop after this many batches (0 = one full epoch)")
    p.add_argument("--optimizer", default="adam", help="adam (lazy, default), dense_adam (the book's), sgd, ...")
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args()

    corpus = book_corpus("ptb")
    contexts, target = create_contexts_target(corpus.ids, args.window)
    counts = np.bincount(corpus.ids, minlength=len(corpus.vocab))
    print(f"PTB (book mode): {len(corpus.ids):,} ids, {len(counts):,} words, {len(target):,} pairs; "
          f"optimizer {args.optimizer}")
    results = []
    for name in args.models:
        r = bench(name, contexts, target, counts, args)
        results.append(r)
        print(f"\n{name}: {r['words']:,} words in {r['wall_s']} s wall / {r['cpu_s']} s CPU -> "
              f"{r['words_per_s_wall']:,} words/s wall, {r['words_per_s_cpu']:,} words/s CPU "
              f"(book's code: ~{BOOK_SPEED[name]:,})")
        print("  mean loss per 500 batches:", " ".join(f"{x:.2f}" for x in r["loss_per_500_batches"]))
        if name == "cbow":
            print("  book's CBOW epoch 1:", ", ".join(f"{v} at batch {k:,}" for k, v in BOOK_CBOW_EPOCH1.items()))
    if args.json:
        from wordvec.fileio import atomic_write

        with atomic_write(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
