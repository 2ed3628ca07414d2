"""Vector files: bit-exact round trips, gensim interop, sniffing, and clear errors on bad input."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zipfile

import gensim.models as gensim_models
import numpy as np
import pytest

from wordvec import __version__
from wordvec.errors import VectorFileError
from wordvec.formats import format_from_extension, sniff_format
from wordvec.vectors import KeyedVectors


def tricky_kv(n_words: int = 40, dim: int = 7, seed: int = 0) -> KeyedVectors:
    """Random vectors plus values that lose bits under careless formatting."""
    rng = np.random.default_rng(seed)
    vectors = (rng.standard_normal((n_words, dim)) * 10.0 ** rng.integers(-8, 8, (n_words, dim))).astype(np.float32)
    special = np.array(
        [-0.0, 1e-45, -1e-45, 1.1754944e-38, 3.4028235e38, -3.4028235e38, 0.1, 1 / 3, 16777217.0],
        dtype=np.float32,
    )
    vectors.flat[: special.size] = special
    words = [f"w{i}" for i in range(n_words - 4)] + ["naïve", "日本", "émoji🙂", "a.b,c"]
    return KeyedVectors(vectors, words, counts=np.arange(n_words, 0, -1) * 3, metadata={"config": {"dim": dim}})


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or not a.dtype == b.dtype == np.float32:
        return False
    return bool((a.view(np.uint32) == b.view(np.uint32)).all())


@pytest.mark.parametrize("name", ["v.txt", "v.vec", "v.bin", "v.npz", "v.wv"])
def test_round_trip_keeps_every_bit(tmp_path, name):
    kv = tricky_kv()
    path = tmp_path / name
    kv.save(path)
    loaded = KeyedVectors.load(path)
    assert same_bits(loaded.vectors, kv.vectors)
    assert loaded.index_to_key == kv.index_to_key
    if format_from_extension(path) == "native":
        np.testing.assert_array_equal(loaded.counts, kv.counts)
        assert loaded.metadata == kv.metadata
    else:
        assert loaded.counts is None


def test_format_from_extension_and_explicit_format(tmp_path):
    assert [format_from_extension(p) for p in ("a.txt", "a.VEC", "a.bin", "a.bin.gz", "a.npz", "a")] == [
        "text", "text", "binary", "binary", "native", "native",
    ]
    kv = tricky_kv(5, 3)
    kv.save(tmp_path / "as_text.npz", format="text")
    assert (tmp_path / "as_text.npz").read_bytes().startswith(b"5 3\n")
    with pytest.raises(VectorFileError, match="unknown vector file format"):
        kv.save(tmp_path / "x", format="csv")


def test_misnamed_files_are_sniffed(tmp_path):
    kv = tricky_kv(6, 4)
    for fmt, name in [("binary", "really_binary.txt"), ("text", "really_text.bin"), ("native", "really_native.vec")]:
        kv.save(tmp_path / name, format=fmt)
        assert sniff_format(tmp_path / name) == fmt
        assert same_bits(KeyedVectors.load(tmp_path / name).vectors, kv.vectors)
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "really_binary.txt")
    assert same_bits(loaded.vectors, kv.vectors)
    with pytest.raises(VectorFileError, match="native"):
        KeyedVectors.load_word2vec_format(tmp_path / "really_native.vec")
    with pytest.raises(VectorFileError):  # told "text" explicitly, but it is binary
        KeyedVectors.load(tmp_path / "really_binary.txt", format="text")


def test_native_file_layout_is_plain_arrays_and_json(tmp_path):
    kv = tricky_kv(8, 3)
    kv.metadata = {"config": {"model": "cbow", "dim": 3}, "loss": [1.5, 1.25]}
    kv.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["counts", "header", "vectors", "words"]
        assert archive["vectors"].dtype == np.float32
        assert json.loads(archive["words"].tobytes().decode("utf-8")) == kv.index_to_key
        header = json.loads(archive["header"].tobytes().decode("utf-8"))
    assert header["wordvec_version"] == __version__ and header["metadata"] == kv.metadata
    assert KeyedVectors.load(tmp_path / "m.npz").metadata == kv.metadata


def test_native_refuses_unsafe_metadata_and_keeps_old_file(tmp_path):
    kv = tricky_kv(4, 2)
    path = tmp_path / "m.npz"
    kv.save(path)
    before = path.read_bytes()
    kv.metadata = {"bad": object()}
    with pytest.raises(VectorFileError, match="JSON"):
        kv.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temp file left behind


def test_word2vec_formats_refuse_whitespace_words_atomically(tmp_path):
    kv = KeyedVectors(np.ones((2, 2), np.float32), ["ok", "two words"])
    path = tmp_path / "v.txt"
    path.write_text("old")
    with pytest.raises(VectorFileError, match="whitespace"):
        kv.save(path)
    assert path.read_text() == "old"
    kv.save(tmp_path / "v.npz")  # the native format stores any word
    assert KeyedVectors.load(tmp_path / "v.npz").index_to_key == ["ok", "two words"]


def test_limit_keeps_first_words(tmp_path):
    kv = tricky_kv(30, 5)
    for name in ("v.txt", "v.bin", "v.npz"):
        kv.save(tmp_path / name)
        loaded = KeyedVectors.load(tmp_path / name, limit=7)
        assert loaded.index_to_key == kv.index_to_key[:7]
        assert same_bits(loaded.vectors, kv.vectors[:7])
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True, limit=0)) == 0
    with pytest.raises(ValueError):
        KeyedVectors.load(tmp_path / "v.bin", limit=-1)


def test_reads_c_tool_conventions_headerless_text_and_gzip(tmp_path):
    # the C tool writes a trailing space on text rows and "\n" after each binary vector
    (tmp_path / "c.txt").write_bytes(b"2 3\nthe 0.5 -1 2 \nof 1e-3 0 -0 \n")
    kv = KeyedVectors.load(tmp_path / "c.txt")
    np.testing.assert_array_equal(kv.vectors, np.array([[0.5, -1, 2], [1e-3, 0, 0]], np.float32))
    (tmp_path / "glove.txt").write_text("the 0.5 1\nof 2 3\n")
    assert KeyedVectors.load(tmp_path / "glove.txt").index_to_key == ["the", "of"]
    payload = b"2 2\n" + b"x " + np.array([1, 2], "<f4").tobytes() + b"\n" + b"y " + np.array([3, 4], "<f4").tobytes()
    (tmp_path / "v.bin.gz").write_bytes(gzip.compress(payload))
    loaded = KeyedVectors.load(tmp_path / "v.bin.gz")
    np.testing.assert_array_equal(loaded.vectors, [[1, 2], [3, 4]])


# -- gensim interop -----------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_writes_wordvec_reads(tmp_path, binary):
    kv = tricky_kv()
    theirs = gensim_models.KeyedVectors(kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    path = tmp_path / ("g.bin" if binary else "g.txt")
    theirs.save_word2vec_format(str(path), binary=binary)
    loaded = KeyedVectors.load(path)
    order = [theirs.get_index(w) for w in loaded.index_to_key]
    assert sorted(loaded.index_to_key) == sorted(kv.index_to_key)
    assert same_bits(loaded.vectors, np.ascontiguousarray(theirs.vectors[order]))


@pytest.mark.parametrize("binary", [False, True])
def test_wordvec_writes_gensim_reads(tmp_path, binary):
    kv = tricky_kv()
    path = tmp_path / ("w.bin" if binary else "w.txt")
    kv.save_word2vec_format(path, binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(theirs.index_to_key) == kv.index_to_key
    assert same_bits(np.ascontiguousarray(theirs.vectors), kv.vectors)


# -- malformed input ----------------------------------------------------------------------------


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def binary_entry(word: bytes, values) -> bytes:
    return word + b" " + np.asarray(values, "<f4").tobytes() + b"\n"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"2 3\na 1 2 3\nb 1 2\n", "line 3: word 'b' has 2 values, expected 3"),
        (b"2 2\na 1 2\nb 1 x2\n", "line 3: value 2 of word 'b' is not a number"),
        (b"2 2\na 1 nan\nb 1 2\n", "line 2: word 'a' has a non-finite value .* at position 2"),
        (b"2 2\na 1 2\nb -inf 2\n", "line 3: word 'b' has a non-finite value .* at position 1"),
        (b"2 2\na 1 2\na 3 4\n", "line 3: duplicate word 'a'"),
        (b"3 2\na 1 2\nb 3 4\n", "line 4: file ends after 2 of the 3 words"),
        (b"1 2\na 1 2\nb 3 4\n", "line 3: more rows than the 1"),
        (b"2 2\na 1 2\n\xff\xfeb 3 4\n", "line 3: invalid UTF-8 at byte 0"),
        (b"1 0\n", "line 1: vector size must be at least 1"),
        (b"1 2\nlonely\n", "line 2: expected 'word v1 ... vD'"),
    ],
)
def test_text_errors_name_the_line(tmp_path, data, message):
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(VectorFileError, match=message):
        KeyedVectors.load(path, format="text")


def test_binary_errors_name_the_offset(tmp_path):
    good = b"2 2\n" + binary_entry(b"a", [1, 2]) + binary_entry(b"b", [3, 4])
    truncated = write(tmp_path, "t.bin", good[:-5])
    with pytest.raises(VectorFileError, match=r"byte offset 17: truncated vector for word 'b'"):
        KeyedVectors.load(truncated)
    short = write(tmp_path, "s.bin", b"3 2\n" + good[4:])
    with pytest.raises(VectorFileError, match=r"byte offset 26: file ends after 2 of the 3 words"):
        KeyedVectors.load(short, format="binary")
    bad_utf8 = write(tmp_path, "u.bin", b"1 2\n" + binary_entry(b"ok\xc3(", [1, 2]))
    with pytest.raises(VectorFileError, match=r"byte offset 6: invalid UTF-8"):
        KeyedVectors.load(bad_utf8, format="binary")
    dup = write(tmp_path, "d.bin", b"2 2\n" + binary_entry(b"a", [1, 2]) + binary_entry(b"a", [3, 4]))
    with pytest.raises(VectorFileError, match=r"byte offset 15: duplicate word 'a'"):
        KeyedVectors.load(dup, format="binary")
    nan = write(tmp_path, "n.bin", b"1 2\n" + binary_entry(b"a", [1, np.inf]))
    with pytest.raises(VectorFileError, match=r"byte offset 6: word 'a' has a non-finite value \(inf\) at position 2"):
        KeyedVectors.load(nan, format="binary")
    trailing = write(tmp_path, "x.bin", good + b"junk")
    with pytest.raises(VectorFileError, match=r"byte offset 26: unexpected data"):
        KeyedVectors.load(trailing, format="binary")
    header = write(tmp_path, "h.bin", b"two 2\n" + binary_entry(b"a", [1, 2]))
    with pytest.raises(VectorFileError, match=r"byte offset 0: malformed header"):
        KeyedVectors.load(header, format="binary")


def test_binary_names_the_first_problem_in_file_order(tmp_path):
    """The fast reader checks everything at once, yet reports what a record-by-record reader meets first."""
    bad_word, ok = binary_entry(b"\xff", [1, 2]), binary_entry(b"b", [1, 2])
    nan_first = write(tmp_path, "n.bin", b"4 2\n" + binary_entry(b"a", [np.nan, 1]) + bad_word + ok + ok[:-3])
    with pytest.raises(VectorFileError, match=r"byte offset 6: word 'a' has a non-finite value \(nan\) at position 1"):
        KeyedVectors.load(nan_first, format="binary")
    dup_first = write(tmp_path, "d.bin", b"4 2\n" + ok + ok + bad_word + b"junk")
    with pytest.raises(VectorFileError, match=r"byte offset 15: duplicate word 'b' \(first at offset 4\)"):
        KeyedVectors.load(dup_first, format="binary")
    utf8_first = write(tmp_path, "u.bin", b"2 2\n" + ok + bad_word[:-2])  # bad word, then truncated values
    with pytest.raises(VectorFileError, match=r"byte offset 15: invalid UTF-8 in word"):
        KeyedVectors.load(utf8_first, format="binary")
    junk_last = write(tmp_path, "j.bin", b"2 2\n" + ok + bad_word + b"junk")
    with pytest.raises(VectorFileError, match=r"byte offset 15: invalid UTF-8 in word"):
        KeyedVectors.load(junk_last, format="binary")


def test_binary_record_layout_variants(tmp_path):
    values = np.array([1.5, -2], "<f4").tobytes()
    # newline after a vector optional (gensim omits it), blank lines between records skipped, trailing
    # whitespace allowed; a word holds any byte but a space, so a newline inside a word is kept
    data = b"4 2\n" + b"a " + values + b"\n\n\nb " + values + b"c\nd " + values + b"\n" + b"e " + values + b" \n\t"
    loaded = KeyedVectors.load(write(tmp_path, "v.bin", data), format="binary")
    assert loaded.index_to_key == ["a", "b", "c\nd", "e"]
    np.testing.assert_array_equal(loaded.vectors, np.tile([1.5, -2], (4, 1)))
    assert loaded.vectors.flags.c_contiguous and loaded.vectors.dtype == np.float32


@pytest.mark.parametrize(
    "data, message",
    [
        (b"1 2\n\n " + bytes(8), "byte offset 5: empty word"),
        (b"1 2\n" + b"x" * (1 << 16) + b" " + bytes(8), "byte offset 4: no word followed by a space"),
        (b"1 2\nab", "byte offset 4: no word followed by a space"),
        (b"1 2\n\n\n", "byte offset 4: no word followed by a space"),
        (b"1 2\na " + bytes(8) + b" \n \x00", "byte offset 17: unexpected data after the 1 words"),
        (b"0 2\n\n x", "byte offset 6: unexpected data after the 0 words"),
        (b"\n", "byte offset 0: malformed header"),
        (b"1 2", "byte offset 0: missing header line"),
        (b"1 2\na " + bytes(5), "byte offset 6: truncated vector for word 'a' \\(needs 8 bytes, 5 left\\)"),
    ],
)
def test_binary_malformed_records(tmp_path, data, message):
    with pytest.raises(VectorFileError, match=message):
        KeyedVectors.load(write(tmp_path, "bad.bin", data), format="binary")


def test_binary_limit_stops_reading_early(tmp_path):
    good = b"3 2\n" + binary_entry(b"a", [1, 2]) + binary_entry(b"b", [3, 4]) + binary_entry(b"c", [5, 6])
    junk_after = write(tmp_path, "j.bin", good[:-1] + b"junk")
    assert KeyedVectors.load(junk_after, format="binary", limit=2).index_to_key == ["a", "b"]
    with pytest.raises(VectorFileError, match=r"byte offset 36: unexpected data"):
        KeyedVectors.load(junk_after, format="binary", limit=3)
    # a big .gz file cut short: the first words load without decompressing the rest
    dim, n_words = 100, 20_000
    rng = np.random.default_rng(3)
    body = b"".join(binary_entry(f"w{i}".encode(), rng.standard_normal(dim)) for i in range(n_words))
    packed = gzip.compress(f"{n_words} {dim}\n".encode() + body, compresslevel=1)
    cut = write(tmp_path, "cut.bin.gz", packed[: len(packed) * 3 // 4])
    assert KeyedVectors.load(cut, limit=1000).index_to_key == [f"w{i}" for i in range(1000)]
    with pytest.raises(VectorFileError, match=r"byte offset \d+: cannot read"):
        KeyedVectors.load(cut)


def test_binary_scan_grows_with_the_records_found_not_the_header():
    from wordvec.formats import _MAX_WORD_BYTES, _SCAN_ENDS, _kernel, _scan_records

    record = b"w " + bytes(4)
    for n_records in (1, 10_000):
        data = np.frombuffer(record * n_records, np.uint8)
        spans, count, status, at = _kernel(_scan_records)(data, 0, 10**18, 4, _MAX_WORD_BYTES, True)
        assert (count, status, at) == (n_records, _SCAN_ENDS, data.size)
        assert spans.shape[0] <= max(4097, 2 * (n_records + 1))
        np.testing.assert_array_equal(spans[:count, 0], np.arange(n_records) * len(record))


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_lying_header_never_allocates_much(tmp_path, fmt):
    one_row = b"a 1 2\n" if fmt == "text" else binary_entry(b"a", [1, 2])
    for header in (b"1000000000000 2\n", b"1 999999999999\n", b"999999999999999999 999999999999999999\n"):
        path = write(tmp_path, f"lie.{fmt}", header + one_row)
        tracemalloc.start()
        try:
            with pytest.raises(VectorFileError):
                KeyedVectors.load(path, format=fmt)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * 2**20, f"peak allocation {peak} bytes for header {header!r}"


def test_native_errors(tmp_path):
    kv = tricky_kv(5, 3)
    path = tmp_path / "m.npz"
    kv.save(path)
    data = path.read_bytes()
    write(tmp_path, "cut.npz", data[: len(data) // 2])
    with pytest.raises(VectorFileError, match="cut.npz"):
        KeyedVectors.load(tmp_path / "cut.npz")
    np.savez(tmp_path / "foreign.npz", vectors=np.ones((2, 2), np.float32))
    with pytest.raises(VectorFileError, match="no 'words' array"):
        KeyedVectors.load(tmp_path / "foreign.npz")
    np.savez(tmp_path / "obj.npz", vectors=np.ones((1, 2), np.float32), words=np.array([{"a": 1}], dtype=object),
             header=np.zeros(2, np.uint8))
    with pytest.raises(VectorFileError, match="unsupported dtype"):
        KeyedVectors.load(tmp_path / "obj.npz")
    # a member whose .npy header claims far more data than it holds
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    vectors_npy = members["vectors.npy"]
    members["vectors.npy"] = vectors_npy.replace(b"(5, 3)", b"(500000000000, 3)").replace(b"     }", b"}", 1)
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    with pytest.raises(VectorFileError, match="header says"):
        KeyedVectors.load(tmp_path / "lie.npz")
    with pytest.raises(VectorFileError, match="no such file"):
        KeyedVectors.load(tmp_path / "missing.npz")


def test_saving_non_finite_is_refused(tmp_path):
    kv = KeyedVectors(np.array([[1, np.nan]], np.float32), ["a"])
    for name in ("v.txt", "v.bin", "v.npz"):
        with pytest.raises(VectorFileError, match="word 'a' has a non-finite value"):
            kv.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_numpy_values_in_metadata_become_json(tmp_path):
    kv = tricky_kv(5, 2)
    kv.metadata = {"loss": np.array([1.5, 0.25], np.float32), "epochs": np.int64(3), "lr": np.float64(0.025)}
    kv.save(tmp_path / "m.npz")
    assert KeyedVectors.load(tmp_path / "m.npz").metadata == {"loss": [1.5, 0.25], "epochs": 3, "lr": 0.025}


@pytest.mark.parametrize("name", ["big.bin", "big.txt", "big.npz", "big.bin.gz"])
def test_round_trip_of_files_larger_than_the_read_chunk(tmp_path, name):
    from wordvec.formats import _CHUNK

    dim = 50
    n_words = 2 * _CHUNK // (4 * dim) + 7  # several read chunks, rows straddling chunk borders
    rng = np.random.default_rng(11)
    kv = KeyedVectors(rng.standard_normal((n_words, dim)).astype(np.float32), [f"w{i}" for i in range(n_words)])
    path = tmp_path / name
    if name.endswith(".gz"):
        kv.save(tmp_path / "plain.bin")
        path.write_bytes(gzip.compress((tmp_path / "plain.bin").read_bytes()))
    else:
        kv.save(path)
    loaded = KeyedVectors.load(path)
    assert loaded.index_to_key == kv.index_to_key
    assert same_bits(loaded.vectors, kv.vectors)


def _native(tmp_path, name, **overrides):
    header = {"format": "wordvec.keyedvectors", "format_version": 1, "wordvec_version": "x", "metadata": {}}
    arrays = {
        "vectors": np.ones((2, 3), np.float32),
        "words": np.frombuffer(json.dumps(["a", "b"]).encode(), np.uint8),
        "header": np.frombuffer(json.dumps(header).encode(), np.uint8),
    }
    for key, value in overrides.items():
        if key.startswith("header_"):
            header[key[7:]] = value
            arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
        else:
            arrays[key] = value
    np.savez(tmp_path / name, **arrays)
    return tmp_path / name


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"words": np.frombuffer(b'["a", "b", "c"]', np.uint8)}, "2 vectors but 3 words"),
        ({"words": np.frombuffer(b'["a", "a"]', np.uint8)}, "duplicate word 'a'"),
        ({"words": np.frombuffer(b'["a", 1]', np.uint8)}, "JSON list of strings"),
        ({"words": np.frombuffer(b'["a", "b"', np.uint8)}, "'words' is not valid UTF-8 JSON"),
        ({"words": np.array([1, 2], np.int32)}, "'words' must be UTF-8 JSON bytes"),
        ({"header_format": "other"}, "bad header"),
        ({"header_format_version": 99}, "unsupported native format version 99"),
        ({"header_metadata": [1, 2]}, "metadata must be a JSON object"),
        ({"vectors": np.ones(2, np.float32)}, "2-D float array"),
        ({"vectors": np.ones((2, 3), np.int64)}, "2-D float array"),
        ({"vectors": np.array([[1, 2, np.inf], [0, 0, 0]], np.float32)}, "word 'a' has a non-finite value"),
        ({"counts": np.array([1, 2, 3])}, "'counts' must be 2 integers"),
        ({"counts": np.array([1.5, 2.0])}, "'counts' must be 2 integers"),
    ],
)
def test_native_content_is_validated(tmp_path, overrides, message):
    with pytest.raises(VectorFileError, match=message):
        KeyedVectors.load(_native(tmp_path, "bad.npz", **overrides))


def test_native_accepts_float64_and_fortran_order(tmp_path):
    values = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) / 7)
    kv = KeyedVectors.load(_native(tmp_path, "ok.npz", vectors=values))
    assert kv.vectors.dtype == np.float32
    np.testing.assert_array_equal(kv.vectors, values.astype(np.float32))


def test_native_members_are_aligned_for_mmap(tmp_path):
    """write_npz pads each member so its data starts on a 64-byte boundary: a memory-mapped matrix
    is then aligned, and NumPy's BLAS products run on it (unaligned, they fell back to ~6x slower
    loops). numpy.load and zipfile still read the file as any .npz."""
    import zipfile

    from wordvec.fileio import NPZ_ALIGN, member_data_offset

    rng = np.random.default_rng(0)
    for n_words in (1, 7, 300):
        words = [f"w{i}" * (i % 5 + 1) for i in range(n_words)]
        vectors = rng.standard_normal((n_words, 13)).astype(np.float32)
        path = tmp_path / f"v{n_words}.npz"
        KeyedVectors(vectors, words, counts=np.arange(n_words) + 1).save(path)
        mapped = KeyedVectors.load(path, mmap="r")
        assert mapped.vectors.flags.aligned and mapped.vectors.ctypes.data % NPZ_ALIGN == 0
        np.testing.assert_array_equal(mapped.vectors, vectors)
        with np.load(path, allow_pickle=False) as plain:
            np.testing.assert_array_equal(plain["vectors"], vectors)
            np.testing.assert_array_equal(plain["counts"], np.arange(n_words) + 1)
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            for info in archive.infolist():
                assert member_data_offset(path, info) % NPZ_ALIGN == 0
