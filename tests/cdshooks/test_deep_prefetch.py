"""Hostile prefetch content from a trusted, correctly signed caller: never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from tests.support.cdskit import BASE, PV, Cds, bearer, demo, hook_request, prefetch_for, sign, url


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_prefetch_is_answered_not_a_500(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    patient_id, prefetch = prefetch_for(demo("03-"))
    for depth in (300, 900):
        deep = json.loads(json.dumps(prefetch))
        deep["conditions"]["entry"][0]["resource"]["extension"] = _nested(depth)
        body = json.dumps(hook_request("patient-view", patient_id, deep))
        path = url(PV)
        response = cds.client.post(
            path,
            content=body,
            headers={**bearer(sign(cds.keys, BASE + path)), "Content-Type": "application/json"},
        )
        assert response.status_code < 500, (depth, response.status_code)
