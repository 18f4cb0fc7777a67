"""``skills-vc staff``: create, list and disable the staff accounts of the association portal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from skills_vc.cli_support import command_context
from skills_vc.services import associations, staff

__all__ = ["staff_app"]

staff_app = typer.Typer(help="Staff accounts that sign in to the association portal.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@staff_app.command(name="add")
def add(
    slug: Annotated[str, typer.Argument(help="slug of the association")],
    email: Annotated[str, typer.Option(help="the staff member's email address (their sign-in name)")],
    name: Annotated[str, typer.Option(help="the staff member's name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Create an account; the password is asked twice without echo (or read from stdin)."""
    password = _read_password(password_stdin)
    with command_context() as ctx:
        account = staff.create_account(ctx, slug, email, name, password)
        typer.echo(f"staff account {account.id} created: {account.email} ({account.name}) for {slug}")


@staff_app.command(name="list")
def list_command(slug: Annotated[str, typer.Argument(help="slug of the association")]) -> None:
    """The association's accounts: email, name, state and last sign-in."""
    with command_context() as ctx:
        accounts = staff.list_accounts(ctx, associations.get(ctx, slug))
        for account in accounts:
            state = "disabled" if account.disabled_at else "active"
            last = (
                account.last_sign_in_at.isoformat(timespec="seconds") if account.last_sign_in_at else "never"
            )
            typer.echo(f"{account.email}\t{account.name}\t{state}\tlast sign-in: {last}")
        if not accounts:
            typer.echo(f"no staff accounts for {slug}")


@staff_app.command(name="disable")
def disable(email: Annotated[str, typer.Argument(help="the account's email address")]) -> None:
    """Disable an account: it can no longer sign in and its open sessions end."""
    with command_context() as ctx:
        account = staff.disable(ctx, email)
        typer.echo(f"staff account {account.email} disabled")
