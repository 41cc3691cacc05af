"""One settings object reads every HOSENTINEL_* variable, under the names operators already use."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import TypeGuard

import pytest

import hosentinel
from hosentinel.app.config import AppConfig
from hosentinel.settings import Settings


def test_the_existing_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "2025-03-08")
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", '{"https://ehr.example.org": "/etc/jwks.json"}')
    monkeypatch.setenv("HOSENTINEL_SPARK_MASTER", "spark://cluster:7077")
    settings = Settings()
    assert settings.today == date(2025, 3, 8)
    assert settings.cds_jwks == '{"https://ehr.example.org": "/etc/jwks.json"}'
    assert settings.spark_master == "spark://cluster:7077"


# Each variable the code used to read where it was needed, now a field of Settings (issue 19).
MOVED_VARIABLES = {
    "HOSENTINEL_MAX_BODY_FHIR": "max_body_fhir",
    "HOSENTINEL_MAX_BODY_CDS_HOOKS": "max_body_cds_hooks",
    "HOSENTINEL_MAX_BODY": "max_body",
    "HOSENTINEL_MAX_STRING": "max_string",
    "HOSENTINEL_BODY_TIMEOUT": "body_timeout",
    "HOSENTINEL_SMART_CLIENTS": "smart_clients",
    "HOSENTINEL_SYSTEM_CLIENTS": "system_clients",
    "HOSENTINEL_UNITS": "units",
    "HOSENTINEL_BACKUP_KEY": "backup_key",
}


@pytest.mark.parametrize(("variable", "field"), sorted(MOVED_VARIABLES.items()))
def test_each_moved_variable_keeps_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str
) -> None:
    monkeypatch.setenv(variable, " a value ")
    assert getattr(Settings(), field) == " a value "
    monkeypatch.setenv(variable, "")
    assert getattr(Settings(), field) is None


def test_unset_and_empty_variables_mean_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TODAY", "CDS_JWKS", "SPARK_MASTER", "WORKER_CONFIG"):
        monkeypatch.delenv(f"HOSENTINEL_{name}", raising=False)
    monkeypatch.setenv("HOSENTINEL_TODAY", "")
    assert Settings() == Settings(today=None, cds_jwks=None, spark_master=None)


def test_the_app_config_takes_today_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "2026-06-01")
    config = AppConfig.from_env("sqlite://")
    assert config.current_date() == date(2026, 6, 1)
    assert config.settings.today == date(2026, 6, 1)
    # Given settings win over the environment: it is read once, by whoever starts the program.
    given = AppConfig.from_env("sqlite://", settings=Settings(today=date(2025, 1, 1)))
    assert given.current_date() == date(2025, 1, 1)


def test_a_malformed_date_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "next tuesday")
    with pytest.raises(ValueError, match="today"):
        Settings()


def test_the_app_config_parses_the_limits_from_the_settings() -> None:
    given = Settings(max_body="2KB", max_string="1000", body_timeout="2.5")
    config = AppConfig.from_env("sqlite://", settings=given)
    assert (config.max_body, config.max_string_chars, config.body_timeout_seconds) == (
        2048,
        1000,
        2.5,
    )
    with pytest.raises(ValueError, match="not a size"):
        AppConfig.from_env("sqlite://", settings=Settings(max_body_fhir="lots"))


# --- nothing but settings.py reads the environment ------------------------------------------

PACKAGE_ROOT = Path(hosentinel.__file__).parent
READER = "settings.py"
# Typer reads `serve --base-url`'s variable itself and names it in `--help` (the CLI contract).
OPTION_ENVVARS = {("cli/serve.py", "HOSENTINEL_BASE_URL")}


def _is_environ(node: ast.AST) -> TypeGuard[ast.Attribute | ast.Name]:
    """`os.environ` / `os.environb`, or `environ` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr in ("environ", "environb") and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id in ("environ", "environb")


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for each read of the environment in `source`. Not reads: handing the
    environment to a child process (`{**os.environ, ...}`), setting a variable for one
    (`os.environ[k] = v`, a bare `os.environ.setdefault(k, v)`)."""
    tree = ast.parse(source)
    passed_on: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            passed_on |= {
                id(value)
                for key, value in zip(node.keys, node.values, strict=True)
                if key is None and _is_environ(value)
            }
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            passed_on.add(id(node.value))
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "setdefault"
        ):
            passed_on.add(id(node.value.func.value))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if _is_environ(node) and id(node) not in passed_on:
            found.append((node.lineno, "reads the environment (os.environ)"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("getenv", "getenvb"):
                found.append((node.lineno, "reads the environment (getenv)"))
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "envvar" and isinstance(value, ast.Constant):
                    found.append((node.lineno, f"option reads {value.value!s}"))
    return sorted(found)


def test_the_checker_finds_every_form_of_reading() -> None:
    source = (
        "import os\n"
        "from os import environ, getenv\n"
        "a = os.environ.get('X')\n"
        "b = os.environ['X']\n"
        "c = 'X' in os.environ\n"
        "d = os.getenv('X')\n"
        "e = getenv('X')\n"
        "f = environ.get('X')\n"
        "g = os.environ.setdefault('X', '1')\n"
        "h = option(envvar='HOSENTINEL_X')\n"
    )
    assert [line for line, _ in environment_reads(source)] == [3, 4, 5, 6, 7, 8, 9, 10]


def test_the_checker_allows_passing_the_environment_on() -> None:
    source = (
        "import os, subprocess\n"
        "subprocess.run(['x'], env={**os.environ, 'LC_ALL': 'C'})\n"
        "os.environ['HOSENTINEL_WORKER_CONFIG'] = '{}'\n"
        "os.environ.setdefault('PYSPARK_PYTHON', 'python3')\n"
    )
    assert environment_reads(source) == []


@pytest.mark.parametrize(
    "path",
    sorted(PACKAGE_ROOT.rglob("*.py")),
    ids=lambda p: p.relative_to(PACKAGE_ROOT).as_posix(),
)
def test_only_settings_reads_the_environment(path: Path) -> None:
    name = path.relative_to(PACKAGE_ROOT).as_posix()
    if name == READER:
        return
    found = [
        f"line {line}: {what}"
        for line, what in environment_reads(path.read_text(encoding="utf-8"))
        if (name, what.removeprefix("option reads ")) not in OPTION_ENVVARS
    ]
    assert not found, f"{name}: {found} (add a field to hosentinel.settings.Settings)"
