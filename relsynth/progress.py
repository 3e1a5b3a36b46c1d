"""Progress reporting, kept out of the pipeline's logic: stages call ``task`` and ``advance``.

The library reports to a silent reporter by default; the CLI passes one that draws rich bars.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


class Reporter:
    """Silent. Subclasses draw."""

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        yield lambda _n=1: None


class RichReporter(Reporter):
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self._progress = Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=self.console, transient=False)

    def __enter__(self) -> "RichReporter":
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        task_id = self._progress.add_task(description, total=total)
        try:
            yield lambda n=1: self._progress.advance(task_id, n)
        finally:  # a finished task shows full, also when its size was not known up front
            done = total if total is not None else self._progress.tasks[task_id].completed
            self._progress.update(task_id, total=max(done, 1), completed=max(done, 1))
