"""The `wordvec` command end to end: training, queries, files, and every bad input named by the spec."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordvec.cli import main


def run(capsys, *argv):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code in (1, 2), code
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """A synthetic corpus with clear structure: two topics whose words co-occur only within topic."""
    rng = np.random.default_rng(0)
    animals = ["cat", "dog", "horse", "cow", "sheep", "goat"]
    tools = ["hammer", "saw", "drill", "wrench", "chisel", "pliers"]
    lines = []
    for _ in range(3000):
        topic = animals if rng.random() < 0.5 else tools
        lines.append(" ".join(rng.choice(topic, size=8)))
    path = tmp_path_factory.mktemp("corpus") / "topics.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(small_corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vectors") / "topics.bin"
    code = main(["train", str(small_corpus), "--model", "ppmi", "--dim", "4", "--window", "2",
                 "--min-count", "1", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_train_ppmi_and_query(trained, capsys):
    code, out, _ = run(capsys, "similar", trained, "cat", "-n", "3", "--json")
    assert code == 0
    neighbours = [row["word"] for row in json.loads(out)]
    assert len(neighbours) == 3
    assert set(neighbours) <= {"dog", "horse", "cow", "sheep", "goat"}


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_train_word2vec_fast_engine(small_corpus, tmp_path, capsys, model):
    out = tmp_path / "w2v.txt"
    code, stdout, _ = run(capsys, "train", small_corpus, "--model", model, "--dim", "16", "--epochs", "3",
                          "--min-count", "1", "--threads", "1", "--out", out, "--quiet")
    assert code == 0, stdout
    assert "trained" in stdout
    code, stdout, _ = run(capsys, "similar", out, "hammer", "-n", "3", "--json")
    assert code == 0
    neighbours = {row["word"] for row in json.loads(stdout)}
    assert neighbours <= {"saw", "drill", "wrench", "chisel", "pliers"}


def test_analogy_convert_info(trained, tmp_path, capsys):
    code, out, _ = run(capsys, "analogy", trained, "cat", "dog", "hammer", "--json")
    assert code == 0 and len(json.loads(out)) == 5
    code, out, _ = run(capsys, "analogy", trained, "cat", "dog", "hammer", "--method", "mul", "-n", "2", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    for name in ("copy.txt", "copy.vec", "copy.wv"):
        code, _, _ = run(capsys, "convert", trained, tmp_path / name)
        assert code == 0
        code, out, _ = run(capsys, "info", tmp_path / name, "--json")
        info = json.loads(out)
        assert info["words"] == 12 and info["dim"] == 4


def test_evaluate_json_shape(trained, analogies_file, wordsim_file, capsys):
    code, out, _ = run(capsys, "evaluate", trained, "--analogies", analogies_file, "--pairs", wordsim_file, "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result["analogy"]) >= {"accuracy", "correct", "total", "skipped", "sections"}
    pairs = result["pairs"][wordsim_file.name]
    assert set(pairs) >= {"spearman", "pearson", "pairs", "skipped"}
    assert pairs["pairs"] + pairs["skipped"] == 353


def test_query_prompt_through_stdin(trained, monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("cat\ncat dog hammer\nnosuchword\ncat dog\n"))
    code, out, _ = run(capsys, "query", trained, "-n", "2")
    assert code == 0
    assert "cat : dog = hammer : ?" in out
    assert "unknown: nosuchword" in out
    assert "similarity(cat, dog)" in out


# ------------------------------------------------------------------------------------ bad input


def test_missing_corpus(tmp_path, capsys):
    code, _, err = run(capsys, "train", tmp_path / "nope.txt", "--out", tmp_path / "x.bin")
    assert_one_line_error(code, err, "nope.txt")


def test_empty_corpus(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = run(capsys, "train", empty, "--model", "ppmi", "--out", tmp_path / "x.bin")
    assert_one_line_error(code, err)


def test_nothing_passes_min_count(tmp_path, capsys):
    corpus = tmp_path / "rare.txt"
    corpus.write_text("a b c d\ne f g\n")
    code, _, err = run(capsys, "train", corpus, "--model", "ppmi", "--min-count", "5", "--out", tmp_path / "x.bin")
    assert_one_line_error(code, err, "min")


def test_invalid_utf8_names_the_offset(tmp_path, capsys):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"good words here\nbad \xff\xfe word\n" * 3)
    code, _, err = run(capsys, "train", corpus, "--model", "ppmi", "--min-count", "1", "--out", tmp_path / "x.bin")
    assert_one_line_error(code, err, "bad.txt")
    assert "offset" in err or "byte" in err


def test_unknown_query_words_are_named(trained, capsys):
    code, _, err = run(capsys, "similar", trained, "zebra")
    assert_one_line_error(code, err, "zebra")
    code, _, err = run(capsys, "analogy", trained, "cat", "unicorn", "dragon")
    assert_one_line_error(code, err, "unicorn", "dragon")


def test_truncated_vector_file(trained, tmp_path, capsys):
    data = trained.read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = run(capsys, "similar", cut, "cat")
    assert_one_line_error(code, err)
    text = tmp_path / "bad.txt"
    text.write_text("2 3\ncat 1 2 3\ndog 1 2\n")
    code, _, err = run(capsys, "info", text)
    assert_one_line_error(code, err, "line 3")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "ptb", "--dim", "zero", "--out", "x.bin"],
        ["train", "ptb", "--dim", "0", "--out", "x.bin"],
        ["train", "ptb", "--model", "glove", "--out", "x.bin"],
        ["train", "ptb", "--sample", "-1", "--out", "x.bin"],
        ["train", "ptb", "--lr", "-0.1", "--out", "x.bin"],
        ["similar"],
        ["frobnicate"],
    ],
)
def test_wrong_flag_values(argv, capsys):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(code, err)


def test_existing_output_is_not_corrupted_by_a_failed_run(trained, tmp_path, capsys):
    out = tmp_path / "keep.bin"
    out.write_bytes(trained.read_bytes())
    before = out.read_bytes()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"x \xff\n")
    code, _, _ = run(capsys, "train", bad, "--model", "ppmi", "--min-count", "1", "--out", out)
    assert code == 1
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "keep.bin"]  # no temp files left


def test_console_script_reports_errors_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "wordvec", "similar", str(tmp_path / "missing.bin"), "word"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "missing.bin" in result.stderr


def test_demo_trains_on_ptb_and_answers_the_books_queries(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORDVEC_DATA", str(data_dir))
    code, out, _ = run(capsys, "demo", "--model", "ppmi", "--out", tmp_path / "ptb.bin", "-q")
    assert code == 0
    lines = {line.split("->")[0].strip(): line for line in out.splitlines() if "->" in line}
    assert {"you", "year", "car", "toyota"} <= set(lines)
    you_neighbours = lines["you"].split("->")[1]
    assert any(f" {p} (" in you_neighbours for p in ("we", "i", "they"))


def test_plot_and_plot_loss(trained, small_corpus, tmp_path, capsys):
    png = tmp_path / "map.png"
    code, _, err = run(capsys, "plot", trained, "cat", "dog", "hammer", "--neighbours", "2", "--out", png)
    assert code == 0, err
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
    native = tmp_path / "run.wv"
    code, _, err = run(capsys, "train", small_corpus, "--dim", "8", "--epochs", "2", "--min-count", "1",
                       "--threads", "1", "--out", native, "-q", "--history", tmp_path / "history.json")
    assert code == 0, err
    for source in (native, tmp_path / "history.json"):
        svg = tmp_path / f"loss-{source.suffix[1:]}.svg"
        code, _, err = run(capsys, "plot-loss", source, "--out", svg)
        assert code == 0, err
        assert "<svg" in svg.read_text()[:2000]
    code, _, err = run(capsys, "plot-loss", native, "--out", tmp_path / "loss.jpg")
    assert_one_line_error(code, err, ".png or .svg")
    code, _, err = run(capsys, "plot", trained, "unicorn", "--out", png)
    assert_one_line_error(code, err, "unicorn")
