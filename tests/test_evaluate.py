"""Analogy and word-pair evaluation: hand-checked cases, per-question oracles, and equality with gensim."""

from __future__ import annotations

import time
from pathlib import Path

import gensim.models as gensim_models
import numpy as np
import pytest
from scipy import stats

from wordvec import api
from wordvec.errors import WordvecError
from wordvec.evaluate import EvaluationFileError, evaluate_analogies, evaluate_word_pairs
from wordvec.vectors import KeyedVectors

gensim_quiet = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def to_gensim(kv: KeyedVectors):
    theirs = gensim_models.KeyedVectors(kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    return theirs


def assert_same_as_gensim_analogies(kv: KeyedVectors, path, **options) -> dict:
    ours = evaluate_analogies(kv, path, **options).to_dict()
    score, sections = to_gensim(kv).evaluate_word_analogies(str(path), **options)
    total = sections[-1]
    assert total["section"] == "Total accuracy"
    assert ours["correct"] == len(total["correct"])
    assert ours["total"] == len(total["correct"]) + len(total["incorrect"])
    assert ours["accuracy"] == pytest.approx(score, rel=1e-12)  # correct / total: the counts above decide it
    assert [s["section"] for s in ours["sections"]] == [s["section"] for s in sections[:-1]]
    for mine, theirs in zip(ours["sections"], sections[:-1]):
        their_total = len(theirs["correct"]) + len(theirs["incorrect"])
        assert (mine["correct"], mine["total"]) == (len(theirs["correct"]), their_total)
    return ours


def assert_same_as_gensim_pairs(kv: KeyedVectors, path, **options) -> dict:
    ours = evaluate_word_pairs(kv, path, **options).to_dict()
    pearson, spearman, oov_ratio = to_gensim(kv).evaluate_word_pairs(str(path), **options)
    # float32 similarities computed by two libraries: equal up to rounding, not bit for bit
    assert ours["pearson"] == pytest.approx(float(pearson[0]), rel=1e-6, abs=1e-7)
    assert ours["spearman"] == pytest.approx(float(spearman[0]), rel=1e-6, abs=1e-7)
    assert 100.0 * ours["skipped"] / (ours["pairs"] + ours["skipped"]) == pytest.approx(oov_ratio)
    return ours


def planted_kv(words_in_order, questions, dim=32, seed=0, noise=0.8, extra=()):
    """Vectors where, per section, b ~ a + offset and d ~ c + offset: analogies partly solvable."""
    rng = np.random.default_rng(seed)
    vectors: dict[str, np.ndarray] = {}
    for section, rows in questions:
        offset = rng.standard_normal(dim) * 2
        for a, b, c, d in rows:
            for x, y in ((a, b), (c, d)):
                vectors.setdefault(x, rng.standard_normal(dim))
                vectors.setdefault(y, vectors[x] + offset + rng.standard_normal(dim) * noise)
    words = list(dict.fromkeys(list(words_in_order) + list(vectors) + list(extra)))
    matrix = np.array([vectors[w] if w in vectors else rng.standard_normal(dim) for w in words], dtype=np.float32)
    return KeyedVectors(matrix, words)


def read_questions(path) -> list[tuple[str, list[tuple[str, ...]]]]:
    sections = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            sections.append((line[2:].strip(), []))
        elif line.strip():
            sections[-1][1].append(tuple(line.split()))
    return sections


# -- small hand-made cases ----------------------------------------------------------------------


def test_known_answers_and_result_shape(tmp_path):
    kv = KeyedVectors(
        np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [0.9, 0.1, 0.9], [5, 5, 5]], dtype=np.float32),
        ["man", "king", "woman", "queen", "other", "rare"],
    )
    path = tmp_path / "q.txt"
    path.write_text(": royals\nman king woman queen\nMAN KING WOMAN QUEEN\nman king woman other\n"
                    ": unknown\nman king woman empress\n: empty\n")
    result = evaluate_analogies(kv, path)
    assert result.to_dict() == {
        "accuracy": 2 / 3,
        "correct": 2,
        "total": 3,
        "skipped": 1,
        "sections": [
            {"section": "royals", "accuracy": 2 / 3, "correct": 2, "total": 3},
            {"section": "unknown", "accuracy": 0.0, "correct": 0, "total": 0},
            {"section": "empty", "accuracy": 0.0, "correct": 0, "total": 0},
        ],
    }
    strict = evaluate_analogies(kv, path, case_insensitive=False)
    assert (strict.correct, strict.total, strict.skipped) == (1, 2, 2)
    restricted = evaluate_analogies(kv, path, restrict_vocab=3)  # 'queen' and 'other' fall outside
    assert (restricted.correct, restricted.total, restricted.skipped) == (0, 0, 4)


def test_word_pairs_against_scipy(tmp_path):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    kv = KeyedVectors(rng.standard_normal((30, 8)).astype(np.float32), words)
    lines = ["# comment", "# word1\tword2\tscore"]
    gold, model = [], []
    for i in range(20):
        a, b, score = words[i], words[(i * 7 + 3) % 30], float(rng.uniform(0, 10))
        lines.append(f"{a.upper() if i % 3 == 0 else a}\t{b}\t{score:.2f}")
        gold.append(round(score, 2))
        model.append(kv.similarity(a, b))
    lines += ["unknown\tw1\t3.0", "w1\tnope\t1.0", ""]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines))
    result = evaluate_word_pairs(kv, path)
    assert result.to_dict().keys() == {"spearman", "pearson", "pairs", "skipped"}
    assert (result.pairs, result.skipped) == (20, 2)
    assert result.spearman == pytest.approx(stats.spearmanr(gold, model)[0], rel=1e-6)
    assert result.pearson == pytest.approx(stats.pearsonr(gold, model)[0], rel=1e-6)
    strict = evaluate_word_pairs(kv, path, case_insensitive=False)
    assert (strict.pairs, strict.skipped) == (13, 9)


def test_mul_method_equals_per_question_cosmul(tmp_path):
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(80)]
    kv = KeyedVectors(rng.standard_normal((80, 12)).astype(np.float32), words)
    questions = [tuple(rng.choice(words, 4, replace=False)) for _ in range(60)]
    path = tmp_path / "q.txt"
    path.write_text(": s\n" + "\n".join(" ".join(q) for q in questions) + "\n")
    expected = sum(kv.analogy(a, b, c, method="mul")[0][0] == d for a, b, c, d in questions)
    result = evaluate_analogies(kv, path, method="mul", case_insensitive=False)
    assert (result.correct, result.total) == (expected, 60)
    expected_add = sum(kv.analogy(a, b, c)[0][0] == d for a, b, c, d in questions)
    assert evaluate_analogies(kv, path, case_insensitive=False).correct == expected_add


@pytest.mark.parametrize(
    "content, message",
    [
        ("man king woman queen\n", "line 1: question before the first ': section'"),
        (": s\nman king woman\n", "line 2: expected 4 words"),
        (": s\na b c d\n\n: t\na b c d e\n", "line 5: expected 4 words"),
        (": s\n", "no analogy questions"),
    ],
)
def test_malformed_analogy_files(tmp_path, content, message):
    path = tmp_path / "q.txt"
    path.write_text(content)
    kv = KeyedVectors(np.eye(4, dtype=np.float32), ["a", "b", "c", "d"])
    with pytest.raises(EvaluationFileError, match=message):
        evaluate_analogies(kv, path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("a\tb\t1\na\tb\n", "line 2: expected"),
        ("# c\na\tb\tmuch\n", "line 2: score 'much' is not a number"),
        ("a\tb\tnan\n", "line 1: score must be finite"),
        ("# only comments\n", "no word pairs"),
        (b"a\tb\t1\n\xffc\td\t2\n", "line 2: invalid UTF-8"),
    ],
)
def test_malformed_pair_files(tmp_path, content, message):
    path = tmp_path / "p.tsv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    kv = KeyedVectors(np.eye(4, dtype=np.float32), ["a", "b", "c", "d"])
    with pytest.raises(EvaluationFileError, match=message) as info:
        evaluate_word_pairs(kv, path)
    assert isinstance(info.value, WordvecError)


def test_too_few_known_pairs_give_nan_not_an_error(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("a\tzz\t1\nb\tyy\t2\na\tb\t3\n")
    kv = KeyedVectors(np.eye(4, dtype=np.float32), ["a", "b", "c", "d"])
    result = evaluate_word_pairs(kv, path)
    assert (result.pairs, result.skipped) == (1, 2)
    assert np.isnan(result.spearman) and np.isnan(result.pearson)


def test_missing_files(tmp_path):
    kv = KeyedVectors(np.eye(2, dtype=np.float32), ["a", "b"])
    with pytest.raises(EvaluationFileError, match="no such file"):
        evaluate_analogies(kv, tmp_path / "nope.txt")
    with pytest.raises(EvaluationFileError, match="no such file"):
        evaluate_word_pairs(kv, tmp_path / "nope.tsv")


# -- equality with gensim ---------------------------------------------------------------------------


@gensim_quiet
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_case_variants_and_restrict_vocab_equal_gensim(tmp_path):
    """Lower-case variants sit right next to the query words, forcing the 'skip a, b, c' scan."""
    rng = np.random.default_rng(3)
    base = [f"W{i}" for i in range(60)]
    questions = [tuple(rng.choice(base, 4, replace=False)) for _ in range(150)]
    words, rows = [], []
    for i, word in enumerate(base):
        vector = rng.standard_normal(16)
        words.append(word)
        rows.append(vector)
        if i % 2 == 0:  # a variant nearly identical to the word, ranked after it
            words.append(word.lower())
            rows.append(vector + rng.standard_normal(16) * 0.05)
    rows[5] = rows[17] = np.zeros(16)  # zero vectors: gensim gets NaN scores for them, we never rank them
    kv = KeyedVectors(np.array(rows, dtype=np.float32), words)
    path = tmp_path / "q.txt"
    path.write_text(": first\n" + "\n".join(" ".join(q) for q in questions[:70]) + "\n: second\n"
                    + "\n".join(" ".join(q).lower() for q in questions[70:]) + "\n")
    ours = assert_same_as_gensim_analogies(kv, path)
    assert ours["total"] == 150
    assert_same_as_gensim_analogies(kv, path, restrict_vocab=50)
    assert_same_as_gensim_analogies(kv, path, case_insensitive=False)


@gensim_quiet
def test_real_eval_files_equal_gensim(analogies_file, wordsim_file):
    questions = read_questions(analogies_file)
    pair_words = [w for line in wordsim_file.read_text().splitlines() if not line.startswith("#")
                  for w in line.split("\t")[:2]]
    # lower-case variants after the originals, plus distractors: a realistic, partly solvable vocabulary
    question_words = [w for _, rows in questions for q in rows for w in q]
    extra = [w.lower() for w in dict.fromkeys(question_words)][::3]
    kv = planted_kv(pair_words, questions, dim=24, extra=extra)
    assert 1000 < len(kv) < 3000
    ours = assert_same_as_gensim_analogies(kv, analogies_file)
    assert ours["total"] + ours["skipped"] == 19544
    assert 0.05 < ours["accuracy"] < 0.95
    restricted = assert_same_as_gensim_analogies(kv, analogies_file, restrict_vocab=600)
    assert restricted["skipped"] > ours["skipped"]
    pairs = assert_same_as_gensim_pairs(kv, wordsim_file)
    assert pairs["pairs"] == 353 and pairs["skipped"] == 0
    pairs = assert_same_as_gensim_pairs(kv, wordsim_file, restrict_vocab=150)
    assert pairs["skipped"] > 0


def test_all_google_questions_fast_on_10k_vocabulary(analogies_file):
    rng = np.random.default_rng(4)
    question_words = dict.fromkeys(w for line in analogies_file.read_text().splitlines()
                                   if not line.startswith(":") for w in line.split())
    words = list(question_words) + [f"filler{i}" for i in range(10000 - len(question_words))]
    kv = KeyedVectors(rng.standard_normal((10000, 100)).astype(np.float32), words)
    kv.fill_norms()
    start = time.perf_counter()
    result = evaluate_analogies(kv, analogies_file)
    elapsed = time.perf_counter() - start
    assert (result.total, result.skipped) == (19544, 0)
    assert elapsed < 10.0, f"{elapsed:.1f}s for 19,544 questions"  # ~0.5 s on one core; a loop takes ~30 s


@pytest.mark.slow
@gensim_quiet
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_ptb_ppmi_vectors_equal_gensim_and_round_trip(data_dir, analogies_file, wordsim_file, tmp_path,
                                                       monkeypatch):
    """End to end on real data: PPMI/SVD vectors of PTB, evaluated by us and by gensim (~30 s)."""
    monkeypatch.setenv("WORDVEC_DATA", str(data_dir))
    kv = api.train("ptb", model="ppmi", dim=100)
    ours = assert_same_as_gensim_analogies(kv, analogies_file)
    assert ours["total"] > 3000 and ours["correct"] > 0
    pairs = assert_same_as_gensim_pairs(kv, wordsim_file)
    assert pairs["spearman"] > 0.1  # real vectors agree with human judgements somewhat
    kv.save(tmp_path / "ptb.bin")
    again = KeyedVectors.load(tmp_path / "ptb.bin")
    assert evaluate_analogies(again, analogies_file).to_dict() == ours  # every float32 bit kept: same figures
