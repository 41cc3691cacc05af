"""HOSENTINEL_SMART_CLIENTS is read strictly (a clear message for each mistake), and the FHIR
reader never sends the bearer token away from the EHR that issued it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from hosentinel.app.smart.reader import Reader
from hosentinel.app.smart.settings import DEFAULT_ROLE, SmartSettingsError, parse_clients

ISS = "https://ehr.example.org/fhir"


def test_inline_and_file_forms_and_defaults(tmp_path: Path) -> None:
    value = {ISS + "/": {"client_id": "abc"}}
    inline = parse_clients(json.dumps(value))
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(value))
    assert parse_clients(str(path)) == inline
    client = inline[ISS]  # the trailing slash does not matter
    assert client.role == DEFAULT_ROLE and client.frame_ancestors == ("https://ehr.example.org",)
    assert client.launch_scope(True).split()[:3] == ["launch", "openid", "fhirUser"]
    assert client.launch_scope(False).split()[0] == "launch/patient"
    assert "patient/Observation.rs" in client.launch_scope(True).split()
    assert parse_clients(None) == {} and parse_clients("  ") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ("/no/such/file.json", "cannot read"),
        ('["a"]', "must be a JSON object"),
        (json.dumps({ISS: {}}), "has no client_id"),
        (json.dumps({"ftp://x": {"client_id": "a"}}), "not an http(s) FHIR base URL"),
        (json.dumps({ISS: {"client_id": "a", "role": "family"}}), "not a clinical role"),
        (json.dumps({ISS: {"client_id": "a", "role": "admin"}}), "not a clinical role"),
        (json.dumps({ISS: {"client_id": "a", "frame_ancestors": ["*; script-src *"]}}), "origins"),
        (json.dumps({ISS: {"client_id": "a", "observation_categories": "lab"}}), "list of strings"),
    ],
)
def test_mistakes_are_named(value: str, message: str) -> None:
    with pytest.raises(SmartSettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_clients(value)


def test_a_next_link_to_another_origin_is_not_followed() -> None:
    asked: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        page = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Condition", "id": "c1"}}],
            "link": [{"relation": "next", "url": "https://elsewhere.example.com/steal?page=2"}],
        }
        return httpx.Response(200, json=page)

    client = parse_clients(json.dumps({ISS: {"client_id": "abc"}}))[ISS]
    with httpx.Client(transport=httpx.MockTransport(ehr)) as http:
        reader = Reader(http, client, "secret-token")
        with pytest.raises(Exception, match="pointed away from the EHR"):
            reader.search("Condition", {"patient": "p1"})
    assert all(url.startswith(ISS) for url in asked) and len(asked) == 1


def test_serve_refuses_a_bad_setting_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hosentinel.cli import EXIT_BAD_INPUT, app

    result = CliRunner().invoke(
        app,
        ["serve", "--database", f"sqlite:///{tmp_path / 'x.db'}"],
        env={"HOSENTINEL_SMART_CLIENTS": json.dumps({ISS: {"role": "nurse"}})},
    )
    assert result.exit_code == EXIT_BAD_INPUT
    assert "has no client_id" in result.output and "Traceback" not in result.output
