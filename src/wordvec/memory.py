"""Up-front memory estimate: refuse a run that cannot fit before it allocates, with the figures.

A `--dim 100000` run on PTB needs about 16 GB: without this check it is OOM-killed (no message,
nothing saved) after reading the corpus and compiling. The estimate counts the arrays a run holds
at its peak, by engine; what is available is the least of the kernel's MemAvailable, the cgroup
limit (containers, systemd) and the address-space rlimit, each less what this process already uses.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from wordvec.config import TrainConfig
from wordvec.errors import WordvecError

_GB = 1e9


def estimate_bytes(config: TrainConfig, vocab_size: int) -> int:
    """Bytes a run of `config` over a vocabulary of `vocab_size` words holds at its peak.

    fast: input and output float32 matrices plus the returned vectors (and their unit-norm copy
    for queries), and a subword model's n-gram rows; reference: the same matrices with gradients and Adam's two moments; PPMI: the
    float64 SVD factors and work blocks (a dense V x V matrix when dim reaches the vocabulary).
    The counts themselves grow with the corpus, already read when this is called.
    """
    V, d = int(vocab_size), int(config.dim)
    if config.model == "ppmi":
        if d >= V:
            return 3 * V * V * 8
        return 6 * V * (d + 10) * 8
    # subwords: the n-gram rows in use, at most `bucket`, about 6 new ones per word and n-gram length
    # (PTB: 68,320 for 10,000 words with n-grams 3-6; this says 240,000), held twice at the end
    ngram_rows = min(config.bucket, 6 * V * (config.maxn - config.minn + 1)) if config.subwords else 0
    if config.engine == "reference":
        return 10 * (V + ngram_rows) * d * 4
    return (4 * V + 2 * ngram_rows) * d * 4


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def _meminfo(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _self_status(key: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup memory limit (v2, then v1), or None if unlimited."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, rel = parts
        if controllers == "":  # v2
            base = Path("/sys/fs/cgroup") / rel.lstrip("/")
            limit, used = _read_int(str(base / "memory.max")), _read_int(str(base / "memory.current"))
        elif "memory" in controllers.split(","):  # v1
            base = Path("/sys/fs/cgroup/memory") / rel.lstrip("/")
            limit = _read_int(str(base / "memory.limit_in_bytes"))
            used = _read_int(str(base / "memory.usage_in_bytes"))
        else:
            continue
        if limit is not None and limit < 2**60:
            return max(0, limit - (used or 0))
    return None


def available_bytes() -> int | None:
    """Bytes this process can still allocate, by the tightest known limit; None if none is known."""
    room = [value for value in (_meminfo("MemAvailable"), _cgroup_room()) if value is not None]
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        room.append(max(0, soft - _self_status("VmSize")))
    return min(room) if room else None


def check_memory(config: TrainConfig, vocab_size: int) -> None:
    """Raise WordvecError, with both figures, if the run cannot fit in the memory available.

    Set WORDVEC_NO_MEMORY_CHECK=1 to skip the check (for example where swap makes a slow run
    acceptable)."""
    if os.environ.get("WORDVEC_NO_MEMORY_CHECK"):
        return
    need = estimate_bytes(config, vocab_size)
    have = available_bytes()
    if have is None or need <= have:
        return
    what = "PPMI/SVD" if config.model == "ppmi" else f"{config.model} on the {config.engine} engine"
    raise WordvecError(
        f"training needs about {need / _GB:.1f} GB of memory ({vocab_size:,} words x dim {config.dim:,}, "
        f"{what}) but about {have / _GB:.1f} GB is available; use a smaller --dim or --max-vocab "
        "(or set WORDVEC_NO_MEMORY_CHECK=1 to try anyway)"
    )
