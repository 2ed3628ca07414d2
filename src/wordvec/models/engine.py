"""The reference engine: `train(corpus, config) -> KeyedVectors` with the book's CBOW / skip-gram.

`ReferenceTrainer` holds a whole run (model, optimizer, the nn.Trainer loop over the training
pairs) behind the same small surface as the fast engine's `FastTrainer`, so `wordvec.checkpoint`
saves, stops and resumes either engine the same way: `run(max_words)` (stops between batches),
`request_stop()`, `finished`, `epoch`, `words_done`, `total_words`, `state_dict()` /
`load_state_dict()` (numpy arrays and JSON-safe scalars, never pickles) and `keyed_vectors()`.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import numpy as np

from wordvec.errors import TrainingError
from wordvec.models.data import contexts_in_sentences
from wordvec.models.word2vec import CBOW, SkipGram
from wordvec.nn.optim import OPTIMIZERS, make_optimizer
from wordvec.nn.trainer import Trainer, rng_state, set_rng_state
from wordvec.statecheck import int_field, is_number
from wordvec.subwords import NgramTable

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
        # the subword model: each word's input rows are its own and its n-grams' (used buckets only)
        self.ngrams = NgramTable.build(self.vocab.index_to_key, config.minn, config.maxn, config.bucket) \
            if config.subwords else None
        self.model = model_cls(
            len(self.vocab), config.dim, config.window, self.counts, sample_size=config.negative, seed=config.seed,
            input_rows=self.ngrams,
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
            "n_in_rows": int(self.W_in.shape[0]),
            "epoch": int(self.epoch),
            "words_done": int(self.words_done),
            "optimizer": {k: v for k, v in optimizer.items() if not isinstance(v, np.ndarray)},
            "trainer": {k: v for k, v in loop.items() if not isinstance(v, np.ndarray)},
            "sampler_rng": rng_state(self.model.sampler.rng),
            "history": self.history,
        })
        return state

    @staticmethod
    def state_array_spec(config, vocab_size: int, state: dict) -> dict:
        """{array name: (dtype, allowed shapes)} a saved state of `config` must hold, from its JSON
        part alone (so a checkpoint's arrays are checked before they are read). The optimizer's
        arrays are all present or (before its first step) all absent."""
        n_pairs = int_field(state, "n_pairs", 1)
        # W_in: one row per word, plus the n-gram rows of a subword model (their count is saved)
        n_in = int_field(state, "n_in_rows", 1) if config.subwords else vocab_size
        shapes = [(n_in, config.dim), (vocab_size, config.dim)]
        spec = {"W_in": (np.dtype(np.float32), [shapes[0]]), "W_out": (np.dtype(np.float32), [shapes[1]]),
                "trainer.order": (np.dtype(np.int64), [(0,), (n_pairs,)])}
        for name in _optimizer_arrays(config.optimizer):
            for i in range(2):
                if name == "last":
                    spec[f"optimizer.{name}.{i}"] = (np.dtype(np.int64), [(shapes[i][0],)])
                else:
                    spec[f"optimizer.{name}.{i}"] = (np.dtype(np.float32), [shapes[i]])
        return spec

    #: arrays of a saved state that may be missing: the optimizer's (before its first step)
    OPTIONAL_PREFIXES = ("optimizer.",)

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict()` of a reference run on the same corpus and config.

        Every field is checked first (types, dtypes, shapes, ranges, finite values); a bad state
        raises TrainingError and changes nothing."""
        if not isinstance(state, dict):
            raise TrainingError("saved state must be a dict")
        if state.get("engine") != self.engine:
            raise TrainingError(f"saved state is for the {state.get('engine', 'fast')!r} engine, not 'reference'")
        if state.get("model") != self.config.model or int_field(state, "n_pairs", 1) != self.n_pairs:
            raise TrainingError("saved state is for a different model or corpus")
        for name in ("W_in", "W_out"):
            if not isinstance(state.get(name), np.ndarray) or state[name].shape != getattr(self, name).shape:
                raise TrainingError(f"saved {name} has shape {np.shape(state.get(name))}, "
                                    f"expected {getattr(self, name).shape}")
        if not isinstance(state.get("optimizer"), dict) or not isinstance(state.get("trainer"), dict):
            raise TrainingError("saved state lacks its optimizer or training-loop part")
        optimizer = dict(state["optimizer"])
        optimizer.update({k[len("optimizer."):]: v for k, v in state.items() if k.startswith("optimizer.")})
        loop = dict(state["trainer"])
        loop.update({k[len("trainer."):]: v for k, v in state.items() if k.startswith("trainer.")})
        unknown = [k for k in state if "." in k and not k.startswith(("optimizer.", "trainer."))]
        if unknown:
            raise TrainingError(f"saved state has unknown arrays: {', '.join(unknown)}")
        self._check_arrays(state)
        self._check_optimizer_scalars(optimizer)
        self._check_loop(loop)
        _check_rng(state.get("sampler_rng"), "sampler_rng")
        self.optimizer.load_state_dict(optimizer)
        self.trainer.load_state_dict(loop)
        set_rng_state(self.model.sampler.rng, state["sampler_rng"])
        self.W_in[...] = np.asarray(state["W_in"], dtype=self.W_in.dtype)  # in place: the layers share them
        self.W_out[...] = np.asarray(state["W_out"], dtype=self.W_out.dtype)

    def _check_arrays(self, state: dict) -> None:
        spec = self.state_array_spec(self.config, len(self.vocab), state)
        optional = {k for k in spec if k.startswith("optimizer.")}
        present = {k for k, v in state.items() if isinstance(v, np.ndarray)}
        if present & optional and not optional <= present:
            raise TrainingError("saved optimizer state lacks some of its arrays")
        extra = present - set(spec)
        if extra:
            raise TrainingError(f"saved state has unexpected arrays: {', '.join(sorted(extra))}")
        for name, (dtype, shapes) in spec.items():
            if name not in present and name in optional:
                continue
            value = state.get(name)
            if not isinstance(value, np.ndarray) or value.dtype != dtype or value.shape not in shapes:
                raise TrainingError(f"saved {name} must be a {dtype} array of shape "
                                    f"{' or '.join(map(str, shapes))}, got "
                                    f"{getattr(value, 'dtype', type(value).__name__)} {np.shape(value)}")
            if dtype.kind == "f" and not np.isfinite(value).all():
                raise TrainingError(f"saved {name} holds NaN/Inf")
        order = state["trainer.order"]
        if len(order) and not np.array_equal(np.sort(order), np.arange(len(order))):
            raise TrainingError("saved epoch permutation is not a permutation of the training pairs")

    def _check_optimizer_scalars(self, optimizer: dict) -> None:
        expected = type(self.optimizer).__name__
        if optimizer.get("type") != expected:
            raise TrainingError(f"optimizer state is for {optimizer.get('type')!r:.40}, not {expected}")
        for name in type(self.optimizer)._scalars:
            value = optimizer.get(name)
            current = getattr(self.optimizer, name)
            if isinstance(current, bool):
                ok = isinstance(value, bool)
            elif isinstance(current, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            else:
                ok = is_number(value) and math.isfinite(value) and value >= 0
            if not ok or (name in ("beta1", "beta2") and not value < 1) or (name in ("lr", "eps") and not value > 0):
                raise TrainingError(f"saved optimizer {name} is invalid: {value!r:.40}")
        for key, value in optimizer.items():
            if isinstance(value, np.ndarray) and (key.startswith("h.") or (key.startswith("v.") and "beta2" in optimizer)) \
                    and (value < 0).any():  # second moments / squared-gradient sums
                raise TrainingError(f"saved optimizer array {key} has negative entries")
            if isinstance(value, np.ndarray) and key.startswith("last."):
                if (value < 0).any() or (value > optimizer.get("iter", 0)).any():
                    raise TrainingError(f"saved optimizer array {key} holds steps outside 0..iter")

    def _check_loop(self, loop: dict) -> None:
        n = self.n_pairs
        batches = -(-n // self.config.batch_size)
        epoch = int_field(loop, "current_epoch", 0)
        batch = int_field(loop, "batch", 0)
        words = int_field(loop, "words_done", 0)
        if epoch > self.config.epochs:
            raise TrainingError(f"saved epoch {epoch} is beyond the run's {self.config.epochs} epochs")
        in_epoch = len(loop["order"]) > 0
        if batch > batches or (not in_epoch and batch != 0) or (in_epoch and epoch >= self.config.epochs):
            raise TrainingError("saved batch position does not fit the epoch")
        if words != epoch * n + min(batch * self.config.batch_size, n):
            raise TrainingError("saved words_done does not match the saved position")
        interval = loop.get("eval_interval")
        if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool) or interval < 1):
            raise TrainingError(f"saved eval_interval is invalid: {interval!r:.40}")
        if int_field(loop, "interval_count", 0) >= (interval or 1) and interval is not None:
            raise TrainingError("saved interval_count is not below eval_interval")
        for name in ("epoch_total", "interval_total", "epoch_seconds"):
            value = loop.get(name, 0.0)
            if not (is_number(value) and math.isfinite(value) and value >= 0):
                raise TrainingError(f"saved {name} must be a finite number >= 0, got {value!r:.40}")
        for name, kind in (("loss_list", float), ("loss_words", int), ("epoch_losses", float)):
            values = loop.get(name)
            if not isinstance(values, list) or not all(
                    is_number(v) and (kind is float or isinstance(v, int)) for v in values):
                raise TrainingError(f"saved {name} must be a list of numbers")
        if len(loop["epoch_losses"]) != epoch or len(loop["loss_words"]) != len(loop["loss_list"]):
            raise TrainingError("saved loss history does not match the saved position")
        _check_rng(loop.get("rng"), "shuffle rng")

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
        pending drift of rows not seen lately is not applied yet); `SubwordVectors` for the
        subword model."""
        from wordvec.vectors import KeyedVectors, SubwordVectors

        if self.ngrams is not None:
            return SubwordVectors.from_table(self.ngrams, self.W_in, list(self.vocab.index_to_key),
                                             counts=self.counts.copy(), metadata=self.metadata())
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


def _optimizer_arrays(name: str) -> tuple:
    """The per-parameter array names the optimizer called `name` saves."""
    cls = OPTIMIZERS.get(name)
    if cls is None:
        raise TrainingError(f"unknown optimizer {name!r:.40}")
    return tuple(cls._arrays)


def _check_rng(state, label: str) -> None:
    """A numpy PCG64 `bit_generator.state` dict with integers in range, else TrainingError."""
    def ok_int(v, bits):
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**bits

    inner = state.get("state") if isinstance(state, dict) else None
    if not (isinstance(state, dict) and state.get("bit_generator") == "PCG64" and isinstance(inner, dict)
            and set(inner) == {"state", "inc"} and ok_int(inner["state"], 128) and ok_int(inner["inc"], 128)
            and state.get("has_uint32") in (0, 1) and ok_int(state.get("uinteger"), 32)
            and set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}):
        raise TrainingError(f"saved {label} is not a valid PCG64 random state")
