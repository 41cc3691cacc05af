"""hosentinel.alerts on its own, without the web app: the key grammar, numbered decisions with
their version check, EHR feedback stored once, and the statistics over both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hosentinel.alerts import decisions
from hosentinel.alerts.keys import (
    alert_label,
    alerts_of,
    caution_key,
    describe_key,
    recommendation_key,
    service_key,
)
from hosentinel.alerts.stats import alert_stats, totals
from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.migrate import upgrade

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        session.add(m.Patient(id="p1", display_name="Test Patient", created_at=NOW))
        for n, name in enumerate(("ana", "ben"), start=1):
            session.add(
                m.User(
                    id=n,
                    username=name,
                    display_name=name.title(),
                    role="nurse",
                    password_hash="x",
                    created_at=NOW,
                )
            )
        session.flush()
        yield session
    engine.dispose()


def test_the_key_grammar_round_trips() -> None:
    assert describe_key(recommendation_key("rule-out-dvt")) == (
        "recommendation",
        "rule-out-dvt",
        None,
    )
    assert describe_key(caution_key("nsaid-indomethacin", "anticoagulant")) == (
        "caution",
        "nsaid-indomethacin",
        "anticoagulant",
    )
    assert service_key("patient-view") == "cds:patient-view"
    assert describe_key("cds:patient-view") == ("other", "cds:patient-view", None)
    assert describe_key("rec:a:b")[0] == "other"


def test_alerts_of_a_demo_assessment_have_labels() -> None:
    knowledge = default_knowledge()
    entry = next(e for e in load_catalog() if e.file.startswith("01-"))
    assessment = evaluate(read_bundle(entry.path.read_bytes(), knowledge), knowledge, entry.as_of)
    found = alerts_of(assessment)
    keys = [a.key for a in found]
    assert caution_key("nsaid-indomethacin", "anticoagulant") in keys
    assert len(keys) == len(set(keys))  # one alert per drug and reason
    label = alert_label(caution_key("nsaid-indomethacin", "anticoagulant"), knowledge)
    title = next(d.title for d in knowledge.drugs if d.recommendation == "nsaid-indomethacin")
    assert label == f"{title}: anticoagulant" and title != "nsaid-indomethacin"
    assert alert_label(recommendation_key("rule-out-dvt"), knowledge) == "Rule out DVT"


def test_decisions_are_numbered_and_a_stale_one_is_refused(db: Session) -> None:
    ana, ben = db.get(m.User, 1), db.get(m.User, 2)
    assert ana is not None and ben is not None
    key = recommendation_key("rule-out-dvt")
    first = decisions.record_decision(db, ana, "p1", key, "acknowledged", version=0)
    assert first.by == "Ana" and first.accepted
    assert decisions.decision_versions(db, "p1") == {key: 1}
    with pytest.raises(decisions.StaleDecision, match="Ana acknowledged this alert"):
        decisions.record_decision(
            db, ben, "p1", key, "overridden", reason="patient-refuses", version=0
        )
    second = decisions.record_decision(
        db, ben, "p1", key, "overridden", reason="patient-refuses", version=1
    )
    assert second.reason_display.startswith("Patient refuses")
    assert decisions.current_states(db, "p1")[key].status == "overridden"
    # No version: recorded as the next decision.
    decisions.record_decision(db, ana, "p1", key, "acknowledged")
    assert decisions.decision_versions(db, "p1") == {key: 3}


def test_reasons_and_comments_are_checked() -> None:
    with pytest.raises(decisions.InvalidDecision, match="Choose a reason"):
        decisions.clean_reason("  ")
    with pytest.raises(decisions.InvalidDecision, match="Unknown override reason"):
        decisions.clean_reason("because")
    assert decisions.clean_reason(" patient-refuses ") == "patient-refuses"
    with pytest.raises(decisions.InvalidDecision, match="too long"):
        decisions.clean_comment("x" * (decisions.COMMENT_MAX + 1))
    assert decisions.clean_comment("   ") is None
    assert decisions.based_on("") is None and decisions.based_on("x") == -1


def test_ehr_feedback_is_stored_once_and_counted(db: Session) -> None:
    key = caution_key("nsaid-indomethacin", "anticoagulant")
    assert decisions.record_feedback(db, "p1", key, "overridden", NOW, reason="cds-not-applicable")
    assert not decisions.record_feedback(
        db, "p1", key, "overridden", NOW, reason="cds-not-applicable"
    )
    db.flush()
    (view,) = decisions.state_history(db, "p1")
    assert (view.by, view.source, view.status) == ("EHR (CDS Hooks)", "cds-hooks", "overridden")
    knowledge = default_knowledge()
    entry = next(e for e in load_catalog() if e.file.startswith("01-"))
    assessment = evaluate(read_bundle(entry.path.read_bytes(), knowledge), knowledge, entry.as_of)
    stats = {s.key: s for s in alert_stats(db, [("p1", assessment)])}
    assert stats[key].overridden == 1 and stats[key].firing == 1
    assert stats[key].override_reasons["cds-not-applicable"] == 1
    assert stats[key].by_source == {"cds-hooks": {"overridden": 1}}
    assert totals(stats.values()).overridden == 1
    assert date(2026, 6, 1) == view.at.date()
