"""Issue 8 hardening of corpus reading: words exactly as `str.split()`, exclusions, one-line errors."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec import corpus as corpus_mod
from wordvec import tokenize as tk
from wordvec.corpus import Vocabulary, book_corpus, load_corpus, resolve_inputs
from wordvec.errors import CorpusError

ALL_SPACE = [c for c in map(chr, range(0x110000)) if c.isspace()]


def lines_of(c) -> list[list[str]]:
    return [c.words(i) for i in range(c.n_sentences)]


def python_split(text: str) -> list[list[str]]:
    return [ws for ws in (line.split() for line in text.split("\n")) if ws]


def test_tokenizer_whitespace_is_pythons():
    assert list(tk.WHITESPACE) == ALL_SPACE
    assert "\x00" not in ALL_SPACE and "\u00a0" in ALL_SPACE and "\u3000" in ALL_SPACE


def test_each_whitespace_character_separates_and_nothing_else(tmp_path):
    path = tmp_path / "c.txt"
    for ch in ALL_SPACE:
        path.write_text(f"a{ch}b\n", encoding="utf-8")
        expected = [["a"], ["b"]] if ch == "\n" else [["a", "b"]]
        assert lines_of(load_corpus(path, min_count=1, order="first_seen")) == expected, hex(ord(ch))
    # near misses: same lead bytes, not whitespace (curly quote, dash, U+00A1, U+2030, U+3001)
    text = "x\u2019y x\u2014y x\u00a1y x\u2030y x\u3001y x\x00y\n"
    path.write_text(text, encoding="utf-8")
    assert lines_of(load_corpus(path, min_count=1, order="first_seen")) == python_split(text)


_word = st.text(st.characters(blacklist_characters=ALL_SPACE, blacklist_categories=("Cs",)),
                min_size=1, max_size=6)
_space = st.lists(st.sampled_from(ALL_SPACE + ["\r\n", "\n\n"]), min_size=1, max_size=3).map("".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(_word, _space), max_size=40), chunk=st.integers(1, 24))
def test_reading_matches_str_split(tmp_path, monkeypatch, parts, chunk):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", chunk)  # spaces and words cut by reads
    text = "".join(w + s for w, s in parts)
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    expected = python_split(text)
    if not expected:
        with pytest.raises(CorpusError, match="empty"):
            load_corpus(path, min_count=1)
        return
    assert lines_of(load_corpus(path, min_count=1, order="first_seen")) == expected
    flat = [w for line in expected for w in line]
    book = book_corpus(path)
    assert [book.vocab.index_to_key[i] for i in book.ids] == [
        w for line in (ln.split() + ["<eos>"] for ln in text.split("\n")) for w in line][:len(book.ids)]
    assert [w for w in (book.vocab.index_to_key[i] for i in book.ids) if w != "<eos>"] == flat


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7])
def test_invalid_utf8_next_to_cut_whitespace(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", chunk)
    # \xe2\x80 then a real U+2003, a lone \xc2 before U+00A0, a space cut at EOF (\xe2\x80)
    data = b"ok a\xe2\x80\xe2\x80\x83b \xc2\xc2\xa0c end\xe2\x80"
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(CorpusError) as info:
        load_corpus(path, min_count=1)
    msg = str(info.value)
    first_bad = data.index(b"\xe2")
    assert f"at byte {first_bad}" in msg and "bad.txt" in msg and "\n" not in msg
    assert "--encoding-errors replace on the command line, errors='replace' in Python" in msg
    c = load_corpus(path, min_count=1, order="first_seen", errors="replace")
    assert lines_of(c) == python_split(data.decode("utf-8", "replace"))
    assert lines_of(c) == [["ok", "a\ufffd", "b", "\ufffd", "c", "end\ufffd"]]


def test_eos_token_with_unicode_space_is_refused(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\n")
    for token in ("<e\u00a0os>", "<eos>\u3000", "\u2028"):
        with pytest.raises(ValueError, match="eos_token"):
            load_corpus(path, min_count=1, eos_token=token)


# --------------------------------------------------------------------------- exclusions


def test_exclude_files_and_directories(tmp_path):
    d = tmp_path / "corpus"
    (d / "run").mkdir(parents=True)
    (d / "a.txt").write_text("alpha beta\n")
    (d / "vecs.txt").write_text("2 1\nalpha 0.5\nbeta 0.25\n")
    (d / "run" / "history.json").write_text('{"loss": [1.0]}\n')
    full = load_corpus(d, min_count=1)
    assert "0.5" in full.vocab  # without exclusion the output is read back
    c = load_corpus(d, min_count=1, exclude=[d / "vecs.txt", str(d / "run")])
    assert c.vocab.index_to_key == ["alpha", "beta"]
    # compared by resolved path: a relative spelling and a symlink to the output both count
    link = tmp_path / "out-link.txt"
    link.symlink_to(d / "vecs.txt")
    rel = os.path.relpath(d / "run", Path.cwd())
    assert Vocabulary.build(d, exclude=[link, rel]).index_to_key == ["alpha", "beta"]
    vocab = Vocabulary.build(d, exclude=[link, rel])
    assert len(vocab.encode(d, exclude=[link, rel])) == 2
    assert len(book_corpus(d, exclude=[link, rel])) == 3
    assert [i.label for i in resolve_inputs(d, exclude=[link, rel])] == [str(d / "a.txt")]
    with pytest.raises(CorpusError, match="holds no files .*excluded"):
        load_corpus(d, min_count=1, exclude=[d / "a.txt", d / "vecs.txt", d / "run"])


def test_excluding_the_corpus_itself_is_a_usage_error(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("a b\n")
    with pytest.raises(ValueError, match="is the corpus itself"):
        load_corpus(f, exclude=[tmp_path / "." / "c.txt"])
    with pytest.raises(ValueError, match="is the corpus itself"):
        resolve_inputs(tmp_path, exclude=[tmp_path])
    with pytest.raises(ValueError, match="corpus"):
        Vocabulary.build(f, exclude=[tmp_path])


# --------------------------------------------------------------------------- hostile inputs


def one_line_error(source, match: str, **kw) -> str:
    with pytest.raises(CorpusError) as info:
        load_corpus(source, min_count=1, **kw)
    msg = str(info.value)
    assert "\n" not in msg and match in msg, msg
    return msg


def test_dev_zero_and_huge_words_are_bounded(tmp_path, monkeypatch):
    t = time.monotonic()
    one_line_error("/dev/zero", "/dev/zero")  # endless NULs: one endless "word"
    assert time.monotonic() - t < 20
    monkeypatch.setattr(corpus_mod, "MAX_WORD_BYTES", 100)
    monkeypatch.setattr(corpus_mod, "CHUNK_BYTES", 16)
    path = tmp_path / "long.txt"
    path.write_bytes(b"short words\n" + b"x" * 101 + b" tail\n")
    msg = one_line_error(path, "long.txt")
    assert "at byte 12" in msg
    path.write_bytes(b"short words\n" + b"x" * 100 + b" tail\n")
    assert len(load_corpus(path, min_count=1)) == 4


def test_compressed_edge_cases(tmp_path):
    for name in ("empty.gz", "empty.bz2", "empty.xz"):
        (tmp_path / name).write_bytes(b"")  # read as empty, or refused as a cut stream
        one_line_error(tmp_path / name, name)
    text = b"alpha beta gamma delta\n" * 5000
    for name, data in (("cut.gz", gzip.compress(text)), ("cut.bz2", bz2.compress(text)),
                       ("cut.xz", lzma.compress(text))):
        path = tmp_path / name
        path.write_bytes(data[: len(data) // 2])
        one_line_error(path, name)
        path.write_bytes(data[:-3])  # only the end-of-stream marker / checksum is missing
        one_line_error(path, name)


def test_symlink_loops_and_broken_links(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    one_line_error(loop, "loop.txt")
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("a b\n")
    (d / "self").symlink_to(d)  # a directory link back to itself: not followed
    assert load_corpus(d, min_count=1).vocab.index_to_key == ["a", "b"]
    (d / "z.txt").symlink_to(d / "z.txt")
    one_line_error(d, "z.txt")
    (d / "z.txt").unlink()
    (d / "gone.txt").symlink_to(tmp_path / "nowhere")
    one_line_error(d, "gone.txt")


def test_unreadable_directory_and_file(tmp_path, monkeypatch):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("a b\n")
    (d / "sub" / "b.txt").write_text("c\n")
    real_scandir = os.scandir

    def scandir(path):  # root ignores chmod, so deny the listing the way the kernel would
        if Path(path) == d / "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    one_line_error(d, "sub")
    monkeypatch.undo()
    real_open = open

    def deny(path, *args, **kw):
        if Path(path) == d / "a.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr("builtins.open", deny)
    one_line_error(d, "a.txt: Permission denied")


def test_file_vanishing_between_listing_and_reading(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("a b\n")
    (d / "b.txt").write_text("c\n")
    inputs = resolve_inputs(d)
    (d / "b.txt").unlink()
    scan = corpus_mod._Scan(True, None, sum(i.size_hint() for i in inputs))
    scan.feed(inputs[0])
    with pytest.raises(CorpusError, match="b.txt: No such file"):
        scan.feed(inputs[1])


def test_bad_paths_are_one_line_errors(tmp_path):
    one_line_error(tmp_path / ("x" * 300), "File name too long")
    one_line_error("bad\0name", "NUL")
    one_line_error(tmp_path / "a.txt" / "b", "not found")


_FIFO_READER = """
import sys
from wordvec.corpus import load_corpus
print("ready", flush=True)
try:
    load_corpus(sys.argv[1], min_count=1)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.parametrize("feed", [False, True])
def test_fifo_reading_stays_interruptible(tmp_path, feed):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-c", _FIFO_READER, str(fifo)],
                            stdout=subprocess.PIPE, text=True)
    writer = None
    try:
        assert proc.stdout.readline().strip() == "ready"
        if feed:  # a writer that keeps the pipe open: the reader blocks in read(), not open()
            writer = os.open(fifo, os.O_WRONLY)
            os.write(writer, b"some words\n" * 100)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if writer is not None:
            os.close(writer)
        if proc.poll() is None:
            proc.kill()
    assert out.strip() == "interrupted"
