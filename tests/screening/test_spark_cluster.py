"""`screen --spark-master spark://...` on a real Spark standalone cluster: a master and one worker
started on loopback from the pyspark package's own launcher (`bin/spark-class`), the same rows
as DuckDB. Time-bounded: every wait has a deadline, and the cluster is stopped whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.screenkit import SYNTHEA, ExportRun

REPO = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("hosentinel")
START_S = 90.0
SCREEN_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def loopback_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "SPARK_LOCAL_IP": "127.0.0.1",  # every Spark socket binds to loopback only
        "SPARK_LOCAL_HOSTNAME": "127.0.0.1",
        "SPARK_LOG_DIR": str(tmp / "logs"),
        "SPARK_WORKER_DIR": str(tmp / "work"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return env


def state(ui: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as answer:
        return dict(json.load(answer))


@dataclass
class Cluster:
    url: str
    ui: int
    env: dict[str, str]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if shutil.which("java") is None:
        pytest.fail("Java is needed for Spark (scripts/install-system-deps.sh installs it)")
    tmp = tmp_path_factory.mktemp("spark-cluster")
    env = loopback_env(tmp)
    port, ui, worker_port, worker_ui = (free_port() for _ in range(4))
    launcher = str(spark_class())
    logs = []

    def start(name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 (closed with the cluster)
        logs.append(log)
        return subprocess.Popen(
            [launcher, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    master = start(
        "master",
        ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)],
    )  # fmt: skip
    processes = [master]
    try:
        url = f"spark://127.0.0.1:{port}"
        worker = start(
            "worker",
            ["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
             "--port", str(worker_port), "--webui-port", str(worker_ui),
             "--cores", "2", "--memory", "1500m"],
        )  # fmt: skip
        processes.append(worker)
        deadline = time.monotonic() + START_S
        while True:
            try:
                workers = state(ui).get("workers")
                if isinstance(workers, list) and any(w.get("state") == "ALIVE" for w in workers):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                log = "".join((tmp / f"{n}.log").read_text()[-1500:] for n in ("master", "worker"))
                pytest.fail(f"the Spark master and worker did not come up: {log}")
            time.sleep(1)
        yield Cluster(url, ui, env)
    finally:
        for process in reversed(processes):
            stop(process)
        for log in logs:
            log.close()


def screen(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "screen", *args],
        env=env | {"COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=SCREEN_S,
        check=False,
    )


@pytest.mark.parametrize("which", ["synthetic", "synthea"])
def test_a_standalone_cluster_screens_as_duckdb_does(
    which: str, cluster: Cluster, small_export: ExportRun, tmp_path: Path
) -> None:
    export = small_export.directory if which == "synthetic" else SYNTHEA
    before = state(cluster.ui).get("completedapps") or []
    assert isinstance(before, list)
    spark = screen(
        [str(export), "--as-of", "2025-12-01", "--out", str(tmp_path / "spark.csv"),
         "--engine", "spark", "--spark-master", cluster.url],
        cluster.env,
    )  # fmt: skip
    assert spark.returncode == 0, spark.stderr[-3000:]
    duck = screen(
        [str(export), "--as-of", "2025-12-01", "--out", str(tmp_path / "duck.csv")], cluster.env
    )
    assert duck.returncode == 0, duck.stderr[-2000:]
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duck.csv").read_bytes()
    # The job ran on this cluster (an application came and went), not in a local Spark.
    after = state(cluster.ui).get("completedapps") or []
    assert isinstance(after, list)
    new = [app for app in after if app["id"] not in {old["id"] for old in before}]
    assert len(new) == 1 and new[0]["name"].startswith("hosentinel"), after
