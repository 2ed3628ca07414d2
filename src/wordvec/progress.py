"""Progress bars on stderr, shared by every long-running step.

`progress_bar()` gives a tqdm bar for one step. A bar counts absolute positions: a trainer that
resumes at `done` words starts its bar with `update(done)`, then adds what it trains.

`RunProgress` is one bar for a whole checkpointed run (many `trainer.run()` steps, with saves in
between). While it is active (`with run_progress:`), `progress_bar()` returns a *segment* of it
instead of a new bar: the segment's count is taken as the run's absolute position (which is what
trainers already report), its postfix goes to the run's bar and closing it ends the segment. So
the bar never restarts at a checkpoint, and since it lives for the whole run tqdm's start-up
delay does not hide it. Its rate is words trained by this process over this process's training
time (the time inside segments), never words resumed from a checkpoint over a segment's time.
"""

from __future__ import annotations

import contextvars
import math
import sys
import time
from typing import Any, Callable

from tqdm.auto import tqdm

_ACTIVE: contextvars.ContextVar["RunProgress | None"] = contextvars.ContextVar("wordvec_run_progress",
                                                                               default=None)


def progress_bar(total: float | None, desc: str, unit: str = "word", enabled: bool = True, **kwargs):
    """A tqdm bar on stderr; silent when disabled, shown only for steps longer than a second.

    Inside an active `RunProgress` this returns a segment of the run's bar instead (same
    `update`/`set_postfix`/`close` methods), so a step of a checkpointed run never starts a bar
    of its own.
    """
    run = _ACTIVE.get()
    if run is not None:
        return run.segment()
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


class _RunBar(tqdm):
    """tqdm whose shown rate (and so time left) is the run's own, not tqdm's smoothed n/elapsed."""

    run: "RunProgress | None" = None

    @property
    def format_dict(self):
        numbers = super().format_dict
        if self.run is not None and not self.disable:
            numbers["rate"] = self.run.rate
        return numbers


class RunProgress:
    """One progress bar over a whole checkpointed run.

    `total` is the run's words (all epochs), `initial` the words already done when this process
    starts (resume). `on_update(numbers)`, if given, receives `numbers()` at every change (tests,
    GUIs). Use as a context manager around the training steps; `close()` ends it.
    """

    def __init__(self, total: int, *, initial: int = 0, desc: str = "training", unit: str = "word",
                 enabled: bool = True, on_update: Callable[[dict], Any] | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"total must be an int >= 0, got {total!r}")
        if not isinstance(initial, int) or isinstance(initial, bool) or not 0 <= initial:
            raise ValueError(f"initial must be an int >= 0, got {initial!r}")
        self.total = total
        self.initial = initial
        self.n = initial
        self.on_update = on_update
        self._clock = clock
        self._seconds = 0.0  # training time of closed segments
        self._segment_start: float | None = None
        self._token: contextvars.Token | None = None
        self._bar = _RunBar(total=total, initial=initial, desc=desc, unit=unit, unit_scale=True,
                            file=sys.stderr, disable=not enabled, delay=1.0, mininterval=0.5,
                            dynamic_ncols=True, leave=False)
        self._bar.run = self

    # ---- numbers ----

    @property
    def training_seconds(self) -> float:
        """Seconds this process has spent inside training segments so far."""
        open_part = 0.0 if self._segment_start is None else self._clock() - self._segment_start
        return self._seconds + open_part

    @property
    def trained(self) -> int:
        """Words trained by this process (not those resumed from a checkpoint)."""
        return self.n - self.initial

    @property
    def rate(self) -> float | None:
        """Words per second of this process's training; None before any time has passed."""
        seconds = self.training_seconds
        return self.trained / seconds if seconds > 0 else None

    def numbers(self) -> dict:
        """{"n", "total", "initial", "trained", "seconds", "rate"}: what the bar shows."""
        return {"n": self.n, "total": self.total, "initial": self.initial, "trained": self.trained,
                "seconds": self.training_seconds, "rate": self.rate}

    # ---- driving it ----

    def __enter__(self) -> "RunProgress":
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def segment(self) -> "_Segment":
        """A view of this bar for one training step (what `progress_bar()` returns while active)."""
        return _Segment(self)

    def _begin(self) -> None:
        if self._segment_start is None:
            self._segment_start = self._clock()

    def _end(self) -> None:
        if self._segment_start is not None:
            self._seconds += self._clock() - self._segment_start
            self._segment_start = None
            self._notify()

    def set_total(self, total: int) -> None:
        """A new run total (the epochs changed)."""
        self.total = int(total)
        self._bar.total = self.total
        self._notify()

    def move_to(self, position: int) -> None:
        """Set the run's absolute position (words done)."""
        position = int(position)
        if position != self.n:
            self._bar.update(position - self.n)
            self.n = position
            self._notify()

    def set_postfix(self, **values) -> None:
        self._bar.set_postfix(refresh=False, **values)

    def _notify(self) -> None:
        if self.on_update is not None:
            self.on_update(self.numbers())

    def close(self) -> None:
        """End the run's bar (and any open segment); `progress_bar()` makes plain bars again."""
        self._end()
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        self._bar.close()


class _Segment:
    """One training step's view of a RunProgress: counts are the run's absolute position."""

    def __init__(self, run: RunProgress) -> None:
        self.run = run
        self.n = 0
        self.disable = run._bar.disable
        run._begin()

    def update(self, n: float = 1) -> None:
        if not (isinstance(n, (int, float)) and math.isfinite(n)):
            return
        self.n += int(n)
        self.run.move_to(self.n)

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **values) -> None:
        self.run.set_postfix(**dict(ordered_dict or {}, **values))

    def refresh(self) -> None:
        self.run._bar.refresh()

    def close(self) -> None:
        self.run._end()
