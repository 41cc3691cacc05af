"""Names the engines can read: a file whose name does not say what it holds gets a link that does.

Both engines choose plain or gzip by the name (`.gz`), and read a path with `*`, `?` or `[` in it
as a pattern. A file named otherwise (`Condition.GZ`, HAPI's `42`, a gzip file called `.ndjson`,
a name with pattern characters) is read through a symbolic link with a plain name that matches
its content (`00007.ndjson.gz`), in a folder made for the screen and removed after it. The link
resolves to the export's own file, so every count is still reported under the file's own name.

The folder is made inside the export when it can be, so that a Spark cluster whose executors see
the export's storage also sees the links; otherwise in the system's temporary directory.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hosentinel.screening.export import Export, ExportFile

_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")


def readable_as_is(file: ExportFile) -> bool:
    name = file.path.name
    suffix_fits = name.endswith(".ndjson.gz") if file.gzip else name.endswith(".ndjson")
    return suffix_fits and _PLAIN_NAME.fullmatch(name) is not None


@contextmanager
def staged(export: Export) -> Iterator[Export]:
    """The export with a link for each file the engines cannot read by its own name."""
    odd = [f for f in export.files if not readable_as_is(f)]
    if not odd:
        yield export
        return
    try:
        folder = Path(tempfile.mkdtemp(prefix=".hosentinel-stage-", dir=export.directory))
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="hosentinel-stage-"))
    try:
        sources = {}
        for f in odd:
            link = folder / f"{f.rank:05d}.ndjson{'.gz' if f.gzip else ''}"
            link.symlink_to(f.path.resolve())
            sources[f.path] = link
        yield export.staged(sources)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
