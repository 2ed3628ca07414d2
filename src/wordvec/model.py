"""gensim 4's `Word2Vec` and `FastText` models on wordvec's fast engine.

The same constructor (the corpus first: `sentences`/`corpus_iterable` or `corpus_file`; training
starts when one is given), parameter names and defaults, and the same life cycle:
`build_vocab(corpus, update=False)`, `train(corpus, total_examples=..., epochs=...)` (again and
again: continued training, new words with `update=True`), `save`/`load` of the whole model,
`wv`, `predict_output_word`, `get_latest_training_loss`, gensim-style callbacks.

What differs on purpose (docs/gensim.md lists it all): the file written by `save` is a
zip of `.npy` arrays and JSON, never a pickle; the training loss is a float64 sum, so it does not
stall at 2**24 as gensim's float32 total does; one corpus pass builds the vocabulary and the id
array together, so a generator works as `sentences`; training runs on wordvec's fast engine
(`hs=1` trains hierarchical softmax alone, where gensim would add negative sampling as well).
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
import warnings
import zipfile
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from wordvec.callbacks import call_hook, split_callbacks
from wordvec.config import TrainConfig
from wordvec.errors import CorpusError, WordvecError

logger = logging.getLogger("wordvec")

#: gensim's trim_rule answers (gensim.utils.RULE_*)
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2
MAX_WORDS_IN_BATCH = 10_000
MODEL_FORMAT = "wordvec-model"
MODEL_FORMAT_VERSION = 1
_MAX_HEADER = 1 << 30  # bytes of JSON a model file may hold (words included)

#: wordvec's own option names accepted as keywords, and the gensim parameter each one sets
_WORDVEC_NAMES = {"dim": "vector_size", "lr": "alpha", "min_lr": "min_alpha", "threads": "workers",
                  "max_vocab": "max_final_vocab", "minn": "min_n", "maxn": "max_n"}
#: TrainConfig options without a gensim parameter, accepted as keywords as they are
_EXTRA_OPTIONS = ("lowercase", "loss", "engine")


class Word2Vec:
    """word2vec (CBOW or skip-gram) with gensim 4's interface; `.wv` holds the vectors.

    `Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=0, ...)` trains at once, as
    gensim does; without a corpus, call `build_vocab` then `train`. wordvec's own names work too
    (`dim`, `lr`, `threads`, `model="skipgram"`, `loss="softmax"`), and `fit(corpus)` trains and
    returns the model (scikit-learn style).
    """

    _subwords = False

    def __init__(
        self,
        sentences: Iterable[Sequence[str]] | None = None,
        corpus_file: str | os.PathLike | None = None,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        sg: int = 0,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        hashfxn: Callable = hash,
        epochs: int = 5,
        null_word: int = 0,
        trim_rule: Callable | None = None,
        sorted_vocab: int = 1,
        batch_words: int = MAX_WORDS_IN_BATCH,
        compute_loss: bool = False,
        callbacks: Iterable[Any] = (),
        comment: str | None = None,
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
        *,
        corpus_iterable: Iterable[Sequence[str]] | None = None,
        model: str | None = None,
        **options: Any,
    ) -> None:
        params = dict(vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
                      max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
                      min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
                      cbow_mean=cbow_mean, epochs=epochs, null_word=null_word, sorted_vocab=sorted_vocab,
                      batch_words=batch_words, compute_loss=compute_loss, comment=comment,
                      max_final_vocab=max_final_vocab, shrink_windows=shrink_windows)
        params.update(self._pop_subword_params(options))
        self._loss_name: str | None = None
        self.lowercase = False
        self._apply_wordvec_options(params, model, options)
        for name, value in params.items():
            setattr(self, name, value)
        self.hashfxn = hashfxn
        self.trim_rule = trim_rule
        self.callbacks = tuple(callbacks or ())
        self._check_params()
        split_callbacks(self.callbacks)  # a wrong callback fails here, not after the vocabulary pass
        self._vocab = None
        self._W_in: np.ndarray | None = None
        self._W_out: np.ndarray | None = None
        self._rng_states: np.ndarray | None = None
        self._ngrams = None
        self._pending = None  # (corpus object, encoded corpus) from the constructor's vocabulary pass
        self._trainer = None  # while train() runs
        self._loss_done = 0.0
        self.running_training_loss = 0.0
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = self.min_count
        self.train_count = 0
        self.total_train_time = 0.0
        self.history: dict[str, list] = {"epoch_loss": [], "epoch_seconds": [], "epoch_words_per_sec": [],
                                         "epoch_lr_end": []}
        self.wv = self._empty_vectors()
        if sentences is not None and corpus_iterable is not None:
            raise TypeError("give the corpus once: sentences= and corpus_iterable= are the same argument")
        corpus_iterable = sentences if sentences is not None else corpus_iterable
        if corpus_iterable is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs, start_alpha=self.alpha,
                       end_alpha=self.min_alpha, compute_loss=compute_loss, callbacks=self.callbacks)

    # ---- parameters ----

    def _pop_subword_params(self, options: dict) -> dict:
        for name in ("min_n", "max_n", "bucket", "word_ngrams"):
            if name in options:
                raise TypeError(f"Word2Vec() got an unexpected keyword argument {name!r} (a FastText parameter)")
        return {}

    def _apply_wordvec_options(self, params: dict, model: str | None, options: dict) -> None:
        """wordvec's names (`dim`, `lr`, `model`, `loss`, ...) set the matching gensim parameters."""
        for name, value in options.items():
            if name in _WORDVEC_NAMES and _WORDVEC_NAMES[name] in params:
                params[_WORDVEC_NAMES[name]] = value
            elif name == "loss":
                if value not in ("ns", "hs", "softmax"):
                    raise ValueError(f"loss must be one of ns, hs, softmax, got {value!r}")
                self._loss_name = value
            elif name == "engine":
                if value != "fast":
                    raise ValueError("the gensim-style models train on the fast engine; for the reference engine "
                                     "use wordvec.train(..., engine='reference')")
            elif name == "lowercase":
                self.lowercase = bool(value)
            elif name == "model":
                model = value
            else:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")
        if model is not None:
            if model not in ("cbow", "skipgram"):
                raise ValueError(f"model must be cbow or skipgram, got {model!r}")
            params["sg"] = int(model == "skipgram")
        if self._loss_name == "hs":
            params["hs"], params["negative"] = 1, 0
        elif self._loss_name == "ns":
            params["hs"] = 0

    def _check_params(self) -> None:
        for name in ("vector_size", "window", "min_count", "workers", "epochs", "negative", "seed", "batch_words"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"{name} must be a whole number, got {value!r:.40}")
        for name in ("vector_size", "window", "workers", "batch_words"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("min_count", "epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.negative < 0:
            raise ValueError(f"negative must be >= 0, got {self.negative}")
        if not self.hs and not self.negative and self._loss_name != "softmax":
            raise ValueError("nothing to train: set hs=1 or negative > 0")
        if self.hs and self.negative and self._loss_name is None:
            warnings.warn("hs=1 with negative > 0: wordvec trains one loss, hierarchical softmax here "
                          "(gensim would train negative sampling as well); pass negative=0 to silence this",
                          UserWarning, stacklevel=4)
        if int(self.cbow_mean) != 1 and not self.sg:
            raise ValueError("cbow_mean=0 (the sum of the context vectors) is not implemented: wordvec's CBOW "
                             "takes their mean (cbow_mean=1, gensim's default)")
        if int(self.null_word) != 0:
            raise ValueError("null_word is not supported (wordvec pads no windows)")
        if not self.shrink_windows:
            raise ValueError("shrink_windows=False is not supported: windows are sampled as word2vec's "
                             "(shrink_windows=True, gensim's default)")
        if self.max_vocab_size is not None:
            raise ValueError("max_vocab_size (gensim's memory cap while counting, pruning rare words on the way) "
                             "is not supported: wordvec counts words in a compiled table of ~50 bytes a distinct "
                             "word, exactly; cap the vocabulary with max_final_vocab")
        if self.max_final_vocab is not None and (isinstance(self.max_final_vocab, bool) or not isinstance(
                self.max_final_vocab, numbers.Integral) or self.max_final_vocab < 1):
            raise ValueError(f"max_final_vocab must be a whole number >= 1 or None, got {self.max_final_vocab!r:.40}")
        if self.trim_rule is not None and not callable(self.trim_rule):
            raise TypeError("trim_rule must be a function (word, count, min_count) -> RULE_*")
        self._train_config(max(self.epochs, 1), self.alpha, self.min_alpha)  # the remaining checks

    @property
    def loss(self) -> str:
        """The loss trained: "ns", "hs" or "softmax"."""
        if self._loss_name == "softmax":
            return "softmax"
        return "hs" if self.hs else "ns"

    def _train_config(self, epochs: int, start_alpha: float, end_alpha: float) -> TrainConfig:
        options: dict[str, Any] = {}
        if self._subwords:
            options.update(subwords=True, minn=self.min_n, maxn=self.max_n, bucket=self.bucket)
        return TrainConfig(
            model="skipgram" if self.sg else "cbow", engine="fast", dim=self.vector_size, window=self.window,
            negative=max(int(self.negative), 1), loss=self.loss, min_count=max(int(self.min_count), 1), sample=self.sample,
            epochs=epochs, lr=start_alpha, min_lr=end_alpha, threads=self.workers, seed=self.seed,
            ns_exponent=self.ns_exponent, lowercase=self.lowercase, **options)

    @property
    def config(self) -> TrainConfig:
        """The TrainConfig the next `train(epochs=self.epochs)` runs with."""
        return self._train_config(max(self.epochs, 1), self.alpha, self.min_alpha)

    def _empty_vectors(self):
        from wordvec.vectors import KeyedVectors

        return KeyedVectors(self.vector_size)

    # ---- vocabulary ----

    def build_vocab(self, corpus_iterable: Iterable[Sequence[str]] | None = None,
                    corpus_file: str | os.PathLike | None = None, update: bool = False, progress_per: int = 10000,
                    keep_raw_vocab: bool = False, trim_rule: Callable | None = None, **kwargs: Any) -> None:
        """Count the corpus's words and keep those of `min_count` or more (`trim_rule`,
        `max_final_vocab` as gensim). With `update=True`, add the new corpus's counts to the known
        words and append its new words of `min_count` or more (their rows start at random, the
        trained ones are kept), for continued training on new text."""
        corpus_iterable = kwargs.pop("sentences", corpus_iterable)
        if kwargs:
            raise TypeError(f"build_vocab() got an unexpected keyword argument {next(iter(kwargs))!r}")
        source = _corpus_source(corpus_iterable, corpus_file)
        rule = trim_rule if trim_rule is not None else self.trim_rule
        scanned = _scan(source, self.lowercase)
        raw_words, raw_counts = scanned.vocab.index_to_key, scanned.vocab.counts
        if update:
            if self._vocab is None:
                raise RuntimeError("cannot update the vocabulary of a model that has none: call build_vocab "
                                   "without update=True first")
            self._grow_vocab(raw_words, raw_counts, rule)
        else:
            self._vocab = self._select(raw_words, raw_counts, rule)
            self._init_weights()
        self.corpus_count = scanned.n_sentences
        self.corpus_total_words = int(raw_counts.sum())
        self._pending = (corpus_iterable if corpus_file is None else corpus_file, scanned)
        self._refresh_wv()

    def _select(self, words: list[str], counts: np.ndarray, rule: Callable | None):
        """The vocabulary gensim keeps: min_count (raised by max_final_vocab), trim_rule, order."""
        from wordvec.corpus import Vocabulary

        min_count = int(self.min_count)
        if self.max_final_vocab is not None and self.max_final_vocab < len(words):
            ranked = np.sort(counts)[::-1]
            min_count = max(min_count, int(ranked[self.max_final_vocab]) + 1)
        self.effective_min_count = min_count
        keep = _kept(words, counts, min_count, rule)
        if len(keep) == 0:
            raise CorpusError(f"no word occurs at least {min_count} times ({len(words)} distinct words); "
                              "lower min_count")
        if self.sorted_vocab:  # gensim 4.4's order: by count, ties to the word first seen later
            keep = keep[np.lexsort((-keep, -counts[keep]))]
        return Vocabulary([words[i] for i in keep], counts[keep], lowercase=self.lowercase,
                          order="gensim" if self.sorted_vocab else "first_seen", min_count=min_count)

    def _grow_vocab(self, words: list[str], counts: np.ndarray, rule: Callable | None) -> None:
        from wordvec.corpus import Vocabulary

        old = self._vocab
        merged = old.counts.copy()
        known = np.array([old.key_to_index.get(w, -1) for w in words], dtype=np.int64)
        seen = known >= 0
        np.add.at(merged, known[seen], counts[seen])
        new = np.flatnonzero(~seen)
        new = new[_kept([words[i] for i in new], counts[new], int(self.effective_min_count), rule)] \
            if len(new) else new
        vocab = Vocabulary(old.index_to_key + [words[i] for i in new], np.concatenate([merged, counts[new]]),
                           lowercase=self.lowercase, order=old.order, min_count=old.min_count)
        self._vocab = vocab
        self._resize_weights(len(old))

    # ---- weights ----

    def _n_out(self, V: int) -> int:
        return max(V - 1, 1) if self.loss == "hs" else V

    def _init_weights(self) -> None:
        from wordvec.fast import _rng
        from wordvec.fast.trainer import initial_word_rows

        V, dim = len(self._vocab), int(self.vector_size)
        self._ngrams = self._ngram_table()
        n_in = V if self._ngrams is None else self._ngrams.n_rows
        self._W_in = np.zeros((n_in, dim), np.float32)
        self._W_in[:V] = initial_word_rows(np.random.default_rng(self.seed), V, dim)
        self._W_out = np.zeros((self._n_out(V), dim), np.float32)
        self._rng_states = _rng.seed_states(int(self.seed), int(self.workers))

    def _ngram_table(self):
        return None

    def _resize_weights(self, old_V: int) -> None:
        """Rows for the words appended to the vocabulary: random input rows, zero output rows (the
        trained rows are kept)."""
        from wordvec.fast.trainer import initial_word_rows

        V, dim = len(self._vocab), int(self.vector_size)
        rng = np.random.default_rng([int(self.seed), old_V, V])  # the same growth gives the same rows
        W_in = np.zeros((V, dim), np.float32)
        W_in[:old_V] = self._W_in[:old_V]
        W_in[old_V:] = initial_word_rows(rng, V - old_V, dim)
        old_table = self._ngrams
        self._ngrams = self._ngram_table()
        if self._ngrams is not None:
            full = np.zeros((self._ngrams.n_rows, dim), np.float32)
            full[:V] = W_in
            # an n-gram bucket keeps its trained row; buckets first used by the new words start at zero
            at = np.searchsorted(old_table.buckets, self._ngrams.buckets)
            at = np.minimum(at, max(len(old_table.buckets) - 1, 0))
            same = old_table.buckets[at] == self._ngrams.buckets if len(old_table.buckets) else \
                np.zeros(len(self._ngrams.buckets), bool)
            full[V:] = self._initial_ngram_rows(self._ngrams.buckets)
            full[V + np.flatnonzero(same)] = self._W_in[old_V + at[same]]
            W_in = full
        W_out = np.zeros((self._n_out(V), dim), np.float32)
        keep = min(len(self._W_out), len(W_out))
        W_out[:keep] = self._W_out[:keep]  # hs: the tree is rebuilt, its inner nodes keep their rows
        self._W_in, self._W_out = W_in, W_out

    @property
    def syn1neg(self) -> np.ndarray:
        """The output rows of negative sampling (and of the full softmax), one per word."""
        if self.loss == "hs":
            raise AttributeError("a model trained with hs=1 has no syn1neg (its output rows are syn1)")
        return self._W_out

    @property
    def syn1(self) -> np.ndarray:
        """The output rows of hierarchical softmax, one per inner node of the Huffman tree."""
        if self.loss != "hs":
            raise AttributeError("syn1 exists with hs=1 only (this model's output rows are syn1neg)")
        return self._W_out

    def _refresh_wv(self) -> None:
        """Point `wv` at the current input rows (a view for word2vec, composed for subwords)."""
        from wordvec.vectors import KeyedVectors

        if self._vocab is None:
            return
        meta = {"config": self.config.to_dict(), "engine": "fast",
                "loss_history": {k: [v if math.isfinite(v) else None for v in values]  # JSON has no NaN
                                 for k, values in self.history.items()},
                "train_seconds": self.total_train_time}
        if self.comment:
            meta["comment"] = self.comment
        words, counts = self._vocab.index_to_key, self._vocab.counts.copy()
        if self._ngrams is None:
            if isinstance(self.wv, KeyedVectors) and self.wv.index_to_key == words and len(self.wv) \
                    and self.wv.vectors is self._W_in:
                self.wv.counts, self.wv.metadata = counts, meta
                self.wv.fill_norms(force=True)
            else:
                self.wv = KeyedVectors(self._W_in, list(words), counts=counts, metadata=meta)
        else:
            from wordvec.vectors import SubwordVectors

            self.wv = SubwordVectors.from_table(self._ngrams, self._W_in, list(words), counts=counts, metadata=meta)

    # ---- training ----

    def train(self, corpus_iterable: Iterable[Sequence[str]] | None = None,
              corpus_file: str | os.PathLike | None = None, total_examples: int | None = None,
              total_words: int | None = None, epochs: int | None = None, start_alpha: float | None = None,
              end_alpha: float | None = None, word_count: int = 0, queue_factor: int = 2,
              report_delay: float = 1.0, compute_loss: bool = False, callbacks: Iterable[Any] = (),
              **kwargs: Any) -> tuple[int, int]:
        """Train `epochs` epochs on the corpus, the learning rate falling linearly from
        `start_alpha` (default `alpha`) to `end_alpha` (default `min_alpha`) over them. Words
        outside the vocabulary are skipped. Returns (words trained, words read), as gensim."""
        corpus_iterable = kwargs.pop("sentences", corpus_iterable)
        if kwargs:
            raise TypeError(f"train() got an unexpected keyword argument {next(iter(kwargs))!r}")
        if self._vocab is None:
            raise RuntimeError("you must first build the vocabulary (build_vocab) before training the model")
        if epochs is None:
            raise ValueError("give an explicit epochs count (usually epochs=model.epochs)")
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
            raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r:.40}")
        for name, value in (("total_examples", total_examples), ("total_words", total_words)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0):
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r:.40}")
        objects, functions = split_callbacks(callbacks)
        start = float(self.alpha if start_alpha is None else start_alpha)
        end = float(self.min_alpha if end_alpha is None else end_alpha)
        source_object = corpus_iterable if corpus_file is None else corpus_file
        source = _corpus_source(corpus_iterable, corpus_file)
        if self._pending is not None and self._pending[0] is source_object and source_object is not None:
            scanned = self._pending[1]
        else:
            scanned = _scan(source, self.lowercase)
        self._pending = None
        corpus = _encoded_in(scanned, self._vocab)
        self.compute_loss = bool(compute_loss) or self.compute_loss
        self.running_training_loss, self._loss_done = 0.0, 0.0
        if epochs == 0 or len(corpus) == 0:
            if len(corpus) == 0:
                logger.warning("no word of the corpus is in the vocabulary: nothing was trained")
            return 0, epochs * len(scanned)
        config = self._train_config(int(epochs), start, end)
        if not self._W_in.flags.writeable:  # loaded with mmap="r": train a private copy
            self._W_in, self._W_out = np.array(self._W_in), np.array(self._W_out)
        trainer = self._trainer_for(corpus, config, objects, functions)
        call_hook(objects, "on_train_begin", self)
        self._trainer = trainer
        try:
            trainer.run()
        finally:
            self._trainer = None
            self._rng_states = trainer.rng_states.copy()
            self.running_training_loss = self._loss_done
            self.total_train_time += trainer.train_seconds
            self._refresh_wv()
        self.train_count += 1
        call_hook(objects, "on_train_end", self)
        return int(trainer.words_done), int(epochs) * len(scanned)

    def _trainer_for(self, corpus, config: TrainConfig, objects: list, functions: list):
        from wordvec.fast import _rng
        from wordvec.fast.trainer import FastTrainer

        threads = int(config.threads)
        states = self._rng_states
        if states is None:
            states = _rng.seed_states(int(self.seed), threads)
        elif len(states) != threads:  # a new worker count: new streams, derived from the old ones
            seeds = [int(self.seed), *(int(v) for v in states)]
            states = np.random.default_rng([*seeds, threads, 0x7E7A]).integers(0, 2**63, size=threads,
                                                                                 dtype=np.uint64)

        def begin(epoch: int) -> None:
            call_hook(objects, "on_epoch_begin", self)

        def end(epoch: int, info: dict) -> None:
            self._loss_done += info["nll"]
            self.running_training_loss = self._loss_done
            for key in self.history:
                self.history[key].append(info[{"epoch_loss": "loss", "epoch_seconds": "seconds",
                                               "epoch_words_per_sec": "words_per_sec", "epoch_lr_end": "lr"}[key]])
            if objects:
                self._refresh_wv()
            call_hook(objects, "on_epoch_end", self)
            for function in functions:
                function(epoch, info)

        return FastTrainer(corpus, config, progress=False, callbacks=[end], epoch_begin=[begin],
                           weights=(self._W_in, self._W_out), rng_states=states, ngrams=self._ngrams,
                           chunk_words=max(2 * int(self.batch_words), 1000))

    def get_latest_training_loss(self) -> float:
        """The summed loss of the latest `train()` call so far (every pair's negative
        log-likelihood, float64): read it in `on_epoch_end` and take differences for each epoch's.
        0.0 unless the model was made or trained with `compute_loss=True`, as in gensim."""
        if not self.compute_loss:
            return 0.0
        trainer = self._trainer
        if trainer is not None:
            return float(self._loss_done + trainer.epoch_nll.sum())
        return float(self.running_training_loss)

    def fit(self, corpus, *, progress: bool = False, callbacks: Iterable[Any] = ()) -> "Word2Vec":
        """build_vocab + train(epochs=self.epochs) on `corpus` (token lists, a file, a directory or a
        dataset name such as "ptb"); returns the model (scikit-learn style)."""
        if isinstance(corpus, (str, os.PathLike)):
            self.build_vocab(corpus_file=corpus)
            self.train(corpus_file=corpus, epochs=self.epochs, callbacks=callbacks)
        else:
            self.build_vocab(corpus_iterable=corpus)
            self.train(corpus_iterable=corpus, epochs=self.epochs, callbacks=callbacks)
        return self

    # ---- queries ----

    def predict_output_word(self, context_words_list: Sequence[str], topn: int = 10) -> list[tuple[str, float]] | None:
        """The words most probable at the centre of these context words: the softmax of the output
        rows against the mean of the context's input vectors (gensim's method; it needs output rows
        per word, so negative sampling or the full softmax). None when no context word is known."""
        if self.loss == "hs":
            raise RuntimeError("predict_output_word needs output rows per word: train with negative sampling "
                               "(negative > 0, hs=0)")
        if self._vocab is None:
            raise RuntimeError("the model has no vocabulary yet")
        if isinstance(context_words_list, str):
            context_words_list = [context_words_list]
        rows = [self.wv.get_index(w) for w in context_words_list if self.wv.has_index_for(w)]
        if not rows:
            logger.warning("none of the context words is in the vocabulary")
            return None
        hidden = self.wv.vectors[rows].astype(np.float64).mean(axis=0)
        scores = self._W_out.astype(np.float64) @ hidden
        prob = np.exp(scores - scores.max())
        prob /= prob.sum()
        k = min(int(topn), len(prob))
        top = np.argsort(-prob, kind="stable")[:k]
        return [(self.wv.index_to_key[i], float(prob[i])) for i in top]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}>")

    # ---- files ----

    _SAVED_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers",
                     "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "null_word",
                     "sorted_vocab", "batch_words", "compute_loss", "comment", "max_final_vocab",
                     "shrink_windows", "lowercase")

    def _params(self) -> dict:
        params = {name: getattr(self, name) for name in self._SAVED_PARAMS}
        params["loss"] = self._loss_name
        return params

    def save(self, fname_or_handle: str | os.PathLike, **kwargs: Any) -> None:
        """Write the whole model (both weight matrices, vocabulary, settings, random states, loss
        history) to one file, atomically: a zip of `.npy` arrays and JSON, never a pickle."""
        from wordvec import __version__
        from wordvec.fileio import atomic_write, write_npz

        if self._vocab is None:
            raise RuntimeError("the model has no vocabulary yet: nothing to save")
        header = {
            "format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION, "wordvec_version": __version__,
            "class": type(self).__name__, "params": self._params(), "vocab": self._vocab.to_dict(),
            "corpus_count": int(self.corpus_count), "corpus_total_words": int(self.corpus_total_words),
            "effective_min_count": int(self.effective_min_count), "train_count": int(self.train_count),
            "total_train_time": float(self.total_train_time),
            "running_training_loss": float(self.running_training_loss),
            "history": {k: [v if isinstance(v, float) and math.isfinite(v) else None for v in values]
                        for k, values in self.history.items()},
        }
        try:
            blob = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as exc:
            raise WordvecError(f"cannot save the model: a setting is not JSON-safe ({exc})") from None
        arrays = {"W_in": self._W_in, "W_out": self._W_out, "rng_states": self._rng_states,
                  "header": np.frombuffer(blob, np.uint8)}
        with atomic_write(fname_or_handle, "wb") as out:
            write_npz(out, arrays)

    @classmethod
    def load(cls, fname: str | os.PathLike, mmap: str | None = None) -> "Word2Vec":
        """Read a model written by `save`, every array checked against the settings and vocabulary
        before use. `mmap="r"` maps the weight matrices read-only from the file (shared between
        processes; `train` then works on a private copy)."""
        return _load_model(cls, fname, mmap)


class FastText(Word2Vec):
    """fastText's subword model with gensim 4's interface: `.wv` is a `SubwordVectors`, which gives
    vectors to words outside the vocabulary (from their character n-grams) too.

    Word2Vec's parameters plus gensim's `min_n` (3), `max_n` (6) and `bucket` (2,000,000);
    only the buckets some vocabulary word uses get rows."""

    _subwords = True
    _SAVED_PARAMS = Word2Vec._SAVED_PARAMS + ("min_n", "max_n", "bucket")

    def __init__(self, sentences: Iterable[Sequence[str]] | None = None,
                 corpus_file: str | os.PathLike | None = None, **params: Any) -> None:
        super().__init__(sentences, corpus_file, **params)

    def _pop_subword_params(self, options: dict) -> dict:
        out = {"min_n": 3, "max_n": 6, "bucket": 2_000_000}
        for name in ("min_n", "max_n", "bucket"):
            if name in options:
                out[name] = options.pop(name)
        word_ngrams = options.pop("word_ngrams", 1)
        if word_ngrams != 1:
            raise ValueError("word_ngrams other than 1 is not supported (gensim ignores it as well)")
        return out

    def _apply_wordvec_options(self, params: dict, model: str | None, options: dict) -> None:
        options.pop("subwords", None)
        super()._apply_wordvec_options(params, model, options)

    def _ngram_table(self):
        from wordvec.subwords import NgramTable

        return NgramTable.build(self._vocab.index_to_key, self.min_n, self.max_n, self.bucket)

    def _initial_ngram_rows(self, buckets: np.ndarray) -> np.ndarray:
        """Starting rows of n-gram buckets, uniform(-1, 1) / dim as gensim's: a function of
        (seed, bucket) alone, so the rows no vocabulary word uses need not be stored (an unseen
        word made only of such n-grams still gets the vector gensim and fastText would give)."""
        return bucket_rows(int(self.seed), np.asarray(buckets, dtype=np.int64), int(self.vector_size))

    def _init_weights(self) -> None:
        super()._init_weights()
        V = len(self._vocab)
        self._W_in[V:] = self._initial_ngram_rows(self._ngrams.buckets)

    def _refresh_wv(self) -> None:
        super()._refresh_wv()
        if self._vocab is not None:
            self.wv.initial_rows = self._initial_ngram_rows

    def _empty_vectors(self):
        from wordvec.vectors import KeyedVectors

        return KeyedVectors(self.vector_size)


def bucket_rows(seed: int, buckets: np.ndarray, dim: int) -> np.ndarray:
    """uniform(-1, 1) / dim rows, one per bucket, from a counter-based hash of (seed, bucket, j)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)) ^ (
            buckets.astype(np.uint64)[:, None] * np.uint64(dim) + np.arange(dim, dtype=np.uint64)[None, :])
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    unit = (z >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))
    return (unit * np.float32(2.0) - np.float32(1.0)) / np.float32(dim)


# ---- corpora ----


def _corpus_source(corpus_iterable, corpus_file):
    """What `wordvec.corpus` reads: exactly one of a token-list iterable or a file/directory."""
    if (corpus_iterable is None) == (corpus_file is None):
        raise TypeError("give exactly one of corpus_iterable (sentences) and corpus_file")
    if corpus_file is not None:
        if not isinstance(corpus_file, (str, os.PathLike)):
            raise TypeError(f"corpus_file must be a path, got {type(corpus_file).__name__}")
        return os.fspath(corpus_file)
    if isinstance(corpus_iterable, (str, bytes, os.PathLike)):
        raise TypeError("sentences must be an iterable of token lists; for a file, use corpus_file=")
    path = getattr(corpus_iterable, "_wordvec_path", None)  # LineSentence & co: read by the tokenizer
    return path() if callable(path) and path() is not None else corpus_iterable


def _scan(source, lowercase: bool):
    """The corpus as ids over all its words (first-seen order, counts kept), in one pass."""
    from wordvec.corpus import load_corpus

    return load_corpus(source, min_count=1, lowercase=lowercase, order="first_seen")


def _encoded_in(scanned, vocab):
    """`scanned` (ids over its own words) in the ids of `vocab`; unknown words dropped."""
    get = vocab.key_to_index.get
    new_id = np.fromiter((get(w, -1) for w in scanned.vocab.index_to_key), np.int32, len(scanned.vocab))
    return scanned.remapped(vocab, new_id)


def _kept(words: Sequence[str], counts: np.ndarray, min_count: int, rule: Callable | None) -> np.ndarray:
    """Indices of the words gensim keeps: count >= min_count unless `rule` says RULE_KEEP/DISCARD."""
    if rule is None:
        return np.flatnonzero(counts >= min_count)
    keep = []
    for i, (word, count) in enumerate(zip(words, counts.tolist())):
        verdict = rule(word, count, min_count)
        if verdict == RULE_KEEP or (verdict != RULE_DISCARD and count >= min_count):
            keep.append(i)
    return np.array(keep, dtype=np.int64)


# ---- reading a saved model ----


def _bad(path, why: str) -> WordvecError:
    return WordvecError(f"{path}: not a readable wordvec model ({why})")


def _load_model(cls, fname, mmap: str | None):
    from wordvec.corpus import Vocabulary
    from wordvec.fileio import npz_members, read_npy_member

    if mmap not in (None, "r"):
        raise ValueError(f"mmap must be None or 'r', got {mmap!r}")
    path = os.fspath(fname)
    try:
        with zipfile.ZipFile(path) as archive:
            members = npz_members(archive, path, ("header", "W_in", "W_out", "rng_states"), _bad)
            blob = read_npy_member(archive, members["header"], path, np.dtype(np.uint8), [(None,)], _bad,
                                   max_bytes=_MAX_HEADER)
            header = json.loads(blob.tobytes().decode("utf-8", "surrogatepass"))
            if not isinstance(header, dict) or header.get("format") != MODEL_FORMAT:
                raise _bad(path, "no wordvec model header")
            if header.get("format_version") != MODEL_FORMAT_VERSION:
                raise _bad(path, f"format version {header.get('format_version')!r}, this wordvec reads "
                                 f"{MODEL_FORMAT_VERSION}")
            saved_class = header.get("class")
            classes = {"Word2Vec": Word2Vec, "FastText": FastText}
            if saved_class not in classes or not issubclass(classes[saved_class], cls):
                raise _bad(path, f"a {saved_class!r} model, not a {cls.__name__}")
            cls = classes[saved_class]
            params = header["params"]
            if not isinstance(params, dict) or set(params) - set(cls._SAVED_PARAMS) - {"loss"}:
                raise _bad(path, "unexpected settings in the header")  # never a corpus: load does not train
            params = dict(params)
            if params.get("loss") is None:
                params.pop("loss", None)
            model = cls(**params)
            model._vocab = Vocabulary.from_dict(header["vocab"])
            V = len(model._vocab)
            model._ngrams = model._ngram_table()
            n_in = V if model._ngrams is None else model._ngrams.n_rows
            dim = int(model.vector_size)
            spec = {"W_in": (np.float32, (n_in, dim)), "W_out": (np.float32, (model._n_out(V), dim)),
                    "rng_states": (np.uint64, (int(model.workers),))}
            arrays = {}
            for name, (dtype, shape) in spec.items():
                arrays[name] = read_npy_member(archive, members[name], path, np.dtype(dtype), [shape], _bad,
                                               mmap=mmap == "r" and name != "rng_states")
    except WordvecError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad(path, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from None
    for name in ("W_in", "W_out"):
        if mmap is None and not np.isfinite(arrays[name]).all():
            raise _bad(path, f"{name} holds NaN/Inf")
    model._W_in, model._W_out, model._rng_states = arrays["W_in"], arrays["W_out"], arrays["rng_states"].copy()
    try:
        for name in ("corpus_count", "corpus_total_words", "effective_min_count", "train_count"):
            setattr(model, name, int(header.get(name, 0)))
        model.total_train_time = float(header.get("total_train_time", 0.0))
        model.running_training_loss = float(header.get("running_training_loss", 0.0))
        history = header.get("history", {})
        model.history = {k: [float("nan") if v is None else float(v) for v in history.get(k, [])]
                         for k in model.history}
    except (TypeError, ValueError, AttributeError) as exc:
        raise _bad(path, f"bad header field ({exc})") from None
    model._refresh_wv()
    return model
