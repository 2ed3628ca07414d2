"""Numba compilation for every wordvec kernel: one `njit` decorator, its flags and its disk cache.

Why not plain `numba.njit(cache=True)`: Numba keys a cached kernel by the source file of the
decorated function only. A chunk kernel in `fast/kernels.py` inlines helpers from `fast/updates.py`,
`fast/_rng.py` and `fast/tables.py`; edit one of those, or upgrade wordvec over an old install,
and Numba would load the OLD machine code. Here a kernel's freshness stamp is a hash over the
source of its own file and of every wordvec module that file imports, transitively (plus the
Numba, llvmlite and Python versions), so any change to code a kernel can depend on recompiles it.

Broken cache files never break a run: the data files carry a SHA-256 of their contents, and any
failure to read the index or a data file (truncated, garbage, unpicklable, wrong checksum) is
treated as a cache miss: the kernel is compiled again and the cache rewritten. A cache location
that cannot be written (read-only install, full disk) means no caching, never an error.

`FASTMATH` is the set of fast-math flags the kernels use: reassociation, contraction, reciprocal
and approximate functions, no signed zeros, but NOT `nnan`/`ninf`, which would let LLVM assume no
value is ever NaN or Inf and so optimise away the very NaN that tells a diverging run to stop.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import sys
from pathlib import Path

import llvmlite
import numba
from numba.core import caching

#: fast-math flags of the kernels: everything except the finiteness assumptions (nnan, ninf)
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
#: options of the chunk kernels and of the single-step functions the tests compare
KERNEL_OPTS = dict(nogil=True, cache=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")

PACKAGE_DIR = Path(__file__).resolve().parent
_DIGEST = hashlib.sha256
_MAGIC = b"wordvec-nbc1\n"


def njit(*args, **options):
    """`numba.njit` with wordvec's dependency-aware, self-healing disk cache for `cache=True`."""
    cache = options.pop("cache", False)

    def decorate(func):
        dispatcher = numba.njit(**options)(func)
        if cache:
            dispatcher._cache = _make_cache(dispatcher.py_func)
        return dispatcher

    if args and callable(args[0]) and len(args) == 1:
        return decorate(args[0])
    if args:
        raise TypeError("wordvec._jit.njit takes keyword options only (no signatures)")
    return decorate


# ---- freshness: a hash over a module and everything in wordvec it imports ----


def _module_file(name: str) -> Path | None:
    """The source file of module `wordvec.x.y` inside this package, or None."""
    parts = name.split(".")
    if parts[0] != "wordvec":
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR).with_suffix("")
    parts = ["wordvec", *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[Path]:
    """wordvec source files imported by `path` (absolute and relative imports, any depth)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[Path] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            # `import wordvec.fast.kernels` also runs wordvec/__init__ and wordvec/fast/__init__
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                file = _module_file(".".join(parts[:depth]))
                if file is not None:
                    found.add(file)
    return found


@functools.lru_cache(maxsize=None)
def source_stamp(py_file: str) -> str:
    """Hex SHA-256 over the source of `py_file`, of every wordvec module it imports
    (transitively), and of the compiler's versions."""
    start = Path(py_file).resolve()
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.is_relative_to(PACKAGE_DIR):
            todo.extend(_imports(path) - seen)
    digest = _DIGEST()
    for part in (numba.__version__, llvmlite.__version__, sys.version):
        digest.update(part.encode() + b"\0")
    for path in sorted(seen):
        digest.update(str(path.relative_to(PACKAGE_DIR) if path.is_relative_to(PACKAGE_DIR) else path).encode())
        digest.update(b"\0" + _DIGEST(path.read_bytes()).digest())
    return digest.hexdigest()


# ---- the cache: numba's FunctionCache with our locator, checked data files, misses on errors ----


class _Locator(caching._CacheLocator):
    """Cache files in `__pycache__` beside the source (or `$NUMBA_CACHE_DIR`, or the user's cache
    folder when the package folder is read-only), stamped with `source_stamp`."""

    def __init__(self, py_func, py_file, cache_path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = cache_path

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return source_stamp(self._py_file)

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.exists(py_file):
            return None
        subpath = cls.get_suitable_cache_subpath(py_file)
        candidates = []
        if numba.config.CACHE_DIR:
            candidates.append(os.path.join(numba.config.CACHE_DIR, subpath))
        else:
            candidates.append(os.path.join(os.path.dirname(py_file), "__pycache__"))
            xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            candidates.append(os.path.join(xdg, "wordvec", "numba", subpath))
        for path in candidates:
            locator = cls(py_func, py_file, path)
            try:
                locator.ensure_cache_path()
            except OSError:
                continue
            return locator
        return None


class _CheckedCacheFile(caching.IndexDataCacheFile):
    """Numba's index + data files, with a checksum on each data file and any read failure a miss."""

    def _load_index(self):
        try:
            return super()._load_index()
        except Exception:  # truncated, garbage, or from an incompatible writer: start afresh
            return {}

    def _save_data(self, name, data):
        payload = self._dump(data)
        with self._open_for_write(self._data_path(name)) as handle:
            handle.write(_MAGIC + _DIGEST(payload).digest() + payload)

    def _load_data(self, name):
        with open(self._data_path(name), "rb") as handle:
            blob = handle.read()
        head = len(_MAGIC) + _DIGEST().digest_size
        payload = blob[head:]
        if not blob.startswith(_MAGIC) or blob[len(_MAGIC):head] != _DIGEST(payload).digest():
            raise OSError("corrupt cache data file")  # load() turns OSError into a miss
        return caching.pickle.loads(payload)


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_Locator]


class _Cache(caching.FunctionCache):
    """A FunctionCache that never fails a run: unreadable entries recompile, unwritable ones skip."""

    _impl_class = _CacheImpl

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = _CheckedCacheFile(self._cache_path, self._impl.filename_base,
                                             self._impl.locator.get_source_stamp())

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception:
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception:
            pass


def _make_cache(py_func):
    try:
        return _Cache(py_func)
    except Exception:  # no writable location, or a Numba without this machinery: compile each run
        return caching.NullCache()
