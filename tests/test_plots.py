"""Plots: real PNG/SVG files from the Agg canvas, word maps with neighbours, clear errors."""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET

import matplotlib  # noqa: F401  (in the `test` extra: missing, the module fails instead of skipping)
import numpy as np
import pytest

from wordvec import plots
from wordvec.errors import UnknownWordError, WordvecError
from wordvec.vectors import KeyedVectors

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)] + ["king", "queen", "man", "woman"]
    return KeyedVectors(rng.standard_normal((len(words), 16)).astype(np.float32), words)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, len(data)


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return {"".join(el.itertext()).strip() for el in root.iter() if el.tag.endswith("text")}


def test_plot_words_png(kv, tmp_path):
    out = tmp_path / "map.png"
    plots.plot_words(kv, ["king", "queen", "man"], out)
    width, height, nbytes = png_size(out)
    assert 600 <= width <= 3000 and 600 <= height <= 3000
    assert nbytes > 5_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_plot_words_svg_labels_words_and_neighbours(kv, tmp_path):
    out = tmp_path / "map.svg"
    plots.plot_words(kv, ["king", "woman"], out, neighbours=3, method="svd")
    texts = svg_texts(out)
    assert {"king", "woman"} <= texts
    expected = {w for q in ("king", "woman") for w, _ in kv.most_similar(q, topn=3)}
    assert expected <= texts


def test_plot_words_with_a_small_table(tmp_path):
    rng = np.random.default_rng(1)
    real = KeyedVectors(rng.standard_normal((12, 8)).astype(np.float32), [f"x{i}" for i in range(12)])
    out = tmp_path / "real.svg"
    plots.plot_words(real, ["x1", "x2"], out, neighbours=2)
    assert {"x1", "x2"} <= svg_texts(out)


def test_unknown_words_raise_and_write_nothing(kv, tmp_path):
    out = tmp_path / "map.png"
    with pytest.raises(UnknownWordError) as info:
        plots.plot_words(kv, ["king", "nosuchword"], out)
    assert info.value.words == ["nosuchword"]
    assert not out.exists()


def test_bad_arguments(kv, tmp_path):
    with pytest.raises(WordvecError, match=r"\.png or \.svg"):
        plots.plot_words(kv, ["king"], tmp_path / "map.jpg")
    with pytest.raises(WordvecError, match="method"):
        plots.plot_words(kv, ["king"], tmp_path / "map.png", method="tsne")
    with pytest.raises(WordvecError, match="empty"):
        plots.plot_loss({"step_loss": []}, tmp_path / "loss.png")


def test_project_2d():
    rng = np.random.default_rng(4)
    flat = rng.standard_normal((10, 2))
    np.testing.assert_array_equal(plots.project_2d(flat, "svd"), flat)  # the book's U[:, :2]
    pca = plots.project_2d(flat, "pca")  # centring + rotation keeps pairwise distances
    dist = lambda a: np.linalg.norm(a[:, None] - a[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(dist(pca), dist(flat), atol=1e-10)
    # points on a plane inside 5-D: PCA recovers the plane exactly
    plane = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 5)) + 3.0
    coords = plots.project_2d(plane, "pca")
    np.testing.assert_allclose(dist(coords), dist(plane), atol=1e-8)
    # variance ordering: the first component carries at least as much as the second
    assert coords[:, 0].var() >= coords[:, 1].var()


def test_plot_loss_png_and_svg(tmp_path):
    rng = np.random.default_rng(2)
    steps = 300
    loss = 4.0 * np.exp(-np.arange(steps) / 80) + 0.1 * rng.random(steps)
    history = {
        "step_loss": loss.tolist(),
        "epoch_loss": [float(loss[i * 100 : (i + 1) * 100].mean()) for i in range(3)],
        "step_words": (np.arange(1, steps + 1) * 1000).tolist(),
    }
    png = tmp_path / "loss.png"
    plots.plot_loss(history, png, title="cbow on ptb")
    width, height, nbytes = png_size(png)
    assert width > height > 300 and nbytes > 5_000
    svg = tmp_path / "loss.svg"
    plots.plot_loss(history, svg)
    texts = svg_texts(svg)
    assert "words processed" in texts and "epoch loss" in texts
    # epoch losses alone are enough
    plots.plot_loss({"epoch_loss": [3.0, 2.0, 1.5]}, tmp_path / "epochs.svg")
    assert "epoch" in svg_texts(tmp_path / "epochs.svg")


def test_missing_matplotlib_message(monkeypatch, kv, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` fail
    with pytest.raises(WordvecError, match=r"plotting needs matplotlib: pip install 'wordvec\[plot\]'"):
        plots.plot_words(kv, ["king"], tmp_path / "map.png")
    with pytest.raises(WordvecError, match="plotting needs matplotlib"):
        plots.plot_loss({"step_loss": [1.0, 0.5]}, tmp_path / "loss.png")
    assert not list(tmp_path.iterdir())


def test_coincident_words_share_one_label(tmp_path):
    same = KeyedVectors(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32), ["you", "i", "hello"])
    out = tmp_path / "same.svg"
    plots.plot_words(same, ["you", "i", "hello"], out, method="svd")
    texts = svg_texts(out)
    assert "you, i" in texts and "hello" in texts and "you" not in texts
