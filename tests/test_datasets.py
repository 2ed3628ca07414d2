"""Dataset lookup and download; the network is never used (a fake urllib handler serves bytes)."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
import urllib.response
from email.message import Message
from pathlib import Path

import pytest

from wordvec import datasets
from wordvec.corpus import load_corpus
from wordvec.errors import DatasetError

FAKE_PTB = b" the cat sat \n the dog sat \n"


class FakeHandler(urllib.request.BaseHandler):
    """Serves `pages[url]` for https URLs; unknown URLs get a 404."""

    def __init__(self, pages: dict[str, bytes]):
        self.pages = pages
        self.requests: list[str] = []

    def https_open(self, req):
        url = req.full_url
        self.requests.append(url)
        if url not in self.pages:
            raise urllib.error.HTTPError(url, 404, "Not Found", Message(), io.BytesIO())
        return urllib.response.addinfourl(io.BytesIO(self.pages[url]), Message(), url, 200)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No WORDVEC_DATA, a private cache, and a network that fails the test if touched."""
    monkeypatch.delenv("WORDVEC_DATA", raising=False)
    monkeypatch.delenv("WORDVEC_OFFLINE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_network(url, timeout):
        raise AssertionError(f"test tried to download {url}")

    monkeypatch.setattr(datasets, "_open_url", no_network)


def serve(monkeypatch, pages: dict[str, bytes]) -> FakeHandler:
    handler = FakeHandler(pages)
    opener = urllib.request.OpenerDirector()  # only the fake handler: no real network handler
    opener.add_handler(handler)
    monkeypatch.setattr(datasets, "_open_url", lambda url, timeout: opener.open(url, timeout=timeout))
    return handler


def fake_train_entry(monkeypatch, data: bytes) -> str:
    """Point ptb/train at a fake URL whose md5 is that of `data`; returns the URL."""
    url = "https://example.invalid/ptb.train.txt"
    monkeypatch.setitem(datasets.DATASETS["ptb"], "train",
                        ("ptb.train.txt", url, hashlib.md5(data).hexdigest()))
    return url


def test_names():
    assert datasets.parse_dataset_name("ptb") == ("ptb", "train")
    assert datasets.parse_dataset_name("PTB:valid") == ("ptb", "valid")
    assert datasets.parse_dataset_name("ptb:val") == ("ptb", "valid")
    assert datasets.is_dataset_name("ptb:test")
    assert not datasets.is_dataset_name("ptb:dev") and not datasets.is_dataset_name("corpus.txt")
    with pytest.raises(DatasetError, match="no split"):
        datasets.dataset_path("ptb", "dev")


def test_wordvec_data_is_searched_first(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "ptb").mkdir(parents=True)
    (data / "ptb" / "ptb.valid.txt").write_bytes(FAKE_PTB)
    cached = datasets.cache_dir() / "ptb" / "ptb.valid.txt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"other\n")
    monkeypatch.setenv("WORDVEC_DATA", str(data))
    assert datasets.dataset_path("ptb", "valid") == data / "ptb" / "ptb.valid.txt"
    monkeypatch.delenv("WORDVEC_DATA")
    assert datasets.dataset_path("ptb", "valid") == cached


def test_cache_dir_follows_xdg(tmp_path, monkeypatch):
    assert datasets.cache_dir() == tmp_path / "cache" / "wordvec"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.cache_dir() == tmp_path / "home" / ".cache" / "wordvec"


def test_download_verifies_and_caches(monkeypatch):
    url = fake_train_entry(monkeypatch, FAKE_PTB)
    handler = serve(monkeypatch, {url: FAKE_PTB})
    path = datasets.dataset_path("ptb", "train")
    assert path == datasets.cache_dir() / "ptb" / "ptb.train.txt"
    assert path.read_bytes() == FAKE_PTB and handler.requests == [url]
    assert datasets.dataset_path("ptb") == path and handler.requests == [url]  # cached now
    corpus = load_corpus("ptb", min_count=2)
    assert corpus.vocab.index_to_key == ["the", "sat"]  # tie: first seen first


def test_md5_mismatch_keeps_nothing(monkeypatch):
    url = fake_train_entry(monkeypatch, FAKE_PTB)
    serve(monkeypatch, {url: FAKE_PTB + b" tampered\n"})
    with pytest.raises(DatasetError, match="checksum mismatch") as info:
        datasets.dataset_path("ptb", "train")
    assert "\n" not in str(info.value)
    folder = datasets.cache_dir() / "ptb"
    assert not folder.exists() or list(folder.iterdir()) == []  # no file, no temp file


def test_real_checksums_are_checked(monkeypatch):
    url = datasets.DATASETS["ptb"]["test"][1]
    serve(monkeypatch, {url: FAKE_PTB})  # right URL, wrong bytes
    with pytest.raises(DatasetError, match="8b80168b89c18661a38ef683c0dc3721"):
        datasets.dataset_path("ptb", "test")


def test_offline_says_where_to_put_files(monkeypatch):
    serve(monkeypatch, {})  # every URL is a 404
    with pytest.raises(DatasetError) as info:
        datasets.dataset_path("ptb", "valid")
    msg = str(info.value)
    assert "ptb.valid.txt" in msg and str(datasets.cache_dir()) in msg and "\n" not in msg

    def unreachable(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(datasets, "_open_url", unreachable)
    with pytest.raises(DatasetError, match="download failed"):
        load_corpus("ptb:test")


def test_offline_switch_never_touches_network(monkeypatch, tmp_path):
    monkeypatch.setenv("WORDVEC_OFFLINE", "1")
    monkeypatch.setenv("WORDVEC_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError) as info:
        datasets.dataset_path("ptb", "train")
    assert str(Path(tmp_path / "nowhere" / "ptb" / "ptb.train.txt")) in str(info.value)
    assert not datasets.is_dataset_name("nowhere") and isinstance(info.value, OSError)
