"""What every ``skills-vc`` command shares: a service context in one transaction, and how an
error is shown (``error: <code>: <detail>`` on stderr, exit code 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import typer

from skills_vc.config import get_settings, load_master_key
from skills_vc.errors import SkillsVCError
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.store.session import make_engine, make_session_factory

__all__ = ["command_context", "fail", "service_context"]


class _CodedError(Protocol):
    code: str
    detail: str


@contextmanager
def service_context() -> Iterator[ServiceContext]:
    """A context whose transaction commits when the block succeeds and rolls back when it raises."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield ServiceContext(session=session, settings=settings, master_key=load_master_key(settings))
    finally:
        engine.dispose()


def fail(exc: _CodedError) -> typer.Exit:
    """Print the error's code and message; the caller raises the returned exit (code 2)."""
    typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
    return typer.Exit(2)


@contextmanager
def command_context() -> Iterator[ServiceContext]:
    """``service_context`` for a command: a service error ends it with its code (exit code 2)."""
    try:
        with service_context() as ctx:
            yield ctx
    except SkillsVCError as exc:
        raise fail(exc) from None
