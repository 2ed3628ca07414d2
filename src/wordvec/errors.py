"""Error types: every failure a user can cause is one of these, with a one-line message."""

from __future__ import annotations


class WordvecError(Exception):
    """Base class for errors caused by user input (files, words, options)."""


class CorpusError(WordvecError, ValueError):
    """A corpus is missing, empty, undecodable, or leaves no word after filtering."""


class DatasetError(WordvecError, OSError):
    """A named dataset is unknown, missing offline, or fails its checksum."""


class VectorFileError(WordvecError, ValueError):
    """A vector file is malformed or truncated; the message names the line or byte offset."""


class EvaluationFileError(WordvecError, ValueError):
    """An evaluation file is missing, undecodable or malformed; the message names the line."""


class UnknownWordError(WordvecError, KeyError):
    """One or more query words are not in the vocabulary; `words` lists them."""

    def __init__(self, words):
        self.words = list(words)
        super().__init__(f"not in vocabulary: {', '.join(map(repr, self.words))}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class TrainingError(WordvecError, RuntimeError):
    """Training diverged (NaN/Inf) or was configured inconsistently."""


class TrainingInterrupted(WordvecError):
    """Training stopped on SIGINT/SIGTERM after saving a checkpoint; the message says how to resume."""

    def __init__(self, message: str, signum: int | None = None):
        super().__init__(message)
        self.signum = signum
