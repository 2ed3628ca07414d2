"""Checks for the JSON-safe scalars of a saved trainer state (both engines' `load_state_dict`)."""

from __future__ import annotations

import numpy as np

from wordvec.errors import TrainingError


def is_number(value) -> bool:
    """A JSON number: int or float, not bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def int_field(state: dict, name: str, minimum: int) -> int:
    """state[name] as an int >= minimum (JSON or NumPy ints, not bools), else TrainingError."""
    value = state.get(name)
    if isinstance(value, np.integer):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise TrainingError(f"saved {name} must be an int >= {minimum}, got {value!r:.40}")
    return value
