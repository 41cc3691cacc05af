"""The functional core stays pure (DESIGN.md, "Proposed architecture").

`core/` and `knowledge/` import nothing from web, database, HTTP, UI or IO frameworks, nor from the
adapters around them; `core/` also reads no files and no clock (the clock is `evaluate`'s
`as_of` argument). Checked on the source with `ast`, so an import inside a function, under
`if TYPE_CHECKING:`, relative (`from ..fhir import x`) or dynamic (`importlib.import_module("x")`)
is caught as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import hosentinel

PACKAGE_ROOT = Path(hosentinel.__file__).parent
PURE_PACKAGES = ("core", "knowledge")

DENIED: tuple[str, ...] = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "httpx",
    "requests",
    "urllib",
    "urllib3",
    "http",
    "aiohttp",
    "uvicorn",
    "psycopg",
    "psycopg2",
    "sqlite3",
    "duckdb",
    "ibis",
    "pyspark",
    "jinja2",
    "typer",
    "click",
    "rich",
    "fhir",
    "socket",
    "subprocess",
    "hosentinel.fhir",
    "hosentinel.app",
    "hosentinel.cli",
    "hosentinel.report",
    "hosentinel.cdshooks",
    "hosentinel.screening",
    "hosentinel.demo",
)
# What reads the outside world from inside core/: files and the clock.
FILE_READS = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "open", "iterdir", "glob"}
)
CLOCK_READS = frozenset({"today", "now", "utcnow", "time", "time_ns", "monotonic"})


@dataclass(frozen=True)
class Violation:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def denied(module: str, deny: tuple[str, ...] = DENIED) -> str | None:
    """The deny-list entry that `module` falls under (itself or a submodule), if any."""
    for name in deny:
        if module == name or module.startswith(name + "."):
            return name
    return None


def module_name(path: Path) -> str:
    """`hosentinel.core.engine` for .../hosentinel/core/engine.py (packages: their __init__)."""
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ImportFrom names, relative imports resolved against `module`."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    keep = len(package) - (node.level - 1)
    if keep <= 0:
        return f"<beyond top level>.{node.module or ''}"
    base = ".".join(package[:keep])
    return f"{base}.{node.module}" if node.module else base


def imported_modules(
    source: str, module: str = "hosentinel.core.example", is_package: bool = False
) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in `source`, however it is written."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node, module, is_package)
            yield node.lineno, base
            # `from hosentinel import cli` imports the module hosentinel.cli.
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def import_violations(
    source: str, module: str = "hosentinel.core.example", is_package: bool = False
) -> list[Violation]:
    found: list[Violation] = []
    for line, name in imported_modules(source, module, is_package):
        hit = denied(name)
        if hit:
            found.append(Violation(line, f"imports {name} (denied: {hit})"))
    return found


def io_violations(source: str) -> list[Violation]:
    """Calls that read files or the clock: open(), Path(...).read_text(), date.today(), ..."""
    found: list[Violation] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"open", "input", "print", "exec", "eval"}:
            found.append(Violation(node.lineno, f"calls {func.id}()"))
        elif isinstance(func, ast.Attribute):
            if func.attr in FILE_READS:
                found.append(Violation(node.lineno, f"calls .{func.attr}()"))
            elif func.attr in CLOCK_READS:
                found.append(Violation(node.lineno, f"reads the clock: .{func.attr}()"))
    return found


def sources(package: str) -> list[Path]:
    return sorted((PACKAGE_ROOT / package).rglob("*.py"))


ALL_PURE = [path for package in PURE_PACKAGES for path in sources(package)]
CORE = sources("core")


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE_ROOT))


# --- the project's own modules -----------------------------------------------------------------


def test_the_pure_packages_exist_and_have_modules() -> None:
    assert len(CORE) >= 5
    assert len(sources("knowledge")) >= 2
    assert any(path.name == "engine.py" for path in CORE)


@pytest.mark.parametrize("path", ALL_PURE, ids=_id)
def test_imports_no_framework_or_adapter(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    problems = import_violations(source, module_name(path), path.name == "__init__.py")
    assert not problems, f"{_id(path)}: " + "; ".join(map(str, problems))


@pytest.mark.parametrize("path", CORE, ids=_id)
def test_core_reads_no_files_and_no_clock(path: Path) -> None:
    # knowledge/loader.py reads the packaged data files by design, so only core/ is held to this.
    problems = io_violations(path.read_text(encoding="utf-8"))
    assert not problems, f"{_id(path)}: " + "; ".join(map(str, problems))


# --- the checker itself ------------------------------------------------------------------------


def test_checker_flags_plain_and_from_imports() -> None:
    problems = import_violations("import sqlalchemy\nfrom fastapi import X\n")
    assert [p.line for p in problems] == [1, 2, 2]
    assert "sqlalchemy" in problems[0].what
    assert "fastapi" in problems[1].what


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy.orm",
        "import requests as r",
        "from http.client import HTTPConnection",
        "import urllib.request",
        "from rich.console import Console",
        "from fhir.resources.R4B.bundle import Bundle",
        "import hosentinel.fhir.importer",
        "from hosentinel import cli",
        "from hosentinel.report import print_assessment",
        "from ..fhir import importer",
        "from ..fhir.importer import read_bundle",
        "from .. import report",
        "from ..app.patients import service",
        "def f():\n    import subprocess\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typer import Typer\n",
        "import importlib\nimportlib.import_module('duckdb')",
        "__import__('socket')",
    ],
)
def test_checker_flags(source: str) -> None:
    assert import_violations(source, "hosentinel.core.example"), source


@pytest.mark.parametrize(
    "source",
    [
        "import datetime\nfrom dataclasses import dataclass",
        "from hosentinel.core.assessment import Basis",
        "from . import facts",
        "from .facts import Facts",
        "from ..knowledge import schema",
        "from hosentinel.knowledge.loader import Knowledge",
        "import httpx_like_but_not",  # only httpx itself and its submodules are denied
        "import requests_cache_free_name",
        "import rich_text_local",
        "from typing import Any",
    ],
)
def test_checker_allows(source: str) -> None:
    assert not import_violations(source, "hosentinel.core.example"), source


def test_relative_imports_resolve_from_a_package_init() -> None:
    # In hosentinel/core/__init__.py, "." is hosentinel.core and ".." is hosentinel.
    assert import_violations("from .. import cli", "hosentinel.core", is_package=True)
    assert not import_violations("from . import engine", "hosentinel.core", is_package=True)
    # In hosentinel/core/engine.py, "." is hosentinel.core too.
    assert not import_violations("from . import engine", "hosentinel.core.engine")
    assert import_violations("from ..fhir import codes", "hosentinel.core.engine")


def test_io_checker_flags_files_and_clock() -> None:
    source = (
        "from pathlib import Path\n"
        "from datetime import date, datetime\n"
        "a = open('x')\n"
        "b = Path('y').read_text()\n"
        "c = Path('y').read_bytes()\n"
        "d = date.today()\n"
        "e = datetime.now()\n"
    )
    lines = [p.line for p in io_violations(source)]
    assert lines == [3, 4, 5, 6, 7]


def test_io_checker_allows_pure_code() -> None:
    source = (
        "from datetime import date, timedelta\n"
        "def window(d: date) -> date:\n"
        "    return d + timedelta(days=14)\n"
        "x = sorted({'a': 1}.items())\n"
    )
    assert io_violations(source) == []


# --- layers: the shells sit on top, nothing below reaches up (issue 19) ------------------------
#
# `app/` (the web shell) and `demo/` (the synthetic demo data and its command) are on top: the
# packages below them (CDS Hooks, screening, directory, FHIR, store, alerts, core, knowledge...)
# never import them, so each can be used and tested without the web app or the demo. `cli.py`
# is the command line over everything. `bench/` runs against the installed package and never
# imports `tests/` (what both need is in `hosentinel.testing`).

BENCH_ROOT = PACKAGE_ROOT.parent.parent / "bench"
# Who may import hosentinel.app: the app itself, the command line that serves it, and the test
# harnesses that start it (`hosentinel.testing.forkserver` preloads it).
APP_IMPORTERS = ("hosentinel.app", "hosentinel.cli", "hosentinel.testing")
# Who may import hosentinel.demo: the demo itself, the demo/serve --demo commands.
DEMO_IMPORTERS = ("hosentinel.demo", "hosentinel.cli", "hosentinel.app.demo")
LOWER_PACKAGES = (
    "alerts",
    "cdshooks",
    "core",
    "directory",
    "fhir",
    "knowledge",
    "screening",
    "store",
    "synthetic",
)
UPPER = (("hosentinel.app", APP_IMPORTERS), ("hosentinel.demo", DEMO_IMPORTERS))
ALL_SOURCES = sorted(PACKAGE_ROOT.rglob("*.py"))


def _within(module: str, owners: tuple[str, ...]) -> bool:
    return any(module == owner or module.startswith(owner + ".") for owner in owners)


def upward_imports(path: Path) -> list[Violation]:
    """Imports of hosentinel.app or hosentinel.demo by a module not allowed to make them."""
    module = module_name(path)
    source = path.read_text(encoding="utf-8")
    found: list[Violation] = []
    for line, name in imported_modules(source, module, path.name == "__init__.py"):
        for target, allowed in (
            ("hosentinel.app", APP_IMPORTERS),
            ("hosentinel.demo", DEMO_IMPORTERS),
        ):
            if denied(name, (target,)) and not _within(module, allowed):
                found.append(Violation(line, f"imports {name} (only {', '.join(allowed)} may)"))
    return found


@pytest.mark.parametrize("path", ALL_SOURCES, ids=_id)
def test_nothing_reaches_up_into_the_app_or_the_demo(path: Path) -> None:
    problems = upward_imports(path)
    assert not problems, f"{_id(path)}: " + "; ".join(map(str, problems))


def test_every_lower_package_is_checked() -> None:
    # A renamed package would silently leave the layer rule; every named one must exist.
    for package in LOWER_PACKAGES:
        assert sources(package), package
    assert len(ALL_SOURCES) > 100


def test_layer_checker_flags_upward_imports() -> None:
    lower = PACKAGE_ROOT / "cdshooks" / "cards.py"
    for source in (
        "from hosentinel.app.override_reasons import BY_CODE",
        "import hosentinel.demo.build_bundles",
        "from hosentinel import app",
        "def f():\n    from hosentinel.demo import catalog\n",
        "from ..app import audit",
    ):
        hits = [
            name
            for _, name in imported_modules(source, module_name(lower))
            if denied(name, ("hosentinel.app", "hosentinel.demo"))
        ]
        assert hits, source
    assert not _within("hosentinel.cdshooks.cards", APP_IMPORTERS)
    assert _within("hosentinel.app.pages.alerts", APP_IMPORTERS)
    assert _within("hosentinel.app.demo", DEMO_IMPORTERS)
    assert not _within("hosentinel.application", APP_IMPORTERS)


BENCH_SOURCES = sorted(BENCH_ROOT.glob("*.py"))


@pytest.mark.parametrize("path", BENCH_SOURCES, ids=lambda p: p.name)
def test_benchmarks_do_not_import_the_tests(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    test_helpers = {p.stem for p in (BENCH_ROOT.parent / "tests").rglob("*.py")}
    problems = [
        f"line {line}: imports {name}"
        for line, name in imported_modules(source, f"bench.{path.stem}")
        if name.split(".")[0] in {"tests", *test_helpers} - {"__init__", "conftest"}
    ]
    # sys.path.insert(...) pointing into tests/ is how a benchmark reached the helpers before.
    if "tests" in source and "sys.path" in source:
        problems.append("changes sys.path towards tests/")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_benchmarks_exist() -> None:
    assert len(BENCH_SOURCES) >= 5
