"""The explorer's queries (wordvec.explorer), without HTTP: they must agree with KeyedVectors,
find real neighbours on PTB, and refuse bad input with QueryError / UnknownWordError."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from wordvec.errors import UnknownWordError
from wordvec.explorer import (MAX_HISTORY_POINTS, MAX_MAP_WORDS, Explorer, ModelView, QueryError, _thin,
                              map_methods)
from wordvec.vectors import KeyedVectors


@pytest.fixture(scope="module")
def views(ptb_vector_files):
    return Explorer.open([ptb_vector_files["skipgram"], ptb_vector_files["ppmi"], ptb_vector_files["subwords"]])


def small_view(words, seed=0, dim=8) -> ModelView:
    rng = np.random.default_rng(seed)
    return ModelView(KeyedVectors(rng.standard_normal((len(words), dim)).astype(np.float32), words), "small")


def test_models_describe_each_file(views, ptb_vector_files):
    info = views.models()
    names = [m["name"] for m in info["models"]]
    assert names == [ptb_vector_files[k].name for k in ("skipgram", "ppmi", "subwords")]
    sg, ppmi, sub = info["models"]
    assert sg["words"] == ppmi["words"] == 9858 and sg["dim"] == 100
    assert sg["metadata"]["config"]["model"] == "skipgram" and "loss_history" not in sg["metadata"]
    assert sg["has_history"] and not ppmi["has_history"]
    assert sub["subwords"] and not sg["subwords"] and sub["ngrams"]["bucket"] == 200000
    assert "pca" in info["map_methods"]


def test_neighbours_are_most_similar_and_real(views):
    view = views.model(0)
    answer = view.neighbours("you", topn=10)
    expected = view.kv.most_similar("you", topn=10)
    assert [n["word"] for n in answer["neighbours"]] == [w for w, _ in expected]
    assert [n["score"] for n in answer["neighbours"]] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert answer["known"] and answer["ms"] >= 0
    assert {"i", "we"} & {n["word"] for n in answer["neighbours"]}  # PTB's pronouns, as the book finds
    ppmi = views.model("1").neighbours("you", topn=10)
    assert {"i", "we"} & {n["word"] for n in ppmi["neighbours"]}


def test_analogy_both_methods_match_keyedvectors(views):
    view = views.model(0)
    for method in ("add", "mul"):
        answer = view.analogy("take", "took", "go", method=method, topn=5)
        expected = view.kv.analogy("take", "took", "go", topn=5, method=method)
        assert [a["word"] for a in answer["answers"]] == [w for w, _ in expected]
        assert [a["score"] for a in answer["answers"]] == pytest.approx([s for _, s in expected], abs=1e-6)
        assert not {"take", "took", "go"} & {a["word"] for a in answer["answers"]}


def test_map_holds_the_word_and_its_neighbours(views):
    view = views.model(0)
    answer = view.map("you", n=20)
    words = [p["word"] for p in answer["points"]]
    assert words[0] == "you" and words[1:] == [w for w, _ in view.kv.most_similar("you", topn=20)]
    xy = np.array([[p["x"], p["y"]] for p in answer["points"]])
    assert np.abs(xy).max() == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(xy.mean(axis=0), 0, atol=1e-5)
    # PCA keeps the neighbourhood's main directions: the projected distances follow the real ones
    unit = np.stack([view.kv.get_vector(w, norm=True) for w in words]).astype(np.float64)
    real = np.linalg.norm(unit[:, None] - unit[None], axis=-1)[np.triu_indices(len(words), 1)]
    flat = np.linalg.norm(xy[:, None] - xy[None], axis=-1)[np.triu_indices(len(words), 1)]
    assert np.corrcoef(real, flat)[0, 1] > 0.3


@pytest.mark.skipif("tsne" not in map_methods(), reason="t-SNE needs scikit-learn (in the test extra)")
def test_tsne_map_keeps_near_points_near():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((2, 16)) * 5
    vectors = np.concatenate([centres[0] + rng.standard_normal((15, 16)) * 0.1,
                              centres[1] + rng.standard_normal((15, 16)) * 0.1]).astype(np.float32)
    words = [f"a{i}" for i in range(15)] + [f"b{i}" for i in range(15)]
    view = ModelView(KeyedVectors(vectors, words), "clusters")
    answer = view.map("a0", n=29, method="tsne")
    xy = {p["word"]: np.array([p["x"], p["y"]]) for p in answer["points"]}
    a = np.stack([xy[w] for w in words[:15]])
    b = np.stack([xy[w] for w in words[15:]])
    assert np.linalg.norm(a.mean(0) - b.mean(0)) > 2 * max(a.std(0).max(), b.std(0).max())


def test_subword_model_answers_for_unseen_words(views):
    view = views.model(2)
    assert not view.kv.has_index_for("unstockable")
    answer = view.neighbours("unstockable", topn=5)
    assert answer["known"] is False and len(answer["neighbours"]) == 5
    assert view.map("unstockable", n=5)["points"][0]["word"] == "unstockable"
    with pytest.raises(UnknownWordError):
        views.model(0).neighbours("unstockable")


def test_completion_prefers_frequent_words(views):
    view = views.model(0)
    words = view.complete("yo", limit=5)["words"]
    vocab = view.kv.index_to_key
    expected = [w for w in vocab if w.startswith("yo")][:5]
    assert words == expected and "you" in words
    assert view.complete("", limit=3)["words"] == vocab[:3]
    assert view.complete("zzzzqx")["words"] == []


def test_completion_tries_lower_case():
    view = small_view(["paris", "park", "Pa", "xyz"])
    assert view.complete("PAR")["words"] == ["paris", "park"]
    assert view.complete("Pa")["words"] == ["Pa"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab\u00e9\U0010ffffz", min_size=1, max_size=4), min_size=1, max_size=30, unique=True),
       st.text(alphabet="ab\u00e9\U0010ffffz", max_size=3), st.integers(1, 10))
def test_completion_is_prefix_search(words, prefix, limit):
    view = small_view(words)
    got = view.complete(prefix, limit)["words"]
    matches = [w for w in words if w.startswith(prefix)]
    if not matches and prefix:
        matches = [w for w in words if w.startswith(prefix.lower())]
    assert got == matches[:limit]


def test_bad_queries_are_query_errors(views):
    view = views.model(0)
    for call in (lambda: view.neighbours(""), lambda: view.neighbours(None), lambda: view.neighbours("x" * 5000),
                 lambda: view.neighbours("you", topn="ten"), lambda: view.neighbours("you", topn=0),
                 lambda: view.neighbours("you", topn=10**6), lambda: view.analogy("a", "b", "c", method="sum"),
                 lambda: view.analogy("a", "", "c"), lambda: view.map("you", n=MAX_MAP_WORDS + 1),
                 lambda: view.map("you", method="mds"), lambda: view.complete("you", limit=-1),
                 lambda: views.model(3), lambda: views.model("x"), lambda: views.model("-1")):
        with pytest.raises(QueryError):
            call()
    with pytest.raises(UnknownWordError) as info:
        view.analogy("take", "qqqzz", "go")
    assert info.value.words == ["qqqzz"]


def test_history_is_thinned_and_json_safe():
    steps, values = _thin([1.0, float("nan"), 3, True, float("inf")], 10)
    assert steps == [0, 1, 2, 3, 4] and values == [1.0, None, 3.0, None, None]
    long = list(range(100_000))
    steps, values = _thin(long, MAX_HISTORY_POINTS)
    assert len(steps) == MAX_HISTORY_POINTS and steps[0] == 0 and steps[-1] == 99_999
    assert values == [float(s) for s in steps]


def test_history_of_a_trained_file(views):
    series = views.model(0).history()["series"]
    assert series["epoch_loss"]["length"] == 3
    losses = series["epoch_loss"]["values"]
    assert losses[-1] < losses[0]  # training lowered the loss
    assert views.model(1).history()["series"] == {}


def test_concurrent_first_queries_agree():
    view = small_view([f"w{i}" for i in range(2000)], dim=32)
    results, errors = [], []

    def ask():
        try:
            results.append(view.neighbours("w7", topn=5)["neighbours"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r == results[0] for r in results)


def test_numbers_are_plain_ascii_digits(views):
    view = views.model(0)
    assert len(view.neighbours("you", topn="3")["neighbours"]) == 3
    for bad in ("1_0", " 1", "1 ", "+3", "\u0663", "\uff11", "3.0", "1e2", ""):
        with pytest.raises(QueryError):
            view.neighbours("you", topn=bad)


def test_map_of_a_one_dimensional_model_falls_back_to_pca():
    view = small_view([f"d{i}" for i in range(20)], dim=1)
    for method in map_methods():
        answer = view.map("d0", n=10, method=method)
        assert len(answer["points"]) == 11


def test_too_many_waiting_maps_are_busy(monkeypatch):
    import wordvec.explorer as explorer

    if "tsne" not in map_methods():
        pytest.skip("t-SNE needs scikit-learn")
    view = small_view([f"w{i}" for i in range(40)])
    monkeypatch.setattr(explorer, "_SLOW_WAITING", [explorer.MAX_WAITING_PROJECTIONS])
    with pytest.raises(explorer.BusyError):
        view.map("w0", n=20, method="tsne")
    assert len(view.map("w0", n=20, method="pca")["points"]) == 21  # PCA is never queued


def test_mapped_file_edited_in_place_is_refused(tmp_path):
    import os
    import shutil

    from wordvec.explorer import ModelUnavailableError

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    path = tmp_path / "v.npz"
    KeyedVectors(rng.standard_normal((50, 8)).astype(np.float32), words).save(path)
    view = ModelView.open(path)
    before = view.neighbours("w1", topn=3)["neighbours"]
    # replaced as wordvec's writers do (a new file renamed over it): the old mapping still answers
    KeyedVectors(rng.standard_normal((50, 8)).astype(np.float32), words).save(path)
    assert view.neighbours("w1", topn=3)["neighbours"] == before
    # edited in place (same file, new size): refused, never a crash
    other = tmp_path / "other.npz"
    shutil.copy(path, other)
    view = ModelView.open(other)
    with open(other, "ab") as handle:
        handle.write(b"\0" * 100)
    os.utime(other, ns=(1, 1))
    with pytest.raises(ModelUnavailableError, match="changed on disk"):
        view.neighbours("w1")
    # read into memory instead: editing the file does not matter
    view = ModelView.open(other, mmap=False)
    assert len(view.neighbours("w1", topn=3)["neighbours"]) == 3


def test_mapped_file_with_nan_is_refused(tmp_path):
    """A native file written by other code can hold NaN; mapped, it is not scanned when opened, so
    the explorer scans it before the first answer."""
    from wordvec.explorer import ModelUnavailableError
    from wordvec.fileio import write_npz

    path = tmp_path / "nan.npz"
    KeyedVectors(np.ones((30, 4), np.float32) + np.arange(30)[:, None], [f"w{i}" for i in range(30)]).save(path)
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    members["vectors"][7, 0] = np.nan
    with open(path, "wb") as handle:
        write_npz(handle, members)
    with pytest.raises(Exception, match="non-finite"):
        KeyedVectors.load(path)  # a plain read refuses it
    view = ModelView.open(path)
    with pytest.raises(ModelUnavailableError, match="'w7' has a non-finite value"):
        view.neighbours("w1")


def test_duplicate_names_are_told_apart(ptb_vector_files):
    views = Explorer.open([ptb_vector_files["ppmi"], ptb_vector_files["ppmi"]])
    assert [v.name for v in views.views] == [ptb_vector_files["ppmi"].name, ptb_vector_files["ppmi"].name + " (2)"]
