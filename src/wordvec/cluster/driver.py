"""The driver of a cluster run: starts (or joins) Ray, places one `ShardWorker` actor per shard,
merges the vocabulary, and runs synchronised periods until every shard has trained its epochs.

It holds the master copy of the weights (the last synchronised state: what a checkpoint saves,
what a replacement worker starts from, what `keyed_vectors` returns) and each worker's position
after the last period. Bulk-synchronous: each period every worker trains `sync_every` words,
returns its sparse delta, the driver merges them and the merged update rides on the next period's
call. One learning-rate schedule spans all workers' words: each period starts every worker at the
global progress. With the default merge ("scaled", see `wordvec.cluster.sync`) the workers train
at `workers` x the learning rate and their deltas are averaged. A worker that dies is replaced by a new actor that reads its shard again and
restarts from the master weights and its last position: only that period's words of that shard
are trained again.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import zlib
from dataclasses import replace
from typing import Callable

import numpy as np

from wordvec.cluster import shards, sync
from wordvec.cluster.worker import ShardWorker
from wordvec.config import TrainConfig
from wordvec.errors import CorpusError, TrainingError, WordvecError

SYNC_EVERY = 200_000  # most words per worker per period by default (benchmarks/README.md)
MIN_PERIODS = 20  # by default a worker's share is split into at least this many periods
MERGE = "scaled"  # average of deltas trained at workers x lr (benchmarks/README.md)
MAX_REPLACEMENTS = 3  # per worker: a shard that kills its worker every time is an error
INSTALL_HINT = "training on a Ray cluster needs Ray: pip install 'wordvec[ray]'"


class ClusterError(WordvecError):
    """The cluster cannot run this job (Ray missing or unreachable, too few CPUs, workers lost)."""


def import_ray():
    """The ray module, or ClusterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


def default_sync_every(worker_words: int) -> int:
    """The period when none is given: `SYNC_EVERY` words, or fewer so that a worker's share
    (`worker_words`, all epochs) spans at least `MIN_PERIODS` periods. Quality needs enough
    periods (the global learning-rate schedule moves once a period; benchmarks/README.md) and
    speed needs long ones (each period ends in a barrier and an exchange of touched rows)."""
    return max(1_000, min(SYNC_EVERY, math.ceil(worker_words / MIN_PERIODS)))


def _probe(address: str, seconds: float = 5.0) -> None:
    """A "host:port" address that accepts no connection is refused at once (Ray itself would
    retry for minutes); "auto", "ray://..." and other forms are left to Ray."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or "/" in address:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach Ray at {address}: {exc.strerror or exc}") from None


def _check_int(name: str, value, low: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r:.40}")
    return value


class ClusterTrainer:
    """Data-parallel word2vec/fastText training over Ray actors (the fast engine in each).

    `ClusterTrainer(source, config, workers=2)`: `source` is a file, a directory or a dataset
    name that every node can read; `config.threads` is the threads of each worker; `sync_every`
    the words each worker trains between syncs (None: `default_sync_every`); `address`
    is a Ray cluster ("auto", "ray://host:10001", ...) or None for a local instance started
    here (sized to workers x threads CPUs, oversubscribing a small machine if need be). Then
    `run()` and `keyed_vectors()`, as `FastTrainer`; `close()` (or a `with` block) stops the
    workers and a Ray instance this trainer started.
    """

    def __init__(self, source, config: TrainConfig, *, workers: int = 2, address: str | None = None,
                 sync_every: int | None = None, merge: str = MERGE, progress: bool = True,
                 exclude=(), errors: str = "strict",
                 on_sync: Callable[["ClusterTrainer", dict], None] | None = None,
                 restore: tuple | None = None):
        _check_int("workers", workers)
        if sync_every is not None:
            _check_int("sync_every", sync_every)
        if merge not in sync.MERGES:
            raise ValueError(f"merge must be one of {', '.join(sync.MERGES)}, got {merge!r}")
        if config.model not in ("skipgram", "cbow") or config.engine != "fast":
            raise ValueError("cluster training runs the fast engine (skipgram or cbow)")
        self.ray = import_ray()
        self.config = config
        scale = sync.lr_scale(merge, workers)
        self.worker_config = replace(config, lr=config.learning_rate * scale, min_lr=config.min_lr * scale)
        self.n_workers = workers
        self.sync_every = sync_every
        self.merge = merge
        self.progress = progress
        self.errors = errors
        self.on_sync = on_sync
        self.source = source
        self.label = str(source)
        self.timings: dict[str, float] = {}
        self._stop = threading.Event()
        self._own_ray = False
        started = time.perf_counter()
        self._restore = restore  # (arrays, state, vocab) of a checkpoint: see wordvec.cluster.checkpoints
        if restore is not None:
            self.shards = shards.check_shards(restore[1]["cluster"]["shards"])
            if len(self.shards) != workers:
                raise ValueError(f"the checkpoint has {len(self.shards)} shards, not {workers}")
        else:
            self.shards = shards.plan_shards(source, workers, exclude=exclude)
        self._start_ray(address)
        self.actors = [self._actor(k) for k in range(workers)]
        self.ray.get([a.pid.remote() for a in self.actors])
        self.timings["ray_start_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise
        self.timings["read_seconds"] = time.perf_counter() - started

    # ---- set-up ----

    def _start_ray(self, address: str | None) -> None:
        ray = self.ray
        need = self.n_workers * self.config.threads
        if not ray.is_initialized() and address is not None:
            _probe(address)
        if not ray.is_initialized():
            options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
            try:
                if address is None:
                    ray.init(num_cpus=max(os.cpu_count() or 1, need), **options)
                else:
                    ray.init(address=address, **options)
            except Exception as exc:  # ConnectionError, RuntimeError, ...: one line
                raise ClusterError(f"cannot start or reach Ray at {address or 'a local instance'}: "
                                   f"{' '.join(str(exc).split())[:200]}") from None
            self._own_ray = True
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < need:
            self.close()
            raise ClusterError(f"the Ray cluster has {cpus:g} CPUs; {self.n_workers} workers x "
                               f"{self.config.threads} threads need {need}")

    def _actor(self, k: int):
        remote = self.ray.remote(ShardWorker).options(num_cpus=self.config.threads, max_restarts=0)
        return remote.remote(k, self.shards[k], self.worker_config.to_dict(), self.config.threads, self.errors)

    def _prepare(self) -> None:
        from wordvec.fast.trainer import initial_word_rows
        from wordvec.fast.losses import make_loss
        from wordvec.subwords import NgramTable

        counted = self._get([a.count.remote(self._restore is None) for a in self.actors])
        c = self.config
        if self._restore is None:
            self.vocab = shards.merged_vocabulary(counted, min_count=c.min_count, max_size=c.max_vocab,
                                                  lowercase=c.lowercase, label=self.label)
        else:
            self.vocab = self._restore[2]
        del counted
        V = len(self.vocab)
        self.ngrams = NgramTable.build(self.vocab.index_to_key, c.minn, c.maxn, c.bucket) if c.subwords else None
        n_in = self.ngrams.input_rows().n_rows if self.ngrams is not None else V
        n_out = make_loss(c.loss, self.vocab.counts, c.negative, c.ns_exponent).output_rows(V)
        self.W_in = np.zeros((n_in, c.dim), np.float32)
        self.W_in[:V] = initial_word_rows(np.random.default_rng(c.seed), V, c.dim)  # as on one machine
        self.W_out = np.zeros((n_out, c.dim), np.float32)
        self.positions: list[dict | None] = [None] * self.n_workers
        if self._restore is not None:
            self._restore_weights_and_positions()
        self._vocab_ref = self.ray.put(self.vocab.to_dict())
        what = "a worker cannot continue from the checkpoint" if self._restore is not None else "a worker failed"
        saved = self._restore[1]["cluster"]["fingerprints"] if self._restore is not None else [None] * self.n_workers
        infos = self._get([a.setup.remote(self._vocab_ref, self.W_in, self.W_out, self.positions[k], saved[k])
                           for k, a in enumerate(self.actors)], what)
        empty = [k for k, info in enumerate(infos) if info["words"] == 0]
        if empty:
            raise ClusterError(f"the corpus is too small for {self.n_workers} workers: shard {empty[0]} "
                               "has no word of the vocabulary; use fewer --workers")
        self.shard_words = [info["words"] for info in infos]
        self.fingerprints = [info["fingerprint"] for info in infos]
        self.totals = [info["total"] for info in infos]
        if self.sync_every is None:
            self.sync_every = default_sync_every(max(self.totals))
        self.done = [0 if p is None else int(p["words_done"]) for p in self.positions]
        self.finished_workers = [d >= t for d, t in zip(self.done, self.totals)]
        self.pending: list = [None] * self.n_workers
        self.rounds = 0
        self.replaced = [0] * self.n_workers
        self.train_seconds = 0.0
        self.sync_seconds = 0.0
        self.update_bytes: list[int] = []
        self.history: dict[str, list] = {"round_loss": [], "round_words": []}
        if self._restore is not None:
            saved = self._restore[1]["cluster"]
            if saved["fingerprints"] != self.fingerprints:
                raise ClusterError(f"the corpus {self.label} has changed since the checkpoint was saved "
                                   "(a shard reads differently); cannot resume")
            self.rounds = saved["rounds"]
            self.train_seconds, self.sync_seconds = saved["train_seconds"], saved["sync_seconds"]
            history = self._restore[1]["history"]
            self.history = {"round_loss": [math.nan if v is None else v for v in history["step_loss"]],
                            "round_words": list(history["step_words"])}
            self._restore = None

    def _get(self, refs, what: str = "a worker failed"):
        """ray.get, with a worker's own error re-raised as itself in one line (a CorpusError
        naming the file and byte offset, a TrainingError), anything else as one-line ClusterError;
        a dead actor (RayActorError) passes through for the caller to replace it."""
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, WordvecError) and what == "a worker failed":
                kind = next(k for k in (CorpusError, TrainingError, WordvecError) if isinstance(cause, k))
                raise kind(" ".join(str(cause).split())) from None
            text = " ".join(str(cause if cause is not None else exc).split())
            raise ClusterError(f"{what}: {text[:300]}") from None

    # ---- the trainer surface (as FastTrainer) ----

    @property
    def total_words(self) -> int:
        return int(sum(self.totals))

    @property
    def words_done(self) -> int:
        return int(sum(self.done))

    @property
    def finished(self) -> bool:
        return all(self.finished_workers)

    def request_stop(self) -> None:
        """Stop after the current period (thread-safe; what Ctrl-C does)."""
        self._stop.set()

    def run(self, max_words: int | None = None) -> bool:
        """Train until every shard is done, `max_words` more words were trained, or a stop was
        requested (checked after each period). Returns True when every epoch is done."""
        from wordvec.progress import progress_bar

        self._stop.clear()
        budget = math.inf if max_words is None else int(max_words)
        bar = progress_bar(self.total_words, f"{self.config.model}/{self.config.loss} x{self.n_workers}",
                           enabled=self.progress)
        bar.update(self.words_done)
        try:
            while not self.finished and not self._stop.is_set() and budget > 0:
                before = self.words_done
                self._period()
                bar.update(self.words_done - before)
                budget -= self.words_done - before
        finally:
            bar.close()
        return self.finished

    def _period(self) -> None:
        ray = self.ray
        started = time.perf_counter()
        progress = self.words_done / self.total_words
        active = [k for k in range(self.n_workers) if not self.finished_workers[k]]
        refs = {k: self.actors[k].step.remote(self.pending[k], self.sync_every, progress) for k in active}
        results, dead = {}, []
        for k, ref in refs.items():
            try:
                results[k] = self._get(ref)
            except ray.exceptions.RayActorError:
                dead.append(k)
        trained = time.perf_counter()
        if not all(math.isfinite(r["loss"]) or r["words"] == 0 or math.isnan(r["loss"]) for r in results.values()):
            raise TrainingError("training diverged: NaN/Inf in the weights (try a smaller learning rate)")
        dim = self.config.dim
        rows_in, values_in = sync.merge_deltas([(r["rows_in"], r["delta_in"]) for r in results.values()], dim,
                                               self.merge)
        rows_out, values_out = sync.merge_deltas([(r["rows_out"], r["delta_out"]) for r in results.values()],
                                                 dim, self.merge)
        if not (np.isfinite(values_in).all() and np.isfinite(values_out).all()):
            raise TrainingError("training diverged: NaN/Inf in the weights (try a smaller learning rate)")
        sync.apply_update(self.W_in, None, rows_in, values_in)
        sync.apply_update(self.W_out, None, rows_out, values_out)
        update = ray.put((rows_in, values_in, rows_out, values_out))
        self.update_bytes.append(sync.update_bytes(rows_in, values_in) + sync.update_bytes(rows_out, values_out))
        for k, r in results.items():
            self.pending[k] = update
            self.positions[k] = r["position"]
            self.done[k] = int(r["position"]["words_done"])
            self.finished_workers[k] = bool(r["finished"])
        for k in dead:
            self._replace(k)
        losses = [r["loss"] for r in results.values() if r["words"] and math.isfinite(r["loss"])]
        self.history["round_loss"].append(float(np.mean(losses)) if losses else float("nan"))
        self.history["round_words"].append(self.words_done)
        self.rounds += 1
        now = time.perf_counter()
        self.train_seconds += now - started
        self.sync_seconds += now - trained
        if self.on_sync is not None:
            self.on_sync(self, {"round": self.rounds, "words_done": self.words_done, "dead": list(dead)})

    def _replace(self, k: int) -> None:
        """A new actor for shard k, from the master weights and k's last position."""
        self.replaced[k] += 1
        if self.replaced[k] > MAX_REPLACEMENTS:
            raise ClusterError(f"worker {k} died {self.replaced[k]} times; giving up (its shard: "
                               f"{shards.shard_inputs(self.shards[k])[0].label})")
        with_logging = logging.getLogger("wordvec")
        with_logging.warning("wordvec: worker %d died; restarting it from the last sync", k)
        self.actors[k] = self._actor(k)
        info = self._get(self.actors[k].setup.remote(self._vocab_ref, self.W_in, self.W_out, self.positions[k]))
        if info.get("fingerprint") != self.fingerprints[k]:
            raise ClusterError(f"shard {k} reads differently than at the start (has the corpus changed?)")
        self.pending[k] = None  # it starts from the master, which already holds this period's update

    # ---- checkpoints (wordvec.cluster.checkpoints saves and resumes them) ----

    #: the engine name a checkpoint of this trainer records
    CHECKPOINT_ENGINE = "ray"
    #: a worker's position arrays, saved as w{k}_{name}
    POSITION_ARRAYS = ("rng_states", "cursors", "epoch_nll", "epoch_pairs", "plan")
    OPTIONAL_ARRAYS = ()

    def state_dict(self) -> dict:
        """The last synchronised state: the master weights, each worker's position (its arrays as
        `w{k}_...`, the rest under "cluster") and the run's figures; numpy arrays and JSON."""
        state: dict = {"W_in": self.W_in.copy(), "W_out": self.W_out.copy()}
        positions = []
        for k, position in enumerate(self.positions):
            if position is None:
                positions.append(None)
                continue
            for name in self.POSITION_ARRAYS:
                state[f"w{k}_{name}"] = np.asarray(position[name])
            positions.append({key: value for key, value in position.items() if key not in self.POSITION_ARRAYS})
        state["cluster"] = {"workers": self.n_workers, "sync_every": self.sync_every, "merge": self.merge,
                            "shards": self.shards, "fingerprints": self.fingerprints, "totals": self.totals,
                            "rounds": self.rounds, "train_seconds": self.train_seconds,
                            "sync_seconds": self.sync_seconds, "positions": positions}
        state["history"] = {"step_loss": [v if math.isfinite(v) else None for v in self.history["round_loss"]],
                            "step_words": list(self.history["round_words"])}
        return state

    @staticmethod
    def state_array_spec(config: TrainConfig, vocab_size: int, state: dict) -> dict:
        """{array name: (dtype, shapes)} a saved cluster state must hold (as FastTrainer's)."""
        from wordvec.fast.trainer import FastTrainer

        cluster = state.get("cluster")
        positions = cluster.get("positions") if isinstance(cluster, dict) else None
        if not isinstance(positions, list) or not positions:
            raise TrainingError("saved cluster state lacks its workers' positions")
        whole = FastTrainer.state_array_spec(config, vocab_size, {"threads": config.threads})
        spec = {"W_in": whole["W_in"], "W_out": whole["W_out"]}
        for k, position in enumerate(positions):
            if position is None:
                continue
            if not isinstance(position, dict):
                raise TrainingError(f"saved position of worker {k} is not an object")
            one = FastTrainer.state_array_spec(config, vocab_size, position)
            spec.update({f"w{k}_{name}": one[name] for name in ClusterTrainer.POSITION_ARRAYS})
        return spec

    def _restore_weights_and_positions(self) -> None:
        arrays, state, _ = self._restore
        for name, W in (("W_in", self.W_in), ("W_out", self.W_out)):
            if arrays[name].shape != W.shape:
                raise ClusterError(f"the checkpoint's {name} has shape {arrays[name].shape}, expected {W.shape}")
        self.W_in[...] = arrays["W_in"]
        self.W_out[...] = arrays["W_out"]
        for k, position in enumerate(state["cluster"]["positions"]):
            if position is not None:
                self.positions[k] = {**position, **{name: arrays[f"w{k}_{name}"] for name in self.POSITION_ARRAYS}}

    def worker_pids(self) -> list[int]:
        return self.ray.get([a.pid.remote() for a in self.actors])

    # ---- results ----

    def metadata(self) -> dict:
        seconds = self.train_seconds
        return {
            "config": self.config.to_dict(),
            "engine": "fast",
            "cluster": {"backend": "ray", "workers": self.n_workers, "sync_every": self.sync_every,
                        "merge": self.merge,
                        "worker_lr": self.worker_config.learning_rate, "periods": self.rounds, "replaced_workers": int(sum(self.replaced)),
                        "sync_seconds": self.sync_seconds,
                        "mean_update_bytes": float(np.mean(self.update_bytes)) if self.update_bytes else 0.0,
                        **self.timings},
            "loss_history": {"step_loss": [v if math.isfinite(v) else None for v in self.history["round_loss"]],
                             "step_words": list(self.history["round_words"])},
            "train_seconds": seconds,
            "words_per_sec": self.words_done / seconds if seconds > 0 else None,
        }

    def corpus_fingerprint(self) -> dict:
        """The shards' fingerprints folded into one (checkpoint.corpus_fingerprint's form)."""
        crc = zlib.crc32(np.array([f["crc32"] for f in self.fingerprints], dtype=np.uint64).tobytes())
        return {"n_ids": int(sum(f["n_ids"] for f in self.fingerprints)),
                "n_sentences": int(sum(f["n_sentences"] for f in self.fingerprints)), "crc32": crc}

    def keyed_vectors(self):
        from wordvec.fast.rows import InputRows
        from wordvec.vectors import KeyedVectors, SubwordVectors

        words = list(self.vocab.index_to_key)
        counts = self.vocab.counts.copy()
        if self.ngrams is None:
            return KeyedVectors(InputRows.words(len(words)).compose(self.W_in), words, counts=counts,
                                metadata=self.metadata())
        return SubwordVectors.from_table(self.ngrams, self.W_in.copy(), words, counts=counts,
                                         metadata=self.metadata())

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            try:
                self.ray.kill(actor)
            except Exception:  # already gone
                pass
        self.actors = []
        if self._own_ray and self.ray.is_initialized():
            self.ray.shutdown()
        self._own_ray = False

    def __enter__(self) -> "ClusterTrainer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def train(source, config: TrainConfig, *, workers: int = 2, address: str | None = None,
          sync_every: int | None = None, merge: str = MERGE, progress: bool = True, exclude=(),
          errors: str = "strict"):
    """Train on a Ray cluster and return KeyedVectors (as `wordvec.fast.train`)."""
    with ClusterTrainer(source, config, workers=workers, address=address, sync_every=sync_every, merge=merge,
                        progress=progress, exclude=exclude, errors=errors) as trainer:
        trainer.run()
        return trainer.keyed_vectors()
