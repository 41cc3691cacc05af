"""Start `hosentinel serve` processes quickly, for the crash trials: this parent imports the app
once, then forks one child per request, and the child runs the real `serve` command (it builds
the app, opens the database, migrates, and serves with uvicorn). The crash trials kill the child
with SIGKILL and ask for the next one: a new process that opens the database afresh, without
paying the imports again (seconds per start on a busy two-core machine).

Protocol on stdin/stdout, one line each: `start PORT LOG DATABASE_URL` -> `PID`; end of input
ends the parent (its children are in their own sessions and are killed by the caller).
"""

from __future__ import annotations

import os
import signal
import sys


def _child(port: str, log: str, database: str) -> None:
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = 0
    try:
        from hosentinel.cli import app

        args = ["serve", "--host", "127.0.0.1", "--port", port, "--database", database]
        app(args, standalone_mode=False)
    except BaseException as exc:  # the log shows it; the child must never return to the loop
        sys.stderr.write(f"forkserver child: {type(exc).__name__}: {exc}\n")
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    import uvicorn  # noqa: F401 - imported once here, for every child
    from fastapi import FastAPI

    import hosentinel.app.main
    import hosentinel.cli  # noqa: F401
    from hosentinel.app.routes import register
    from hosentinel.knowledge.loader import default_knowledge

    # Every page module is imported (routers on a throwaway app); the knowledge base is loaded
    # and cached: a child only builds its app and opens the database.
    register(FastAPI())
    default_knowledge()  # cached: every child starts with it loaded
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they die
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        parts = line.split(maxsplit=3)
        if len(parts) != 4 or parts[0] != "start":
            sys.stdout.write("error\n")
            sys.stdout.flush()
            continue
        _, port, log, database = parts
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child(port, log, database.strip())
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
