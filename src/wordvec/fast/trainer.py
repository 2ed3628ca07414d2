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
from wordvec.fast import _rng, kernels
from wordvec.fast.losses import make_loss
from wordvec.fast.rows import InputRows
from wordvec.progress import progress_bar
from wordvec.subwords import NgramTable
from wordvec.statecheck import int_field, is_number

MAX_SENTENCE = 10_000  # word2vec's MAX_SENTENCE_LENGTH: longer sentences are split, not cut
CHUNK_WORDS = 20_000  # words per kernel call: granularity of stop checks and progress

EpochCallback = Callable[[int, dict], Any]


def initial_word_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Starting input rows of n words: uniform(-1, 1) / dim, gensim 4's width (word2vec's is half
    as wide; the wider one gives better skip-gram analogies). N-gram rows start at zero (those no
    word uses never change, so they need not exist)."""
    return (rng.random((n, dim), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(dim)


def _given_weights(weights, in_shape: tuple, out_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(W_in, W_out) given by a caller, checked: C-contiguous float32 of the expected shapes."""
    if not (isinstance(weights, tuple) and len(weights) == 2):
        raise TrainingError("weights must be a (W_in, W_out) pair of arrays")
    out = []
    for name, array, shape in zip(("W_in", "W_out"), weights, (in_shape, out_shape)):
        if not (isinstance(array, np.ndarray) and array.dtype == np.float32 and array.flags.c_contiguous
                and array.flags.writeable):
            raise TrainingError(f"{name} must be a writeable C-contiguous float32 array")
        if array.shape != shape:
            raise TrainingError(f"{name} has shape {array.shape}, expected {shape}")
        out.append(array)
    return out[0], out[1]


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
    """word2vec skip-gram/CBOW with negative sampling, hierarchical softmax or full softmax,
    multi-threaded.

    Create it from an `EncodedCorpus` and a `TrainConfig`, call `run()` (all remaining epochs, or
    until `max_words` more words or `request_stop()`), then `keyed_vectors()`.
    """

    def __init__(self, corpus, config: TrainConfig, *, progress: bool = True,
                 callbacks: Iterable[EpochCallback] = (), chunk_words: int = CHUNK_WORDS,
                 epoch_begin: Iterable[Callable[[int], Any]] = (), weights: tuple | None = None,
                 rng_states: np.ndarray | None = None, ngrams: NgramTable | None = None):
        """`callbacks` run as `callback(epoch, info)` after each epoch, `epoch_begin` as
        `callback(epoch)` before one starts. A caller that keeps a model between runs (the
        gensim-style `Word2Vec.train`) passes its `weights` (W_in, W_out: trained in place, not
        copied), the `rng_states` to continue and, for subwords, its `ngrams` table; otherwise the
        weights start from `config.seed`."""
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
        self.loss = make_loss(config.loss, self.counts, config.negative, config.ns_exponent)
        self._chunk_kernel = kernels.MODELS[config.model][0]
        self._loss_tables = self.loss.tables()
        self.ranges = balanced_ranges(self.offsets, self.threads)
        self.lr0 = float(config.learning_rate)
        self.min_lr = float(min(config.min_lr, self.lr0))

        # word w's input vector is the mean of its rows in this table (word2vec: row w alone;
        # fastText: its own row and its n-gram rows, only the buckets this vocabulary uses)
        self.ngrams = None
        if config.subwords:
            self.ngrams = ngrams if ngrams is not None else NgramTable.build(
                vocab.index_to_key, config.minn, config.maxn, config.bucket)
            self.input_rows = self.ngrams.input_rows()
        else:
            self.input_rows = InputRows.words(V)
        n_out = self.loss.output_rows(V)
        dim = config.dim
        if weights is not None:
            self._W_in, self._W_out = _given_weights(weights, (self.input_rows.n_rows, dim), (n_out, dim))
        else:
            self._W_in = np.zeros((self.input_rows.n_rows, dim), np.float32)
            self._W_out = np.zeros((n_out, dim), np.float32)
            self._W_in[:V] = initial_word_rows(np.random.default_rng(config.seed), V, dim)
        if rng_states is not None:
            rng_states = np.asarray(rng_states, dtype=np.uint64)
            if rng_states.shape != (self.threads,):
                raise TrainingError(f"rng_states must hold one state per thread ({self.threads})")
            self.rng_states = rng_states.copy()
        else:
            self.rng_states = _rng.seed_states(config.seed, self.threads)
        self.epoch_begin = list(epoch_begin)
        self.epoch = 0
        self._set_plan(_standard_plan(self.ranges), 0)
        self.cursors = self.ranges[:-1].copy()
        self.words_done = 0
        self.epoch_nll = np.zeros(self.threads, np.float64)
        self.epoch_pairs = np.zeros(self.threads, np.int64)
        self.history: dict[str, list] = {"epoch_loss": [], "epoch_seconds": [], "epoch_words_per_sec": [],
                                        "epoch_lr_end": [], "step_loss": [], "step_words": []}
        self.train_seconds = 0.0
        # added to this run's progress (0..1) when the learning rate is read: a cluster worker
        # trains one shard but follows the schedule of all workers' words (wordvec.cluster)
        self.progress_shift = 0.0
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

    @property
    def W_in(self) -> np.ndarray:
        """Input rows: one per vocabulary word, then (subwords) one per used n-gram bucket."""
        return self._W_in

    @property
    def W_out(self) -> np.ndarray:
        """Output vectors: one row per word (NS, softmax) or per inner Huffman node (HS)."""
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
        """Everything needed to continue this run exactly: numpy arrays and JSON-safe scalars.

        `plan` (int64 rows (thread, first sentence, end sentence)) lists each thread's sentence
        ranges for the current epoch, in order; `plan_done` is the epoch's words done before that
        plan began (0 unless the thread count changed mid-epoch)."""
        return {"W_in": self.W_in.copy(), "W_out": self.W_out.copy(), **self.position_dict()}

    def position_dict(self) -> dict:
        """`state_dict()` without the weights: where the run is (a cluster worker's position,
        kept by the driver, which holds the weights)."""
        return {
            "rng_states": self.rng_states.copy(),
            "cursors": self.cursors.copy(),
            "epoch_nll": self.epoch_nll.copy(),
            "epoch_pairs": self.epoch_pairs.copy(),
            "plan": self._plan_array(),
            "epoch": int(self.epoch),
            "words_done": int(self.words_done),
            "threads": int(self.threads),
            "n_sentences": int(len(self.offsets) - 1),
            "plan_done": int(self.plan_done),
            "train_seconds": float(self.train_seconds),
            "history": {k: list(v) for k, v in self.history.items()},
        }

    #: arrays a saved state may hold that checkpoints written before them lack
    OPTIONAL_ARRAYS = ("plan",)
    HISTORY_KEYS = ("epoch_loss", "epoch_seconds", "epoch_words_per_sec", "epoch_lr_end", "step_loss",
                    "step_words")

    @staticmethod
    def state_array_spec(config: TrainConfig, vocab_size: int, state: dict) -> dict:
        """{array name: (dtype, allowed shapes)} that a saved state of `config` must hold, from its
        JSON part alone, so a checkpoint's arrays are checked before they are read (None in a
        shape: any length). Raises TrainingError when the JSON part cannot say."""
        threads = int_field(state, "threads", 1)
        out_rows = max(vocab_size - 1, 1) if config.loss == "hs" else vocab_size
        # subwords: the used buckets follow from the words; load_state_dict checks the exact count
        in_rows = None if config.subwords else vocab_size
        return {
            "W_in": (np.dtype(np.float32), [(in_rows, config.dim)]),
            "W_out": (np.dtype(np.float32), [(out_rows, config.dim)]),
            "rng_states": (np.dtype(np.uint64), [(threads,)]),
            "cursors": (np.dtype(np.int64), [(threads,)]),
            "epoch_nll": (np.dtype(np.float64), [(threads,)]),
            "epoch_pairs": (np.dtype(np.int64), [(threads,)]),
            "plan": (np.dtype(np.int64), [(None, 3)]),
        }

    def load_state_dict(self, state: dict, *, allow_thread_change: bool = False) -> None:
        """Restore a `state_dict()` taken from a trainer on the same corpus and config.

        Every field is checked first (types, dtypes, shapes, ranges, finite weights) and nothing
        changes unless all pass: a bad state raises TrainingError. A state saved with another
        thread count is refused unless `allow_thread_change`; then the rest of the current epoch
        is split over this trainer's threads (word-balanced), their random states are derived
        deterministically from the saved ones, and later epochs use this trainer's ranges."""
        if not isinstance(state, dict):
            raise TrainingError("saved state must be a dict")
        threads = int_field(state, "threads", 1)
        if int_field(state, "n_sentences", 0) != len(self.offsets) - 1:
            raise TrainingError("saved state is for a different corpus (sentence count)")
        if threads != self.threads and not allow_thread_change:
            raise TrainingError(f"saved state is for a different thread count ({threads}, not {self.threads})")
        arrays = {}
        for name, (dtype, shapes) in self.state_array_spec(self.config, len(self.counts), state).items():
            if name in self.OPTIONAL_ARRAYS and name not in state:
                continue
            arrays[name] = _checked_array(state, name, dtype, shapes)
        if arrays["W_in"].shape != self._W_in.shape:
            raise TrainingError(f"saved W_in has shape {arrays['W_in'].shape}, expected {self._W_in.shape}")
        for name in ("W_in", "W_out"):
            if not np.isfinite(arrays[name]).all():
                raise TrainingError(f"saved {name} holds NaN/Inf")
        if not (np.isfinite(arrays["epoch_nll"]).all() and (arrays["epoch_nll"] >= 0).all()):
            raise TrainingError("saved epoch_nll must be finite and >= 0")
        if (arrays["epoch_pairs"] < 0).any():
            raise TrainingError("saved epoch_pairs must be >= 0")
        epoch = int_field(state, "epoch", 0)
        if epoch > self.config.epochs:
            raise TrainingError(f"saved epoch {epoch} is beyond the run's {self.config.epochs} epochs")
        words_done = int_field(state, "words_done", 0)
        plan_done = int_field(state, "plan_done", 0) if "plan_done" in state else 0
        train_seconds = state.get("train_seconds", 0.0)
        if not is_number(train_seconds) or not 0 <= train_seconds < math.inf:
            raise TrainingError(f"saved train_seconds must be a finite number >= 0, got {train_seconds!r}")
        history = _checked_history(state.get("history"), self.HISTORY_KEYS)
        if "plan" in arrays:
            plan = self._checked_plan(arrays["plan"], threads)
        else:
            plan = _standard_plan(balanced_ranges(self.offsets, threads))
        N = len(self.ids)
        planned = sum(int(self.offsets[b] - self.offsets[a]) for segments in plan for a, b in segments)
        if plan_done + planned > N:
            raise TrainingError("saved plan covers more words than the corpus holds")
        cursors = arrays["cursors"]
        in_plan = 0
        for t in range(threads):
            position = _plan_position(plan[t], int(cursors[t]), self.offsets)
            if position is None:
                raise TrainingError(f"saved position of thread {t} falls outside its sentence ranges")
            in_plan += position
        if words_done != epoch * N + plan_done + in_plan:
            raise TrainingError(f"saved words_done {words_done} does not match the saved positions "
                                f"({epoch * N + plan_done + in_plan})")
        if epoch == self.config.epochs and words_done != epoch * N:
            raise TrainingError("saved state goes past the run's last epoch")

        # every check passed: apply
        self.W_in[...] = arrays["W_in"]
        self.W_out[...] = arrays["W_out"]
        self.epoch = epoch
        self.words_done = words_done
        self.train_seconds = float(train_seconds)
        self.history = history
        if threads == self.threads:
            self.rng_states = np.array(arrays["rng_states"], dtype=np.uint64)
            self.epoch_nll = np.array(arrays["epoch_nll"], dtype=np.float64)
            self.epoch_pairs = np.array(arrays["epoch_pairs"], dtype=np.int64)
            self._set_plan(plan, plan_done)
            self.cursors = np.array(cursors, dtype=np.int64)
        else:
            self._replan(plan, cursors, plan_done + in_plan, arrays)
        for t in range(self.threads):
            self.cursors[t] = self._normalised(t, int(self.cursors[t]))

    def _replan(self, old_plan: list, cursors: np.ndarray, done_in_epoch: int, arrays: dict) -> None:
        """Split what the saved threads had left of this epoch over this trainer's threads."""
        offsets = self.offsets
        remaining: list[tuple[int, int]] = []  # sentence ranges not trained yet, in plan order
        for t, segments in enumerate(old_plan):
            c = int(cursors[t])
            started = False
            for a, b in segments:
                if not started and a <= c <= b:
                    started, a = True, c
                if started and b > a:
                    remaining.append((a, b))
        words = [int(offsets[b] - offsets[a]) for a, b in remaining]
        total = sum(words)
        marks = [(k * total) // self.threads for k in range(self.threads + 1)]
        plan: list[list[tuple[int, int]]] = [[] for _ in range(self.threads)]
        before = 0  # words of the remaining ranges ahead of this one
        for (a, b), w in zip(remaining, words):
            # sentence i of [a, b) goes to the thread whose word marks hold its first word
            firsts = offsets[a:b] - offsets[a] + before
            owner = np.searchsorted(np.asarray(marks[1:-1], dtype=np.int64), firsts, side="right")
            for t in np.unique(owner):
                members = np.flatnonzero(owner == t)
                plan[int(t)].append((a + int(members[0]), a + int(members[-1]) + 1))
            before += w
        plan = [_merged(segments) or [(0, 0)] for segments in plan]
        seeds = [int(v) for v in np.asarray(arrays["rng_states"], dtype=np.uint64)]
        self.rng_states = np.random.default_rng([*seeds, len(seeds), self.threads, 0x7E7A]).integers(
            0, 2**63, size=self.threads, dtype=np.uint64)
        self.epoch_nll = np.zeros(self.threads, np.float64)
        self.epoch_pairs = np.zeros(self.threads, np.int64)
        self.epoch_nll[0] = float(np.sum(arrays["epoch_nll"]))  # only their sums are ever read
        self.epoch_pairs[0] = int(np.sum(arrays["epoch_pairs"]))
        self._set_plan(plan, done_in_epoch)
        self.cursors = np.array([segments[0][0] for segments in plan], dtype=np.int64)

    def _checked_plan(self, plan: np.ndarray, threads: int) -> list:
        """The saved plan as per-thread lists of (start, end), after checking it is well formed."""
        n = len(self.offsets) - 1
        if len(plan) < threads:
            raise TrainingError("saved plan does not give every thread a sentence range")
        thread = plan[:, 0]
        if np.any(np.diff(thread) < 0) or thread[0] != 0 or thread[-1] != threads - 1 \
                or len(np.unique(thread)) != threads:
            raise TrainingError("saved plan must list the threads 0.. in order, each at least once")
        if np.any(plan[:, 1] < 0) or np.any(plan[:, 2] > n) or np.any(plan[:, 1] > plan[:, 2]):
            raise TrainingError(f"saved plan has sentence ranges outside 0..{n}")
        spans = plan[plan[:, 2] > plan[:, 1]][:, 1:]
        spans = spans[np.argsort(spans[:, 0], kind="stable")]
        if len(spans) > 1 and np.any(spans[1:, 0] < spans[:-1, 1]):
            raise TrainingError("saved plan has overlapping sentence ranges")
        out: list[list[tuple[int, int]]] = [[] for _ in range(threads)]
        for t, a, b in plan.tolist():
            out[t].append((a, b))
        return out

    def _set_plan(self, plan: list, plan_done: int) -> None:
        """Make `plan` (per thread: ordered (start, end) sentence ranges) the current epoch's."""
        self.plan = [list(segments) for segments in plan]
        self.plan_done = int(plan_done)
        self._plan_start = self.plan_done / len(self.ids)  # fraction of the epoch done before the plan
        self._plan_words = [[int(self.offsets[b] - self.offsets[a]) for a, b in segments] for segments in self.plan]
        self._thread_end = [segments[-1][1] for segments in self.plan]

    def _plan_array(self) -> np.ndarray:
        rows = [(t, a, b) for t, segments in enumerate(self.plan) for a, b in segments]
        return np.array(rows, dtype=np.int64).reshape(-1, 3)

    def _segment_of(self, t: int, c: int) -> int:
        """Index of thread t's range holding cursor c (c < its end), else of the last range."""
        for i, (a, b) in enumerate(self.plan[t]):
            if a <= c < b:
                return i
        return len(self.plan[t]) - 1

    def _normalised(self, t: int, c: int) -> int:
        """Cursor c of thread t moved from the end of a finished range to the next range's start."""
        segments = self.plan[t]
        for i, (a, b) in enumerate(segments):
            if c == b and i + 1 < len(segments):
                c = segments[i + 1][0]
        return c

    def request_stop(self) -> None:
        """Ask the workers to stop after their current chunk (thread-safe)."""
        self._stop.set()

    # ---- training ----

    def _lr(self, t: int, sentence: int, segment: int = 0) -> np.float32:
        """Learning rate at a sentence of thread t's range (`segment`: which of its ranges):
        linear over all epochs (config.epochs, the current total) down to min_lr."""
        a = self.plan[t][segment][0]
        sizes = self._plan_words[t]
        span = sum(sizes)
        done = sum(sizes[:segment]) + (self.offsets[sentence] - self.offsets[a])
        frac = done / span if span > 0 else 1.0
        if self._plan_start:  # the plan began mid-epoch (thread count changed): it covers the rest
            frac = self._plan_start + (1.0 - self._plan_start) * frac
        progress = min(max((self.epoch + frac) / self.config.epochs + self.progress_shift, 0.0), 1.0)
        return np.float32(self.lr0 - (self.lr0 - self.min_lr) * progress)

    def _worker(self, t: int, budget: list, errors: list) -> None:
        try:
            while self.cursors[t] < self._thread_end[t] and not self._stop.is_set():
                start = int(self.cursors[t])
                segment = self._segment_of(t, start)
                end = self.plan[t][segment][1]
                stop_at = int(np.searchsorted(self.offsets, self.offsets[start] + self.chunk_words, side="left"))
                stop_at = min(max(stop_at, start + 1), end)
                nll, pairs = self._chunk_kernel(
                    self._loss_tables, self.config.window, self._W_in, self._W_out, self.input_rows.offsets,
                    self.input_rows.rows, self.ids, self.offsets, start, stop_at, self.keep,
                    self._lr(t, start, segment), self._lr(t, stop_at, segment), self.rng_states[t:t + 1])
                words = int(self.offsets[stop_at] - self.offsets[start])
                if not math.isfinite(nll):  # a NaN/Inf score: stop within this chunk, before it spreads
                    raise TrainingError(
                        f"training diverged in epoch {self.epoch + 1}: NaN/Inf in the weights "
                        f"(try a smaller learning rate)")
                with self._lock:
                    self.cursors[t] = self._normalised(t, stop_at)
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
                if self.words_done == self.epoch * len(self.ids):  # this epoch has not begun
                    for callback in self.epoch_begin:
                        callback(self.epoch)
                self._run_epoch_part(budget, bar)
                if all(self.cursors[t] >= self._thread_end[t] for t in range(self.threads)):
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
        shown = self.words_done  # before the workers start: a short chunk may end before the next line
        for w in workers:
            w.start()
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
            "nll": float(self.epoch_nll.sum()),  # the epoch's summed loss (gensim's running loss)
            "pairs": pairs,
            "words": len(self.ids),
            "seconds": seconds,
            "words_per_sec": words / seconds if seconds > 0 else float("nan"),
            "lr": float(self._lr(0, self._thread_end[0], len(self.plan[0]) - 1)),  # where thread 0 ended
        }
        self.history["epoch_loss"].append(loss)
        self.history["epoch_seconds"].append(seconds)
        self.history["epoch_words_per_sec"].append(info["words_per_sec"])
        self.history["epoch_lr_end"].append(info["lr"])
        self.epoch += 1
        self._set_plan(_standard_plan(self.ranges), 0)
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
            # an epoch with no training pairs (every word subsampled away) has no loss: NaN here,
            # null in the saved metadata (JSON has no NaN), a gap in plot-loss
            "loss_history": {k: [v if math.isfinite(v) else None for v in values]
                             for k, values in self.history.items()},
            "train_seconds": self.train_seconds,
            "words_per_sec": self.words_done / self.train_seconds if self.train_seconds > 0 else None,
        }

    def keyed_vectors(self):
        """The input vectors as a `KeyedVectors` in vocabulary order (`SubwordVectors`, which
        also answers for unseen words, when the model has subwords)."""
        from wordvec.vectors import KeyedVectors, SubwordVectors

        words = list(self.vocab.index_to_key)
        if self.ngrams is None:
            return KeyedVectors(self.input_rows.compose(self._W_in), words, counts=self.counts.copy(),
                                metadata=self.metadata())
        return SubwordVectors.from_table(self.ngrams, self._W_in, words, counts=self.counts.copy(),
                                         metadata=self.metadata())


def _standard_plan(ranges: np.ndarray) -> list:
    """One contiguous sentence range per thread: [ranges[t], ranges[t + 1])."""
    return [[(int(ranges[t]), int(ranges[t + 1]))] for t in range(len(ranges) - 1)]


def _merged(segments: list) -> list:
    """Adjacent (start, end) ranges joined."""
    out: list[tuple[int, int]] = []
    for a, b in segments:
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _plan_position(segments: list, c: int, offsets: np.ndarray) -> int | None:
    """Words of a thread's ranges before cursor c, or None if c is in none of them."""
    done = 0
    for a, b in segments:
        if a <= c <= b:
            return done + int(offsets[c] - offsets[a])
        done += int(offsets[b] - offsets[a])
    return None


def _checked_array(state: dict, name: str, dtype: np.dtype, shapes: list) -> np.ndarray:
    """state[name] if it is an ndarray of exactly `dtype` and one of `shapes`, else TrainingError."""
    value = state.get(name)
    if not isinstance(value, np.ndarray):
        raise TrainingError(f"saved state lacks the array {name}")
    if value.dtype != dtype:
        raise TrainingError(f"saved {name} has dtype {value.dtype}, expected {dtype}")
    if not any(len(shape) == value.ndim and all(s is None or s == v for s, v in zip(shape, value.shape))
               for shape in shapes):
        wanted = " or ".join(str(tuple("any" if s is None else s for s in shape)) for shape in shapes)
        raise TrainingError(f"saved {name} has shape {value.shape}, expected {wanted}")
    return value


def _checked_history(history, keys: tuple) -> dict:
    """A loss history: a dict holding exactly `keys`, each a list of finite-or-NaN numbers."""
    if not isinstance(history, dict) or set(history) != set(keys):
        raise TrainingError(f"saved history must be a dict with the keys {', '.join(keys)}")
    out = {}
    for key in keys:
        values = history[key]
        if not isinstance(values, list) or not all(is_number(v) for v in values):
            raise TrainingError(f"saved history {key!r} must be a list of numbers")
        out[key] = list(values)
    return out


def train(corpus, config: TrainConfig, *, progress: bool = True, callbacks: Iterable[EpochCallback] = ()):
    """Train word2vec with the fast engine (DESIGN.md's engine contract) and return KeyedVectors."""
    trainer = FastTrainer(corpus, config, progress=progress, callbacks=callbacks)
    trainer.run()
    return trainer.keyed_vectors()
