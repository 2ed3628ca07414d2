"""PPMI/SVD engine: counts against a brute-force count, PPMI against the dense formula, SVD against
numpy, the book's toy corpus, and real neighbours on PTB."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from wordvec import count
from wordvec.config import TrainConfig
from wordvec.corpus import EncodedCorpus, Vocabulary, book_corpus, load_corpus
from wordvec.count import cooccurrence, embed, ppmi, truncated_svd
from wordvec.errors import TrainingError
from wordvec.vectors import KeyedVectors

TOY = "you say goodbye and i say hello ."


def toy_ids() -> tuple[np.ndarray, list[str]]:
    """The book's preprocess(): first-seen ids."""
    word_to_id: dict[str, int] = {}
    ids = [word_to_id.setdefault(w, len(word_to_id)) for w in TOY.split()]
    return np.array(ids, dtype=np.int32), list(word_to_id)


def brute_force_counts(ids, offsets, V, window, harmonic=False) -> np.ndarray:
    """Dense counts with the book's double loop, sentence by sentence."""
    C = np.zeros((V, V))
    for s in range(len(offsets) - 1):
        sentence = ids[offsets[s] : offsets[s + 1]]
        for i, w in enumerate(sentence):
            for d in range(1, window + 1):
                weight = 1.0 / d if harmonic else 1.0
                if i - d >= 0:
                    C[w, sentence[i - d]] += weight
                if i + d < len(sentence):
                    C[w, sentence[i + d]] += weight
    return C


def random_corpus(rng, n_tokens, V, n_breaks):
    ids = rng.integers(0, V, n_tokens).astype(np.int32)
    cuts = np.sort(rng.integers(0, n_tokens + 1, n_breaks))  # may give empty sentences
    offsets = np.concatenate([[0], cuts, [n_tokens]]).astype(np.int64)
    return ids, offsets


def book_ppmi(C: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """The book's ppmi(C) (common/util.py), vectorised but the same formula."""
    N = C.sum()
    S = C.sum(axis=0)
    with np.errstate(divide="ignore"):
        pmi = np.log2(C * N / (S[None, :] * S[:, None]) + eps)
    return np.maximum(0, pmi)


def smoothed_ppmi(C: np.ndarray, alpha: float) -> np.ndarray:
    ctx = C.sum(axis=0) ** alpha
    row = C.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log2(C * ctx.sum() / (row[:, None] * ctx[None, :]))
    pmi[C == 0] = 0
    return np.maximum(0, pmi)


# ------------------------------------------------------------------------------------ counting


def test_toy_corpus_gives_the_books_matrix():
    ids, words = toy_ids()
    C = cooccurrence(ids, len(words), window=1).toarray()
    expected = np.array(  # the book's create_co_matrix(corpus, 7, window_size=1)
        [
            [0, 1, 0, 0, 0, 0, 0],
            [1, 0, 1, 0, 1, 1, 0],
            [0, 1, 0, 1, 0, 0, 0],
            [0, 0, 1, 0, 1, 0, 0],
            [0, 1, 0, 1, 0, 0, 0],
            [0, 1, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 1, 0],
        ]
    )
    np.testing.assert_array_equal(C, expected)


@pytest.mark.parametrize("window", [1, 2, 3, 5])
@pytest.mark.parametrize("harmonic", [False, True])
def test_counts_match_brute_force_with_sentence_bounds(window, harmonic):
    rng = np.random.default_rng(window + 10 * harmonic)
    for trial in range(4):
        V = int(rng.integers(2, 30))
        ids, offsets = random_corpus(rng, int(rng.integers(0, 300)), V, int(rng.integers(0, 20)))
        got = cooccurrence(ids, V, window, offsets=offsets, weighting="harmonic" if harmonic else "uniform")
        assert sp.issparse(got) and got.shape == (V, V)
        expected = brute_force_counts(ids, offsets, V, window, harmonic)
        np.testing.assert_allclose(got.toarray(), expected, rtol=1e-12, atol=1e-12)


def test_windows_do_not_cross_sentences():
    ids = np.array([0, 1, 2, 3], dtype=np.int32)
    C = cooccurrence(ids, 4, window=3, offsets=np.array([0, 2, 4])).toarray()
    assert C[1, 2] == 0 and C[0, 3] == 0
    assert C[0, 1] == 1 and C[2, 3] == 1
    one_sentence = cooccurrence(ids, 4, window=3).toarray()
    assert one_sentence[1, 2] == 1 and one_sentence[0, 3] == 1


def test_chunked_accumulation_equals_one_pass(monkeypatch):
    rng = np.random.default_rng(7)
    ids, offsets = random_corpus(rng, 5000, 50, 200)
    whole = cooccurrence(ids, 50, 4, offsets=offsets)
    monkeypatch.setattr(count, "_CHUNK_PAIRS", 37)  # many tiny chunks, boundaries mid-sentence
    chunked = cooccurrence(ids, 50, 4, offsets=offsets)
    np.testing.assert_array_equal(whole.toarray(), chunked.toarray())


def test_huge_vocabulary_never_goes_dense():
    V = 5_000_000  # a dense V x V float64 matrix would need 200 TB
    rng = np.random.default_rng(0)
    ids = rng.integers(0, V, 20_000).astype(np.int32)
    C = cooccurrence(ids, V, window=2)
    assert C.shape == (V, V)
    assert C.sum() == pytest.approx(2 * (2 * 20_000 - 3))
    M = ppmi(C)
    assert M.shape == (V, V) and M.nnz <= C.nnz


def test_count_input_errors():
    ids = np.array([0, 1, 2], dtype=np.int32)
    with pytest.raises(ValueError, match="window"):
        cooccurrence(ids, 3, 0)
    with pytest.raises(ValueError, match="ids must lie"):
        cooccurrence(ids, 2, 1)
    with pytest.raises(ValueError, match="offsets"):
        cooccurrence(ids, 3, 1, offsets=np.array([0, 2]))
    with pytest.raises(ValueError, match="weighting"):
        cooccurrence(ids, 3, 1, weighting="gaussian")


# ---------------------------------------------------------------------------------------- PPMI


def test_toy_ppmi_matches_the_book():
    ids, words = toy_ids()
    C = cooccurrence(ids, len(words), window=1)
    M = ppmi(C, context_smoothing=1.0).toarray()
    np.testing.assert_allclose(M, book_ppmi(C.toarray()), atol=1e-6)
    # values printed in the book (3 decimals)
    assert M[0, 1] == pytest.approx(1.807, abs=1e-3)
    assert M[1, 2] == pytest.approx(0.807, abs=1e-3)
    assert M[5, 6] == pytest.approx(2.807, abs=1e-3)


@pytest.mark.parametrize("alpha", [1.0, 0.75, 0.5])
def test_ppmi_matches_dense_formula(alpha):
    rng = np.random.default_rng(int(alpha * 100))
    for shape in [(12, 12), (9, 15)]:
        dense = rng.poisson(0.7, shape).astype(float) * (rng.random(shape) < 0.5)
        dense[0, :] = 0  # an empty row must stay empty, not produce NaN
        M = ppmi(sp.csr_matrix(dense), context_smoothing=alpha)
        assert M.dtype == np.float32 and np.all(M.data > 0)
        np.testing.assert_allclose(M.toarray(), smoothed_ppmi(dense, alpha), rtol=1e-5, atol=1e-6)
        if alpha == 1.0 and shape[0] == shape[1]:
            sym = dense + dense.T
            np.testing.assert_allclose(ppmi(sym, context_smoothing=1.0).toarray(), book_ppmi(sym), atol=1e-5)


def test_ppmi_in_small_row_blocks_and_input_untouched(monkeypatch):
    rng = np.random.default_rng(21)
    dense = rng.poisson(0.5, (50, 40)).astype(float)
    dense[:3] = 0  # leading empty rows
    C = sp.coo_matrix(dense)
    C = sp.csr_matrix((np.append(C.data, 0.0), (np.append(C.row, 5), np.append(C.col, 7))), shape=dense.shape)
    before = (C.data.copy(), C.indices.copy(), C.indptr.copy())
    whole = ppmi(C, 0.75).toarray()
    monkeypatch.setattr(count, "_PPMI_BLOCK", 7)
    blocked = ppmi(C, 0.75)
    # log2 over slices of other lengths may take other SIMD paths: equal up to rounding
    np.testing.assert_allclose(blocked.toarray(), whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(whole, smoothed_ppmi(dense, 0.75), rtol=1e-5, atol=1e-6)
    for got, want in zip((C.data, C.indices, C.indptr), before):
        np.testing.assert_array_equal(got, want)


def test_shifted_ppmi_drops_and_lowers():
    rng = np.random.default_rng(3)
    dense = rng.poisson(1.0, (20, 20)).astype(float)
    plain = ppmi(dense, 1.0).toarray()
    shifted = ppmi(dense, 1.0, shift=1.0).toarray()
    np.testing.assert_allclose(shifted, np.maximum(plain - 1.0, 0), atol=1e-5)


def test_ppmi_input_errors():
    with pytest.raises(ValueError, match="context_smoothing"):
        ppmi(np.eye(3), context_smoothing=0)
    with pytest.raises(ValueError, match="non-negative"):
        ppmi(-np.eye(3))


# ----------------------------------------------------------------------------------------- SVD


def low_rank_plus_noise(rng, m, n, rank=8):
    decay = 0.6 ** np.arange(rank)
    A = (rng.standard_normal((m, rank)) * decay) @ rng.standard_normal((rank, n))
    return A + 1e-3 * rng.standard_normal((m, n))


@pytest.mark.parametrize("method", ["randomized", "arpack", "dense"])
def test_svd_matches_numpy(method):
    rng = np.random.default_rng(11)
    A = low_rank_plus_noise(rng, 80, 60)
    k = 5
    U, S, Vt = truncated_svd(sp.csr_matrix(A), k, method=method, seed=2)
    U0, S0, Vt0 = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(S, S0[:k], rtol=1e-8)
    assert np.all(np.diff(S) <= 0)
    # same subspaces: projectors agree
    np.testing.assert_allclose(U @ U.T, U0[:, :k] @ U0[:, :k].T, atol=1e-6)
    np.testing.assert_allclose(Vt.T @ Vt, Vt0[:k].T @ Vt0[:k], atol=1e-6)
    np.testing.assert_allclose((U * S) @ Vt, (U0[:, :k] * S0[:k]) @ Vt0[:k], atol=1e-6)
    # sign convention: each left vector's largest entry is positive, so methods agree vector by vector
    assert np.all(U[np.abs(U).argmax(axis=0), np.arange(k)] > 0)


def test_randomized_svd_of_rank_deficient_matrix():
    """Sketch wider than the rank: the fast Cholesky orthonormalisation must fall back safely."""
    rng = np.random.default_rng(8)
    A = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    U, S, Vt = truncated_svd(sp.csr_matrix(A), 3, method="randomized", oversamples=10)
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False)[:3], rtol=1e-9)
    np.testing.assert_allclose((U * S) @ Vt, A, atol=1e-9)
    np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-10)


def test_randomized_svd_on_ppmi_spectrum_and_seed():
    rng = np.random.default_rng(5)
    ids, offsets = random_corpus(rng, 20_000, 300, 500)
    ids = (ids * ids) % 300  # a skewed, structured distribution
    M = ppmi(cooccurrence(ids, 300, 2, offsets=offsets), 0.75)
    S0 = np.linalg.svd(M.toarray().astype(np.float64), compute_uv=False)[:10]
    _, S, _ = truncated_svd(M, 10, method="randomized", seed=1)
    np.testing.assert_allclose(S, S0, rtol=1e-3)
    _, S, _ = truncated_svd(M, 10, method="arpack", seed=1)
    np.testing.assert_allclose(S, S0, rtol=1e-9)
    for method in ("randomized", "arpack"):
        U1, _, _ = truncated_svd(M, 10, method=method, seed=4)
        U2, _, _ = truncated_svd(M, 10, method=method, seed=4)
        np.testing.assert_array_equal(U1, U2)


def test_limit_blas_threads_restores_counts():
    libs = count._loaded_openblas()
    if not libs:
        pytest.skip("no OpenBLAS found in this process")
    before = [get() for get, _ in libs]
    with count.limit_blas_threads(1):
        assert all(get() == 1 for get, _ in libs)
    assert [get() for get, _ in libs] == before
    with pytest.raises(RuntimeError), count.limit_blas_threads(1):
        raise RuntimeError("restored on errors too")
    assert [get() for get, _ in libs] == before


def test_svd_errors():
    with pytest.raises(ValueError, match="k must be"):
        truncated_svd(np.eye(4), 5)
    with pytest.raises(ValueError, match="method"):
        truncated_svd(np.eye(4), 2, method="lanczos")


# --------------------------------------------------------------------------------- the engine


def test_toy_pipeline_like_the_book():
    """Chapter 2: you and i end up close in the 2-D SVD of the toy PPMI matrix."""
    ids, words = toy_ids()
    vecs, S = embed(ids, len(words), window=1, dim=2, context_smoothing=1.0, eigen_weight=0.0, svd="dense")
    assert vecs.shape == (7, 2) and vecs.dtype == np.float32
    full = np.linalg.svd(book_ppmi(cooccurrence(ids, 7, 1).toarray()), compute_uv=False)
    np.testing.assert_allclose(S, full[:2], rtol=1e-5)
    normed = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    sims = normed @ normed[words.index("you")]
    sims[words.index("you")] = -2
    assert words[int(sims.argmax())] in ("i", "goodbye", "hello")


def test_eigen_weight_scales_columns():
    rng = np.random.default_rng(9)
    ids, offsets = random_corpus(rng, 3000, 40, 50)
    u, S = embed(ids, 40, offsets=offsets, dim=6, eigen_weight=0.0, seed=3)
    us, _ = embed(ids, 40, offsets=offsets, dim=6, eigen_weight=1.0, seed=3)
    np.testing.assert_allclose(us, u * S.astype(np.float32), rtol=1e-4, atol=1e-6)


def test_embed_errors():
    ids, words = toy_ids()
    with pytest.raises(TrainingError, match="dim"):
        embed(ids, 7, dim=8)
    with pytest.raises(TrainingError, match="empty"):
        embed(np.array([0, 1], dtype=np.int32), 2, offsets=np.array([0, 1, 2]), dim=1)


def test_train_returns_keyed_vectors():
    rng = np.random.default_rng(2)
    ids, offsets = random_corpus(rng, 4000, 60, 100)
    offsets = np.unique(offsets)  # an EncodedCorpus holds no empty sentence
    vocab = Vocabulary([f"w{i}" for i in range(60)], np.bincount(ids, minlength=60))
    corpus = EncodedCorpus(ids, offsets, vocab)
    config = TrainConfig(model="ppmi", dim=8, window=3, seed=5)
    kv = count.train(corpus, config, progress=False)
    assert isinstance(kv, KeyedVectors)
    assert kv.vectors.shape == (60, 8) and kv.vectors.dtype == np.float32
    assert list(kv.index_to_key) == corpus.vocab.index_to_key
    np.testing.assert_array_equal(kv.counts, vocab.counts)
    meta = json.loads(json.dumps(kv.metadata))
    assert meta["config"]["model"] == "ppmi" and meta["config"]["dim"] == 8
    assert set(meta["timings"]) >= {"count_s", "ppmi_s", "svd_s"}
    # the rows are embed()'s vectors of this corpus, in vocabulary order
    expected, _ = embed(ids, 60, offsets=offsets, window=3, dim=8, seed=5)
    np.testing.assert_allclose(kv.vectors, expected, rtol=1e-4, atol=1e-5)
    again = count.train(corpus, config, progress=False)
    np.testing.assert_array_equal(kv.vectors, again.vectors)  # the same computation twice: reproducible


# ------------------------------------------------------------------------------- real data: PTB


def ptb_book_mode(ptb_train) -> tuple[np.ndarray, list[str]]:
    """PTB train as the book reads it (<eos> per line end, first-seen ids, one sequence)."""
    corpus = book_corpus(str(ptb_train))
    return corpus.ids, list(corpus.vocab.index_to_key)


def top(vectors, words, query, n=5):
    normed = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = normed @ normed[words.index(query)]
    sims[words.index(query)] = -np.inf
    return [words[i] for i in np.argsort(-sims)[:n]]


@pytest.mark.parametrize("alpha,eigen_weight", [(1.0, 0.0), (0.75, 0.5)])
def test_ptb_neighbours_are_the_books(ptb_train, alpha, eigen_weight):
    ids, words = ptb_book_mode(ptb_train)
    assert len(words) == 10_000
    vecs, _ = embed(ids, len(words), window=2, dim=100, context_smoothing=alpha, eigen_weight=eigen_weight)
    assert "month" in top(vecs, words, "year")
    assert {"i", "we", "they"} & set(top(vecs, words, "you"))
    assert "auto" in top(vecs, words, "car")
    assert {"honda", "nissan", "mazda", "lexus"} & set(top(vecs, words, "toyota"))


def test_train_on_ptb_sentences_like_the_cli(ptb_train):
    """`wordvec train ptb --model ppmi`: sentence-split PTB, min_count 5, package defaults."""
    corpus = load_corpus(str(ptb_train), min_count=5)
    kv = count.train(corpus, TrainConfig(model="ppmi", window=2, dim=100), progress=False)
    assert kv.vectors.shape == (len(corpus.vocab), 100)
    np.testing.assert_array_equal(kv.counts, corpus.vocab.counts)
    assert "month" in {w for w, _ in kv.most_similar("year", topn=5)}
    assert {"i", "we"} <= {w for w, _ in kv.most_similar("you", topn=5)}
    assert "auto" in {w for w, _ in kv.most_similar("car", topn=5)}
    assert {"honda", "nissan", "mazda", "lexus"} & {w for w, _ in kv.most_similar("toyota", topn=5)}


def test_alpha_is_the_deprecated_spelling_of_context_smoothing():
    from wordvec.config import TrainConfig

    dense = np.random.default_rng(3).poisson(1.0, (10, 10)).astype(float)
    with pytest.warns(DeprecationWarning, match="context_smoothing"):
        old = ppmi(dense, alpha=0.5).toarray()
    np.testing.assert_array_equal(old, ppmi(dense, context_smoothing=0.5).toarray())
    with pytest.warns(DeprecationWarning, match="context_smoothing"):
        assert TrainConfig(model="ppmi", alpha=0.5).context_smoothing == 0.5
    assert TrainConfig(model="skipgram", alpha=0.01).learning_rate == 0.01  # alpha is the learning rate
    with pytest.raises(ValueError, match="same option"):
        TrainConfig(alpha=0.01, lr=0.02)
    # configs saved before 0.2 (checkpoints, vector metadata) wrote PPMI's smoothing as "alpha"
    assert TrainConfig.from_dict({"model": "ppmi", "alpha": 0.6}).context_smoothing == 0.6
    assert TrainConfig.from_dict({"model": "skipgram", "alpha": 0.6}).lr is None
