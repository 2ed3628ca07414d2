"""The reference engine: `train(corpus, config) -> KeyedVectors` with the book's CBOW / skip-gram."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from wordvec.errors import TrainingError
from wordvec.models.data import contexts_in_sentences
from wordvec.models.word2vec import CBOW, SkipGram
from wordvec.nn.optim import make_optimizer
from wordvec.nn.trainer import Trainer

#: batches per entry of the loss history (the book plots every 20 batches)
EVAL_INTERVAL = 20


def train(corpus, config, *, progress: bool = True, callbacks: Iterable[Callable[[int, dict], object]] = ()):
    """Train the reference word2vec on an EncodedCorpus and return the input vectors as KeyedVectors.

    Windows never cross sentence boundaries (a book-mode corpus is one flat sentence, so this is
    exactly the book). Uses config.model (cbow|skipgram), dim, window, negative, epochs,
    batch_size, optimizer (adam = LazyAdam), learning_rate and seed; loss must be "ns". Subsampling
    (`sample`) and learning-rate decay are fast-engine features and are ignored here.
    After every epoch each callback is called as callback(epoch, info) like the fast engine's:
    epoch counted from 0, info = {"epoch", "loss", "pairs", "seconds", "words_per_sec", "lr"}.
    """
    from wordvec.vectors import KeyedVectors

    if config.model not in ("cbow", "skipgram"):
        raise TrainingError(f"the reference engine trains cbow or skipgram, not {config.model!r}")
    if config.loss != "ns":
        raise TrainingError(f"the reference engine supports loss 'ns' only, not {config.loss!r}")
    vocab = corpus.vocab
    vocab_size = len(vocab)
    counts = np.asarray(vocab.counts, dtype=np.int64)
    contexts, target = contexts_in_sentences(corpus.ids, corpus.offsets, config.window)
    model_cls = CBOW if config.model == "cbow" else SkipGram
    model = model_cls(
        vocab_size, config.dim, config.window, counts, sample_size=config.negative, seed=config.seed
    )
    optimizer = make_optimizer(config.optimizer, config.learning_rate)
    trainer = Trainer(model, optimizer, seed=config.seed, progress=progress)
    trainer.fit(
        contexts,
        target,
        max_epoch=config.epochs,
        batch_size=config.batch_size,
        eval_interval=EVAL_INTERVAL,
        callbacks=[_with_lr(cb, config.learning_rate) for cb in callbacks],
    )
    metadata = {
        "config": config.to_dict(),
        "engine": "reference",
        "loss_history": trainer.history,
        "training_pairs": int(len(target)),
    }
    return KeyedVectors(
        np.ascontiguousarray(model.word_vecs, dtype=np.float32), list(vocab.index_to_key), counts=counts, metadata=metadata
    )


def _with_lr(callback: Callable[[int, dict], object], lr: float) -> Callable[[int, dict], object]:
    """The callback with the (constant) learning rate added to its info, as the fast engine reports."""

    def call(epoch: int, info: dict) -> object:
        return callback(epoch, {**info, "lr": lr})

    return call
