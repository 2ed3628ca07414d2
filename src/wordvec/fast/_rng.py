"""Per-thread random numbers for the kernels: splitmix64, one uint64 of state per thread.

Kept as a bare uint64 so a kernel can hold it in a register and hand it back in a 1-element
array (which is also what `FastTrainer.state_dict` saves). All arithmetic stays in uint64:
mixing it with int64 in Numba would silently promote to float64.
"""

from __future__ import annotations

import numpy as np
from wordvec._jit import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S40 = np.uint64(40)
_LOW24 = np.uint64(0xFFFFFF)
_INV24 = np.float32(1.0 / (1 << 24))


@njit(inline="always", cache=True, error_model="numpy")
def advance(state):
    """Next state of the generator (a Weyl sequence step)."""
    return state + _GOLDEN


@njit(inline="always", cache=True, error_model="numpy")
def output(state):
    """The 64 random bits for a state (splitmix64 finaliser)."""
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(inline="always", cache=True, error_model="numpy")
def below(bits, n):
    """An integer in [0, n) from the high 32 bits (n < 2**32), by multiply-shift."""
    return np.int64(((bits >> _S32) * np.uint64(n)) >> _S32)


@njit(inline="always", cache=True, error_model="numpy")
def unit(bits):
    """A float32 in [0, 1) from the high 24 bits."""
    return np.float32(bits >> _S40) * _INV24


@njit(inline="always", cache=True, error_model="numpy")
def unit_low(bits):
    """A float32 in [0, 1) from the low 24 bits (independent of `below`'s high bits)."""
    return np.float32(bits & _LOW24) * _INV24


def seed_states(seed: int, n: int) -> np.ndarray:
    """`n` independent uint64 states derived from one user seed."""
    return np.random.default_rng([seed, 0x5EED]).integers(0, 2**63, size=n, dtype=np.uint64)
