"""Corpus readers in gensim's shape: iterables of token lists that can be iterated again and again.

`LineSentence(path)`: one sentence a line, tokens split on whitespace (as `str.split()`), long
lines cut into pieces of `max_sentence_length` tokens; `PathLineSentences(directory)`: the same
over every file of a directory (not recursing, in name order); `Text8Corpus(path)`: one long line
of text (text8) cut into sentences of `max_sentence_length` words. Plain, `.gz`, `.bz2` and `.xz`
files are read alike. Invalid UTF-8 is replaced by U+FFFD, as gensim's reader does by default.

Given to `Word2Vec`, `FastText` or `Phrases`, a `LineSentence` over a file is read by wordvec's
compiled tokenizer directly (the same tokens, much faster than iterating it in Python).
"""

from __future__ import annotations

import io
import itertools
import os
from typing import IO, Iterator

MAX_WORDS_IN_BATCH = 10_000


def _open(path: str | os.PathLike) -> IO[bytes]:
    from wordvec.corpus import _OPENERS

    path = os.fspath(path)
    opener = _OPENERS.get(os.path.splitext(path)[1].lower(), open)
    return opener(path, "rb")


def _pieces(tokens: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(tokens), size):
        yield tokens[i: i + size]


def _check(max_sentence_length: int, limit: int | None) -> None:
    if isinstance(max_sentence_length, bool) or not isinstance(max_sentence_length, int) or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be a whole number >= 1, got {max_sentence_length!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number >= 0 or None, got {limit!r}")


class LineSentence:
    """Sentences of a file (a path, or an open binary/text file that can seek): one per line."""

    def __init__(self, source, max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None) -> None:
        _check(max_sentence_length, limit)
        if isinstance(source, (str, os.PathLike)) and not os.path.isfile(source):
            raise FileNotFoundError(f"no such file: {os.fspath(source)}")
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        if hasattr(self.source, "seek"):
            self.source.seek(0)
            yield from self._lines(self.source)
        else:
            with _open(self.source) as handle:
                yield from self._lines(handle)

    def _lines(self, handle) -> Iterator[list[str]]:
        for line in itertools.islice(handle, self.limit):
            if isinstance(line, bytes):
                line = line.decode("utf-8", "replace")
            yield from _pieces(line.split(), self.max_sentence_length)

    def _wordvec_path(self) -> str | None:
        """The file, when wordvec's tokenizer reads exactly these sentences (a path, no limit;
        longer lines are cut by the trainer at the same 10,000 words)."""
        if isinstance(self.source, (str, os.PathLike)) and self.limit is None \
                and self.max_sentence_length == MAX_WORDS_IN_BATCH:
            return os.fspath(self.source)
        return None


class PathLineSentences:
    """`LineSentence` over every file of a directory (or one file), in file-name order."""

    def __init__(self, source, max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None) -> None:
        _check(max_sentence_length, limit)
        source = os.fspath(source)
        if os.path.isfile(source):
            self.input_files = [source]
        elif os.path.isdir(source):
            self.input_files = sorted(os.path.join(source, name) for name in os.listdir(source))
        else:
            raise ValueError(f"{source}: neither a file nor a directory")
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        for name in self.input_files:
            yield from LineSentence(name, self.max_sentence_length, self.limit)


class Text8Corpus:
    """The words of a file as one stream (line ends are spaces), cut into sentences of
    `max_sentence_length` words: text8, which is a single 100 MB line."""

    def __init__(self, fname, max_sentence_length: int = MAX_WORDS_IN_BATCH) -> None:
        _check(max_sentence_length, None)
        self.fname = fname
        self.max_sentence_length = max_sentence_length

    def __iter__(self) -> Iterator[list[str]]:
        sentence: list[str] = []
        rest = ""  # a word the last chunk may have cut
        with _open(self.fname) as raw:
            handle = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
            while True:
                chunk = handle.read(1 << 16)
                text = rest + chunk
                words = text.split()
                rest = words.pop() if chunk and words and not text[-1].isspace() else ""
                sentence.extend(words)
                while len(sentence) >= self.max_sentence_length:
                    yield sentence[: self.max_sentence_length]
                    sentence = sentence[self.max_sentence_length:]
                if not chunk:
                    break
        if sentence:
            yield sentence
