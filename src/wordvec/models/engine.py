"""The reference engine: `train(corpus, config) -> KeyedVectors` with the book's CBOW / skip-gram.

`ReferenceTrainer` holds a whole run (model, optimizer, the nn.Trainer loop over the training
pairs) behind the same small surface as the fast engine's `FastTrainer`, so `wordvec.checkpoint`
saves, stops and resumes either engine the same way: `run(max_words)` (stops between batches),
`request_stop()`, `finished`, `epoch`, `words_done`, `total_words`, `state_dict()` /
`load_state_dict()` (numpy arrays and JSON-safe scalars, never pickles) and `keyed_vectors()`.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from wordvec.errors import TrainingError
from wordvec.models.data import contexts_in_sentences
from wordvec.models.word2vec import CBOW, SkipGram
from wordvec.nn.optim import make_optimizer
from wordvec.nn.trainer import Trainer, rng_state, set_rng_state

#: batches per entry of the loss history (the book plots every 20 batches)
EVAL_INTERVAL = 20

EpochCallback = Callable[[int, dict], object]


class ReferenceTrainer:
    """The book's CBOW / skip-gram with negative sampling on an EncodedCorpus, resumable.

    "Words" are training pairs (one per centre word with a full window inside its sentence):
    `total_words` = epochs x pairs, and `run(max_words)` counts them. The learning rate is
    constant; the optimizer's step count (Adam's bias correction, LazyAdam's drift) is its
    schedule position and is part of the state.
    """

    engine = "reference"

    def __init__(self, corpus, config, *, progress: bool = True, callbacks: Iterable[EpochCallback] = ()) -> None:
        if config.model not in ("cbow", "skipgram"):
            raise TrainingError(f"the reference engine trains cbow or skipgram, not {config.model!r}")
        if config.loss != "ns":
            raise TrainingError(f"the reference engine supports loss 'ns' only, not {config.loss!r}")
        self.config = config
        self.vocab = corpus.vocab
        self.counts = np.asarray(self.vocab.counts, dtype=np.int64)
        self.contexts, self.target = contexts_in_sentences(corpus.ids, corpus.offsets, config.window)
        model_cls = CBOW if config.model == "cbow" else SkipGram
        self.model = model_cls(
            len(self.vocab), config.dim, config.window, self.counts, sample_size=config.negative, seed=config.seed
        )
        self.optimizer = make_optimizer(config.optimizer, config.learning_rate)
        self.trainer = Trainer(self.model, self.optimizer, seed=config.seed, progress=progress)
        self.lr = float(config.learning_rate)
        self.callbacks = [_with_lr(cb, self.lr) for cb in callbacks]

    # ---- the FastTrainer surface ----

    @property
    def n_pairs(self) -> int:
        return int(len(self.target))

    @property
    def total_words(self) -> int:
        """Training pairs the whole run reads (epochs x pairs)."""
        return int(self.config.epochs) * self.n_pairs

    @property
    def words_done(self) -> int:
        return self.trainer.words_done

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return self.trainer.current_epoch

    @property
    def finished(self) -> bool:
        return self.trainer.current_epoch >= self.config.epochs

    @property
    def W_in(self) -> np.ndarray:
        return self.model.params[0]

    @property
    def W_out(self) -> np.ndarray:
        return self.model.params[1]

    def request_stop(self) -> None:
        """Stop `run` after the current batch (safe from a signal handler)."""
        self.trainer.request_stop()

    def run(self, max_words: int | None = None) -> bool:
        """Train the remaining epochs, or stop between batches once `max_words` more pairs were
        trained or a stop was requested. Returns True when every epoch is done."""
        return self.trainer.run(
            self.contexts, self.target, epochs=self.config.epochs, batch_size=self.config.batch_size,
            eval_interval=EVAL_INTERVAL, callbacks=self.callbacks, max_words=max_words,
        )

    def state_dict(self) -> dict:
        """Everything needed to continue exactly: weights, optimizer moments and step count, the
        shuffle generator and the position in this epoch's permutation, the negative sampler's
        generator, loss sums and history. Arrays at the top level (`W_in`, `W_out`,
        `optimizer.<name>.<i>`, `trainer.order`); the rest JSON-safe."""
        optimizer = self.optimizer.state_dict()
        loop = self.trainer.state_dict()
        state: dict = {"W_in": self.W_in.copy(), "W_out": self.W_out.copy()}
        state.update({f"optimizer.{k}": v for k, v in optimizer.items() if isinstance(v, np.ndarray)})
        state.update({f"trainer.{k}": v for k, v in loop.items() if isinstance(v, np.ndarray)})
        state.update({
            "engine": self.engine,
            "model": self.config.model,
            "n_pairs": self.n_pairs,
            "epoch": int(self.epoch),
            "words_done": int(self.words_done),
            "optimizer": {k: v for k, v in optimizer.items() if not isinstance(v, np.ndarray)},
            "trainer": {k: v for k, v in loop.items() if not isinstance(v, np.ndarray)},
            "sampler_rng": rng_state(self.model.sampler.rng),
            "history": self.history,
        })
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict()` of a reference run on the same corpus and config."""
        if state.get("engine") != self.engine:
            raise TrainingError(f"saved state is for the {state.get('engine', 'fast')!r} engine, not 'reference'")
        if state.get("model") != self.config.model or int(state["n_pairs"]) != self.n_pairs:
            raise TrainingError("saved state is for a different model or corpus")
        for name in ("W_in", "W_out"):
            if np.shape(state[name]) != getattr(self, name).shape:
                raise TrainingError(f"saved {name} has shape {np.shape(state[name])}, "
                                    f"expected {getattr(self, name).shape}")
        optimizer = dict(state["optimizer"])
        optimizer.update({k[len("optimizer."):]: v for k, v in state.items() if k.startswith("optimizer.")})
        self._check_optimizer_arrays(optimizer)
        loop = dict(state["trainer"])
        loop.update({k[len("trainer."):]: v for k, v in state.items() if k.startswith("trainer.")})
        order = np.asarray(loop["order"])
        if len(order) not in (0, self.n_pairs):
            raise TrainingError("saved epoch permutation does not match the training pairs")
        self.optimizer.load_state_dict(optimizer)
        self.trainer.load_state_dict(loop)
        set_rng_state(self.model.sampler.rng, state["sampler_rng"])
        self.W_in[...] = np.asarray(state["W_in"], dtype=self.W_in.dtype)  # in place: the layers share them
        self.W_out[...] = np.asarray(state["W_out"], dtype=self.W_out.dtype)

    def _check_optimizer_arrays(self, optimizer: dict) -> None:
        params = self.model.params
        for key, value in optimizer.items():
            if not isinstance(value, np.ndarray):
                continue
            name, _, index = key.rpartition(".")
            i = int(index)
            if i >= len(params) or value.shape[0] != params[i].shape[0] or value.dtype.kind not in "fi":
                raise TrainingError(f"saved optimizer array {name}[{i}] does not fit the model")
            if value.dtype.kind == "f" and (value.shape != params[i].shape or value.dtype != params[i].dtype):
                raise TrainingError(f"saved optimizer array {name}[{i}] has shape {value.shape} {value.dtype}, "
                                    f"expected {params[i].shape} {params[i].dtype}")

    # ---- results ----

    @property
    def history(self) -> dict:
        return self.trainer.history

    def metadata(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "engine": self.engine,
            "loss_history": self.history,
            "training_pairs": self.n_pairs,
        }

    def keyed_vectors(self):
        """The input vectors as KeyedVectors (call after `run` finished: mid-epoch, LazyAdam's
        pending drift of rows not seen lately is not applied yet)."""
        from wordvec.vectors import KeyedVectors

        return KeyedVectors(np.ascontiguousarray(self.model.word_vecs, dtype=np.float32).copy(),
                            list(self.vocab.index_to_key), counts=self.counts.copy(), metadata=self.metadata())


def train(corpus, config, *, progress: bool = True, callbacks: Iterable[EpochCallback] = ()):
    """Train the reference word2vec on an EncodedCorpus and return the input vectors as KeyedVectors.

    Windows never cross sentence boundaries (a book-mode corpus is one flat sentence, so this is
    exactly the book). Uses config.model (cbow|skipgram), dim, window, negative, epochs,
    batch_size, optimizer (adam = LazyAdam), learning_rate and seed; loss must be "ns". Subsampling
    (`sample`) and learning-rate decay are fast-engine features and are ignored here.
    After every epoch each callback is called as callback(epoch, info) like the fast engine's:
    epoch counted from 0, info = {"epoch", "loss", "pairs", "seconds", "words_per_sec", "lr"}.
    """
    trainer = ReferenceTrainer(corpus, config, progress=progress, callbacks=callbacks)
    trainer.run()
    return trainer.keyed_vectors()


def _with_lr(callback: EpochCallback, lr: float) -> EpochCallback:
    """The callback with the (constant) learning rate added to its info, as the fast engine reports."""

    def call(epoch: int, info: dict) -> object:
        return callback(epoch, {**info, "lr": lr})

    return call
