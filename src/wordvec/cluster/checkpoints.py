"""Checkpoints of a cluster run: the driver saves the last synchronised state atomically (the
same `checkpoint.npz` and `history.json` as one machine, engine "ray") and `resume` continues it.

What is saved is consistent by construction: at a sync boundary the master weights hold every
merged update and each worker's position is where its last period ended, so a resumed run (new
actors reading their shards, starting from the master weights and their positions) continues
exactly where the saved one stood: with one thread per worker, bit for bit.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Callable

from wordvec import checkpoint
from wordvec.errors import TrainingInterrupted, WordvecError


def train_with_checkpoints(trainer, directory, *, every: int | None = None, info: dict | None = None,
                           on_save: Callable[[Path], None] | None = None, resuming: bool = False, lock=None):
    """Run a ClusterTrainer to the end, saving into `directory` after the first sync past each
    `every` words (default: one epoch of the whole corpus) and at the end. On SIGINT/SIGTERM the
    run stops after the current period, saves, and raises TrainingInterrupted."""
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
        raise ValueError(f"every must be an int >= 1 or None, got {every!r}")
    directory = Path(directory)
    checkpoint.check_directory(directory, resuming=resuming)
    if lock is None:
        lock = checkpoint._lock(directory)
    try:
        if not resuming:
            checkpoint.check_directory(directory)  # again under the lock
        every = every or max(1, trainer.total_words // max(1, trainer.config.epochs))
        info = {"config": trainer.config.to_dict(), "vocab": trainer.vocab.to_dict(),
                "corpus": trainer.corpus_fingerprint(), "every": every, **(info or {})}
        last = [trainer.words_done]
        user_hook = trainer.on_sync

        def save_when_due(t, event) -> None:
            if user_hook is not None:
                user_hook(t, event)
            if t.words_done - last[0] >= every and not t.finished:
                saved = checkpoint.save_checkpoint(directory, t, info)
                last[0] = t.words_done
                if on_save is not None:
                    on_save(saved)

        trainer.on_sync = save_when_due
        try:
            with checkpoint._StopOnSignal(trainer) as stop:
                trainer.run()
        finally:
            trainer.on_sync = user_hook
        saved = checkpoint.save_checkpoint(directory, trainer, info)
        if stop.received is not None:
            raise TrainingInterrupted(
                f"stopped by {signal.Signals(stop.received).name} at {trainer.words_done:,} of "
                f"{trainer.total_words:,} words; checkpoint saved, resume with: wordvec train --resume {directory}",
                signum=stop.received)
        if on_save is not None:
            on_save(saved)
        return trainer.keyed_vectors()
    finally:
        os.close(lock)


def _cluster_part(path: Path, state: dict) -> dict:
    """The "cluster" part of a saved state, every field checked (one-line WordvecError)."""
    from wordvec.cluster import shards, sync

    def bad(why: str) -> WordvecError:
        return checkpoint._bad(path, f"cluster state: {why}")

    def is_int(v, low=0) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    cluster = state.get("cluster")
    if not isinstance(cluster, dict):
        raise bad("missing")
    try:
        shards.check_shards(cluster.get("shards"))
    except ValueError as exc:
        raise bad(str(exc)) from None
    n = len(cluster["shards"])
    if cluster.get("workers") != n:
        raise bad("the worker count does not match the shards")
    if cluster.get("merge") not in sync.MERGES:
        raise bad(f"merge must be one of {', '.join(sync.MERGES)}")
    if not is_int(cluster.get("sync_every"), 1) or not is_int(cluster.get("rounds")):
        raise bad("sync_every and rounds must be ints")
    for key in ("fingerprints", "totals", "positions"):
        if not isinstance(cluster.get(key), list) or len(cluster[key]) != n:
            raise bad(f"{key} must be a list of one entry per worker")
    if not all(is_int(t, 1) for t in cluster["totals"]):
        raise bad("totals must be ints >= 1")
    if not all(isinstance(f, dict) for f in cluster["fingerprints"]):
        raise bad("fingerprints must be objects")
    for key in ("train_seconds", "sync_seconds"):
        value = cluster.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            raise bad(f"{key} must be a finite number >= 0")
    history = state.get("history")
    if not (isinstance(history, dict) and isinstance(history.get("step_loss"), list)
            and isinstance(history.get("step_words"), list)
            and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in history["step_loss"])
            and all(is_int(v) for v in history["step_words"])):
        raise bad("history must hold lists step_loss and step_words")
    return cluster


def resume_loaded(directory, arrays: dict, meta: dict, *, lock, address: str | None = None,
                  progress: bool = True, on_save=None, check=None):
    """Continue the cluster run of a loaded checkpoint (`checkpoint.resume` hands it over):
    new workers read their saved shards, start from the saved weights and positions, and the run
    goes on saving into the same directory. Returns (KeyedVectors, metadata)."""
    from wordvec.cluster.driver import ClusterTrainer
    from wordvec.config import TrainConfig
    from wordvec.corpus import Vocabulary

    path = Path(directory) / checkpoint.CHECKPOINT_FILE
    try:
        cluster = _cluster_part(path, meta["state"])
        config = TrainConfig.from_dict(meta["config"])
        try:
            vocab = Vocabulary.from_dict(meta["vocab"])
        except (WordvecError, ValueError, TypeError) as exc:
            raise checkpoint._bad(path, f"vocabulary: {checkpoint._one_line(exc)}") from None
        if check is not None:
            check(meta, vocab)
        with ClusterTrainer(meta.get("source") or "the saved shards", config, workers=cluster["workers"],
                            address=address, sync_every=cluster["sync_every"], merge=cluster["merge"],
                            progress=progress, errors=meta.get("encoding_errors", "strict"),
                            restore=(arrays, meta["state"], vocab)) as trainer:
            info = {key: meta[key] for key in ("source", "out", "exclude", "encoding_errors", "book") if key in meta}
            kv = train_with_checkpoints(trainer, directory, every=meta.get("every"), info=info, on_save=on_save,
                                        resuming=True, lock=lock)
            lock = None  # closed by train_with_checkpoints
        return kv, meta
    finally:
        if lock is not None:
            os.close(lock)
