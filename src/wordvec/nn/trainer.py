"""Mini-batch training loop for any model with params / grads / forward / backward."""

from __future__ import annotations

import math
import os
import time
from typing import Callable, Sequence

import numpy as np

from wordvec.errors import TrainingError
from wordvec.nn.sparse import SparseGrad
from wordvec.progress import progress_bar


def _json_safe(value):
    """A bit_generator.state-like structure with numpy scalars/arrays made plain Python."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def rng_state(rng: np.random.Generator) -> dict:
    """The generator's position as JSON-safe data (`bit_generator.state`: a dict of ints)."""
    return _json_safe(rng.bit_generator.state)


def set_rng_state(rng: np.random.Generator, state: dict) -> None:
    """Put `rng` back where `rng_state` saw it; refuses a state of another bit generator."""
    if state.get("bit_generator") != type(rng.bit_generator).__name__:
        raise TrainingError(f"saved random state is for {state.get('bit_generator')!r}, "
                            f"not {type(rng.bit_generator).__name__}")
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise TrainingError(f"invalid saved random state ({exc})") from None


def clip_grads(grads: list, max_norm: float) -> list:
    """Scale all gradients so their joint L2 norm is at most `max_norm`; returns the gradients.

    Sparse gradients are coalesced first (duplicate rows summed) so the norm is the true one.
    """
    grads = [g.coalesce() if isinstance(g, SparseGrad) else g for g in grads]
    total = math.sqrt(sum(g.norm_squared() if isinstance(g, SparseGrad) else float(np.vdot(g, g)) for g in grads))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for i, g in enumerate(grads):
            if isinstance(g, SparseGrad):
                g.scale(rate)
            else:
                grads[i] = g * rate
    return grads


class Trainer:
    """`Trainer(model, optimizer).fit(x, t, ...)`: shuffled mini-batches, loss history, progress.

    `loss_list` holds the mean loss of every `eval_interval` batches, `epoch_losses` the mean loss
    of each epoch. The row order is reshuffled each epoch from a seeded generator.

    `run(x, t, epochs=...)` is the resumable form of `fit`: it trains until `epochs` epochs are
    done in all, or stops between two batches after `max_words` more rows or `request_stop()`; a
    later `run` continues inside the epoch where it stopped. `state_dict()`/`load_state_dict()`
    save and restore the loop (shuffle generator, this epoch's permutation and the next batch,
    partial loss sums, history) as numpy arrays and JSON-safe scalars; the model's and the
    optimizer's own state are saved by their owners.
    """

    def __init__(self, model, optimizer, *, seed: int | None = 0, progress: bool = True) -> None:
        self.model = model
        self.optimizer = optimizer
        self.rng = np.random.default_rng(seed)
        self.progress = progress
        self.loss_list: list[float] = []
        self.loss_words: list[int] = []
        self.epoch_losses: list[float] = []
        self.eval_interval: int | None = None
        self.current_epoch = 0
        self.words_done = 0
        # position inside the current epoch: its permutation (None between epochs), the next batch
        self.order: np.ndarray | None = None
        self.batch = 0
        self._epoch_total = 0.0
        self._interval_total = 0.0
        self._interval_count = 0
        self._epoch_seconds = 0.0
        self._stop = False

    def fit(
        self,
        x: np.ndarray,
        t: np.ndarray,
        max_epoch: int = 10,
        batch_size: int = 32,
        max_grad: float | None = None,
        eval_interval: int = 20,
        callbacks: Sequence[Callable[[int, dict], object]] = (),
    ) -> "Trainer":
        """Train for `max_epoch` passes over the rows of (x, t).

        After each epoch every callback is called as callback(epoch, info), epoch counted from 0 as
        in the fast engine, info = {"epoch", "loss" (epoch mean), "pairs", "seconds",
        "words_per_sec"}.
        """
        self.run(x, t, epochs=self.current_epoch + max_epoch, batch_size=batch_size, max_grad=max_grad,
                 eval_interval=eval_interval, callbacks=callbacks)
        return self

    def request_stop(self) -> None:
        """Stop `run` after the current batch (safe to call from a signal handler)."""
        self._stop = True

    def run(
        self,
        x: np.ndarray,
        t: np.ndarray,
        *,
        epochs: int,
        batch_size: int = 32,
        max_grad: float | None = None,
        eval_interval: int = 20,
        callbacks: Sequence[Callable[[int, dict], object]] = (),
        max_words: int | None = None,
    ) -> bool:
        """Train until `epochs` epochs are done in all (True), or stop early between batches
        after `max_words` more rows or a `request_stop()` (False). Epoch ends (flush, loss,
        callbacks) always happen before returning, so a stop never splits them."""
        n = len(x)
        if n == 0 or len(t) != n:
            raise TrainingError(f"need as many targets as inputs (>0), got {n} and {len(t)}")
        if self.order is not None and len(self.order) != n:
            raise TrainingError(f"the epoch in progress shuffles {len(self.order)} rows, not {n}")
        self._stop = False
        self.eval_interval = eval_interval
        model, optimizer = self.model, self.optimizer
        n_batches = -(-n // batch_size)
        budget = math.inf if max_words is None else max_words
        total = max(epochs * n, self.words_done)
        bar = progress_bar(total, desc="training", unit="word", enabled=self.progress)
        bar.update(min(self.words_done, total))
        try:
            while self.current_epoch < epochs and not self._stop and budget > 0:
                started = time.perf_counter()
                if self.order is None:  # a new epoch
                    self.order = self.rng.permutation(n)
                    self.batch = 0
                    self._epoch_total, self._interval_total, self._interval_count = 0.0, 0.0, 0
                    self._epoch_seconds = 0.0
                xs, ts = x[self.order], t[self.order]
                epoch_total, interval_total = self._epoch_total, self._interval_total
                interval_count = self._interval_count
                b = self.batch
                try:
                    while b < n_batches:
                        lo, hi = b * batch_size, min((b + 1) * batch_size, n)
                        loss = model.forward(xs[lo:hi], ts[lo:hi])
                        if not math.isfinite(loss):
                            raise TrainingError(f"loss became {loss} at epoch {self.current_epoch + 1}, batch {b + 1}")
                        model.backward()
                        grads = model.grads
                        if max_grad is not None:
                            grads = clip_grads(grads, max_grad)
                        optimizer.update(model.params, grads)
                        b += 1
                        self.words_done += hi - lo
                        budget -= hi - lo
                        epoch_total += loss
                        interval_total += loss
                        interval_count += 1
                        if interval_count == eval_interval:
                            self.loss_list.append(interval_total / interval_count)
                            self.loss_words.append(self.words_done)
                            interval_total, interval_count = 0.0, 0
                            bar.set_postfix(epoch=self.current_epoch + 1, loss=f"{self.loss_list[-1]:.3f}",
                                            refresh=False)
                        bar.update(hi - lo)
                        if self._stop or budget <= 0:
                            break
                finally:  # the position reached, also when a batch raised
                    self.batch = b
                    self._epoch_total, self._interval_total = epoch_total, interval_total
                    self._interval_count = interval_count
                    self._epoch_seconds += time.perf_counter() - started
                if b == n_batches:
                    self._end_epoch(n, n_batches, callbacks)
        finally:
            bar.close()
        return self.current_epoch >= epochs

    def _end_epoch(self, n: int, n_batches: int, callbacks) -> None:
        self.current_epoch += 1
        self.order = None
        self.batch = 0
        flush = getattr(self.optimizer, "flush", None)  # LazyAdam: pending drift of skipped rows
        if flush is not None:
            flush(self.model.params)
        self.epoch_losses.append(self._epoch_total / n_batches)
        seconds = self._epoch_seconds
        info = {"epoch": self.current_epoch - 1, "loss": self.epoch_losses[-1], "pairs": n,
                "seconds": seconds, "words_per_sec": n / seconds if seconds > 0 else float("nan")}
        for callback in callbacks:
            callback(info["epoch"], dict(info))

    def state_dict(self) -> dict:
        """The loop's state: `order` (this epoch's permutation, empty between epochs) as an array,
        the rest JSON-safe (the shuffle generator's `bit_generator.state` is a dict of ints)."""
        return {
            "order": np.empty(0, np.int64) if self.order is None else self.order.copy(),
            "batch": int(self.batch),
            "rng": rng_state(self.rng),
            "current_epoch": int(self.current_epoch),
            "words_done": int(self.words_done),
            "epoch_total": float(self._epoch_total),
            "interval_total": float(self._interval_total),
            "interval_count": int(self._interval_count),
            "epoch_seconds": float(self._epoch_seconds),
            "loss_list": [float(v) for v in self.loss_list],
            "loss_words": [int(v) for v in self.loss_words],
            "epoch_losses": [float(v) for v in self.epoch_losses],
            "eval_interval": self.eval_interval,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict()`; the next `run` continues where that one stopped."""
        order = np.asarray(state["order"], dtype=np.int64)
        set_rng_state(self.rng, state["rng"])
        self.order = order.copy() if len(order) else None
        self.batch = int(state["batch"])
        self.current_epoch = int(state["current_epoch"])
        self.words_done = int(state["words_done"])
        self._epoch_total = float(state["epoch_total"])
        self._interval_total = float(state["interval_total"])
        self._interval_count = int(state["interval_count"])
        self._epoch_seconds = float(state.get("epoch_seconds", 0.0))
        self.loss_list = [float(v) for v in state["loss_list"]]
        self.loss_words = [int(v) for v in state["loss_words"]]
        self.epoch_losses = [float(v) for v in state["epoch_losses"]]
        self.eval_interval = state.get("eval_interval")

    @property
    def history(self) -> dict:
        """JSON-safe loss history in the keys wordvec.plots.plot_loss reads."""
        return {
            "step_loss": [float(v) for v in self.loss_list],
            "step_words": [int(v) for v in self.loss_words],
            "epoch_loss": [float(v) for v in self.epoch_losses],
            "eval_interval": self.eval_interval,
        }

    def plot(self, path: str | os.PathLike, ylim: tuple[float, float] | None = None) -> None:
        """Save the loss curve (mean loss per eval interval) as an image; needs matplotlib."""
        if not self.loss_list:
            raise TrainingError("nothing to plot: call fit() first")
        try:
            from wordvec.plots import plot_loss
        except ImportError:  # the plots module is optional for this layer
            plot_loss = None
        if plot_loss is not None and ylim is None:
            plot_loss(self.history, path)
            return
        _plot_with_matplotlib(self.loss_list, self.eval_interval, path, ylim)


def _plot_with_matplotlib(losses: list[float], interval: int, path, ylim) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise TrainingError("plotting needs matplotlib: pip install 'wordvec[plot]'") from exc
    from wordvec.fileio import atomic_write

    fig = Figure(figsize=(6, 4))  # no pyplot: leaves the user's backend alone
    ax = fig.subplots()
    ax.plot(np.arange(1, len(losses) + 1) * interval, losses)
    ax.set_xlabel("iterations")
    ax.set_ylabel("loss")
    if ylim is not None:
        ax.set_ylim(*ylim)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
