"""The CDS Hooks 2.0 endpoints: discovery, the three services, feedback, CORS.

- `GET /cds-services` (discovery) is open: it lists services and prefetch templates, no patient
  data, and the spec lets a service require authentication only where a call could expose
  sensitive data. An Authorization header sent with it is ignored (its jti is not consumed).
- `POST /cds-services/{id}` and `POST /cds-services/{id}/feedback` need a valid JWT
  (`security.py`); any failure is a bare 401. `aud` must be the URL called, built from the host's
  `base_url` (a feedback call may also name the service's URL).
- Errors other than 401 carry a FHIR OperationOutcome: 400 malformed request, 404 unknown
  service, 412 data neither prefetched nor fetchable, 413 body over 32 MB.
- CORS for browser-based clients (e.g. the CDS Hooks sandbox) on these paths only: any origin,
  headers Authorization and Content-Type, methods GET, POST, OPTIONS; no cookies are involved.

Each service call: verify the JWT; read the patient's data (prefetch, else `fhirServer`), plus,
at order-select and order-sign, every draft medication order (`orders.draft_medications`); build
one collection Bundle and read it with `read_bundle`; `evaluate` it as of the host's today with the
host's knowledge (memoised by the Bundle's content, the date and the knowledge digest: the same
chart opened again, or order-select firing at each selection, costs no new assessment); build the
cards; claim the JWT's jti, remember the cards for feedback and write one audit entry (who called,
which patient, which cards), committed before the answer is sent (`ledger.CallLedger`: one thread
commits the entries of concurrent calls together; in the database, so that every server process
sees every claimed jti and issued card). Nothing is stored about the patient's data; the FHIR
token is never kept. The engine and card work is pure CPU and runs on the event loop; database
work never does.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpcore
import httpx
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from hosentinel.caching import LruCache
from hosentinel.cdshooks import security
from hosentinel.cdshooks.cards import (
    IssuedCard,
    order_cards,
    patient_view_content,
    patient_view_issue,
)
from hosentinel.cdshooks.discovery import SERVICES, Service, discovery_document
from hosentinel.cdshooks.errors import (
    BadRequest,
    CdsError,
    PayloadTooLarge,
    PreconditionFailed,
    Unauthorized,
    UnknownService,
)
from hosentinel.cdshooks.feedback import parse_feedback, store_feedback
from hosentinel.cdshooks.gaps import unread_card
from hosentinel.cdshooks.jku import JkuCache
from hosentinel.cdshooks.ledger import CallEntry, CallLedger, claim_token
from hosentinel.cdshooks.note_binaries import inline_note_binaries, prefetch_has_note_urls
from hosentinel.cdshooks.orders import draft_medications, read_draft_orders
from hosentinel.cdshooks.outbound import Resolver, fhir_access, resolve_host
from hosentinel.cdshooks.pinning import PinnedTransport
from hosentinel.cdshooks.prefetch import collection_bundle, content_key, gather, incomplete
from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.fhir.importer import BundleError, read_bundle
from hosentinel.knowledge.loader import Knowledge
from hosentinel.limits import oversized_string, string_limit_message
from hosentinel.logsafe import clip
from hosentinel.settings import Settings

log = logging.getLogger("hosentinel.cdshooks")

MAX_BODY_BYTES = 32 * 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "600",
}
ORDER_HOOKS = ("order-select", "order-sign")


@dataclass
class Memo:
    """An assessment, and what was rendered from it (e.g. the patient-view card content)."""

    assessment: Assessment
    rendered: dict[tuple[str, ...], Any] = field(default_factory=dict)


class AssessmentMemo(LruCache[tuple[bytes, date, str], Memo]):
    """Assessments by (SHA-256 of the Bundle's canonical JSON, as-of date, knowledge digest).
    Content-addressed, so never stale; bounded (LRU); thread-safe."""

    def __init__(self, limit: int = 512) -> None:
        super().__init__(limit)


@dataclass(frozen=True, slots=True)
class Host:
    """What the service needs from the app that serves it (passed in, never read from the app):
    the public base URL, the clock, the knowledge base, the database and the per-value limit."""

    base_url: str
    today: Callable[[], date]
    knowledge: Knowledge
    sessionmaker: sessionmaker[Session]
    # Characters in any one string of a call's body (413 past it; HOSENTINEL_MAX_STRING).
    max_string_chars: int = 256 * 1024


@dataclass
class CdsHooksState:
    """Per app: the host, trusted issuers, the replay cache, issued cards, memoised assessments,
    and the HTTP client for reading clients' FHIR servers."""

    host: Host
    trust: security.TrustStore
    ledger: CallLedger
    replay: security.ReplayCache = field(default_factory=security.ReplayCache)
    assessments: AssessmentMemo = field(default_factory=AssessmentMemo)
    transport: httpx.AsyncBaseTransport | None = None
    resolve: Resolver = resolve_host  # fhirServer host names -> addresses (tests: fixed ones)
    # Opens the TCP connections of the pinned transport (tests: a recorder); None: the network.
    network: httpcore.AsyncNetworkBackend | None = None
    jku: JkuCache = field(default_factory=JkuCache)
    _client: httpx.AsyncClient | None = None

    async def _resolve(self, host: str, port: int) -> list[str]:
        return await self.resolve(host, port)  # read when used: tests replace `resolve`

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Every connection to a checked address, never a second lookup (pinning.py).
            transport = self.transport or PinnedTransport(self._resolve, self.network)
            self._client = httpx.AsyncClient(
                transport=transport, follow_redirects=False, trust_env=False
            )
        return self._client


def _trust(trusted: Mapping[str, object] | None, setting: str | None) -> security.TrustStore:
    """Trusted issuers from `trusted` ({iss: JWK Set or path}) or, when None, from the setting
    (`HOSENTINEL_CDS_JWKS`). A bad setting is logged and trusts nobody (every call gets 401)."""
    try:
        if trusted is not None:
            return security.TrustStore.from_mapping(trusted)
        return security.TrustStore.from_setting(setting)
    except security.ConfigError as exc:
        log.error("CDS Hooks disabled (every call refused): %s", exc)
        return security.TrustStore()


def mount(app: FastAPI, settings: Settings, host: Host) -> CdsHooksState:
    """Serve CDS Hooks from `app`: the routes, and the service's state built from the settings
    and the host (`hosentinel.cdshooks.install`)."""
    state = CdsHooksState(
        host=host, trust=_trust(None, settings.cds_jwks), ledger=CallLedger(host.sessionmaker)
    )
    app.include_router(router)
    app.state.cds_hooks = state
    return state


def install(
    app: Any,
    trusted: Mapping[str, object] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CdsHooksState:
    """Set up the CDS Hooks service of an app that serves it again (tests, and an operator's
    change of trust): trusted issuers from `trusted` ({iss: JWK Set or path}) or, when None,
    from `HOSENTINEL_CDS_JWKS` as it is now, and a fresh replay cache, ledger and memo."""
    host = state_of_app(app).host
    state = CdsHooksState(
        host=host,
        trust=_trust(trusted, Settings().cds_jwks if trusted is None else None),
        ledger=CallLedger(host.sessionmaker),
        transport=transport,
    )
    app.state.cds_hooks = state
    return state


def state_of_app(app: Any) -> CdsHooksState:
    found: CdsHooksState | None = getattr(app.state, "cds_hooks", None)
    if found is None:
        raise RuntimeError("CDS Hooks is not installed on this app (hosentinel.cdshooks.install)")
    return found


def state_of(request: Request) -> CdsHooksState:
    return state_of_app(request.app)


class CdsRoute(APIRoute):
    """Every answer of these paths carries the CORS headers; CDS errors become responses here:
    401 bare, the others as an OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Unauthorized:
                response = Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
            except CdsError as exc:
                response = _json(exc.outcome(), exc.status)
            response.headers.update(CORS_HEADERS)
            return response

        return with_cors


router = APIRouter(route_class=CdsRoute)


def _json(value: object, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def _base_url(request: Request) -> str:
    return state_of(request).host.base_url.rstrip("/")


async def _authenticate(request: Request, *audiences: str) -> security.Caller:
    state = state_of(request)
    token = security.bearer_token(request.headers.get("authorization"))
    await state.jku.prepare(token, state.trust, state.client())
    return security.verify(token, audiences, state.trust, state.replay, jku_key=state.jku.key)


async def _json_body(request: Request) -> object:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The request body is over 32 MB.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The request body is over 32 MB.")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not JSON.") from None
    limit = state_of(request).host.max_string_chars
    found = oversized_string(parsed, limit, raw=body)
    if found is not None:
        raise PayloadTooLarge(string_limit_message(found, limit, "HOSENTINEL_MAX_STRING"))
    return parsed


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise UnknownService(f"No CDS service {service_id!r}.")
    return service


# --- discovery and preflight -----------------------------------------------------------------


@router.get("/cds-services", include_in_schema=False)
async def discovery() -> Response:
    return _json(discovery_document())


@router.options("/cds-services", include_in_schema=False)
@router.options("/cds-services/{service_id}", include_in_schema=False)
@router.options("/cds-services/{service_id}/feedback", include_in_schema=False)
async def preflight() -> Response:
    return Response(status_code=204)


# --- services --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HookCall:
    hook: str
    hook_instance: str
    patient_id: str
    context: Mapping[str, Any]
    prefetch: Mapping[str, object] | None
    server: str | None
    token: str | None


def _parse_call(body: object, service: Service) -> HookCall:
    if not isinstance(body, Mapping):
        raise BadRequest("The request must be a JSON object.")
    hook = body.get("hook")
    if hook != service.hook:
        raise BadRequest(f"This service answers the {service.hook!r} hook, not {hook!r}.")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance:
        raise BadRequest("hookInstance is required.")
    context = body.get("context")
    if not isinstance(context, Mapping):
        raise BadRequest("context is required.")
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise BadRequest("context.patientId is required.")
    if hook in ORDER_HOOKS:
        orders = context.get("draftOrders")
        if not isinstance(orders, Mapping) or orders.get("resourceType") != "Bundle":
            raise BadRequest("context.draftOrders must be a FHIR Bundle.")
        selections = context.get("selections")
        if hook == "order-select" and not (
            isinstance(selections, list) and all(isinstance(s, str) for s in selections)
        ):
            raise BadRequest("context.selections must be a list of references.")
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, Mapping):
        raise BadRequest("prefetch must be an object.")
    server = body.get("fhirServer")
    authorization = body.get("fhirAuthorization")
    if server is not None and not isinstance(server, str):
        raise BadRequest("fhirServer must be a URL.")
    token: str | None = None
    if authorization is not None:
        if not isinstance(authorization, Mapping) or not server:
            raise BadRequest("fhirAuthorization needs fhirServer and must be an object.")
        value = authorization.get("access_token")
        kind = authorization.get("token_type")
        if not isinstance(value, str) or not value or str(kind).lower() != "bearer":
            raise BadRequest("fhirAuthorization needs a Bearer access_token.")
        token = value
    return HookCall(hook, instance, patient_id.strip(), context, prefetch, server or None, token)


def _assess(
    state: CdsHooksState, bundle: dict[str, Any], knowledge: Knowledge, as_of: date
) -> Memo:
    key = (hashlib.sha256(content_key(bundle)).digest(), as_of, knowledge.digest)
    found = state.assessments.get(key)
    if found is None:
        try:
            record = read_bundle(bundle, knowledge)
        except BundleError as exc:
            raise PreconditionFailed(f"The patient's data cannot be read: {exc}") from None
        found = Memo(evaluate(record, knowledge, as_of))
        state.assessments.put(key, found)
    return found


def _answer(
    request: Request,
    state: CdsHooksState,
    call: HookCall,
    bundle: dict[str, Any],
) -> list[IssuedCard]:
    """The cards of a call (CPU only: the engine on a memo miss, the cards)."""
    knowledge = state.host.knowledge
    memo = _assess(state, bundle, knowledge, state.host.today())
    base = _base_url(request)
    if call.hook == "patient-view":
        view = ("patient-view", call.patient_id, base)
        if view not in memo.rendered:
            memo.rendered[view] = patient_view_content(
                memo.assessment, knowledge, call.patient_id, base
            )
        cards = patient_view_issue(memo.rendered[view])
    else:
        selections = call.context.get("selections") if call.hook == "order-select" else None
        orders = read_draft_orders(call.context.get("draftOrders"), knowledge, selections)
        cards = order_cards(memo.assessment, knowledge, orders, call.patient_id, base)
    return cards


@router.post("/cds-services/{service_id}", include_in_schema=False)
async def call_service(service_id: str, request: Request) -> Response:
    base = _base_url(request)
    caller = await _authenticate(request, f"{base}/cds-services/{service_id}")
    service = _service(service_id)
    call = _parse_call(await _json_body(request), service)
    state = state_of(request)
    settings = state.trust.settings(caller.iss)
    access = None
    # A complete prefetch costs no DNS lookup of fhirServer, unless its notes' texts are there.
    if incomplete(call.prefetch) or prefetch_has_note_urls(call.prefetch):
        access = await fhir_access(call.server, call.token, settings, state.resolve)
    client = state.client() if access is not None else None
    gathered = await gather(call.prefetch, call.patient_id, access, client)
    resources = gathered.resources
    if access is not None and client is not None:  # notes whose text is a Binary on the server
        resources = await inline_note_binaries(resources, client, access)
    if call.hook in ORDER_HOOKS:  # after the record: a recorded resource wins over its draft
        resources += [dict(r) for r in draft_medications(call.context.get("draftOrders"))]
    bundle = collection_bundle(resources, call.patient_id)
    # The engine is CPU work: on the threadpool, so /healthz and other calls are served meanwhile.
    cards = await run_in_threadpool(_answer, request, state, call, bundle)
    if gathered.unread:
        cards.append(unread_card(gathered.unread, call.patient_id, base))
    keys = ", ".join(c.alert_key for c in cards) or "no card"
    entry = CallEntry(
        what=f"{call.hook} from {caller.iss}: {keys}"[:200],
        patient_id=call.patient_id[:64],
        issuer=caller.iss,
        jti=caller.jti,
        expires=caller.expires,
        service_id=service.id,
        cards=tuple(cards),
    )
    if not await state.ledger.record(entry):  # another server process saw this jti first
        raise security.replayed(caller.iss, caller.jti)
    return _json({"cards": [c.body for c in cards]})


@router.post("/cds-services/{service_id}/feedback", include_in_schema=False)
async def feedback(service_id: str, request: Request) -> Response:
    base = _base_url(request)
    url = f"{base}/cds-services/{service_id}"
    caller = await _authenticate(request, f"{url}/feedback", url)
    service = _service(service_id)
    items = parse_feedback(await _json_body(request))

    def store() -> int:
        with state_of(request).host.sessionmaker.begin() as session:
            if not claim_token(session, caller.iss, caller.jti, caller.expires):
                raise security.replayed(caller.iss, caller.jti)
            return store_feedback(session, service.id, items, caller.iss)

    stored = await run_in_threadpool(store)
    log.info(
        "CDS Hooks feedback for %s from %s (jti %s): %d item(s), %d stored",
        service.id,
        clip(caller.iss),
        clip(caller.jti),
        len(items),
        stored,
    )
    return Response(status_code=200)
