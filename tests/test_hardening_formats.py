"""Issue 8 hardening of the vector-file readers and writers.

Memory bombs are loaded in a child process whose peak RSS (ru_maxrss) is compared before and after
the hostile load; non-regular files are loaded in a child with a timeout, so a reader that blocks or
reads forever fails the test instead of hanging the suite.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import random
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile

import numpy as np
import pytest

from wordvec import formats
from wordvec.errors import VectorFileError
from wordvec.formats import MAX_WORD_BYTES, check_savable, format_for_path
from wordvec.vectors import KeyedVectors

_CHILD = r"""
import json, resource, sys
import numpy as np
from wordvec.errors import VectorFileError
from wordvec.vectors import KeyedVectors
warm, target = sys.argv[1], sys.argv[2]
KeyedVectors.load(warm)  # imports and compiles what any load needs
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    KeyedVectors.load(target)
    message = None
except VectorFileError as exc:
    message = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"message": message, "grew_mib": (after - before) / 1024}))
"""


def _load_in_child(tmp_path, target, warm_name="warm.bin", timeout=60) -> dict:
    warm = tmp_path / warm_name
    KeyedVectors(np.ones((2, 3), np.float32), ["a", "b"]).save(warm)
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(warm), str(target)], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading {target} did not finish within {timeout} s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "", done.stderr[-2000:]  # no warning, no traceback
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compressed(opener, name, head: bytes, filler: bytes, mib: int, tmp_path):
    path = tmp_path / name
    block = filler * (1 << 20)
    with opener(path, "wb") as out:
        out.write(head)
        for _ in range(mib):
            out.write(block)
    return path


def _fast_gzip(path, *a, **k):
    return gzip.open(path, *a, compresslevel=1, **k)


# -- 1. memory bombs ----------------------------------------------------------------------------


def test_text_row_longer_than_the_header_allows_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "long_row.txt"
    with open(path, "wb") as out:  # header says 3 values; the row holds 4 million
        out.write(b"2 3\nw " + b"0 " * 4_000_000 + b"\nx 1 2 3\n")
    result = _load_in_child(tmp_path, path, warm_name="warm.txt")
    assert result["message"] and "line 2" in result["message"] and "longer than a row of 3 values" in result["message"]
    assert result["grew_mib"] < 40, result


def test_headerless_text_row_is_bounded_by_the_largest_vector_size(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_bytes(b"w " + b"0 " * (formats.MAX_VECTOR_SIZE + 10) + b"\n")
    with pytest.raises(VectorFileError, match=r"line 1: word 'w' has more than 1048576 values"):
        KeyedVectors.load(path)


def test_compressed_binary_bomb_stops_at_what_the_header_allows(tmp_path):
    # a 3-word header, then 256 MiB of newlines (a ~250 KiB file): refused after ~200 KiB decompressed
    path = _compressed(_fast_gzip, "bomb.bin.gz", b"3 2\n", b"\n", 256, tmp_path)
    assert path.stat().st_size < 2 << 20
    result = _load_in_child(tmp_path, path)
    assert result["message"] and "more data than the header's 3 words of 2 values" in result["message"]
    assert result["grew_mib"] < 64, result


@pytest.mark.parametrize("opener, name", [(bz2.open, "ws.bin.bz2"), (lzma.open, "ws.bin.xz")])
def test_trailing_whitespace_bomb_in_bz2_and_xz_binary(tmp_path, opener, name):
    record = b"a " + np.array([1, 2], "<f4").tobytes() + b"\n"
    path = _compressed(opener, name, b"1 2\n" + record, b" ", 64, tmp_path)
    with pytest.raises(VectorFileError, match=r"more data than the header's 1 words"):
        KeyedVectors.load(path)


def test_endless_blank_lines_in_compressed_text_are_refused_early(tmp_path):
    path = _compressed(_fast_gzip, "blank.txt.gz", b"3 2\na 1 2\n", b"\n", 16, tmp_path)
    with pytest.raises(VectorFileError, match=r"blank lines for 1 rows"):
        KeyedVectors.load(path)


def test_deflated_npz_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1), np.float32))
    header["shape"] = (64 << 20, 1)  # 256 MiB of float32 zeros, ~250 KiB deflated
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("vectors.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, header)
            block = bytes(1 << 24)
            for _ in range(16):
                member.write(block)
        archive.writestr("words.npy", b"")
        archive.writestr("header.npy", b"")
    result = _load_in_child(tmp_path, path)
    assert result["message"] and "member vectors.npy is compressed (deflate)" in result["message"]
    assert result["grew_mib"] < 32, result


@pytest.mark.parametrize("name", ["zero.bin", "zero.txt", "zero.npz", "fifo.bin", "fifo.txt", "folder.npz"])
def test_non_regular_files_are_refused_at_once(tmp_path, name):
    path = tmp_path / name
    if name.startswith("zero"):
        os.symlink("/dev/zero", path)
    elif name.startswith("fifo"):
        os.mkfifo(path)
    else:
        path.mkdir()
    result = _load_in_child(tmp_path, path, timeout=30)
    kind = {"zero": "a device", "fifo": "a FIFO", "folder": "a directory"}[name.split(".")[0]]
    assert result["message"] == f"{path}: is {kind}, not a regular vector file"


# -- 2. writers produce only what their readers accept --------------------------------------------


def test_format_for_path_is_the_one_rule():
    table = {
        "a.txt": ("text", None), "a.VEC": ("text", None), "a.bin": ("binary", None), "a.npz": ("native", None),
        "a": ("native", None), "a.txt.gz": ("text", "gz"), "a.vec.bz2": ("text", "bz2"),
        "a.bin.xz": ("binary", "xz"), "a.bin.GZ": ("binary", "gz"), "a.npz.gz": ("native", "gz"),
        "dir.v1/a.tar": ("native", None),
    }
    assert {name: format_for_path(name) for name in table} == table
    with pytest.raises(TypeError):
        format_for_path(3)  # type: ignore[arg-type]


_MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}


@pytest.mark.parametrize("name", ["v.txt.gz", "v.vec.bz2", "v.txt.xz", "v.bin.gz", "v.bin.bz2", "v.bin.xz"])
def test_compressed_outputs_are_compressed_and_read_back(tmp_path, name):
    rng = np.random.default_rng(5)
    kv = KeyedVectors(rng.standard_normal((300, 7)).astype(np.float32), [f"w{i}é" for i in range(300)])
    path = tmp_path / name
    kv.save(path)
    fmt, compression = format_for_path(path)
    data = path.read_bytes()
    assert data.startswith(_MAGIC[compression])
    plain = {"gz": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}[compression](data)
    assert plain.startswith(b"300 7\n")
    assert formats.sniff_format(path) == fmt
    loaded = KeyedVectors.load(path)
    assert loaded.index_to_key == kv.index_to_key
    assert (loaded.vectors.view(np.uint32) == kv.vectors.view(np.uint32)).all()  # bit-exact round trip
    assert KeyedVectors.load(path, limit=5).index_to_key == kv.index_to_key[:5]


@pytest.mark.parametrize("name", ["v.npz.gz", "v.xz"])
def test_compressed_native_is_refused_clearly_and_writes_nothing(tmp_path, name):
    kv = KeyedVectors(np.ones((1, 2), np.float32), ["a"])
    with pytest.raises(VectorFileError, match="cannot write a .*-compressed native file"):
        kv.save(tmp_path / name)
    with pytest.raises(VectorFileError, match="compressed native"):
        check_savable(["a"], tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "v.npz").write_bytes(b"")
    kv.save(tmp_path / "v.npz")
    (tmp_path / name).write_bytes(gzip.compress((tmp_path / "v.npz").read_bytes()))
    with pytest.raises(VectorFileError, match="decompress it first"):
        KeyedVectors.load(tmp_path / name)


@pytest.mark.parametrize(
    "word, refused_by",
    [
        ("two words", {"text", "binary"}),
        ("café\u00a0noir", {"text", "binary"}),  # NBSP: str.split's whitespace
        ("a\u2028b", {"text", "binary"}),
        ("x\x1cy", {"text", "binary"}),  # a separator str.split splits on
        ("tab\t", {"text", "binary"}),
        ("", {"text", "binary"}),
        ("é" * (MAX_WORD_BYTES // 2 + 1), {"text", "binary"}),  # over the byte limit in UTF-8
        ("lone\udcffsurrogate", {"text", "binary", "native"}),
        ("fine·word", set()),
    ],
    ids=["space", "nbsp", "line-separator", "file-separator", "tab", "empty", "too-long", "surrogate", "fine"],
)
def test_check_savable_and_save_apply_one_rule(tmp_path, word, refused_by):
    words = ["ok", word]
    for fmt, name in [("text", "v.txt"), ("text", "v.vec.gz"), ("binary", "v.bin"), ("native", "v.npz")]:
        path = tmp_path / name
        path.write_bytes(b"old")
        kv = KeyedVectors(np.ones((2, 3), np.float32), words)
        if fmt in refused_by:
            with pytest.raises(VectorFileError, match=r"cannot save word 2 ") as by_check:
                check_savable(words, path)
            with pytest.raises(VectorFileError) as by_save:
                kv.save(path)
            assert str(by_save.value) == str(by_check.value)
            with pytest.raises(VectorFileError):
                check_savable(words, fmt)
            assert path.read_bytes() == b"old"  # the old file survives
        else:
            check_savable(words, path)
            kv.save(path)
            assert KeyedVectors.load(path).index_to_key == words
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin", "v.npz", "v.txt", "v.vec.gz"]  # no temp files


def test_check_savable_refuses_duplicates_and_checks_its_inputs():
    with pytest.raises(VectorFileError, match="word 3 'a' .* duplicate"):
        check_savable(["a", "b", "a"], "native")
    with pytest.raises(TypeError):
        check_savable("abc", "text")
    with pytest.raises(TypeError):
        check_savable(["a", 3], "text")  # type: ignore[list-item]
    with pytest.raises(VectorFileError, match="unknown vector file format"):
        KeyedVectors(np.ones((1, 1), np.float32), ["a"]).save("x.bin", format="csv")


def test_word_byte_limit_agrees_between_binary_writer_and_reader(tmp_path):
    longest = "x" * MAX_WORD_BYTES
    for name in ("v.bin", "v.txt", "v.bin.gz"):
        kv = KeyedVectors(np.ones((2, 2), np.float32), [longest, "b"])
        kv.save(tmp_path / name)
        assert KeyedVectors.load(tmp_path / name).index_to_key == [longest, "b"]
    too_long = KeyedVectors(np.ones((1, 2), np.float32), ["y" * 70_000])
    with pytest.raises(VectorFileError, match="70000 bytes in UTF-8"):
        too_long.save(tmp_path / "long.bin")
    assert not (tmp_path / "long.bin").exists()
    too_long.save(tmp_path / "long.npz")  # the native format holds it
    assert KeyedVectors.load(tmp_path / "long.npz").index_to_key == ["y" * 70_000]


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0)])
def test_empty_shapes_round_trip_natively_and_word2vec_refuses_dim_zero(tmp_path, shape):
    kv = KeyedVectors(np.zeros(shape, np.float32), [f"w{i}" for i in range(shape[0])], metadata={"k": 1})
    kv.save(tmp_path / "v.npz")
    loaded = KeyedVectors.load(tmp_path / "v.npz")
    assert loaded.vectors.shape == shape and loaded.index_to_key == kv.index_to_key
    for name in ("v.txt", "v.bin"):
        if shape[1] == 0:
            with pytest.raises(VectorFileError, match="size 0"):
                kv.save(tmp_path / name)
            assert not (tmp_path / name).exists()
        else:
            kv.save(tmp_path / name)
            assert KeyedVectors.load(tmp_path / name).vectors.shape == shape


def test_binary_whose_first_row_looks_like_text_still_loads_as_binary(tmp_path):
    value = struct.unpack("<f", b"1234")[0]  # its four bytes are the digits "1234"
    kv = KeyedVectors(np.array([[value], [2.5]], np.float32), ["a", "b"])
    kv.save(tmp_path / "v.bin")
    loaded = KeyedVectors.load(tmp_path / "v.bin")
    assert (loaded.vectors.view(np.uint32) == kv.vectors.view(np.uint32)).all()


# -- 3. native header and members ---------------------------------------------------------------


def _native_bytes(header: bytes | None = None, **members: bytes) -> bytes:
    """A native file (as write_native makes it) with some members replaced."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        KeyedVectors(np.ones((2, 3), np.float32), ["a", "b"], counts=[2, 1],
                     metadata={"config": {"dim": 3}}).save(os.path.join(tmp, "v.npz"))
        with zipfile.ZipFile(os.path.join(tmp, "v.npz")) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
    if header is not None:
        parts["header.npy"] = _npy(np.frombuffer(header, np.uint8))
    parts.update({f"{k}.npy": v for k, v in members.items()})
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in parts.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=False)
    return out.getvalue()


_HEAD = b'{"format": "wordvec.keyedvectors", "format_version": 1, "has_counts": true, "metadata": '


@pytest.mark.parametrize(
    "header, message",
    [
        (_HEAD + b'{"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}", "nested too deeply"),
        (_HEAD + b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}}", "nested more than 64 levels"),
        (_HEAD + b'{"config": [1, 2]}}', "metadata 'config' must be a JSON object"),
        (_HEAD + b'{"config": {"dim": {"a": 1}}}}', "'config' entry 'dim' must be a string, number"),
        (_HEAD + b'{"loss_history": [1]}}', "'loss_history' must be a JSON object"),
        (_HEAD + b'{"loss_history": {"step_loss": ["x"]}}}', "'step_loss' must be a list of numbers"),
        (_HEAD + b'{"corpus": 5}}', "metadata 'corpus' must be a string"),
        (_HEAD + b'{"loss": NaN}}', "not valid UTF-8 JSON"),
        (_HEAD + b'{"loss": 1e999}}', "not valid UTF-8 JSON"),
        (_HEAD + b'{"n": ' + b"9" * 5000 + b"}}", "not valid UTF-8 JSON"),
        (b'{"format": "wordvec.keyedvectors", "format_version": true, "metadata": {}}', "format version"),
        (b'{"format": "wordvec.keyedvectors", "format_version": 1, "wordvec_version": 2}', "'wordvec_version'"),
    ],
    ids=["deep-recursion", "deep-64", "config-list", "config-nested", "history-list", "history-strings",
         "corpus-number", "nan", "huge-float", "huge-int", "version-bool", "wordvec-version-number"],
)
def test_native_header_is_validated_in_one_line(tmp_path, header, message):
    path = tmp_path / "bad.npz"
    path.write_bytes(_native_bytes(header))
    with pytest.raises(VectorFileError, match=message) as caught:
        KeyedVectors.load(path)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"config": [1, 2]}, "'config' must be a JSON object"),
        ({"config": {"a": [1]}}, "'config' entry 'a'"),
        ({"loss_history": {"epoch_loss": [1.0, "x"]}}, "'epoch_loss' must be a list of numbers"),
        ({"engine": 3}, "'engine' must be a string"),
        ({"deep": json.loads("[" * 70 + "]" * 70)}, "nested more than 64 levels"),
    ],
)
def test_native_writer_refuses_what_the_reader_refuses(tmp_path, metadata, message):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    with pytest.raises(VectorFileError, match=message):
        KeyedVectors(np.ones((1, 2), np.float32), ["a"], metadata=metadata).save(path)
    assert path.read_bytes() == b"old"
    # what the engines write is accepted and read back unchanged
    engines = {
        "config": {"model": "cbow", "dim": 3, "lr": None, "lowercase": False, "sample": 0.001},
        "engine": "fast", "corpus": "ptb", "train_seconds": 1.5, "words_per_sec": None,
        "loss_history": {"epoch_loss": [2.5, 2.0], "step_words": [10, 20], "eval_interval": 20},
        "timings": {"svd_s": 0.1}, "singular_values": [3.0, 2.0], "free": {"any": [{"json": True}]},
    }
    KeyedVectors(np.ones((1, 3), np.float32), ["a"], metadata=engines).save(path)
    assert KeyedVectors.load(path).metadata == engines


def _vectors_npy_with_shape(shape: bytes) -> bytes:
    raw = _npy(np.ones((2, 3), np.float32))
    return raw.replace(b"(2, 3)", shape.ljust(6))


@pytest.mark.parametrize(
    "members, message",
    [
        ({"vectors": _vectors_npy_with_shape(b"(-2, -3)")}, "bad shape"),
        ({"vectors": _npy(np.full((2, 3), 1e300))}, "non-finite value"),
        ({"counts": _npy(np.array([2**64 - 1, 1], np.uint64))}, "above 2\\*\\*63"),
    ],
)
def test_native_members_are_validated_without_warnings(tmp_path, members, message):
    path = tmp_path / "bad.npz"
    path.write_bytes(_native_bytes(**members))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would leak onto the CLI's stderr
        with pytest.raises(VectorFileError, match=message):
            KeyedVectors.load(path)


# -- mutation fuzzing over every format ---------------------------------------------------------


def _check_any_outcome(path, fmt) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            kv = KeyedVectors.load(path, format=fmt)
        except VectorFileError as exc:
            assert str(exc) and "\n" not in str(exc).strip()
            return "refused"
    assert kv.vectors.dtype == np.float32 and kv.vectors.ndim == 2 and np.isfinite(kv.vectors).all()
    assert kv.vectors.shape[0] == len(kv.index_to_key) == len(set(kv.index_to_key))
    return "loaded"


def test_mutated_files_of_every_format_load_or_refuse_in_one_line(tmp_path):
    rng = np.random.default_rng(0)
    kv = KeyedVectors(rng.standard_normal((6, 4)).astype(np.float32), ["the", "naïve", "b", "日本", "c", "d"],
                      counts=[9, 5, 3, 2, 1, 1], metadata={"config": {"dim": 4}, "loss_history": {"epoch_loss": [1.0]}})
    originals = {}
    for name in ("v.txt", "v.bin", "v.npz", "v.txt.gz", "v.bin.bz2", "v.bin.xz"):
        kv.save(tmp_path / name)
        originals[name] = (tmp_path / name).read_bytes()
    case = tmp_path / "case.dat"
    pick = random.Random(1)
    outcomes = {"loaded": 0, "refused": 0}
    for name, data in originals.items():
        for cut in range(0, len(data), max(1, len(data) // 40)):
            case.write_bytes(data[:cut])
            outcomes[_check_any_outcome(case, pick.choice([None, "text", "binary", "native"]))] += 1
        for _ in range(150):
            edited = bytearray(data)
            for _ in range(pick.randint(1, 3)):
                at = pick.randrange(len(edited))
                roll = pick.random()
                if roll < 0.5:
                    edited[at] = pick.randrange(256)
                elif roll < 0.7:
                    del edited[at]
                else:
                    edited[at:at] = pick.choice([b"nan", b"999999999999999999", b"-1", b"\n", b"1e999", b"[[[["])
            case.write_bytes(bytes(edited))
            outcomes[_check_any_outcome(case, pick.choice([None, None, "text", "binary", "native"]))] += 1
    structural = [
        _native_bytes(_HEAD + b'{"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"),
        _native_bytes(_HEAD + b'{"config": [1, 2]}}'),
        _native_bytes(vectors=_vectors_npy_with_shape(b"(-2, -3)")),
        _native_bytes(vectors=_vectors_npy_with_shape(b"(3, 2)")),
        _native_bytes(vectors=_npy(np.asfortranarray(np.ones((2, 3))))),
        _native_bytes(vectors=_npy(np.full((2, 3), 1e300))),
        _native_bytes(vectors=_npy(np.ones((2, 3), np.float16))),
        _native_bytes(counts=_npy(np.array([2**64 - 1, 1], np.uint64))),
        _native_bytes(words=_npy(np.frombuffer(b"[" + b"1" * 5000 + b"]", np.uint8))),
    ]
    for data in structural:
        case.write_bytes(data)
        outcomes[_check_any_outcome(case, None)] += 1
    assert outcomes["loaded"] > 0 and outcomes["refused"] > 0
    for name, data in originals.items():  # the untouched files still load
        case.write_bytes(data)
        assert KeyedVectors.load(case).index_to_key == kv.index_to_key


def test_corrupt_compressed_streams_name_the_place(tmp_path):
    kv = KeyedVectors(np.ones((200, 20), np.float32), [f"w{i}" for i in range(200)])
    for name in ("v.txt.bz2", "v.bin.xz", "v.txt.xz", "v.bin.bz2"):
        kv.save(tmp_path / name)
        data = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) // 2])
        with pytest.raises(VectorFileError, match=r"v\.(txt|bin)\.(bz2|xz): .*cannot read") as caught:
            KeyedVectors.load(tmp_path / name)
        assert "\n" not in str(caught.value)
