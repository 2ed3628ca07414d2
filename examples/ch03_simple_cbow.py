"""The book's chapter 3: SimpleCBOW on "you say goodbye and i say hello ." with wordvec.

Builds contexts and targets with `create_contexts_target`, trains SimpleCBOW (window 1, hidden 5,
Adam, batch 3, 1,000 epochs) with `Trainer`, saves the loss curve and prints the learned word
vectors (W_in rows). `--skipgram` trains SimpleSkipGram instead.

Run: python examples/ch03_simple_cbow.py [--epochs 1000] [--plot ch03_loss.png] [--skipgram]
"""

from __future__ import annotations

import argparse

import numpy as np

from wordvec.corpus import load_corpus
from wordvec.models import SimpleCBOW, SimpleSkipGram, convert_one_hot, create_contexts_target
from wordvec.nn import Adam, Trainer

TEXT = "you say goodbye and i say hello ."


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--hidden", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skipgram", action="store_true", help="train SimpleSkipGram instead")
    p.add_argument("--plot", help="save the loss curve here (.png or .svg; needs matplotlib)")
    args = p.parse_args()

    corpus = load_corpus([TEXT.split()], min_count=1, order="first_seen")  # the book's preprocess()
    words = corpus.vocab.index_to_key
    vocab_size = len(words)
    contexts, target = create_contexts_target(corpus.ids, window_size=1)
    # the book feeds one-hot arrays; the models also take ids directly
    contexts, target = convert_one_hot(contexts, vocab_size), convert_one_hot(target, vocab_size)
    print("contexts", contexts.shape, "target", target.shape)

    model_cls = SimpleSkipGram if args.skipgram else SimpleCBOW
    model = model_cls(vocab_size, args.hidden, window_size=1, seed=args.seed)
    trainer = Trainer(model, Adam(), seed=args.seed)
    trainer.fit(contexts, target, max_epoch=args.epochs, batch_size=args.batch_size, eval_interval=1)
    every = max(1, args.epochs // 10)
    for epoch in range(0, args.epochs, every):
        print(f"epoch {epoch + 1:5d}  loss {trainer.epoch_losses[epoch]:.3f}")
    print(f"epoch {args.epochs:5d}  loss {trainer.epoch_losses[-1]:.3f}")
    if args.plot:
        trainer.plot(args.plot)
        print("loss curve saved to", args.plot)

    np.set_printoptions(precision=3, suppress=True)
    print("\nword vectors (W_in):")
    for word_id, word in enumerate(words):
        print(f"{word:>8s} {model.word_vecs[word_id]}")


if __name__ == "__main__":
    main()
