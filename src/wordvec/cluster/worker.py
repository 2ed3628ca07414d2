"""One cluster worker: a replica of the weights training its own shard with the fast engine.

Plain Python (Ray makes it an actor in `wordvec.cluster.driver`; tests can drive it directly).
A worker reads and counts its shard (`count`), encodes it in the merged vocabulary and builds a
`FastTrainer` on the given weights (`setup`), then, once per period, applies the last merged
update, trains `words` more words and returns the sparse delta of what it changed (`step`).
"""

from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np

from wordvec.cluster import shards, sync
from wordvec.config import TrainConfig
from wordvec.corpus import Vocabulary
from wordvec.errors import CorpusError
from wordvec.fast import _rng
from wordvec.fast.trainer import CHUNK_WORDS, FastTrainer


def worker_seed(seed: int, index: int) -> int:
    """Worker `index`'s own random stream (sampling, negatives), derived from the run's seed."""
    return int(np.random.SeedSequence([seed, index, 0x5EED]).generate_state(1, np.uint64)[0] >> np.uint64(1))


class ShardWorker:
    def __init__(self, index: int, pieces: list, config: dict, threads: int, errors: str = "strict"):
        self.index = index
        self.pieces = pieces
        self.config = replace(TrainConfig.from_dict(config), threads=threads)
        self.errors = errors
        self._counted = None
        self.trainer: FastTrainer | None = None

    def pid(self) -> int:
        return os.getpid()

    def count(self, send: bool = True) -> tuple[list[str], np.ndarray] | None:
        """The shard's distinct words (first-seen order) and counts (None unless `send`: a resumed
        run has its vocabulary); its ids are kept for setup."""
        scan, words, counts, remap = shards.count_shard(self.pieces, lowercase=self.config.lowercase,
                                                        errors=self.errors)
        self._counted = (scan, words, remap)
        return (words, counts) if send else None

    def setup(self, vocab: dict, W_in: np.ndarray, W_out: np.ndarray, position: dict | None,
              fingerprint: dict | None = None) -> dict:
        """Encode the shard in `vocab`, start a trainer on copies of the weights (continuing from
        `position`, a FastTrainer.position_dict, when given) and return the shard's size. With
        `fingerprint` (the shard's when it was saved), a shard that now reads differently is refused."""
        vocab = Vocabulary.from_dict(vocab)
        if self._counted is None:  # a replacement worker: read the shard again
            self.count()
        scan, words, remap = self._counted
        self._counted = None
        label = f"shard {self.index}"
        corpus = shards.encode_shard(scan, words, remap, vocab, label)
        from wordvec.checkpoint import corpus_fingerprint

        if fingerprint is not None and corpus_fingerprint(corpus) != fingerprint:
            raise CorpusError(f"the corpus has changed since the checkpoint was saved (shard {self.index} reads "
                              "differently); cannot resume")
        if len(corpus) == 0:
            return {"words": 0, "sentences": 0}
        W_in, W_out = np.array(W_in, dtype=np.float32), np.array(W_out, dtype=np.float32)
        seed = worker_seed(self.config.seed, self.index)
        self.trainer = FastTrainer(corpus, self.config, progress=False, weights=(W_in, W_out),
                                   rng_states=_rng.seed_states(seed, self.config.threads))
        if position is not None:
            self.trainer.load_state_dict({**position, "W_in": W_in, "W_out": W_out})
        self.base_in, self.base_out = W_in.copy(), W_out.copy()
        return {"words": len(corpus), "sentences": corpus.n_sentences, "total": self.trainer.total_words,
                "fingerprint": corpus_fingerprint(corpus)}

    def step(self, update, words: int, global_progress: float) -> dict:
        """Apply `update` (the last merged one, or None), train up to `words` words and return
        the delta since the update, the position and this period's figures."""
        t = self.trainer
        if update is not None:
            rows_in, values_in, rows_out, values_out = update
            sync.apply_update(t.W_in, self.base_in, rows_in, values_in)
            sync.apply_update(t._W_out, self.base_out, rows_out, values_out)
        t.progress_shift = float(global_progress) - t.words_done / t.total_words
        # the period in chunks of at most CHUNK_WORDS that divide it evenly: the engine stops
        # between chunks, so a period shorter than a chunk would otherwise train a whole one
        t.chunk_words = math.ceil(words / math.ceil(words / CHUNK_WORDS))
        before, steps = t.words_done, len(t.history["step_loss"])
        seconds = t.train_seconds
        t.run(max_words=words)
        rows_in, delta_in = sync.sparse_delta(t.W_in, self.base_in)
        rows_out, delta_out = sync.sparse_delta(t._W_out, self.base_out)
        losses = t.history["step_loss"][steps:]
        return {"rows_in": rows_in, "delta_in": delta_in, "rows_out": rows_out, "delta_out": delta_out,
                "position": t.position_dict(), "words": t.words_done - before, "finished": t.finished,
                "loss": float(np.mean(losses)) if losses else float("nan"),
                "seconds": t.train_seconds - seconds}
