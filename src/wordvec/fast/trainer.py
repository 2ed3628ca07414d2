"""The fast engine's driver: `FastTrainer` holds the whole training state (weights, per-thread
random states, epoch and per-thread positions, loss sums) and runs Hogwild Python threads over
word-balanced ranges of the corpus, each calling a nogil Numba kernel chunk by chunk.

Between chunks (~20k words) a thread checks the stop flag, so training can stop at a requested
point and `state_dict()`/`load_state_dict()` can save and restore it exactly (plain numpy arrays and
JSON-safe scalars; no pickling). `train()` is the engine entry point of DESIGN.md.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterable

import numpy as np

from wordvec.config import TrainConfig
from wordvec.errors import CorpusError, TrainingError
from wordvec.fast import _rng
from wordvec.fast.losses import LossStrategy, make_loss
from wordvec.progress import progress_bar

MAX_SENTENCE = 10_000  # word2vec's MAX_SENTENCE_LENGTH: longer sentences are split, not cut
CHUNK_WORDS = 20_000  # words per kernel call: granularity of stop checks, progress, hot-row merges
# Rows of each matrix a thread may keep private copies of (merged every chunk). Off by default:
# on the 2-core development machine it saved no time once the kernels index rows directly, and the
# stale frequent rows raised the training loss (see docs/DESIGN.md, fast engine).
HOT_ROWS = 0

EpochCallback = Callable[[int, dict], Any]


def split_long_sentences(offsets: np.ndarray, max_len: int = MAX_SENTENCE) -> np.ndarray:
    """Sentence bounds with every sentence longer than `max_len` cut into consecutive pieces."""
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    if len(lengths) == 0 or lengths.max() <= max_len:
        return offsets
    pieces = np.maximum(1, -(-lengths // max_len))
    first_piece = np.repeat(np.cumsum(pieces) - pieces, pieces)
    starts = np.repeat(offsets[:-1], pieces) + (np.arange(pieces.sum()) - first_piece) * max_len
    return np.append(starts, offsets[-1]).astype(np.int64)


def balanced_ranges(offsets: np.ndarray, parts: int) -> np.ndarray:
    """Sentence indices cutting the corpus into `parts` contiguous ranges of about equal words."""
    total = offsets[-1] - offsets[0]
    marks = offsets[0] + (np.arange(parts + 1) * total) // parts
    bounds = np.searchsorted(offsets, marks, side="left").astype(np.int64)
    bounds[0], bounds[-1] = 0, len(offsets) - 1
    return np.maximum.accumulate(np.minimum(bounds, len(offsets) - 1))


class FastTrainer:
    """word2vec skip-gram/CBOW with negative sampling or hierarchical softmax, multi-threaded.

    Create it from an `EncodedCorpus` and a `TrainConfig`, call `run()` (all remaining epochs, or
    until `max_words` more words or `request_stop()`), then `keyed_vectors()`.
    """

    def __init__(self, corpus, config: TrainConfig, *, progress: bool = True,
                 callbacks: Iterable[EpochCallback] = (), chunk_words: int = CHUNK_WORDS,
                 hot_rows: int | None = None):
        if config.model not in ("skipgram", "cbow"):
            raise TrainingError(f"the fast engine trains skipgram or cbow, not {config.model!r}")
        vocab = corpus.vocab
        self.counts = np.asarray(vocab.counts, dtype=np.int64)
        V = len(self.counts)
        self.ids = np.ascontiguousarray(corpus.ids, dtype=np.int32)
        if V == 0 or len(self.ids) == 0:
            raise CorpusError("the corpus has no words to train on")
        if self.ids.min() < 0 or self.ids.max() >= V:
            raise CorpusError("corpus ids fall outside the vocabulary")
        self.offsets = split_long_sentences(corpus.offsets)
        if self.offsets[0] != 0 or self.offsets[-1] != len(self.ids) or np.any(np.diff(self.offsets) < 0):
            raise CorpusError("corpus offsets do not describe the id array")
        self.config = config
        self.vocab = vocab
        self.progress = progress
        self.callbacks = list(callbacks)
        self.chunk_words = int(chunk_words)
        self.threads = int(config.threads)
        self.keep = self._keep_probabilities(vocab, config.sample, V)
        self.loss: LossStrategy = make_loss(config.loss, self.counts, config.negative)
        self._kernel = self.loss.kernel(config.model)
        self._kernel_args = self.loss.kernel_args()
        self.ranges = balanced_ranges(self.offsets, self.threads)
        self.lr0 = float(config.learning_rate)
        self.min_lr = float(min(config.min_lr, self.lr0))

        self.hot_rows = HOT_ROWS if hot_rows is None else int(hot_rows)
        n_out = self.loss.output_rows(V)
        hot_in, hot_out = self._hot_rows(V, min(self.hot_rows, V), min(self.hot_rows, n_out))
        # each matrix carries one block of private hot-row copies per thread after its real rows
        dim = config.dim
        self._W_in = np.zeros((V + self.threads * len(hot_in), dim), np.float32)
        self._W_out = np.zeros((n_out + self.threads * len(hot_out), dim), np.float32)
        rng = np.random.default_rng(config.seed)
        # gensim 4's width, uniform(-1, 1) / dim (word2vec's is half as wide): better skip-gram analogies
        self._W_in[:V] = (rng.random((V, dim), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(dim)
        self._thread_args = [self._private_rows(t, V, hot_in, n_out, hot_out) for t in range(self.threads)]
        self.rng_states = _rng.seed_states(config.seed, self.threads)
        self.epoch = 0
        self.cursors = self.ranges[:-1].copy()
        self.words_done = 0
        self.epoch_nll = np.zeros(self.threads, np.float64)
        self.epoch_pairs = np.zeros(self.threads, np.int64)
        self.history: dict[str, list] = {"epoch_loss": [], "epoch_seconds": [], "epoch_words_per_sec": [],
                                        "epoch_lr_end": [], "step_loss": [], "step_words": []}
        self.train_seconds = 0.0
        self._epoch_seconds = 0.0
        self._epoch_words = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @staticmethod
    def _keep_probabilities(vocab, sample: float, V: int) -> np.ndarray:
        if sample <= 0:
            return np.ones(V, np.float32)
        keep = np.asarray(vocab.keep_probabilities(sample), dtype=np.float32)
        if keep.shape != (V,):
            raise CorpusError("keep probabilities do not match the vocabulary")
        return np.ascontiguousarray(keep)

    def _hot_rows(self, V: int, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
        """The most used input rows (by occurrences after subsampling) and output rows."""
        use = self.counts * self.keep
        hot_in = np.argsort(-use, kind="stable")[:n_in].astype(np.int32)
        return hot_in, self.loss.hot_output_rows(n_out)

    def _private_rows(self, t: int, V: int, hot_in: np.ndarray, n_out: int, hot_out: np.ndarray) -> tuple:
        """Thread t's kernel arguments for its private rows: (in_rows, hot_in, in_base, out_rows,
        hot_out, out_base), where *_rows maps each id to the matrix row the thread uses."""
        args = []
        for hot, n in ((hot_in, V), (hot_out, n_out)):
            base = n + t * len(hot)
            if len(hot):
                rows = np.arange(n, dtype=np.int32)
                rows[hot] = base + np.arange(len(hot), dtype=np.int32)
            else:
                rows = None
            args += [rows, hot, base]
        return tuple(args)

    @property
    def W_in(self) -> np.ndarray:
        """Input (word) vectors, one row per vocabulary word."""
        return self._W_in[: len(self.counts)]

    @property
    def W_out(self) -> np.ndarray:
        """Output vectors: one row per word (NS) or per inner Huffman node (HS)."""
        return self._W_out[: self.loss.output_rows(len(self.counts))]

    # ---- state ----

    @property
    def total_words(self) -> int:
        """Raw words the whole run reads (epochs x corpus length)."""
        return int(self.config.epochs) * len(self.ids)

    @property
    def finished(self) -> bool:
        return self.epoch >= self.config.epochs

    def state_dict(self) -> dict:
        """Everything needed to continue this run exactly: numpy arrays and JSON-safe scalars."""
        return {
            "W_in": self.W_in.copy(),
            "W_out": self.W_out.copy(),
            "rng_states": self.rng_states.copy(),
            "cursors": self.cursors.copy(),
            "epoch_nll": self.epoch_nll.copy(),
            "epoch_pairs": self.epoch_pairs.copy(),
            "epoch": int(self.epoch),
            "words_done": int(self.words_done),
            "threads": int(self.threads),
            "n_sentences": int(len(self.offsets) - 1),
            "train_seconds": float(self.train_seconds),
            "history": {k: list(v) for k, v in self.history.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict()` taken from a trainer on the same corpus and config."""
        if int(state["threads"]) != self.threads or int(state["n_sentences"]) != len(self.offsets) - 1:
            raise TrainingError("saved state is for a different corpus or thread count")
        for name in ("W_in", "W_out"):
            if np.shape(state[name]) != getattr(self, name).shape:
                raise TrainingError(f"saved {name} has shape {np.shape(state[name])}, expected {getattr(self, name).shape}")
        self.W_in[...] = np.asarray(state["W_in"], dtype=np.float32)
        self.W_out[...] = np.asarray(state["W_out"], dtype=np.float32)
        self.rng_states = np.array(state["rng_states"], dtype=np.uint64)
        self.cursors = np.array(state["cursors"], dtype=np.int64)
        if np.any(self.cursors < self.ranges[:-1]) or np.any(self.cursors > self.ranges[1:]):
            raise TrainingError("saved positions fall outside the threads' ranges")
        self.epoch_nll = np.array(state["epoch_nll"], dtype=np.float64)
        self.epoch_pairs = np.array(state["epoch_pairs"], dtype=np.int64)
        self.epoch = int(state["epoch"])
        self.words_done = int(state["words_done"])
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.history = {k: list(v) for k, v in state["history"].items()}

    def request_stop(self) -> None:
        """Ask the workers to stop after their current chunk (thread-safe)."""
        self._stop.set()

    # ---- training ----

    def _lr(self, t: int, sentence: int) -> np.float32:
        """Learning rate at a sentence of thread t's range: linear over all epochs down to min_lr."""
        a, b = self.ranges[t], self.ranges[t + 1]
        span = self.offsets[b] - self.offsets[a]
        frac = (self.offsets[sentence] - self.offsets[a]) / span if span > 0 else 1.0
        progress = min((self.epoch + frac) / self.config.epochs, 1.0)
        return np.float32(self.lr0 - (self.lr0 - self.min_lr) * progress)

    def _worker(self, t: int, budget: list, errors: list) -> None:
        try:
            end = self.ranges[t + 1]
            while self.cursors[t] < end and not self._stop.is_set():
                start = self.cursors[t]
                stop_at = int(np.searchsorted(self.offsets, self.offsets[start] + self.chunk_words, side="left"))
                stop_at = min(max(stop_at, start + 1), end)
                nll, pairs = self._kernel(
                    self._W_in, self._W_out, self.ids, self.offsets, start, stop_at, self.keep,
                    self._lr(t, start), self._lr(t, stop_at), self.config.window,
                    self.rng_states[t:t + 1], *self._thread_args[t], *self._kernel_args)
                words = int(self.offsets[stop_at] - self.offsets[start])
                if not math.isfinite(nll):  # a NaN/Inf score: stop within this chunk, before it spreads
                    raise TrainingError(
                        f"training diverged in epoch {self.epoch + 1}: NaN/Inf in the weights "
                        f"(try a smaller learning rate)")
                with self._lock:
                    self.cursors[t] = stop_at
                    self.epoch_nll[t] += nll
                    self.epoch_pairs[t] += pairs
                    self.words_done += words
                    if pairs:
                        self.history["step_loss"].append(nll / pairs)
                        self.history["step_words"].append(self.words_done)
                    budget[0] -= words
                    if budget[0] <= 0:
                        self._stop.set()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
            self._stop.set()

    def run(self, max_words: int | None = None) -> bool:
        """Train the remaining epochs, or until `max_words` more words were read or a stop was
        requested (checked between chunks). Returns True when every epoch is done."""
        self._stop.clear()
        budget = [math.inf if max_words is None else int(max_words)]
        bar = progress_bar(self.total_words, f"{self.config.model}/{self.config.loss}", enabled=self.progress)
        bar.update(self.words_done)
        try:
            while not self.finished and not self._stop.is_set():
                self._run_epoch_part(budget, bar)
                if all(self.cursors[t] >= self.ranges[t + 1] for t in range(self.threads)):
                    self._end_epoch()
        except KeyboardInterrupt:
            self._stop.set()
            raise
        finally:
            bar.close()
        return self.finished

    def _run_epoch_part(self, budget: list, bar) -> None:
        errors: list = []
        started = time.perf_counter()
        words_before = self.words_done
        workers = [threading.Thread(target=self._worker, args=(t, budget, errors), daemon=True,
                                    name=f"wordvec-fast-{t}") for t in range(self.threads)]
        for w in workers:
            w.start()
        shown = self.words_done
        try:
            for w in workers:
                while w.is_alive():
                    w.join(timeout=0.25)
                    shown = self._show(bar, shown)
        except BaseException:
            self._stop.set()
            for w in workers:
                w.join()
            raise
        finally:
            self._show(bar, shown)
            elapsed = time.perf_counter() - started
            self.train_seconds += elapsed
            self._epoch_seconds += elapsed
            self._epoch_words += self.words_done - words_before
        if errors:
            raise errors[0]

    def _show(self, bar, shown: int) -> int:
        done = self.words_done
        if done > shown:
            bar.update(done - shown)
            pairs = self.epoch_pairs.sum()
            if pairs:
                bar.set_postfix(loss=f"{self.epoch_nll.sum() / pairs:.4f}", refresh=False)
        return done

    def _end_epoch(self) -> None:
        if not (np.isfinite(self.W_in).all() and np.isfinite(self.W_out).all()):
            raise TrainingError(f"training diverged in epoch {self.epoch + 1}: NaN/Inf in the weights "
                                f"(try a smaller learning rate)")
        pairs = int(self.epoch_pairs.sum())
        loss = float(self.epoch_nll.sum() / pairs) if pairs else float("nan")
        seconds = self._epoch_seconds
        words = self._epoch_words
        info = {
            "epoch": self.epoch,
            "loss": loss,
            "pairs": pairs,
            "words": len(self.ids),
            "seconds": seconds,
            "words_per_sec": words / seconds if seconds > 0 else float("nan"),
            "lr": float(self._lr(0, self.ranges[1])),  # where thread 0 ended the epoch
        }
        self.history["epoch_loss"].append(loss)
        self.history["epoch_seconds"].append(seconds)
        self.history["epoch_words_per_sec"].append(info["words_per_sec"])
        self.history["epoch_lr_end"].append(info["lr"])
        self.epoch += 1
        self.cursors = self.ranges[:-1].copy()
        self.epoch_nll[:] = 0.0
        self.epoch_pairs[:] = 0
        self._epoch_seconds = 0.0
        self._epoch_words = 0
        for callback in self.callbacks:
            callback(info["epoch"], dict(info))

    # ---- results ----

    def metadata(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "engine": "fast",
            "loss_history": {k: list(v) for k, v in self.history.items()},
            "train_seconds": self.train_seconds,
            "words_per_sec": self.words_done / self.train_seconds if self.train_seconds > 0 else None,
        }

    def keyed_vectors(self):
        """The input vectors as a `KeyedVectors` in vocabulary order."""
        from wordvec.vectors import KeyedVectors

        return KeyedVectors(self.W_in.copy(), list(self.vocab.index_to_key), counts=self.counts.copy(),
                            metadata=self.metadata())


def train(corpus, config: TrainConfig, *, progress: bool = True, callbacks: Iterable[EpochCallback] = ()):
    """Train word2vec with the fast engine (DESIGN.md's engine contract) and return KeyedVectors."""
    trainer = FastTrainer(corpus, config, progress=progress, callbacks=callbacks)
    trainer.run()
    return trainer.keyed_vectors()
