"""Named datasets (Penn Treebank): find them locally, else download once into the user cache.

Lookup order for `dataset_path("ptb", "train")`: `$WORDVEC_DATA/ptb/ptb.train.txt`, then the user
cache (`$XDG_CACHE_HOME/wordvec/ptb/...` or `~/.cache/wordvec/ptb/...`), then a download of the
canonical public copy (the one the book uses), checked against its md5 before it is kept.
Set `WORDVEC_OFFLINE=1` to never try the network.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from wordvec.errors import DatasetError
from wordvec.fileio import atomic_write

_PTB_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/ptb.{split}.txt"

# name -> split -> (file name, url, md5)
DATASETS: dict[str, dict[str, tuple[str, str, str]]] = {
    "ptb": {
        "train": ("ptb.train.txt", _PTB_URL.format(split="train"), "f26c4b92c5fdc7b3f8c7cdcb991d8420"),
        "valid": ("ptb.valid.txt", _PTB_URL.format(split="valid"), "aa0affc06ff7c36e977d7cd49e3839bf"),
        "test": ("ptb.test.txt", _PTB_URL.format(split="test"), "8b80168b89c18661a38ef683c0dc3721"),
    },
}
_SPLIT_ALIASES = {"val": "valid", "validation": "valid"}
DOWNLOAD_TIMEOUT_S = 60.0


def parse_dataset_name(text: str) -> tuple[str, str]:
    """`"ptb"` -> ("ptb", "train"); `"ptb:valid"` -> ("ptb", "valid"). Raises DatasetError."""
    name, _, split = text.partition(":")
    name = name.strip().lower()
    split = _SPLIT_ALIASES.get(split.strip().lower(), split.strip().lower()) or "train"
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if split not in DATASETS[name]:
        raise DatasetError(f"dataset {name!r} has no split {split!r}; "
                           f"known: {', '.join(DATASETS[name])}")
    return name, split


def is_dataset_name(text: str) -> bool:
    """True for names like `ptb`, `ptb:valid`, `ptb:test`."""
    try:
        parse_dataset_name(text)
    except DatasetError:
        return False
    return True


def cache_dir() -> Path:
    """The user cache for downloaded data: `$XDG_CACHE_HOME/wordvec` or `~/.cache/wordvec`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wordvec"


def dataset_path(name: str, split: str = "train", *, download: bool = True) -> Path:
    """Local path of a dataset split, downloading it into the cache if needed."""
    name, split = parse_dataset_name(f"{name}:{split}")
    filename, url, md5 = DATASETS[name][split]
    candidates = []
    if os.environ.get("WORDVEC_DATA"):
        candidates.append(Path(os.environ["WORDVEC_DATA"]) / name / filename)
    cached = cache_dir() / name / filename
    candidates.append(cached)
    for path in candidates:
        if path.is_file():
            return path
    where = " or ".join(str(p) for p in candidates)
    if not download or os.environ.get("WORDVEC_OFFLINE"):
        raise DatasetError(f"{name} {split} not found; put {filename} at {where} (from {url})")
    try:
        fetch(url, cached, md5)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        if isinstance(exc, DatasetError):
            raise
        reason = getattr(exc, "reason", None) or exc
        raise DatasetError(f"{name} {split} not found and download failed ({reason}); "
                           f"put {filename} at {where} (from {url})") from None
    return cached


def _open_url(url: str, timeout: float):
    """Open `url` for reading (tests replace this to avoid the network)."""
    return urllib.request.urlopen(url, timeout=timeout)


def fetch(url: str, dest: Path, md5: str) -> Path:
    """Download `url` to `dest` via a temp file + rename, keeping it only if its md5 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5()
    with _open_url(url, DOWNLOAD_TIMEOUT_S) as response, atomic_write(dest, "wb") as out:
        while True:
            block = response.read(1 << 20)
            if not block:
                break
            digest.update(block)
            out.write(block)
        if digest.hexdigest() != md5:
            raise DatasetError(f"checksum mismatch for {url}: md5 {digest.hexdigest()}, "
                               f"expected {md5}; file not kept")
    return dest
