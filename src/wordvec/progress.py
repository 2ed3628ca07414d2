"""Progress bars on stderr, shared by every long-running step."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


def progress_bar(total: float | None, desc: str, unit: str = "word", enabled: bool = True, **kwargs) -> tqdm:
    """A tqdm bar on stderr; silent when disabled, shown only for steps longer than a second."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        file=sys.stderr,
        disable=not enabled,
        delay=1.0,
        mininterval=0.5,
        dynamic_ncols=True,
        leave=False,
        **kwargs,
    )
