"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

``SKILLS_VC_TEST_DATABASE_URL`` (set by .ci/run) points at a PostgreSQL database the suite may
wipe. Without it the PostgreSQL half is skipped with a message; CI sets it, so there it runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from skills_vc.api.app import create_app
from skills_vc.config import Settings, get_settings
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine
from skills_vc.store.tables import Base

PUBLIC_URL = "https://skills-vc.test"
OPERATOR_KEY = "test-operator-key-0123456789abcdef"
MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"  # test vector: 32 bytes, base64url
PG_URL = os.environ.get("SKILLS_VC_TEST_DATABASE_URL")

SEW_PROTECTIVE = {"uri": "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86"}
WORK_IN_TEAMS = {"uri": "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"}
MANAGE_VOLUNTEERS = {"uri": "http://data.europa.eu/esco/skill/232f854a-f5b9-4d8a-8499-23f59852273c"}


def activity_body(volunteer_id: str, /, **overrides: Any) -> dict[str, Any]:
    """The JSON of ``POST /activities``: mask sewing for Brussels hospitals, two ESCO skills."""
    body: dict[str, Any] = {
        "volunteer_id": volunteer_id,
        "title": "Couture de masques pour les hôpitaux",
        "description": "Couture de masques et de blouses pour les hôpitaux bruxellois.",
        "role": "Couturière bénévole",
        "tasks": ["découpe", "couture"],
        "start_date": date(2020, 3, 23).isoformat(),
        "end_date": date(2020, 6, 30).isoformat(),
        "hours": 240,
        "language": "fr",
        "coordinator_name": "Marie Dubois",
        "coordinator_role": "Coordinatrice",
        "skills": [SEW_PROTECTIVE, WORK_IN_TEAMS],
    }
    body.update(overrides)
    return body


@dataclass
class Clock:
    """A clock the tests move by hand."""

    current: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need SKILLS_VC_TEST_DATABASE_URL (set by .ci/run)")
        eng = make_engine(PG_URL)
        _reset_postgres(eng)
    else:
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'skills_vc.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Engine:
    wipe(engine)
    return engine


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "public_url": PUBLIC_URL,
        "operator_key": OPERATOR_KEY,
        "master_key": MASTER_KEY,
        "database_url": "sqlite://",  # unused: the app gets the test engine
    }
    values.update(overrides)
    return Settings(**values)


class Platform:
    """The API seen through real HTTP (ASGI), with helpers for the common set-ups."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self._counter = 0

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    @property
    def operator(self) -> dict[str, str]:
        return self.auth(OPERATOR_KEY)

    def register(
        self, slug: str | None = None, *, key_type: str | None = None, accredit: bool = True
    ) -> dict[str, Any]:
        self._counter += 1
        slug = slug or f"asbl-{self._counter}"
        base = f"04{self._counter:06d}"
        number = base + f"{97 - int(base) % 97:02d}"
        body: dict[str, Any] = {
            "legal_name": f"Association {slug} ASBL",
            "enterprise_number": number,
            "slug": slug,
        }
        if key_type:
            body["key_type"] = key_type
        response = self.client.post("/associations", json=body)
        assert response.status_code == 201, response.text
        data = response.json()
        if accredit:
            self.set_accreditation(slug, "accredited")
        return {
            "slug": slug,
            "did": data["association"]["did"],
            "key": data["api_key"],
            "headers": self.auth(data["api_key"]),
        }

    def set_accreditation(self, slug: str, status: str) -> None:
        response = self.client.post(
            f"/associations/{slug}/accreditation", json={"status": status}, headers=self.operator
        )
        assert response.status_code == 200, response.text

    def activity(self, association: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        volunteer = self.client.post(
            "/volunteers", json={"name": "Aïcha Benali"}, headers=association["headers"]
        )
        assert volunteer.status_code == 201, volunteer.text
        body = activity_body(volunteer.json()["id"], **overrides)
        response = self.client.post("/activities", json=body, headers=association["headers"])
        assert response.status_code == 201, response.text
        return dict(response.json())

    def issue(self, association: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        activity = self.activity(association, **overrides)
        response = self.client.post(
            f"/activities/{activity['id']}/credentials", headers=association["headers"]
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def signer(self, slug: str) -> Any:
        """The association's current signer, as a test that plays someone holding its key."""
        from skills_vc.services import associations
        from skills_vc.services.context import ServiceContext

        state = self.client.app.state  # type: ignore[attr-defined]
        session = state.session_factory()
        try:
            ctx = ServiceContext(session=session, settings=state.settings, master_key=state.master_key)
            return associations.signer_for(ctx, associations.get(ctx, slug))
        finally:
            session.close()

    def sign_raw(self, slug: str, credential: dict[str, Any]) -> str:
        """Sign ``credential`` with the association's key at the clock's time, outside issuance."""
        from skills_vc.core.formats import get_format

        return get_format("vc+jwt").secure(credential, self.signer(slug), now=int(self.clock().timestamp()))

    def verify(self, presented: Any) -> tuple[int, dict[str, Any]]:
        response = self.client.post("/credentials/verify", json={"verifiableCredential": presented})
        return response.status_code, response.json()


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["check"] == name)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line on a fresh SQLite database in ``tmp_path/var``, run from the repository."""
    monkeypatch.setenv("SKILLS_VC_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SKILLS_VC_DATABASE_URL", raising=False)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def platform(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    app = create_app(make_settings(tmp_path), clock=clock, engine=db)
    with TestClient(app) as client:
        yield Platform(client, clock)
