"""Progress of the long steps of `leadscore train` (folds, tuning trials, final fit, explanations, MLflow
logging), shown by rich with elapsed time and an estimate of what is left. Without a rich Progress
(tests, notebooks) every call does nothing."""

from __future__ import annotations


class StepReporter:
    """start(step, total) / advance(step) / finish(step) over a rich Progress, or nothing."""

    def __init__(self, progress=None):
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def start(self, step: str, total: int | None = None) -> None:
        if self.progress is not None and step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step, total=total)

    def advance(self, step: str, amount: int = 1) -> None:
        if self.progress is not None:
            self.start(step)
            self.progress.advance(self.tasks[step], amount)

    def finish(self, step: str) -> None:
        if self.progress is not None and step in self.tasks:
            task = next(t for t in self.progress.tasks if t.id == self.tasks[step])
            done = task.total if task.total is not None else max(task.completed, 1)
            self.progress.update(self.tasks[step], total=done, completed=done)


def columns():
    """The columns every training progress bar shows."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn())
