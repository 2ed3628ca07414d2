"""Data-parallel training (issue 12): shards that are exactly the corpus, the exact merged
vocabulary, sparse-delta synchronisation that keeps replicas identical, and, on a local Ray
instance, runs that train PTB, survive a killed worker, and a CLI that refuses what it cannot do."""

from __future__ import annotations

import gzip
import os
import signal
import sys

import numpy as np
import pytest

from wordvec import evaluate
from wordvec.cli import main
from wordvec.cluster import shards, sync
from wordvec.cluster.worker import ShardWorker
from wordvec.config import TrainConfig
from wordvec.corpus import load_corpus


def _text(n_lines: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(40)] + ["é", "naïve", "The", "the"]
    lines = []
    for i in range(n_lines):
        length = int(rng.integers(0, 30)) if i % 17 else 400  # empty, short and long lines
        lines.append(" ".join(words[int(j)] for j in rng.zipf(1.5, length) % len(words)))
    return "\n".join(lines) + "\n"


def _sharded(source, parts: int, *, lowercase: bool = False, min_count: int = 1):
    """(vocabulary merged from the shards, the shards encoded in it, concatenated)."""
    planned = shards.plan_shards(source, parts)
    counted = [shards.count_shard(p, lowercase=lowercase, errors="strict") for p in planned]
    vocab = shards.merged_vocabulary([(w, c) for _, w, c, _ in counted], min_count=min_count, max_size=None,
                                     lowercase=lowercase, label=str(source))
    encoded = [shards.encode_shard(scan, w, remap, vocab, f"shard {k}")
               for k, (scan, w, _, remap) in enumerate(counted)]
    ids = np.concatenate([e.ids for e in encoded])
    lengths = np.concatenate([np.diff(e.offsets) for e in encoded])
    return vocab, ids, lengths


@pytest.mark.parametrize("parts", [1, 2, 3, 5])
@pytest.mark.parametrize("lowercase", [False, True])
def test_shards_of_a_file_are_the_corpus_in_order(tmp_path, parts, lowercase):
    path = tmp_path / "c.txt"
    path.write_bytes(b"\xef\xbb\xbf" + _text(300).encode())  # a BOM, read as one machine reads it
    whole = load_corpus(path, min_count=2, lowercase=lowercase)
    vocab, ids, lengths = _sharded(path, parts, lowercase=lowercase, min_count=2)
    assert vocab.index_to_key == whole.vocab.index_to_key
    assert np.array_equal(vocab.counts, whole.vocab.counts)
    assert np.array_equal(ids, whole.ids)
    assert np.array_equal(lengths, np.diff(whole.offsets))


def test_shards_of_a_directory_with_compressed_files(tmp_path):
    (tmp_path / "a.txt").write_text(_text(120, 1))
    with gzip.open(tmp_path / "b.txt.gz", "wt") as f:
        f.write(_text(80, 2))
    (tmp_path / "c.txt").write_text(_text(200, 3))
    whole = load_corpus(tmp_path, min_count=1)
    for parts in (2, 4):
        planned = shards.plan_shards(tmp_path, parts)
        gz = [p for pieces in planned for p in pieces if p["path"].endswith(".gz")]
        assert len(gz) == 1 and gz[0]["start"] == 0 and gz[0]["end"] is None  # never cut
        vocab, ids, lengths = _sharded(tmp_path, parts)
        assert vocab.index_to_key == whole.vocab.index_to_key
        assert np.array_equal(ids, whole.ids) and np.array_equal(lengths, np.diff(whole.offsets))


def test_plan_shards_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="parts"):
        shards.plan_shards(tmp_path, 0)
    with pytest.raises(ValueError, match="files every worker"):
        shards.plan_shards([["a", "b"]], 2)
    with pytest.raises(ValueError, match="malformed"):
        shards.check_shards([[{"path": "x", "start": -1, "end": None}]])


def test_merge_deltas():
    a = (np.array([0, 2]), np.array([[1.0, 1.0], [2.0, 2.0]], np.float32))
    b = (np.array([2, 5]), np.array([[4.0, 4.0], [6.0, 6.0]], np.float32))
    rows, total = sync.merge_deltas([a, b], 2, "sum")
    assert rows.tolist() == [0, 2, 5]
    assert np.allclose(total, [[1, 1], [6, 6], [6, 6]])
    for how in ("average", "scaled"):  # a worker that left a row alone counts as a zero change
        rows, mean = sync.merge_deltas([a, b], 2, how)
        assert np.allclose(mean, [[0.5, 0.5], [3, 3], [3, 3]])
    assert sync.lr_scale("scaled", 4) == 4 and sync.lr_scale("average", 4) == 1
    with pytest.raises(ValueError, match="merge"):
        sync.merge_deltas([a], 2, "median")


def test_workers_stay_identical_to_the_master(tmp_path):
    """Two ShardWorkers driven by hand: after every merged update, each replica holds the
    master's weights bit for bit, and the master moved."""
    path = tmp_path / "c.txt"
    path.write_text(_text(600, 4))
    config = TrainConfig(model="skipgram", dim=16, epochs=3, min_count=1, negative=3, threads=1, seed=3)
    planned = shards.plan_shards(path, 2)
    workers = [ShardWorker(k, planned[k], config.to_dict(), 1) for k in range(2)]
    counted = [w.count() for w in workers]
    vocab = shards.merged_vocabulary(counted, min_count=1, max_size=None, lowercase=False, label="c")
    rng = np.random.default_rng(0)
    W_in = ((rng.random((len(vocab), 16)) - 0.5) / 16).astype(np.float32)
    W_out = np.zeros((len(vocab), 16), np.float32)
    master_in, master_out = W_in.copy(), W_out.copy()
    infos = [w.setup(vocab.to_dict(), W_in, W_out, None) for w in workers]
    assert sum(i["words"] for i in infos) == len(load_corpus(path, min_count=1))
    update = None
    for _ in range(3):
        results = [w.step(update, 1000, 0.0) for w in workers]  # about a chunk of sentences each
        assert all(r["words"] > 0 for r in results)
        for w in workers:  # each applied the last update onto the last synchronised state
            assert np.array_equal(w.base_in, master_in) and np.array_equal(w.base_out, master_out)
        rows_in, values_in = sync.merge_deltas([(r["rows_in"], r["delta_in"]) for r in results], 16)
        rows_out, values_out = sync.merge_deltas([(r["rows_out"], r["delta_out"]) for r in results], 16)
        sync.apply_update(master_in, None, rows_in, values_in)
        sync.apply_update(master_out, None, rows_out, values_out)
        update = (rows_in, values_in, rows_out, values_out)
    assert not np.allclose(master_in, W_in) and np.abs(master_out).sum() > 0


def test_default_sync_period():
    from wordvec.cluster.driver import MIN_PERIODS, SYNC_EVERY, default_sync_every

    assert default_sync_every(10**9) == SYNC_EVERY
    assert default_sync_every(2_000_000) * MIN_PERIODS >= 2_000_000
    assert default_sync_every(10) == 1_000


def test_api_refuses_cluster_options_without_a_cluster(tmp_path):
    import wordvec

    path = tmp_path / "c.txt"
    path.write_text(_text(50))
    with pytest.raises(ValueError, match="cluster='ray'"):
        wordvec.train(path, workers=3)
    with pytest.raises(ValueError):
        wordvec.train(path, cluster="spark")


def _cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.txt"
    path.write_text(_text(50))
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    code, out, err = _cli(capsys, "train", path, "--ray", "--workers", "2", "--out", tmp_path / "v.npz")
    assert code == 2 and "pip install 'wordvec[ray]'" in err and "Traceback" not in err
    assert not (tmp_path / "v.npz").exists()


def test_cli_cluster_flags_need_ray(tmp_path, capsys):
    path = tmp_path / "c.txt"
    path.write_text(_text(50))
    code, _, err = _cli(capsys, "train", path, "--workers", "2", "--out", tmp_path / "v.npz")
    assert code == 2 and "--workers" in err and "--ray" in err


# ------------------------------------------------------------------ on a local Ray instance

SMALL = dict(model="skipgram", dim=50, window=5, epochs=3, min_count=5, sample=1e-3, threads=1, seed=1)


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for this module's runs (ClusterTrainer joins it)."""
    import logging

    import ray  # in the test extra: a missing Ray fails these tests rather than skipping them

    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def two_worker_run(local_ray, ptb_train, wordsim_file):
    from wordvec.cluster import ClusterTrainer

    with ClusterTrainer(ptb_train, TrainConfig(**SMALL), workers=2, progress=False) as trainer:
        trainer.run()
        kv = trainer.keyed_vectors()
        figures = (trainer.words_done, trainer.total_words, trainer.finished)
    return kv, figures, evaluate.evaluate_word_pairs(kv, wordsim_file).spearman


def test_two_workers_train_ptb(two_worker_run, ptb_train):
    kv, (done, total, finished), ws353 = two_worker_run
    whole = load_corpus(ptb_train, min_count=5)
    assert kv.index_to_key == whole.vocab.index_to_key  # the exact single-machine vocabulary
    assert finished and done == total == 3 * len(whole)  # every word of every epoch, once
    assert ws353 > 0.1
    assert kv.metadata["cluster"]["workers"] == 2 and kv.metadata["cluster"]["periods"] >= 10
    finance = {"shares", "bonds", "prices", "stock", "securities", "markets", "futures", "issues", "nasdaq",
               "blue-chip", "treasury", "investors", "traders", "junk", "equities", "options", "trading"}
    assert len({w for w, _ in kv.most_similar("stocks", topn=10)} & finance) >= 3


def test_killed_worker_is_replaced(local_ray, two_worker_run, ptb_train, wordsim_file):
    from wordvec.cluster import ClusterTrainer

    killed = []

    def kill_one(trainer, event):
        if event["round"] == 2:
            pid = trainer.worker_pids()[1]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with ClusterTrainer(ptb_train, TrainConfig(**SMALL), workers=2, progress=False, on_sync=kill_one) as trainer:
        trainer.run()
        kv = trainer.keyed_vectors()
        assert trainer.finished and trainer.words_done == trainer.total_words
        assert trainer.worker_pids()[1] != killed[0]
    assert killed and kv.metadata["cluster"]["replaced_workers"] == 1
    ws353 = evaluate.evaluate_word_pairs(kv, wordsim_file).spearman
    assert abs(ws353 - two_worker_run[2]) < 0.05


def test_cli_trains_on_ray(local_ray, tmp_path, capsys):
    from wordvec.vectors import KeyedVectors

    path = tmp_path / "c.txt"
    path.write_text(_text(2000, 5))
    out = tmp_path / "v.npz"
    code, stdout, err = _cli(capsys, "train", path, "--ray", "--workers", "2", "--dim", 16, "--epochs", 1,
                             "--min-count", 1, "--quiet", "--out", out)
    assert code == 0, err
    assert "2 workers" in stdout
    kv = KeyedVectors.load(out)
    assert kv.index_to_key == load_corpus(path, min_count=1).vocab.index_to_key


def test_cli_refuses_more_workers_than_lines(local_ray, tmp_path, capsys):
    path = tmp_path / "one.txt"
    path.write_text("just one line of words here\n")
    code, _, err = _cli(capsys, "train", path, "--ray", "--workers", "4", "--min-count", 1, "--quiet",
                        "--out", tmp_path / "v.npz")
    assert code == 1 and "fewer --workers" in err and "Traceback" not in err
    assert not (tmp_path / "v.npz").exists()


def test_interrupted_run_resumes_where_it_stopped(local_ray, two_worker_run, ptb_train, tmp_path):
    """Ctrl-C mid-run saves the last synchronised state; resuming continues it on new workers and
    ends where the uninterrupted run ends."""
    from wordvec import checkpoint
    from wordvec.cluster import ClusterTrainer
    from wordvec.cluster.checkpoints import train_with_checkpoints
    from wordvec.errors import TrainingInterrupted

    def ctrl_c(trainer, event):
        if event["round"] == 7:
            os.kill(os.getpid(), signal.SIGINT)

    directory = tmp_path / "ckpt"
    saves = []
    with ClusterTrainer(ptb_train, TrainConfig(**SMALL), workers=2, progress=False, on_sync=ctrl_c) as trainer:
        with pytest.raises(TrainingInterrupted, match="resume with"):
            train_with_checkpoints(trainer, directory, every=500_000, info={"source": str(ptb_train)},
                                   on_save=saves.append)
        stopped_at = trainer.words_done
    assert 0 < stopped_at < trainer.total_words and saves  # saved on the way, and at the stop
    arrays, meta = checkpoint.load_checkpoint(directory)
    assert meta["engine"] == "ray" and meta["state"]["cluster"]["rounds"] == 7
    kv, _ = checkpoint.resume(directory, progress=False)
    reference = two_worker_run[0]
    assert kv.index_to_key == reference.index_to_key
    assert np.allclose(kv.vectors, reference.vectors, rtol=0, atol=1e-5)
    assert kv.metadata["cluster"]["periods"] == reference.metadata["cluster"]["periods"]


def test_cli_checkpoint_and_resume_on_ray(local_ray, tmp_path, capsys):
    from wordvec.vectors import KeyedVectors

    path = tmp_path / "c.txt"
    path.write_text(_text(3000, 6))
    out, ckpt = tmp_path / "v.npz", tmp_path / "ckpt"
    args = ("--dim", 16, "--epochs", 2, "--min-count", 1, "--quiet")
    code, _, err = _cli(capsys, "train", path, "--ray", "--workers", "2", *args, "--checkpoint", ckpt,
                        "--checkpoint-every", 5000, "--out", out)
    assert code == 0, err
    assert (ckpt / "checkpoint.npz").is_file() and (ckpt / "history.json").is_file()
    first = KeyedVectors.load(out)
    out.unlink()
    code, stdout, err = _cli(capsys, "train", "--resume", ckpt, "--ray")  # a finished run: saved again
    assert code == 0, err
    assert np.allclose(KeyedVectors.load(out).vectors, first.vectors, rtol=0, atol=1e-6)
    code, _, err = _cli(capsys, "train", "--resume", ckpt, "--workers", "3")
    assert code == 2 and "--workers" in err
    code, _, err = _cli(capsys, "plot-loss", ckpt, "--out", tmp_path / "loss.png")
    assert code == 0, err


def test_tampered_cluster_checkpoint_resumes_or_gives_one_line(local_ray, tmp_path):
    """Every field of a cluster checkpoint's cluster part, broken: resuming either works or ends
    in one line naming the problem (WordvecError), never a traceback or a hang."""
    import io
    import json
    import shutil

    from wordvec import checkpoint
    from wordvec.cluster import ClusterTrainer
    from wordvec.cluster.checkpoints import train_with_checkpoints
    from wordvec.errors import TrainingInterrupted, WordvecError

    path = tmp_path / "c.txt"
    path.write_text(_text(3000, 7))
    config = TrainConfig(model="skipgram", dim=8, epochs=2, min_count=1, threads=1, seed=2)

    def ctrl_c(trainer, event):
        if event["round"] == 3:
            os.kill(os.getpid(), signal.SIGINT)

    saved = tmp_path / "saved"
    with ClusterTrainer(path, config, workers=2, sync_every=2_000, progress=False, on_sync=ctrl_c) as trainer:
        with pytest.raises(TrainingInterrupted):
            train_with_checkpoints(trainer, saved, info={"source": str(path)})
    with np.load(saved / checkpoint.CHECKPOINT_FILE, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays["meta_json"].tobytes())

    def variant(change=None, drop=None):
        m = json.loads(json.dumps(meta))
        if change is not None:
            change(m["state"]["cluster"])
        out = {k: v for k, v in arrays.items() if k != drop}
        out["meta_json"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)
        return out

    def setter(key, value):
        return lambda c: c.__setitem__(key, value)

    variants = [
        ("shards not a list", variant(setter("shards", "x"))),
        ("shard of a missing file", variant(lambda c: c["shards"][1][0].__setitem__("path", str(tmp_path / "no")))),
        ("shard range moved", variant(lambda c: c["shards"][1][0].__setitem__("start", 5))),
        ("workers", variant(setter("workers", 3))),
        ("merge", variant(setter("merge", "median"))),
        ("sync_every", variant(setter("sync_every", 0))),
        ("totals", variant(setter("totals", [1]))),
        ("position not an object", variant(lambda c: c["positions"].__setitem__(0, "x"))),
        ("position words_done", variant(lambda c: c["positions"][0].__setitem__("words_done", 10**12))),
        ("position threads", variant(lambda c: c["positions"][0].__setitem__("threads", 3))),
        ("fingerprint", variant(lambda c: c["fingerprints"][0].__setitem__("crc32", 1))),
        ("seconds", variant(setter("train_seconds", -1))),
        ("missing position array", variant(drop="w0_cursors")),
    ]
    for i, (label, content) in enumerate(variants):
        directory = tmp_path / f"v{i}"
        shutil.copytree(saved, directory)
        buffer = io.BytesIO()
        np.savez(buffer, **content)
        (directory / checkpoint.CHECKPOINT_FILE).write_bytes(buffer.getvalue())
        try:
            kv, _ = checkpoint.resume(directory, progress=False)
        except WordvecError as exc:
            assert str(exc) and "\n" not in str(exc), (label, str(exc))
            continue
        except BaseException as exc:  # anything else is a broken promise
            pytest.fail(f"{label}: {type(exc).__name__}: {exc}")
        assert np.isfinite(kv.vectors).all(), label
    path.write_text(_text(3000, 8))  # the corpus changed since the save
    with pytest.raises(WordvecError, match="changed"):
        checkpoint.resume(saved, progress=False)


def test_cli_on_ray_in_a_fresh_process(tmp_path):
    """The `wordvec` command as users run it: a new process, its own local Ray instance."""
    import subprocess

    path = tmp_path / "c.txt"
    path.write_text(_text(1500, 9))
    out = tmp_path / "v.npz"
    done = subprocess.run([sys.executable, "-m", "wordvec.cli", "train", str(path), "--ray", "--workers", "2",
                           "--dim", "8", "--epochs", "1", "--min-count", "1", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and out.is_file()


def test_cli_unreachable_address_is_one_line(tmp_path):
    import socket

    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    path = tmp_path / "c.txt"
    path.write_text(_text(50))
    import subprocess  # a process of its own: this one has joined the module's Ray instance

    done = subprocess.run([sys.executable, "-m", "wordvec.cli", "train", str(path), "--ray", f"127.0.0.1:{port}",
                           "--quiet", "--out", str(tmp_path / "v.npz")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "cannot reach Ray" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "v.npz").exists()
