"""What `bulk fetch` shows: a Rich progress display on stderr, then a summary on stdout.

Everything the server wrote (X-Progress, diagnostics, URLs) is shown as plain text: control
characters are replaced, so a server cannot move the cursor or restyle the terminal, and nothing
is read as Rich markup."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import TaskID
from rich.text import Text

from hosentinel.bulk.fetch import FetchResult
from hosentinel.progress import ProgressDisplay
from hosentinel.terminal import plain


class FetchBar(ProgressDisplay):
    """The export's preparation (spinner + X-Progress), then the downloads (files, MB)."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.console = console
        self._wait: TaskID | None = None
        self._files: TaskID | None = None
        self._bytes = 0
        self._lock = threading.Lock()  # downloads report from several threads

    def waiting(self, message: str | None) -> None:
        text = "export being prepared" + (f": {plain(message, 80)}" if message else "")
        if self._wait is None:
            self._wait = self._progress.add_task(text, total=None)
        else:
            self._progress.update(self._wait, description=text)

    def downloading(self, files: int) -> None:
        if self._wait is not None:
            self._progress.update(self._wait, total=1, completed=1, description="export ready")
        self._files = self._progress.add_task("downloading", total=files)

    def received(self, size: int) -> None:
        with self._lock:
            self._bytes += size
            if self._files is not None:
                mb = self._bytes / 1e6
                self._progress.update(self._files, description=f"downloading ({mb:,.1f} MB)")

    def file_done(self) -> None:
        if self._files is not None:
            self._progress.advance(self._files)

    def notice(self, message: str) -> None:
        self._progress.console.print(Text(plain(message)), highlight=False)


class QuietBar(FetchBar):
    """No terminal: no bars, retries still noted (on stderr)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def waiting(self, message: str | None) -> None:
        pass

    def downloading(self, files: int) -> None:
        pass

    def received(self, size: int) -> None:
        pass

    def file_done(self) -> None:
        pass


def print_result(result: FetchResult, console: Console) -> None:
    fetched = result.files - result.reused
    line = (
        f"{result.files} files in {result.out} ({fetched} fetched, {result.bytes / 1e6:,.1f} MB"
        + (f"; {result.reused} complete from the earlier run" if result.reused else "")
        + f"), export of {result.transaction_time or 'unknown time'}"
    )
    console.print(Text(plain(line, 1000)), highlight=False)
    console.print(Text(f"{len(result.errors)} error file(s) in the manifest"), highlight=False)
    for error in result.errors:
        count = f", {error.count} entries" if error.count is not None else ""
        head = f"error file {error.name} ({plain(error.url, 200)}{count}):"
        console.print(Text(head), highlight=False)
        for message in error.messages:
            console.print(Text(f"  {plain(message)}"), highlight=False)
