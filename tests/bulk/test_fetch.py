"""`hosentinel bulk fetch` against the stand-in Bulk Data server (standin.py) on loopback."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from hosentinel.bulk.fetch import default_types
from hosentinel.cli import app
from hosentinel.screening.synth import SynthOptions, synthesize
from tests.support.bulk_standin import CLIENT_ID, Behaviour, StandIn, serving

PLAIN = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
AS_OF = "2025-12-01"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("source") / "export"
    synthesize(out, SynthOptions(patients=40, seed=5, max_lines=60))
    return out


def parts_of(export: Path) -> dict[str, list[bytes]]:
    files: dict[str, list[bytes]] = {}
    for path in sorted(export.glob("*.ndjson")):
        files.setdefault(path.name.split(".")[0], []).append(path.read_bytes())
    return files


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "ec": ec.generate_private_key(ec.SECP384R1()),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "other": ec.generate_private_key(ec.SECP384R1()),
    }


def registered(keys: dict[str, Any]) -> dict[str, Any]:
    return {"ES384": keys["ec"].public_key(), "RS384": keys["rsa"].public_key()}


def pem(tmp: Path, key: Any, name: str = "key.pem") -> Path:
    path = tmp / name
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def run(*args: str) -> Any:
    return CliRunner(env=PLAIN).invoke(app, ["bulk", "fetch", *args])


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def lines_by_type(directory: Path) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for path in directory.glob("*.ndjson"):
        out.setdefault(path.name.split(".")[0], []).extend(path.read_bytes().splitlines())
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture
def server(export: Path, keys: dict[str, Any]) -> Iterator[StandIn]:
    behaviour = Behaviour(kickoff_429_once=True, flaky_503_once="Patient")
    with serving(parts_of(export), registered(keys), behaviour) as srv:
        yield srv


def test_group_export_with_an_es384_key(
    server: StandIn, export: Path, keys: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "fetched"
    key = pem(tmp_path, keys["ec"])
    done = run(
        server.base, "--group", "g1", "--out", str(out), "--client-id", CLIENT_ID, "--key", str(key)
    )
    assert "Traceback" not in done.stderr
    # The manifest's error entry is reported, with its diagnostics; exit 1 says so to cron.
    assert done.exit_code == 1, done.stderr
    assert "1 error file(s)" in done.stdout
    assert "Observation/o-7 could not be exported" in done.stdout

    # The token endpoint verified the assertion with the registered key.
    accepted = [t for t in server.log.tokens if t["ok"]]
    assert accepted and all(t["alg"] == "ES384" for t in accepted)
    claims = accepted[0]["claims"]
    assert claims["aud"] == server.token_url() and claims["iss"] == claims["sub"] == CLIENT_ID
    assert accepted[0]["form"]["scope"] == "system/*.read"

    # Kick-off: 429 once, retried; the Group path; _type = the types assess reads.
    assert [k["status"] for k in server.log.kickoffs] == [429, 202]
    kick = server.log.kickoffs[-1]
    assert kick["path"] == "/fhir/Group/g1/$export"
    assert kick["query"]["_type"] == [",".join(default_types())]
    assert {"Patient", "Condition", "Observation", "MedicationRequest"} <= set(default_types())

    # Polling honoured Retry-After: 1 (two 202s, then the manifest).
    polls = server.log.polls
    assert len(polls) == 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(polls))

    # Downloads: every one with the token; the 503 retried; contents equal the served files.
    assert not [d for d in server.log.downloads if d["status"] == 401]
    patient = [d["status"] for d in server.log.downloads if d["type"] == "Patient"]
    assert patient == [503, 200]
    wanted = {k: v for k, v in lines_by_type(export).items() if k in default_types()}
    assert lines_by_type(out) == wanted
    kept = json.loads((out / "manifest.json").read_text())
    assert kept["transactionTime"] == "2026-12-05T01:00:00.000Z"
    assert len(kept["output"]) == sum(len(v) for k, v in parts_of(export).items() if k in wanted)
    assert (out / "error" / "OperationOutcome.000.ndjson").is_file()

    # The fetched folder screens as the original export does.
    screened = CliRunner(env=PLAIN).invoke(
        app, ["screen", str(out), "--as-of", AS_OF, "--out", str(tmp_path / "a.csv")]
    )
    original = CliRunner(env=PLAIN).invoke(
        app, ["screen", str(export), "--as-of", AS_OF, "--out", str(tmp_path / "b.csv")]
    )
    assert screened.exit_code == original.exit_code == 0, screened.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_another_key_is_refused_in_one_line(
    server: StandIn, keys: dict[str, Any], tmp_path: Path
) -> None:
    key = pem(tmp_path, keys["other"])
    done = run(
        server.base, "--out", str(tmp_path / "o"), "--client-id", CLIENT_ID, "--key", str(key)
    )
    assert done.exit_code == 2
    line = one_line(done.stderr)
    assert line.startswith("hosentinel: error: authorisation failed")
    assert "invalid_client" in line
    assert not server.log.kickoffs  # nothing asked of the FHIR server without a token


def test_rs384_jwks_patient_export_types_and_token_url(
    server: StandIn, export: Path, keys: dict[str, Any], tmp_path: Path
) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys["rsa"]))
    jwks = tmp_path / "key.jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "r1", "alg": "RS384"}]}))
    out = tmp_path / "b"
    done = run(
        server.base, "--out", str(out), "--type", "Patient,Condition",
        "--client-id", CLIENT_ID, "--key", str(jwks),
        "--token-url", server.token_url("/auth/token2"),
        "--since", "2026-12-04T00:00:00Z", "--scope", "system/*.rs",
    )  # fmt: skip
    assert done.exit_code == 1, done.stderr
    tokens = [t for t in server.log.tokens if t["ok"]]
    assert tokens and {t["path"] for t in server.log.tokens} == {"/auth/token2"}
    assert tokens[0]["alg"] == "RS384" and tokens[0]["claims"]["aud"].endswith("/auth/token2")
    kick = server.log.kickoffs[-1]
    assert kick["path"] == "/fhir/Patient/$export"
    assert kick["query"]["_type"] == ["Patient,Condition"]
    assert kick["query"]["_since"] == ["2026-12-04T00:00:00Z"]
    assert set(lines_by_type(out)) == {"Patient", "Condition"}
    assert lines_by_type(out)["Condition"] == lines_by_type(export)["Condition"]


def test_a_dropped_download_continues_with_a_range_request(
    export: Path, keys: dict[str, Any], tmp_path: Path
) -> None:
    behaviour = Behaviour(retry_after=0, break_once="Observation", error_entry=False)
    with serving(parts_of(export), registered(keys), behaviour) as srv:
        key = pem(tmp_path, keys["ec"])
        out = tmp_path / "r"
        done = run(srv.base, "--out", str(out), "--client-id", CLIENT_ID, "--key", str(key))
        assert done.exit_code == 0, done.stderr
        ranged = [d for d in srv.log.downloads if d["type"] == "Observation" and d["range"]]
        assert ranged and ranged[0]["status"] == 206 and ranged[0]["range"] != "bytes=0-"
    assert lines_by_type(out) == {
        k: v for k, v in lines_by_type(export).items() if k in default_types()
    }


def test_a_failed_fetch_resumes_without_fetching_again(
    export: Path, keys: dict[str, Any], tmp_path: Path
) -> None:
    behaviour = Behaviour(retry_after=0, gone_once="Observation", error_entry=False)
    with serving(parts_of(export), registered(keys), behaviour) as srv:
        key = pem(tmp_path, keys["ec"])
        args = [srv.base, "--out", str(tmp_path / "r"), "--client-id", CLIENT_ID, "--key", str(key)]
        first = run(*args)
        assert first.exit_code == 2
        assert "file expired" in one_line(first.stderr)
        fetched = len([d for d in srv.log.downloads if d["status"] == 200])
        second = run(*args)
        assert second.exit_code == 0, second.stderr
        assert "complete from the earlier run" in second.stdout
        assert len(srv.log.kickoffs) == 1  # the same export, not a new one
        again = [d for d in srv.log.downloads if d["status"] == 200][fetched:]
        # Only what the first run did not finish: the 404 file and those after it was refused.
        assert again and len(again) < len(srv.log.downloads) - 1
        assert {d["fid"] for d in again}.isdisjoint(
            {d["fid"] for d in srv.log.downloads[: fetched + 1] if d["status"] == 200}
        )
    assert lines_by_type(tmp_path / "r") == {
        k: v for k, v in lines_by_type(export).items() if k in default_types()
    }


def test_the_wait_for_the_export_times_out_then_resumes(
    export: Path, keys: dict[str, Any], tmp_path: Path
) -> None:
    behaviour = Behaviour(retry_after=5, polls_before_done=1, error_entry=False)
    with serving(parts_of(export), registered(keys), behaviour) as srv:
        key = pem(tmp_path, keys["ec"])
        args = [srv.base, "--out", str(tmp_path / "t"), "--client-id", CLIENT_ID, "--key", str(key)]
        first = run(*args, "--timeout", "1")
        assert first.exit_code == 2
        assert one_line(first.stderr).startswith("hosentinel: error: timed out")
        second = run(*args)
        assert second.exit_code == 0, second.stderr
        assert len(srv.log.kickoffs) == 1 and len(srv.log.polls) == 2


def test_a_refused_kickoff_is_one_line(export: Path, keys: dict[str, Any], tmp_path: Path) -> None:
    behaviour = Behaviour(refuse_kickoff=True, requires_token=False)
    with serving(parts_of(export), registered(keys), behaviour) as srv:
        done = run(srv.base, "--group", "nope", "--out", str(tmp_path / "x"))
    assert done.exit_code == 2
    line = one_line(done.stderr)
    assert "the server refused" in line and "does not export Group/nope" in line


@pytest.mark.parametrize(
    "base",
    ["http://ehr.example.org/fhir", "http://10.0.0.5/fhir", "ftp://127.0.0.1/fhir"],
)
def test_plain_http_only_on_loopback(base: str, tmp_path: Path) -> None:
    done = run(base, "--out", str(tmp_path / "x"))
    assert done.exit_code == 2
    assert "https is required" in one_line(done.stderr) or "not an http(s) URL" in done.stderr


def test_a_folder_of_another_fetch_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    done = run("http://127.0.0.1:9/fhir", "--out", str(tmp_path / "x"))
    assert done.exit_code == 2
    assert "is not empty" in one_line(done.stderr)
