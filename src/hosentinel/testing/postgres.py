"""A private PostgreSQL server for the test run: initdb + pg_ctl on a temporary directory.

`PostgresServer.start()` creates a cluster in a fresh temporary directory (data, Unix socket and
log all inside it), starts it on a free TCP port on 127.0.0.1 with trust authentication and the
durability settings off (fsync, synchronous_commit, full_page_writes: a test database need not
survive a crash), and `stop()` shuts it down and removes the directory. The conftest starts one
server per test session (`postgres_server` fixture) and gives each test its own database.

initdb refuses to run as root: when the tests run as root (CI does), the server runs as the
`postgres` system user that Debian's package creates (or a `hosentinel-pg` system user made here
when that is absent), and the temporary directory is handed to that user.

The server binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin),
which `scripts/install-system-deps.sh` installs when missing (`make test` runs it first).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

INSTALL_HINT = "run `bash scripts/install-system-deps.sh` (or `make test`, which runs it first)"
SUPERUSER = "postgres"  # the database role; trust authentication on 127.0.0.1 only
FALLBACK_OS_USER = "hosentinel-pg"


def find_bin_dir() -> Path:
    """The newest installed server's bin directory (Debian puts initdb and pg_ctl there, off
    PATH); else whatever directory has initdb on PATH."""
    candidates = [
        d
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if all((d / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres"))
    ]

    def version(d: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in d.parent.name.split(".") if p.isdigit())

    if candidates:
        return max(candidates, key=version)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    raise RuntimeError(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _os_user_for_server() -> pwd.struct_passwd | None:
    """None when not root (the server runs as the current user); else an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_OS_USER,
        ],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(FALLBACK_OS_USER)


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    os_user: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        user = self.os_user
        result = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C", "PGTZ": "UTC"},
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            timeout=120,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}"
            )
        return result

    @classmethod
    def start(cls, attempts: int = 3) -> PostgresServer:
        bin_dir = find_bin_dir()
        os_user = _os_user_for_server()
        root = Path(tempfile.mkdtemp(prefix="hosentinel-pg-"))
        if os_user is not None:
            os.chown(root, os_user.pw_uid, os_user.pw_gid)
        server = cls(root, 0, bin_dir, os_user)
        try:
            server._run(
                "initdb",
                "--pgdata",
                str(server.data),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            )
            for attempt in range(attempts):
                # Another process may take the port between free_port() and the bind: retry.
                server.port = free_port()
                options = " ".join(
                    (
                        f"-p {server.port}",
                        f"-k {server.root}",  # the Unix socket lives in the temporary directory
                        "-c listen_addresses=127.0.0.1",
                        "-c fsync=off",
                        "-c synchronous_commit=off",
                        "-c full_page_writes=off",
                        "-c max_connections=100",
                        "-c timezone=UTC",
                    )
                )
                try:
                    server._run(
                        "pg_ctl", "start", "--wait", "--timeout=60", "--pgdata", str(server.data),
                        "--log", str(server.log), "--options", options,
                    )  # fmt: skip
                    break
                except RuntimeError:
                    if attempt == attempts - 1:
                        raise
            server.wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        with psycopg.connect(self.dsn(database), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f" TEMPLATE {template}" if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--wait", "--mode", "fast", "--pgdata", str(self.data))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()
