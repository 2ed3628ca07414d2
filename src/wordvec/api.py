"""The Python entry points: `train()` (every engine and model) and the `PPMI` estimator; gensim's
`Word2Vec` and `FastText` models live in `wordvec.model` (both are `wordvec.Word2Vec`, ...)."""

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
    cluster: str | None = None,
    workers: int = 2,
    address: str | None = None,
    sync_every: int | None = None,
    merge: str | None = None,
    **options,
):
    """Train word vectors on `source` and return KeyedVectors.

    `source` is a file, a directory, a dataset name (`"ptb"`, `"ptb:valid"`), an EncodedCorpus, or an
    iterable of token lists. Options are TrainConfig fields (`model`, `engine`, `dim`, ...).
    `book=True` reads the corpus as the book does (`<eos>` tokens, one flat sequence).

    `cluster="ray"` trains data-parallel on Ray (`wordvec.cluster`): `workers` actors, each reading
    its own shard of `source` (a path every node can read) with `threads` threads (default 1);
    `address` is the Ray cluster (None: a local instance started here); replicas synchronise
    sparse deltas every `sync_every` words per worker (None: at most 200,000, at least 20 periods
    per worker), merged by `merge` ("scaled", the default:
    workers train at `workers` x the learning rate and their changes are averaged; "average";
    "sum"; see `wordvec.cluster.sync`).
    """
    if cluster is not None:
        if cluster != "ray":
            raise ValueError(f"cluster must be 'ray' or None, got {cluster!r:.40}")
        if book or callbacks:
            raise ValueError("cluster training takes neither book=True nor callbacks")
        if config is None:
            options.setdefault("threads", 1)
    elif any(v is not None for v in (address, sync_every, merge)) or workers != 2:
        raise ValueError("workers, address, sync_every and merge apply only with cluster='ray'")
    if config is None:
        config = TrainConfig(**options)
    elif options:
        raise TypeError("pass either a TrainConfig or keyword options, not both")
    if cluster is not None:
        from wordvec import cluster as cluster_mod

        return cluster_mod.train(source, config, workers=workers, address=address,
                                 sync_every=sync_every,
                                 merge=merge or cluster_mod.MERGE, progress=progress)
    corpus = load_training_corpus(source, config, book=book)
    check_memory(config, len(corpus.vocab))
    return engine_module(config).train(corpus, config, progress=progress, callbacks=callbacks)


class PPMI:
    """Count-based vectors (the book's chapter 2): co-occurrence counts, PPMI, truncated SVD.

    `PPMI(window=2, dim=100, context_smoothing=0.75).fit(corpus).wv`; options are TrainConfig's."""

    def __init__(self, **options) -> None:
        self.config = TrainConfig(model="ppmi", **options)
        self.wv = None

    def fit(self, corpus, *, progress: bool = False, callbacks: Iterable[Callable] = ()) -> "PPMI":
        self.wv = train(corpus, self.config, progress=progress, callbacks=tuple(callbacks))
        return self

    def __repr__(self) -> str:
        c = self.config
        return f"PPMI(dim={c.dim}, window={c.window}, context_smoothing={c.context_smoothing})"


def __getattr__(name: str):
    if name in ("Word2Vec", "FastText"):  # their home before 0.2
        from wordvec import model

        return getattr(model, name)
    raise AttributeError(f"module 'wordvec.api' has no attribute {name!r}")
