"""Fuzzing the readers: whatever the bytes, loading either succeeds consistently or raises VectorFileError."""

from __future__ import annotations

import gzip
import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec.errors import VectorFileError
from wordvec.vectors import KeyedVectors

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = [None, "text", "binary", "native"]


def _valid_files() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    kv = KeyedVectors(rng.standard_normal((4, 3)).astype(np.float32), ["the", "naïve", "b", "日本"],
                      counts=[9, 5, 3, 1], metadata={"a": [1, 2]})
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("text", "binary", "native"):
            path = os.path.join(tmp, f"v.{fmt}")
            kv.save(path, format=fmt)
            with open(path, "rb") as handle:
                files[fmt] = handle.read()
    files["text.gz"] = gzip.compress(files["text"], mtime=0)
    files["binary.gz"] = gzip.compress(files["binary"], mtime=0)
    return files


VALID = _valid_files()


def check_load(tmp_path_factory, data: bytes, fmt: str | None) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "v.dat"
    path.write_bytes(data)
    try:
        kv = KeyedVectors.load(path, format=fmt)
    except VectorFileError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    assert kv.vectors.dtype == np.float32 and kv.vectors.ndim == 2
    assert kv.vectors.shape[0] == len(kv.index_to_key) == len(set(kv.index_to_key))
    assert np.isfinite(kv.vectors).all()


@FUZZ
@given(data=st.binary(max_size=300), fmt=st.sampled_from(FORMATS))
def test_random_bytes(tmp_path_factory, data, fmt):
    check_load(tmp_path_factory, data, fmt)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=200).map(lambda b: b"3 2\n" + b),
        st.lists(st.sampled_from([b"a", b"b", b" ", b"\n", b"1", b"-", b".", b"e", b"nan", b"\xff", b"2 2"]),
                 max_size=40).map(b"".join),
    ),
    fmt=st.sampled_from(FORMATS),
)
def test_plausible_looking_bytes(tmp_path_factory, data, fmt):
    check_load(tmp_path_factory, data, fmt)


@FUZZ
@given(kind=st.sampled_from(sorted(VALID)), cut=st.floats(0, 1, exclude_max=True), fmt=st.sampled_from(FORMATS))
def test_truncations(tmp_path_factory, kind, cut, fmt):
    data = VALID[kind]
    check_load(tmp_path_factory, data[: int(cut * len(data))], fmt)


@FUZZ
@given(
    kind=st.sampled_from(sorted(VALID)),
    edits=st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete"]), st.floats(0, 1, exclude_max=True),
                             st.integers(0, 255)), min_size=1, max_size=4),
    fmt=st.sampled_from(FORMATS),
)
def test_mutations(tmp_path_factory, kind, edits, fmt):
    data = bytearray(VALID[kind])
    for op, where, value in edits:
        at = int(where * len(data)) if data else 0
        if op == "flip" and data:
            data[at] ^= value or 1
        elif op == "insert":
            data.insert(at, value)
        elif data:
            del data[at]
    check_load(tmp_path_factory, bytes(data), fmt)


def test_valid_files_load(tmp_path_factory):
    for kind, data in VALID.items():
        path = tmp_path_factory.mktemp("valid") / "v"
        path.write_bytes(data)
        assert KeyedVectors.load(path).index_to_key == ["the", "naïve", "b", "日本"]
