"""The `train` command's promises under hostile use: usage errors before any work, outputs refused
before the corpus is read, words and memory checked before training, `--resume` flags, signals."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from wordvec.cli import main
from wordvec.config import TrainConfig
from wordvec.memory import estimate_bytes
from wordvec.vectors import KeyedVectors


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(60)]
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(1500)) + "\n", encoding="utf-8")
    return path


TRAIN = ("--min-count", "1", "--dim", "8", "--epochs", "1", "--threads", "1", "--quiet")


@pytest.mark.parametrize("flags, fragment", [
    (["--seed", "-1"], "seed"),
    (["--seed", str(2**64)], "seed"),
    (["--model", "ppmi", "--context-smoothing", "nan"], "context_smoothing"),
    (["--model", "ppmi", "--context-smoothing", "-1"], "context_smoothing"),
    (["--alpha", "0.1", "--lr", "0.2"], "same option"),
    (["--lr", "inf"], "lr"),
    (["--lr", "nan"], "lr"),
    (["--engine", "reference", "--loss", "softmax"], "softmax"),
    (["--engine", "reference", "--loss", "hs"], "reference engine trains loss ns"),
    (["--encoding-errors", "ignore"], "encoding-errors"),
    (["--out", "x.npz.gz"], "compressed native"),
])
def test_bad_options_are_usage_errors_before_the_corpus_is_read(tmp_path, capsys, flags, fragment):
    """The corpus does not exist: the option is refused first (exit 2), so no work was done."""
    argv = ["train", tmp_path / "missing.txt", "--out", tmp_path / "v.txt", *flags]
    code, _, err = run(capsys, *argv)
    line = one_line(err)
    assert code == 2 and fragment in line and "missing.txt" not in line, line


@pytest.mark.parametrize("case", ["directory", "no folder", "special place", "checkpoint is a file"])
def test_unwritable_outputs_are_refused_before_the_corpus_is_read(tmp_path, capsys, case):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    extra = []
    out = tmp_path / "v.txt"
    if case == "directory":
        out = tmp_path / "dir"
    elif case == "no folder":
        out = tmp_path / "nope" / "v.txt"
    elif case == "special place":
        if not Path("/proc/self").is_dir():
            pytest.skip("needs Linux /proc")
        out = Path("/proc/wordvec-test-output.txt")  # exists as a folder, takes no new files, even as root
    else:
        extra = ["--checkpoint", tmp_path / "file"]
    code, _, err = run(capsys, "train", tmp_path / "missing.txt", "--out", out, *extra)
    line = one_line(err)
    assert code == 1 and "missing.txt" not in line and str(out if not extra else tmp_path / "file") in line, line
    assert not leftovers(tmp_path)


def test_read_only_folder_is_refused_up_front(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders (the /proc case covers it)")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, _, err = run(capsys, "train", tmp_path / "missing.txt", "--out", folder / "v.txt")
    finally:
        folder.chmod(0o755)
    assert code == 1 and "v.txt" in one_line(err) and "missing" not in err


def test_outputs_that_would_destroy_an_input_are_usage_errors(corpus, tmp_path, capsys):
    before = md5(corpus)
    link = tmp_path / "link.txt"
    link.symlink_to(corpus)
    hard = tmp_path / "hard.txt"
    os.link(corpus, hard)
    out = tmp_path / "v.txt"
    for argv in (["--out", corpus], ["--out", link], ["--out", hard], ["--out", out, "--history", corpus],
                 ["--out", out, "--history", out], ["--out", out, "--history", tmp_path / "." / "v.txt"],
                 ["--out", tmp_path / "ck" / "checkpoint.npz", "--checkpoint", tmp_path / "ck"]):
        code, _, err = run(capsys, "train", corpus, *TRAIN, *argv)
        assert code == 2, (argv, err)
        one_line(err)
    assert md5(corpus) == before and not out.exists()
    # convert: the output may not be the input either
    vec = tmp_path / "v.bin"
    assert run(capsys, "train", corpus, *TRAIN, "--out", vec)[0] == 0
    saved = md5(vec)
    code, _, err = run(capsys, "convert", vec, vec)
    assert code == 2 and md5(vec) == saved
    one_line(err)


def test_a_word_the_output_format_cannot_hold_is_refused_before_training(tmp_path, capsys):
    corpus = tmp_path / "long.txt"
    long_word = "x" * 70_000  # more bytes than a word2vec binary record holds
    corpus.write_text(f"a b {long_word} c\n" * 5, encoding="utf-8")
    for name in ("v.bin", "v.txt.gz"):
        code, _, err = run(capsys, "train", corpus, "--min-count", "1", "--dim", "4", "--out", tmp_path / name)
        line = one_line(err)
        assert code == 1 and "70,000" in line.replace("70000", "70,000"), line
        assert "trained" not in line and not (tmp_path / name).exists()
    code, _, err = run(capsys, "train", corpus, *TRAIN, "--out", tmp_path / "v.npz")  # native holds it
    assert code == 0 and long_word in KeyedVectors.load(tmp_path / "v.npz"), err


def test_an_epoch_with_no_training_pairs_still_saves_and_plots(tmp_path, capsys):
    """Five 4-word lines: subsampling drops nearly every word, so some epochs see no pair at all;
    their loss is null in the saved file (JSON has no NaN) and a gap in the plot."""
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("a b c d\n" * 5)
    out = tmp_path / "v.npz"
    code, _, err = run(capsys, "train", corpus, "--min-count", "1", "--dim", "4", "--epochs", "5",
                       "--threads", "1", "--seed", "2", "--out", out, "--history", tmp_path / "h.json", "-q")
    assert code == 0, err
    losses = KeyedVectors.load(out).metadata["loss_history"]["epoch_loss"]
    assert None in losses and len(losses) == 5
    assert json.loads((tmp_path / "h.json").read_text())["epoch_loss"] == losses
    assert run(capsys, "plot-loss", out, "--out", tmp_path / "loss.png")[0] == 0


def test_memory_estimate_follows_the_engines():
    ptb = 10_000
    fast = estimate_bytes(TrainConfig(dim=100_000), ptb)
    assert 12e9 < fast < 24e9  # W_in + W_out + the returned vectors: about 16 GB
    assert estimate_bytes(TrainConfig(dim=100_000, engine="reference"), ptb) > 2 * fast  # + grads, Adam
    assert estimate_bytes(TrainConfig(dim=100), ptb) < 50e6
    assert estimate_bytes(TrainConfig(model="ppmi", dim=ptb), ptb) >= 3 * ptb * ptb * 8  # dense SVD


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (16 << 30, 16 << 30))


def test_a_run_that_cannot_fit_is_refused_with_the_figures(corpus, tmp_path):
    """dim 10M over 60 words needs ~10 GB: refused at once, under a 16 GB address-space limit (a
    real OOM kill otherwise), with a one-line message naming both figures."""
    env = {k: v for k, v in os.environ.items() if k != "WORDVEC_NO_MEMORY_CHECK"}
    argv = [sys.executable, "-m", "wordvec", "train", str(corpus), "--min-count", "1", "--dim", "40000000",
            "--out", str(tmp_path / "v.bin"), "--quiet"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env,
                            preexec_fn=_limit_address_space)
    line = one_line(result.stderr)
    assert result.returncode == 1 and "GB of memory" in line and "available" in line and "--dim" in line, line
    assert not (tmp_path / "v.bin").exists()


def test_resume_applies_what_can_change_and_refuses_the_rest(corpus, tmp_path, capsys):
    ck, out = tmp_path / "ck", tmp_path / "first.npz"
    assert run(capsys, "train", corpus, *TRAIN, "--epochs", "2", "--checkpoint", ck, "--out", out)[0] == 0
    saved = md5(ck / "checkpoint.npz")
    for flags in (["--dim", "50"], ["--epochs", "4", "--threads", "2", "--dim", "50"], ["--seed", "3"],
                  ["--dim", "8"], [corpus], ["--model", "cbow"], ["--book"], ["--encoding-errors", "replace"],
                  ["--checkpoint", tmp_path / "other"], ["--out", ck / "history.json"]):
        code, _, err = run(capsys, "train", "--resume", ck, *flags)
        assert code == 2, (flags, err)
        one_line(err)
    assert md5(ck / "checkpoint.npz") == saved
    code, _, err = run(capsys, "train", "--resume", ck, "--epochs", "1")  # fewer than already done
    assert code == 1 and "at least 2" in one_line(err)
    new, history = tmp_path / "more.npz", tmp_path / "h.json"
    code, out_text, _ = run(capsys, "train", "--resume", ck, "--epochs", "3", "--threads", "2", "--out", new,
                            "--history", history, "--quiet")
    assert code == 0 and str(new) in out_text
    kv = KeyedVectors.load(new)
    assert kv.metadata["config"]["epochs"] == 3 and kv.metadata["config"]["threads"] == 2
    assert len(json.loads(history.read_text())["epoch_loss"]) == 3
    assert len(KeyedVectors.load(out).metadata["loss_history"]["epoch_loss"]) == 2  # the first output stays


def test_outputs_and_checkpoints_inside_the_corpus_folder_are_not_read_as_corpus(corpus, tmp_path, capsys):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_bytes(corpus.read_bytes())
    out = folder / "v.txt"
    argv = ("train", folder, *TRAIN, "--checkpoint", folder / "ck", "--history", folder / "h.json", "--out", out)
    assert run(capsys, *argv)[0] == 0
    words = len(KeyedVectors.load(out))
    # the resume re-reads the folder, which now holds the outputs and the checkpoint: all skipped,
    # so the corpus is the same (else "the corpus has changed", or invalid UTF-8 in checkpoint.npz)
    code, _, err = run(capsys, "train", "--resume", folder / "ck")
    assert code == 0, err
    # a second run writing the same outputs reads a.txt only: the same vocabulary
    rerun = folder / "again"
    rerun.mkdir()
    (rerun / "a.txt").write_bytes(corpus.read_bytes())
    for _ in range(2):
        code, _, err = run(capsys, "train", rerun, *TRAIN, "--out", rerun / "v.txt", "--history", rerun / "h.json")
        assert code == 0 and len(KeyedVectors.load(rerun / "v.txt")) == words, err


def test_encoding_errors_flag_reads_invalid_utf8_and_resume_keeps_it(tmp_path, capsys):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"good words here caf\xe9 good words\n" * 50)
    code, _, err = run(capsys, "train", corpus, *TRAIN, "--out", tmp_path / "v.txt")
    assert code == 1 and "--encoding-errors replace" in one_line(err)
    ck = tmp_path / "ck"
    code, _, _ = run(capsys, "train", corpus, *TRAIN, "--encoding-errors", "replace", "--checkpoint", ck,
                     "--out", tmp_path / "v.npz")
    assert code == 0 and "caf\ufffd" in KeyedVectors.load(tmp_path / "v.npz")
    code, _, err = run(capsys, "train", "--resume", ck, "--out", tmp_path / "again.npz")
    assert code == 0, err


def _spawn(argv, **kw):
    return subprocess.Popen([sys.executable, "-m", "wordvec", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _wait_for(path: Path, proc, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)


def test_sigterm_during_training_saves_a_checkpoint_that_resumes(ptb_train, tmp_path, capsys):
    ck, out = tmp_path / "ck", tmp_path / "v.bin"
    proc = _spawn(["train", ptb_train, "--out", out, "--checkpoint", ck, "--checkpoint-every", "100000",
                   "--epochs", "50", "--threads", "2", "--dim", "20", "--quiet"])
    _wait_for(ck / "checkpoint.npz", proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    line = one_line(err)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in line and f"--resume {ck}" in line
    assert not out.exists() and not leftovers(tmp_path)
    code, _, err = run(capsys, "train", "--resume", ck, "--epochs", "1", "--quiet")  # within the first epoch
    assert code == 0, err
    assert "year" in KeyedVectors.load(out)


def test_sigterm_without_a_checkpoint_writes_nothing(ptb_train, tmp_path):
    out = tmp_path / "v.bin"
    out.write_bytes(b"old contents")
    proc = _spawn(["train", ptb_train, "--out", out, "--epochs", "50", "--threads", "2", "--dim", "20"])
    deadline = time.monotonic() + 240
    while len(os.listdir(f"/proc/{proc.pid}/task")) < 3:  # the training threads have started
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err.strip().splitlines()[-1] and "Traceback" not in err
    assert out.read_bytes() == b"old contents" and not leftovers(tmp_path)


#: runs the CLI with a SIGTERM delivered inside the final save, after the vectors' bytes are written
#: and before the rename that would publish them
_SIGNAL_IN_SAVE = """
import os, signal, sys
import wordvec.vectors
from wordvec.cli import main

real_save, real_fsync = wordvec.vectors.KeyedVectors.save, os.fsync

def fsync_then_term(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.SIGTERM)

def save(self, *args, **kwargs):
    os.fsync = fsync_then_term
    return real_save(self, *args, **kwargs)

wordvec.vectors.KeyedVectors.save = save
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("with_checkpoint", [True, False])
def test_sigterm_during_the_final_save_keeps_the_old_file(corpus, tmp_path, with_checkpoint):
    out = tmp_path / "v.txt"
    out.write_text("old contents\n")
    argv = ["train", str(corpus), *TRAIN, "--out", str(out)]
    if with_checkpoint:
        argv += ["--checkpoint", str(tmp_path / "ck")]
    result = subprocess.run([sys.executable, "-c", _SIGNAL_IN_SAVE, *argv], capture_output=True, text=True,
                            timeout=300)
    line = one_line(result.stderr)
    assert result.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in line, result.stderr
    assert out.read_text() == "old contents\n" and not leftovers(tmp_path)
    if with_checkpoint:
        assert f"--resume {tmp_path / 'ck'}" in line and (tmp_path / "ck" / "checkpoint.npz").is_file()
        assert main(["train", "--resume", str(tmp_path / "ck")]) == 0  # the finished run, saved again
        assert "w1" in KeyedVectors.load(out)


@pytest.mark.parametrize("content", [
    "[1, 2, 3]", '{"epoch_loss": ["a", "b"]}', '{"epoch_loss": [1.0, [2.0]]}', '{"epoch_loss": 3}', "{}",
    '{"epoch_loss": [true]}', "[" * 100_000 + "]" * 100_000, "not json", '{"epoch_loss": [1.0, 2.0]',
])
def test_plot_loss_refuses_what_is_not_a_loss_history(tmp_path, capsys, content):
    history = tmp_path / "h.json"
    history.write_text(content)
    code, _, err = run(capsys, "plot-loss", history, "--out", tmp_path / "loss.png")
    assert code == 1 and "h.json" in one_line(err)
    assert not (tmp_path / "loss.png").exists()


def test_plot_loss_refuses_a_device_named_json(tmp_path, capsys):
    link = tmp_path / "h.json"
    link.symlink_to("/dev/zero")
    code, _, err = run(capsys, "plot-loss", link, "--out", tmp_path / "loss.png")
    assert code == 1 and "h.json" in one_line(err)
