"""`hosentinel bulk fetch`: one FHIR Bulk Data export, from kick-off to files in a folder.

    result = fetch(FetchRequest(base="https://ehr.example/fhir", out=Path("export"), ...), progress)

The flow is the Bulk Data Access IG's (https://hl7.org/fhir/uv/bulkdata/export.html): kick-off
with `Prefer: respond-async` -> 202 and a status URL -> poll it, waiting as `Retry-After` asks,
until 200 and the manifest -> download every file it lists (in parallel, with the token when
`requiresAccessToken`) -> report the `error` entries. The state kept in the folder (state.py)
lets a stopped fetch resume: the same export is polled again, complete files are not fetched
again, a partial file continues with a Range request when the server allows it.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from hosentinel.bulk import state as state_mod
from hosentinel.bulk.auth import Tokens, discover_token_url, load_key
from hosentinel.bulk.errors import BulkError
from hosentinel.bulk.state import FileEntry, State
from hosentinel.bulk.transport import (
    ATTEMPTS,
    TIMEOUT,
    Transport,
    backoff,
    outcome_text,
    retry_after,
)
from hosentinel.bulk.urls import checked

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
DEFAULT_SCOPE = "system/*.read"
MAX_POLL_WAIT_S = 300.0
MAX_ERROR_MESSAGES = 20  # per error file, in the report


def default_types() -> tuple[str, ...]:
    """The types `assess` reads: Patient, those with a record builder, and Medication (what a
    MedicationRequest's medicationReference points to)."""
    from hosentinel.fhir.builders import BUILDERS

    return ("Patient", *sorted(BUILDERS), "Medication")


@dataclass(frozen=True)
class FetchRequest:
    base: str
    out: Path
    group: str | None = None
    since: str | None = None
    types: tuple[str, ...] = ()
    client_id: str | None = None
    key: Path | None = None
    token_url: str | None = None
    scope: str = DEFAULT_SCOPE
    parallel: int = 4
    timeout_s: float = 6 * 3600.0  # the export's whole wait, kick-off to manifest

    def kickoff_url(self) -> str:
        target = f"Group/{self.group}" if self.group else "Patient"
        return f"{self.base}/{target}/$export"

    def key_fields(self) -> dict[str, Any]:
        """What a resumed fetch must ask for again, to be the same export."""
        return {
            "base": self.base,
            "group": self.group,
            "since": self.since,
            "types": list(self.types),
        }


class FetchProgress(Protocol):
    def waiting(self, message: str | None) -> None:
        """The export is being prepared; `message` is the server's X-Progress, if any."""

    def downloading(self, files: int) -> None:
        """The manifest is in: `files` files to fetch."""

    def received(self, size: int) -> None:
        """`size` more bytes written."""

    def file_done(self) -> None: ...

    def notice(self, message: str) -> None:
        """A retry or another event worth a line."""


@dataclass
class ErrorReport:
    url: str
    name: str
    count: int | None
    messages: list[str] = field(default_factory=list)


@dataclass
class FetchResult:
    out: Path
    files: int = 0
    bytes: int = 0
    resumed: bool = False
    reused: int = 0  # files complete from an earlier run
    transaction_time: str = ""
    errors: list[ErrorReport] = field(default_factory=list)


def fetch(request: FetchRequest, progress: FetchProgress) -> FetchResult:
    base = checked(request.base.rstrip("/"), "FHIR base")
    request = FetchRequest(**{**vars(request), "base": base})
    state, resumed = _open_folder(request)
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
        tokens = _tokens(http, request)
        transport = Transport(http, tokens, progress.notice)
        result = FetchResult(request.out, resumed=resumed)
        manifest = _read_manifest(state) if state.files else None
        if manifest is None:
            if state.status_url is None:
                state.status_url = _kickoff(transport, request)
                state.save()
            manifest = _poll(transport, state, request, progress)
        result.transaction_time = str(manifest.get("transactionTime", ""))
        _download_all(transport, state, manifest, request, progress, result)
        result.errors = [_error_report(request.out, f) for f in state.files if f.section == "error"]
    return result


def _open_folder(request: FetchRequest) -> tuple[State, bool]:
    out = request.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BulkError(f"cannot create {out}: {exc.strerror or exc}") from None
    previous = state_mod.load(out)
    if previous is not None:
        if previous.request != request.key_fields():
            raise BulkError(
                f"{out} holds another fetch ({previous.request}); fetch into a new folder"
            )
        return previous, True
    if any(out.iterdir()):
        raise BulkError(f"{out} is not empty: fetch into a new or empty folder")
    state = State(out, request.key_fields())
    state.save()
    return state, False


def _tokens(http: httpx.Client, request: FetchRequest) -> Tokens | None:
    if request.client_id is None and request.key is None:
        return None
    if request.client_id is None or request.key is None:
        raise BulkError("--client-id and --key go together (SMART Backend Services)")
    key = load_key(request.key)
    token_url = request.token_url or discover_token_url(http, request.base)
    tokens = Tokens(http, token_url, request.client_id, key, request.scope)
    tokens.header()  # a refused key fails here, before the kick-off
    return tokens


def _kickoff(transport: Transport, request: FetchRequest) -> str:
    params = {"_type": ",".join(request.types)} if request.types else {}
    if request.since:
        params["_since"] = request.since
    url = request.kickoff_url()
    headers = {"Accept": FHIR_JSON, "Prefer": "respond-async"}
    with transport.request("GET", url, "kick-off", headers, params=params) as response:
        if response.status_code != 202:
            raise BulkError(_refusal("the export kick-off", url, response))
        location = response.headers.get("Content-Location")
        if not location:
            raise BulkError(f"the kick-off at {url} answered 202 without a Content-Location")
    return checked(str(httpx.URL(url).join(location)), "status URL")


def _refusal(what: str, url: str, response: httpx.Response) -> str:
    status = response.status_code
    why = outcome_text(response)
    head = "authorisation refused" if status in (401, 403) else "the server refused"
    return f"{head}: {what} {url} answered {status}" + (f": {why}" if why else "")


def _poll(
    transport: Transport, state: State, request: FetchRequest, progress: FetchProgress
) -> dict[str, Any]:
    """Poll the status URL, as `Retry-After` asks, until the manifest; keep it in DIR."""
    assert state.status_url is not None
    deadline = time.monotonic() + request.timeout_s
    quiet = 0  # polls without Retry-After: back off exponentially
    headers = {"Accept": "application/json"}
    while True:
        with transport.request("GET", state.status_url, "status", headers) as response:
            status = response.status_code
            if status == 200:
                raw = response.read()
                break
            if status != 202:
                raise BulkError(_refusal("the export status", state.status_url, response))
            progress.waiting(response.headers.get("X-Progress"))
            wait = min(retry_after(response, backoff(quiet)), MAX_POLL_WAIT_S)
            quiet = quiet if "Retry-After" in response.headers else quiet + 1
        if time.monotonic() + wait > deadline:
            raise BulkError(
                f"timed out: the export was not ready within {request.timeout_s:.0f} s "
                f"(status {state.status_url}; run the same command again to resume)"
            )
        transport.sleep(wait)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise BulkError(f"the manifest from {state.status_url} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
        raise BulkError(f"the manifest from {state.status_url} has no output list")
    state.plan(manifest)
    partial = state.manifest_path.with_name(f"{state_mod.MANIFEST_NAME}.partial")
    partial.write_bytes(raw)  # the server's manifest, byte for byte
    os.replace(partial, state.manifest_path)
    state.save()
    return manifest


def _read_manifest(state: State) -> dict[str, Any] | None:
    try:
        manifest = json.loads(state.manifest_path.read_bytes())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _download_all(
    transport: Transport,
    state: State,
    manifest: dict[str, Any],
    request: FetchRequest,
    progress: FetchProgress,
    result: FetchResult,
) -> None:
    authorised = manifest.get("requiresAccessToken") is True
    todo = [f for f in state.files if not (f.done and (request.out / f.name).is_file())]
    result.reused = len(state.files) - len(todo)
    result.files = len(state.files)
    for folder in {(request.out / f.name).parent for f in todo}:
        folder.mkdir(exist_ok=True)
    progress.downloading(len(todo))
    with ThreadPoolExecutor(max(1, request.parallel)) as pool:
        sizes = list(
            pool.map(
                lambda f: _download(transport, state, f, authorised, request.out, progress), todo
            )
        )
    result.bytes = sum(sizes)


def _download(
    transport: Transport,
    state: State,
    entry: FileEntry,
    authorised: bool,
    out: Path,
    progress: FetchProgress,
) -> int:
    """One file into `out/entry.name`, through a `.part` file that continues (a Range request)
    after a connection dropped half-way, in this run or a later one."""
    url = checked(entry.url, "file URL")
    target = out / entry.name
    partial = target.with_name(f".{target.name}.part")
    what = f"download {entry.name}"
    for attempt in range(ATTEMPTS):
        have = partial.stat().st_size if partial.exists() else 0
        headers = {"Accept": NDJSON}
        if have:  # continue where the last attempt stopped, if the server does ranges
            headers |= {"Range": f"bytes={have}-", "Accept-Encoding": "identity"}
        try:
            with transport.request(
                "GET", url, what, headers, authorised=authorised, stream=True
            ) as r:
                if r.status_code == 206 and have:
                    mode = "ab"
                elif r.status_code == 200:
                    mode, have = "wb", 0
                else:
                    r.read()
                    raise BulkError(_refusal(f"the {entry.section} file", url, r))
                written = have
                with open(partial, mode) as sink:
                    for chunk in r.iter_bytes():  # as it arrives: a drop keeps it
                        sink.write(chunk)
                        written += len(chunk)
                        progress.received(len(chunk))
        except httpx.TransportError as exc:  # dropped mid-body: the .part file keeps what came
            if attempt == ATTEMPTS - 1:
                raise BulkError(
                    f"{what} {url}: {type(exc).__name__} ({ATTEMPTS} attempts)"
                ) from None
            wait = backoff(attempt)
            got = partial.stat().st_size if partial.exists() else 0
            progress.notice(
                f"{what}: {type(exc).__name__} after {got} bytes; resuming in {wait:.1f} s"
            )
            transport.sleep(wait)
            continue
        os.replace(partial, target)
        state.mark_done(entry)
        progress.file_done()
        return written
    raise BulkError(f"{what} {url}: no complete answer after {ATTEMPTS} attempts")


def _error_report(out: Path, entry: FileEntry) -> ErrorReport:
    """An `error` entry: its OperationOutcome lines' diagnostics."""
    report = ErrorReport(entry.url, entry.name, entry.count)
    try:
        with open(out / entry.name, "rb") as lines:
            for line in lines:
                if len(report.messages) >= MAX_ERROR_MESSAGES:
                    break
                report.messages.extend(_diagnostics(line)[:MAX_ERROR_MESSAGES])
    except OSError as exc:
        report.messages.append(f"cannot read {entry.name}: {exc.strerror or exc}")
    return report


def _diagnostics(line: bytes) -> list[str]:
    try:
        doc = json.loads(line)
    except ValueError:
        return [" ".join(line[:200].decode("utf-8", "replace").split())] if line.strip() else []
    issues = doc.get("issue") if isinstance(doc, dict) else None
    if not isinstance(issues, list):
        return []
    out = []
    for issue in issues:
        if isinstance(issue, dict):
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
            out.append(
                " ".join(f"{issue.get('severity', '')}: {text or issue.get('code')}".split())
            )
    return out
