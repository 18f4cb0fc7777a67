"""The ``skills-vc`` command line: serve, migrate, demo, issue, verify, revoke, staff."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from skills_vc.api.logs import uvicorn_log_config
from skills_vc.cli_keys import keys_app
from skills_vc.cli_mapper import map_command
from skills_vc.cli_paper import certificate_command, trust_list_export, verify_qr
from skills_vc.cli_staff import staff_app
from skills_vc.cli_support import command_context, fail
from skills_vc.config import get_settings, load_master_key, load_operator_key
from skills_vc.errors import ValidationFailed
from skills_vc.services import associations, demo, issuance, revocation, verification
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine

app = typer.Typer(
    help="skills-vc: verifiable credentials for skills acquired while volunteering.", no_args_is_help=True
)

_ISSUERS = Path(__file__).resolve().parent.parent / "issuers"


def _migrate() -> None:
    engine = make_engine(get_settings().resolved_database_url)
    upgrade(engine)
    engine.dispose()


@app.command()
def migrate() -> None:
    """Bring the database to the latest schema."""
    _migrate()
    typer.echo(f"database migrated: {get_settings().resolved_database_url.split('@')[-1]}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    migrate_first: Annotated[
        bool, typer.Option(help="migrate the database once, before any worker starts")
    ] = True,
    workers: Annotated[int, typer.Option(min=1, help="worker processes; several want PostgreSQL")] = 1,
    timeout_graceful_shutdown: Annotated[
        int, typer.Option(min=0, help="seconds in-flight requests get to finish after SIGTERM")
    ] = 30,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="log one line per request, naming its route template and never its path, so"
            " volunteers' link tokens (/c/<token>) stay out of the logs; --no-access-log drops these lines",
        ),
    ] = True,
) -> None:
    """Serve the API (OpenAPI at /docs, probes at /healthz and /readyz)."""
    import uvicorn

    settings = get_settings()
    if migrate_first:
        _migrate()
    # Generated development secrets are written here, once: workers starting together would race.
    load_master_key(settings)
    load_operator_key(settings)
    if workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        typer.echo("note: the workers share one SQLite file and queue on its write lock", err=True)
    # Each worker builds its own app (and database pool) from the environment: create_app().
    uvicorn.run(
        "skills_vc.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=timeout_graceful_shutdown,
        # uvloop's event loop and httptools' parser (uvicorn[standard]) take a fraction of the time
        # per request of asyncio's loop and h11. Named rather than "auto": an installation that
        # lacks them fails at start instead of serving several times slower without a word.
        loop="uvloop",
        http="httptools",
        # The application writes the access lines (skills_vc/api/access.py), not uvicorn.
        access_log=False,
        log_config=uvicorn_log_config(settings, access_log=access_log),
    )


@app.command(name="demo")
def demo_command(profiles: Path = _ISSUERS) -> None:
    """Migrate, load the demo associations and write their keys to var/demo-credentials.json."""
    settings = get_settings()
    if settings.mode == "production":
        # The demo accounts have published passwords: they must never exist on a real platform.
        raise fail(ValidationFailed("demo data is refused in production mode", code="demo_in_production"))
    _migrate()
    with command_context() as ctx:
        loaded = demo.load_profiles(ctx, profiles)
    out = {
        "operator_key": load_operator_key(settings),
        "associations": [{"slug": d.slug, "did": d.did, "api_key": d.api_key} for d in loaded],
        "credentials": [c for d in loaded for c in d.credentials],
        "staff_accounts": [
            {"association": d.slug, "email": d.staff.email, "password": d.staff.password}
            for d in loaded
            if d.staff is not None
        ],
    }
    path = settings.var_dir / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(out, handle, indent=2)
    typer.echo(f"demo data loaded: {len(loaded)} associations; keys written to {path}")
    for d in loaded:
        if d.staff is not None:
            typer.echo(f"portal sign-in (demo only): {d.staff.email} / {d.staff.password}")


@app.command()
def issue(
    association: Annotated[str, typer.Option(help="slug of the issuing association")],
    activity: Annotated[str | None, typer.Option(help="id of a recorded activity")] = None,
    credential: Annotated[
        Path | None, typer.Option(help="a JSON credential to secure (VC API style)")
    ] = None,
) -> None:
    """Issue a credential and print it as vc+jwt."""
    if (activity is None) == (credential is None):
        typer.echo("give exactly one of --activity or --credential", err=True)
        raise typer.Exit(2)
    with command_context() as ctx:
        issuer = associations.get(ctx, association)
        if activity is not None:
            row = issuance.issue_activity(ctx, issuer, activity)
        else:
            assert credential is not None
            row = issuance.issue_credential(ctx, issuer, _read_json(credential))
        typer.echo(row.secured)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read {path}: {exc}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        typer.echo(f"error: {path} does not hold a JSON object", err=True)
        raise typer.Exit(2)
    return data


@app.command()
def verify(
    credential: Annotated[
        str, typer.Argument(help="a vc+jwt, or a file holding one (or its JSON envelope); - for stdin")
    ],
    lang: Annotated[str, typer.Option(help="fr, nl or en")] = "en",
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify a credential; exit code 0 when verified, 1 when not."""
    if lang not in ("fr", "nl", "en"):
        typer.echo("error: --lang must be fr, nl or en", err=True)
        raise typer.Exit(2)
    presented: Any = sys.stdin.read() if credential == "-" else credential
    if len(presented) < 1024 and Path(presented).is_file():
        presented = Path(presented).read_text("utf-8")
    if presented.strip().startswith("{"):
        try:
            presented = json.loads(presented)
        except ValueError:
            typer.echo("error: the credential is neither a vc+jwt nor valid JSON", err=True)
            raise typer.Exit(2) from None
    settings = get_settings()
    with command_context() as ctx:
        report = verification.verify(
            ctx, presented, verification.RemoteStatusLists(settings.status_cache_seconds)
        )
    if json_output:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        verdict = {
            "fr": ("VÉRIFIÉE", "NON VÉRIFIÉE"),
            "nl": ("GEVERIFIEERD", "NIET GEVERIFIEERD"),
            "en": ("VERIFIED", "NOT VERIFIED"),
        }[lang]
        typer.echo(verdict[0] if report.verified else verdict[1])
        for check in report.checks:
            typer.echo(f"  [{check.status:>11}] {check.name}: {check.message[lang]} ({check.code})")
    raise typer.Exit(0 if report.verified else 1)


@app.command()
def revoke(
    credential_id: str,
    association: Annotated[str, typer.Option(help="slug of the association that issued it")],
    reason: Annotated[str, typer.Option(help="why (kept in the audit log)")],
    suspend: Annotated[bool, typer.Option("--suspend", help="suspend instead of revoking")] = False,
    unsuspend: Annotated[bool, typer.Option("--unsuspend", help="lift a suspension")] = False,
) -> None:
    """Revoke a credential for good, or suspend / unsuspend it."""
    action: revocation.Action = "suspend" if suspend else "unsuspend" if unsuspend else "revoke"
    with command_context() as ctx:
        row = revocation.change_status(ctx, associations.get(ctx, association), credential_id, action, reason)
        typer.echo(f"{row.id}: {revocation.state_of(row)}")


app.command(name="map")(map_command)
app.command(name="verify-qr")(verify_qr)
app.command(name="certificate")(certificate_command)
trust_list_app = typer.Typer(help="The operator-signed trust list of accredited associations.")
trust_list_app.command(name="export")(trust_list_export)
app.add_typer(trust_list_app, name="trust-list")
app.add_typer(staff_app, name="staff")
app.add_typer(keys_app, name="keys")


if __name__ == "__main__":  # pragma: no cover
    app()
