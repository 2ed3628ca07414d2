"""Intrinsic evaluation: Google-style analogies and word-pair similarity (WordSim-353 style).

With default options the figures equal gensim's `evaluate_word_analogies` / `evaluate_word_pairs`
on the same vectors, so results can be compared with published gensim numbers. The rules copied
on purpose: only the first `restrict_vocab` words count; with `case_insensitive` words are
upper-cased and, among case variants, the first (most frequent) one stands for all; a question
with any word outside that vocabulary is skipped (counted apart, never scored); the prediction is
the best 3CosAdd answer other than a, b and c (a case variant of them is passed over too).

Unlike gensim, malformed lines are not silently dropped: they raise `EvaluationFileError` naming
the line, so a broken file cannot quietly shrink the test set.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.linalg import blas

from wordvec.errors import EvaluationFileError
from wordvec.vectors import KeyedVectors, analogy_top_k

_GENSIM_CANDIDATES = 5  # gensim scans this many neighbours for one that is not a, b or c


@dataclass
class SectionResult:
    """Accuracy over the evaluated (not skipped) questions of one ': section'."""

    section: str
    correct: int = 0
    total: int = 0
    # filled with record=True: the (a, b, c, expected) questions as compared (case-folded)
    correct_questions: list = field(default_factory=list)
    incorrect_questions: list = field(default_factory=list)
    unknown_questions: list = field(default_factory=list)  # skipped: a word outside the vocabulary

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "accuracy": self.accuracy, "correct": self.correct, "total": self.total}


@dataclass
class AnalogyResult:
    """Overall and per-section analogy accuracy; `skipped` questions had out-of-vocabulary words."""

    correct: int
    total: int
    skipped: int
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "skipped": self.skipped,
            "sections": [s.to_dict() for s in self.sections],
        }


@dataclass
class PairsResult:
    """Rank (Spearman) and linear (Pearson) correlation of model cosine vs. human scores."""

    spearman: float
    pearson: float
    pairs: int
    skipped: int
    spearman_pvalue: float = math.nan
    pearson_pvalue: float = math.nan
    spearman_result: Any = (math.nan, math.nan)  # SciPy's result objects (statistic, pvalue), as gensim returns
    pearson_result: Any = (math.nan, math.nan)

    def to_dict(self) -> dict[str, Any]:
        return {"spearman": self.spearman, "pearson": self.pearson, "pairs": self.pairs, "skipped": self.skipped}


def _ok_vocab(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool) -> tuple[dict[str, int], int]:
    """Map (folded) word -> row over the first `restrict_vocab` words; the first variant wins."""
    clip = len(kv) if not restrict_vocab else min(int(restrict_vocab), len(kv))
    ok: dict[str, int] = {}
    for index, word in enumerate(kv.index_to_key[:clip]):
        ok.setdefault(word.upper() if case_insensitive else word, index)
    return ok, clip


def _read_lines(path: str | os.PathLike) -> list[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise EvaluationFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise EvaluationFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    lines = data.split(b"\n")
    decoded = []
    for line_no, raw in enumerate(lines, start=1):
        try:
            decoded.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise EvaluationFileError(f"{path}: line {line_no}: invalid UTF-8 at byte {exc.start}") from None
    return decoded


def read_analogies(path: str | os.PathLike) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """Parse a Google-format file into [(section, [(line_no, [a, b, c, d]), ...]), ...].

    ': name' lines open sections; blank lines and '#' comments are ignored; any other line must
    hold exactly four words and come after a section header.
    """
    sections: list[tuple[str, list[tuple[int, list[str]]]]] = []
    for line_no, line in enumerate(_read_lines(path), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = line.split()
        if len(words) != 4:
            raise EvaluationFileError(f"{path}: line {line_no}: expected 4 words 'a b c d', got {len(words)}")
        if not sections:
            raise EvaluationFileError(f"{path}: line {line_no}: question before the first ': section' line")
        sections[-1][1].append((line_no, words))
    if not any(questions for _, questions in sections):
        raise EvaluationFileError(f"{path}: no analogy questions found")
    return sections


def evaluate_analogies(
    kv: KeyedVectors,
    path: str | os.PathLike,
    restrict_vocab: int | None = 300000,
    case_insensitive: bool = True,
    method: str = "add",
    record: bool = False,
) -> AnalogyResult:
    """Accuracy on a Google-format analogy file ("a b c d": a is to b as c is to d).

    `method="add"` is 3CosAdd (gensim's; same figures), `"mul"` is 3CosMul. All questions are
    answered together with blocked matrix products. `record=True` also lists each section's
    correct, incorrect and skipped questions (gensim's `evaluate_word_analogies` reports them).
    """
    if method not in ("add", "mul"):
        raise ValueError(f"method must be 'add' or 'mul', got {method!r}")
    parsed = read_analogies(path)
    ok, clip = _ok_vocab(kv, restrict_vocab, case_insensitive)
    fold = str.upper if case_insensitive else (lambda w: w)

    sections = [SectionResult(name) for name, _ in parsed]
    rows: list[tuple[int, int, int]] = []
    owners: list[tuple[int, tuple[str, str, str], str]] = []  # (section, folded a b c, folded expected)
    skipped = 0
    for s, (_, questions) in enumerate(parsed):
        for _, words in questions:
            a, b, c, expected = (fold(w) for w in words)
            if a not in ok or b not in ok or c not in ok or expected not in ok:
                skipped += 1
                if record:
                    sections[s].unknown_questions.append((a, b, c, expected))
                continue
            rows.append((ok[a], ok[b], ok[c]))
            owners.append((s, (a, b, c), expected))

    predicted: list[str | None] = [None] * len(rows)
    if rows:
        abc = np.array(rows, dtype=np.int64)
        top, scores = analogy_top_k(kv, abc, 1, method=method, clip=clip)
        retry = []
        for q, (index, score) in enumerate(zip(top[:, 0], scores[:, 0])):
            guess = fold(kv.index_to_key[index]) if np.isfinite(score) else None
            if guess is not None and guess in owners[q][1]:
                retry.append(q)  # a case variant of a, b or c came first: scan further, as gensim does
            predicted[q] = guess
        if retry:
            top5, scores5 = analogy_top_k(kv, abc[retry], _GENSIM_CANDIDATES, method=method, clip=clip)
            for q, candidates, cand_scores in zip(retry, top5, scores5):
                guess = None
                for index, score in zip(candidates, cand_scores):
                    if not np.isfinite(score):
                        break
                    guess = fold(kv.index_to_key[index])
                    if guess in ok and guess not in owners[q][1]:
                        break
                predicted[q] = guess
    for (s, abc_words, expected), guess in zip(owners, predicted):
        sections[s].total += 1
        sections[s].correct += guess == expected
        if record:
            (sections[s].correct_questions if guess == expected else sections[s].incorrect_questions).append(
                (*abc_words, expected))
    return AnalogyResult(
        correct=sum(s.correct for s in sections),
        total=sum(s.total for s in sections),
        skipped=skipped,
        sections=sections,
    )


def read_word_pairs(path: str | os.PathLike, delimiter: str = "\t") -> list[tuple[int, str, str, float]]:
    """Parse 'word1<delimiter>word2<delimiter>score' lines; '#' comments and blank lines are skipped."""
    pairs = []
    for line_no, line in enumerate(_read_lines(path), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(delimiter)
        if len(fields) != 3:
            raise EvaluationFileError(
                f"{path}: line {line_no}: expected 'word1{delimiter!r}word2{delimiter!r}score', "
                f"got {len(fields)} fields"
            )
        try:
            score = float(fields[2])
        except ValueError:
            raise EvaluationFileError(f"{path}: line {line_no}: score {fields[2].strip()!r} is not a number") from None
        if not math.isfinite(score):
            raise EvaluationFileError(f"{path}: line {line_no}: score must be finite")
        pairs.append((line_no, fields[0], fields[1], score))
    if not pairs:
        raise EvaluationFileError(f"{path}: no word pairs found")
    return pairs


def _gensim_unit(vec: np.ndarray) -> np.ndarray:
    """Unit vector computed exactly as gensim's matutils.unitvec does (float64 BLAS nrm2 and scal)."""
    vec = np.asarray(vec, dtype=np.float32)
    wide = vec.astype(np.float64)
    length = blas.dnrm2(wide)
    if length > 0.0:
        return blas.dscal(1.0 / length, wide).astype(np.float32)
    return vec.copy()


def evaluate_word_pairs(
    kv: KeyedVectors,
    path: str | os.PathLike,
    restrict_vocab: int | None = 300000,
    case_insensitive: bool = True,
    delimiter: str = "\t",
    unseen: bool = False,
    dummy4unknown: bool = False,
) -> PairsResult:
    """Spearman and Pearson correlation between cosine similarity and human scores.

    With fewer than two usable pairs (or constant scores) the correlations are NaN. `unseen=True`
    (subword models) also scores pairs with a word outside the vocabulary, by the vector its
    n-grams give (the word as the file spells it); such a word without any known n-gram is still
    skipped. Plain models have no such vectors, so the option changes nothing for them.
    `dummy4unknown=True` scores a pair it cannot compare 0 (still counted in `skipped`), as gensim.
    """
    pairs = read_word_pairs(path, delimiter)
    ok, _ = _ok_vocab(kv, restrict_vocab, case_insensitive)
    fold = str.upper if case_insensitive else (lambda w: w)
    gold: list[float] = []
    model: list[np.float32] = []
    skipped = 0

    def vector(word: str):
        if fold(word) in ok:
            return kv.vectors[ok[fold(word)]]
        if unseen and word not in kv.key_to_index and kv._has_vector(word):  # restrict_vocab still holds
            return kv.get_vector(word)
        return None

    for _, w1, w2, score in pairs:
        a, b = vector(w1), vector(w2)
        if a is None or b is None:
            skipped += 1
            if dummy4unknown:
                gold.append(score)
                model.append(np.float32(0.0))
            continue
        v1 = _gensim_unit(a)
        v2 = _gensim_unit(b)
        gold.append(score)
        model.append(np.dot(v1, v2))
    if len(gold) < 2 or len(set(gold)) < 2 or len(set(model)) < 2:
        # too few (or constant) judgements: correlations are undefined, report NaN rather than fail
        nan = (math.nan, math.nan)
        spearman = pearson = nan
    else:
        spearman = stats.spearmanr(gold, model)
        pearson = stats.pearsonr(gold, model)
    return PairsResult(
        spearman=float(spearman[0]),
        pearson=float(pearson[0]),
        pairs=len(gold),
        skipped=skipped,
        spearman_pvalue=float(spearman[1]),
        pearson_pvalue=float(pearson[1]),
        spearman_result=spearman,
        pearson_result=pearson,
    )
