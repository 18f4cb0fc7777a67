"""What every use case needs: the database session, the settings, the master key and the clock.

Services flush; they never commit. Whoever opened the session (the request dependency, a CLI
command) commits when the use case returns and rolls back when it raises, so a failed issuance,
import or revocation leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from skills_vc.config import Settings

__all__ = ["ServiceContext", "transaction", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    session: Session
    settings: Settings
    master_key: bytes
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
