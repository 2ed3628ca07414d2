"""KeyedVectors: access, caching, and queries checked against a float64 oracle and against gensim."""

from __future__ import annotations

import gensim.models as gensim_models
import numpy as np
import pytest

from wordvec.errors import UnknownWordError
from wordvec.vectors import KeyedVectors

from gradcheck import assert_neighbours_match


def random_kv(n_words: int = 300, dim: int = 16, seed: int = 0) -> KeyedVectors:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n_words, dim)).astype(np.float32)
    return KeyedVectors(vectors, [f"w{i}" for i in range(n_words)], counts=np.arange(n_words, 0, -1))


def oracle_most_similar(vectors, positive_rows, negative_rows, topn, clip=None):
    """Float64 reimplementation: mean of unit vectors, cosine, query rows left out.
    Returns (rows of the topn best, scores of all rows)."""
    vectors = vectors.astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    query = unit[positive_rows].sum(0) - unit[negative_rows].sum(0)
    query /= np.linalg.norm(query)
    scores = unit[:clip] @ query
    order = [int(i) for i in np.argsort(-scores) if i not in set(positive_rows) | set(negative_rows)]
    return order[:topn], scores


# -- construction and access --------------------------------------------------------------------


def test_construction_validates_shapes_and_duplicates():
    with pytest.raises(ValueError, match="duplicate word 'a'"):
        KeyedVectors(np.zeros((2, 3)), ["a", "a"])
    with pytest.raises(ValueError, match="3 vectors but 2 words"):
        KeyedVectors(np.zeros((3, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="2-D"):
        KeyedVectors(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="counts"):
        KeyedVectors(np.zeros((2, 3)), ["a", "b"], counts=[1, 2, 3])


def test_vectors_are_float32_and_lookup_works():
    kv = KeyedVectors(np.arange(6, dtype=np.float64).reshape(3, 2), ["x", "y", "z"], metadata={"k": 1})
    assert kv.vectors.dtype == np.float32 and kv.vector_size == 2 and len(kv) == 3
    assert "y" in kv and "q" not in kv and 5 not in kv
    assert kv.get_index("z") == 2 and kv.key_to_index == {"x": 0, "y": 1, "z": 2}
    np.testing.assert_array_equal(kv["y"], [2.0, 3.0])
    np.testing.assert_array_equal(kv[["z", "x"]], [[4.0, 5.0], [0.0, 1.0]])
    assert list(kv) == ["x", "y", "z"] and kv.metadata == {"k": 1} and kv.counts is None


def test_unknown_words_are_all_named():
    kv = random_kv(10)
    with pytest.raises(UnknownWordError) as info:
        kv[["w1", "nope", "w2", "gone"]]
    assert info.value.words == ["nope", "gone"]
    assert "nope" in str(info.value) and "gone" in str(info.value)
    with pytest.raises(UnknownWordError) as info:
        kv.most_similar(["w1", "zzz"], ["yyy"])
    assert info.value.words == ["zzz", "yyy"]
    with pytest.raises(KeyError):  # UnknownWordError is a KeyError, like a dict miss
        kv.get_vector("nope")
    with pytest.raises(UnknownWordError):
        kv.analogy("w1", "w2", "missing")


def test_normed_vectors_cached_and_invalidated_on_replacement():
    kv = random_kv(20, 4)
    normed = kv.get_normed_vectors()
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, rtol=1e-6)
    assert kv.get_normed_vectors() is normed  # cached
    np.testing.assert_allclose(kv.get_vector("w3", norm=True), kv["w3"] / np.linalg.norm(kv["w3"]), rtol=1e-6)
    kv.vectors = kv.vectors * 0 + np.eye(20, 4, dtype=np.float32) * 5
    assert kv.get_normed_vectors() is not normed
    np.testing.assert_array_equal(kv.get_vector("w1", norm=True), [0, 1, 0, 0])
    with pytest.raises(ValueError):
        kv.vectors = np.zeros((3, 4))


def test_zero_vector_gives_zero_similarity_not_nan():
    vectors = np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float32)
    kv = KeyedVectors(vectors, ["zero", "x", "y"])
    assert kv.similarity("zero", "x") == 0.0
    assert kv.most_similar("x", topn=2) == [("y", 0.0)]  # a zero vector has no direction: never a neighbour
    assert kv.analogy_batch([("x", "y", "y")], topn=3) == [[]]
    assert np.isfinite(kv.most_similar("x", topn=None)).all()


# -- queries against the oracle -------------------------------------------------------------------


def oracle_neighbours(kv, rows, scores):
    """The oracle's answer as (word, score) pairs."""
    return [(kv.index_to_key[i], float(scores[i])) for i in rows]


def test_most_similar_matches_float64_oracle_and_excludes_queries():
    kv = random_kv(400, 24, seed=3)
    for pos, neg in [([5], []), ([1, 2], [3]), ([7, 8, 9], [10, 11])]:
        result = kv.most_similar([f"w{i}" for i in pos], [f"w{i}" for i in neg], topn=7)
        expected, scores = oracle_most_similar(kv.vectors, pos, neg, 7)
        assert_neighbours_match(result, oracle_neighbours(kv, expected, scores))
        assert not {f"w{i}" for i in pos + neg} & {w for w, _ in result}


def test_most_similar_restrict_vocab_and_full_array():
    kv = random_kv(200, 8, seed=4)
    result = kv.most_similar("w150", topn=5, restrict_vocab=50)
    expected, oracle_scores = oracle_most_similar(kv.vectors, [150], [], 5, clip=50)
    assert_neighbours_match(result, oracle_neighbours(kv, expected, oracle_scores))
    assert all(kv.get_index(w) < 50 for w, _ in result)
    scores = kv.most_similar("w0", topn=None)
    assert scores.shape == (200,)
    assert scores[0] == pytest.approx(1.0, abs=1e-6)
    assert kv.most_similar("w0", topn=0) == []


def test_most_similar_accepts_raw_vectors_and_weights():
    kv = random_kv(100, 8, seed=5)
    # a vector scaled by 3, the plain vector and the word itself are three computations of one
    # query: same words, scores equal up to float32 rounding (never compared bit for bit)
    by_vector = kv.most_similar(positive=[kv["w4"] * 3.0], topn=3)
    assert by_vector[0][0] == "w4"  # a raw vector is not excluded
    assert by_vector[0][1] == pytest.approx(1.0, abs=1e-6)
    assert_neighbours_match(kv.similar_by_vector(kv["w4"], topn=3), by_vector)
    assert_neighbours_match(kv.most_similar("w4", topn=2), by_vector[1:])
    doubled = kv.most_similar(positive=[("w1", 2.0), ("w2", 2.0)], topn=5)
    plain = kv.most_similar(positive=["w1", "w2"], topn=5)
    assert_neighbours_match(doubled, plain)
    halved = kv.most_similar(positive=[("w1", 1.0), ("w2", 0.25)], topn=5)  # weights do matter
    assert [w for w, _ in halved] != [w for w, _ in plain] or not np.allclose(
        [s for _, s in halved], [s for _, s in plain], rtol=1e-5)


def test_batch_queries_equal_single_queries():
    kv = random_kv(500, 16, seed=6)
    rng = np.random.default_rng(0)
    triples = [tuple(f"w{i}" for i in rng.choice(500, 3, replace=False)) for _ in range(40)]
    batch = kv.most_similar_batch([[b, c] for a, b, c in triples], [[a] for a, b, c in triples], topn=4)
    analogies = kv.analogy_batch(triples, topn=4)
    for (a, b, c), got, got_analogy in zip(triples, batch, analogies):
        single = kv.most_similar([b, c], [a], topn=4)
        assert_neighbours_match(got, single)
        assert_neighbours_match(got_analogy, single)
    mul = kv.analogy_batch(triples[:10], topn=3, method="mul")
    for (a, b, c), got in zip(triples[:10], mul):
        assert_neighbours_match(got, kv.analogy(a, b, c, topn=3, method="mul"))


def test_analogy_finds_planted_relation():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((50, 32)).astype(np.float32)
    offset = rng.standard_normal(32).astype(np.float32) * 3
    words = [f"x{i}" for i in range(50)] + [f"y{i}" for i in range(50)]
    kv = KeyedVectors(np.vstack([base, base + offset]), words)
    assert kv.analogy("x1", "y1", "x2")[0][0] == "y2"
    assert kv.analogy("x1", "y1", "x2", method="mul")[0][0] == "y2"
    assert kv.analogy("y3", "x3", "y9", topn=2)[0][0] == "x9"
    with pytest.raises(ValueError, match="method"):
        kv.analogy("x1", "y1", "x2", method="cube")


def test_cosmul_matches_definition():
    kv = random_kv(120, 10, seed=8)
    unit = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)

    def shifted(word):
        return (1 + unit @ unit[kv.get_index(word)]) / 2

    expected = shifted("w1") * shifted("w2") / (shifted("w3") + 1e-6)
    expected[[1, 2, 3]] = -np.inf
    result = kv.most_similar_cosmul(["w1", "w2"], ["w3"], topn=5)
    assert_neighbours_match(result, oracle_neighbours(kv, np.argsort(-expected)[:5], expected))


def test_similarity_distance_n_similarity_doesnt_match():
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [1, 0.05, 0.0], [0, 0, 1]], dtype=np.float32)
    kv = KeyedVectors(vectors, ["cat", "dog", "lion", "car"])
    expected = 0.9 / np.linalg.norm([0.9, 0.1])
    assert kv.similarity("cat", "dog") == pytest.approx(expected, rel=1e-6)
    assert kv.distance("cat", "dog") == pytest.approx(1 - expected, rel=1e-5)
    assert kv.doesnt_match(["cat", "dog", "car", "lion"]) == "car"
    assert kv.n_similarity(["cat"], ["dog"]) == pytest.approx(expected, rel=1e-6)
    assert kv.n_similarity(["cat", "dog"], ["car"]) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError):
        kv.n_similarity([], ["cat"])


# -- gensim as oracle ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's cosmul calls its own deprecated init_sims
def test_queries_equal_gensim():
    kv = random_kv(300, 20, seed=9)
    theirs = gensim_models.KeyedVectors(20)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    for pos, neg in [(["w1"], []), (["w1", "w2"], ["w3"]), (["w10", "w20", "w30"], ["w40"])]:
        assert_neighbours_match(kv.most_similar(pos, neg, topn=8), theirs.most_similar(pos, neg, topn=8))
        assert_neighbours_match(kv.most_similar_cosmul(pos, neg, topn=8),
                                theirs.most_similar_cosmul(pos, neg, topn=8))
    assert_neighbours_match(kv.most_similar("w5", topn=5, restrict_vocab=100),
                            theirs.most_similar("w5", topn=5, restrict_vocab=100))
    assert kv.similarity("w1", "w2") == pytest.approx(float(theirs.similarity("w1", "w2")), rel=1e-5, abs=1e-6)
    assert kv.doesnt_match(["w1", "w2", "w3", "w4"]) == theirs.doesnt_match(["w1", "w2", "w3", "w4"])
    assert kv.n_similarity(["w1", "w2"], ["w3"]) == pytest.approx(
        float(theirs.n_similarity(["w1", "w2"], ["w3"])), rel=1e-5
    )


def test_batches_split_into_blocks_give_the_same_answers(monkeypatch):
    import wordvec.vectors as vectors_module

    kv = random_kv(300, 8, seed=10)
    rng = np.random.default_rng(1)
    triples = [tuple(f"w{i}" for i in rng.choice(300, 3, replace=False)) for _ in range(50)]
    whole = kv.analogy_batch(triples, topn=3), kv.analogy_batch(triples, topn=2, method="mul")
    positives = [[b, c] for _, b, c in triples]
    whole_similar = kv.most_similar_batch(positives, topn=4)
    monkeypatch.setattr(vectors_module, "_BLOCK_CELLS", 7 * 300)  # blocks of a few queries
    assert vectors_module._block_rows(300) == 7
    blocked = kv.analogy_batch(triples, topn=3), kv.analogy_batch(triples, topn=2, method="mul")
    blocked_similar = kv.most_similar_batch(positives, topn=4)
    # same words; scores equal up to BLAS summation order, which may depend on the block shape
    for ours, reference in zip([*blocked[0], *blocked[1], *blocked_similar], [*whole[0], *whole[1], *whole_similar]):
        assert_neighbours_match(ours, reference)
