"""The Python entry points: `train()` and the gensim/scikit-learn style estimators."""

from __future__ import annotations

import importlib
import os
from typing import Callable, Iterable, Sequence

from wordvec.config import TrainConfig
from wordvec.memory import check_memory

#: engine module for each (engine, model); PPMI has one engine whatever `engine` says.
_ENGINE_MODULES = {
    "ppmi": "wordvec.count",
    ("fast", "cbow"): "wordvec.fast",
    ("fast", "skipgram"): "wordvec.fast",
    ("reference", "cbow"): "wordvec.models",
    ("reference", "skipgram"): "wordvec.models",
}


def engine_module(config: TrainConfig):
    """The module whose `train(corpus, config, ...)` runs this configuration."""
    key = "ppmi" if config.model == "ppmi" else (config.engine, config.model)
    return importlib.import_module(_ENGINE_MODULES[key])


def load_training_corpus(source, config: TrainConfig, *, book: bool = False, errors: str = "strict",
                         exclude=()):
    """Read `source` (path, directory, dataset name or token lists) into an EncodedCorpus.

    `errors` ("strict" or "replace") is how invalid UTF-8 is read; `exclude` names files or
    directories under a corpus directory never read as corpus (this run's outputs)."""
    from wordvec import corpus as corpus_mod

    if isinstance(source, corpus_mod.EncodedCorpus):
        return source
    if book:
        return corpus_mod.book_corpus(source, errors=errors, exclude=exclude)
    return corpus_mod.load_corpus(
        source, min_count=config.min_count, max_size=config.max_vocab, lowercase=config.lowercase,
        errors=errors, exclude=exclude,
    )


def train(
    source,
    config: TrainConfig | None = None,
    *,
    progress: bool = False,
    callbacks: Sequence[Callable] = (),
    book: bool = False,
    **options,
):
    """Train word vectors on `source` and return KeyedVectors.

    `source` is a file, a directory, a dataset name (`"ptb"`, `"ptb:valid"`), an EncodedCorpus, or an
    iterable of token lists. Options are TrainConfig fields (`model`, `engine`, `dim`, ...).
    `book=True` reads the corpus as the book does (`<eos>` tokens, one flat sequence).
    """
    if config is None:
        config = TrainConfig(**options)
    elif options:
        raise TypeError("pass either a TrainConfig or keyword options, not both")
    corpus = load_training_corpus(source, config, book=book)
    check_memory(config, len(corpus.vocab))
    return engine_module(config).train(corpus, config, progress=progress, callbacks=callbacks)


class _Estimator:
    """fit(corpus) -> self, then `.wv` holds the KeyedVectors (as in gensim)."""

    _model: str = "skipgram"

    def __init__(self, **options) -> None:
        self.config = TrainConfig(model=self._model, **options)
        self.wv = None

    def fit(self, corpus, *, progress: bool = False, callbacks: Iterable[Callable] = ()) -> "_Estimator":
        self.wv = train(corpus, self.config, progress=progress, callbacks=tuple(callbacks))
        return self

    def __repr__(self) -> str:
        c = self.config
        return f"{type(self).__name__}(model={c.model!r}, engine={c.engine!r}, dim={c.dim}, window={c.window})"


class Word2Vec(_Estimator):
    """word2vec estimator: `Word2Vec(model="cbow", dim=100).fit("ptb").wv.most_similar("you")`.

    gensim's names are accepted too: vector_size, sg, workers, alpha (the learning rate), hs.
    """

    def __init__(
        self,
        model: str = "skipgram",
        *,
        vector_size: int | None = None,
        sg: int | None = None,
        workers: int | None = None,
        hs: int | None = None,
        alpha: float | None = None,
        **options,
    ) -> None:
        if vector_size is not None:
            options["dim"] = vector_size
        if sg is not None:
            model = "skipgram" if sg else "cbow"
        if workers is not None:
            options["threads"] = workers
        if hs:
            options["loss"] = "hs"
        if alpha is not None:  # gensim's alpha is the learning rate
            options["lr"] = alpha
        self._model = model
        super().__init__(**options)


class PPMI(_Estimator):
    """Count-based vectors: co-occurrence counts, PPMI, truncated SVD (the book's chapter 2)."""

    _model = "ppmi"


class FastText(Word2Vec):
    """The subword (fastText) model: `FastText(min_n=3, max_n=6).fit("ptb").wv["unseenword"]`.

    Word2Vec's options, plus gensim's `min_n`, `max_n` and `bucket` (or wordvec's `minn`, `maxn`);
    `.wv` is a `SubwordVectors`, which gives vectors to words outside the vocabulary too.
    """

    def __init__(
        self,
        model: str = "skipgram",
        *,
        min_n: int | None = None,
        max_n: int | None = None,
        bucket: int | None = None,
        **options,
    ) -> None:
        if min_n is not None:
            options["minn"] = min_n
        if max_n is not None:
            options["maxn"] = max_n
        if bucket is not None:
            options["bucket"] = bucket
        super().__init__(model, subwords=True, **options)

