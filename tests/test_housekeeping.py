"""Expired records are removed; live ones stay."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select
from typer.testing import CliRunner

from portal.cli import app as cli
from portal.clock import utcnow
from portal.housekeeping import purge_expired
from portal.identity.models import OneTimeCode, WebAuthnChallenge
from portal.web.ratelimit import RateLimitHit
from portal.web.sessions import WebSession


def test_purge_removes_only_what_has_expired(app, settings, db: Session) -> None:
    now = utcnow()
    db.add_all([
        WebSession(id_hash="idle", last_seen_at=now - dt.timedelta(minutes=31)),
        WebSession(id_hash="too-old", created_at=now - dt.timedelta(hours=13)),
        WebSession(id_hash="live"),
        WebAuthnChallenge(challenge=b"old", purpose="authenticate", session_hash="x",
                          created_at=now - dt.timedelta(hours=2)),
        WebAuthnChallenge(challenge=b"new", purpose="authenticate", session_hash="x"),
        OneTimeCode(purpose="sign_in", code_hash="a", session_hash="x",
                    created_at=now - dt.timedelta(days=2)),
        OneTimeCode(purpose="sign_in", code_hash="b", session_hash="x"),
        RateLimitHit(key="k", at=now - dt.timedelta(days=2)),
        RateLimitHit(key="k"),
    ])
    db.commit()
    removed = purge_expired(app.state.engine, settings)
    assert removed == {"sessions": 2, "challenges": 1, "codes": 1, "rate_limit_hits": 1}
    db.expire_all()
    assert [s.id_hash for s in db.exec(select(WebSession)).all()] == ["live"]
    assert [c.challenge for c in db.exec(select(WebAuthnChallenge)).all()] == [b"new"]


def test_purge_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert "0 sessions, 0 challenges, 0 codes, 0 rate limit hits removed." in result.output
