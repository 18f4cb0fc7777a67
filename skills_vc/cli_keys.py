"""``skills-vc keys``: which master key seals each stored private key, and re-sealing them all
under the current one (the middle step of a master key rotation).

The private keys of associations (``association_keys``) and of the platform (``platform_keys``)
are sealed under the master key, each bound to its key id. While ``SKILLS_VC_PREVIOUS_MASTER_KEYS``
lists the keys being replaced, every process opens keys sealed under any of them; ``reseal``
moves every key to the current master key, after which the previous keys can be dropped.
Nothing here prints a secret: a row is named by its table, its id and its public key id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

import typer
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from skills_vc.cli_support import command_context
from skills_vc.core import keys as keylib
from skills_vc.errors import SkillsVCError
from skills_vc.services import associations, trust_list, vp_requests
from skills_vc.services.context import ServiceContext
from skills_vc.store.tables import AssociationKey, PlatformKey

__all__ = ["SealedRow", "keys_app", "reseal", "survey"]

keys_app = typer.Typer(
    help="The master key sealing the stored private keys: check which one, re-seal under the current.",
    no_args_is_help=True,
)

# Shown for rows that no configured master key opens (and ends the command with this code).
MISMATCH = "master_key_mismatch"


@dataclass(frozen=True)
class SealedRow:
    """A stored private key and the master key that opens it: 0 is the current key, ``n`` the
    n-th of ``SKILLS_VC_PREVIOUS_MASTER_KEYS``, None none of them."""

    table: str
    row_id: int
    kid: str
    position: int | None
    stored: AssociationKey | PlatformKey = field(repr=False)
    private: keylib.PrivateKey | None = field(repr=False)

    @property
    def sealed_under(self) -> str:
        if self.position is None:
            return "none"
        return "current" if self.position == 0 else f"previous {self.position}"


def _platform_kid(ctx: ServiceContext, key: PlatformKey) -> str:
    # The key id each platform key was bound to when its owner sealed it.
    if key.purpose == trust_list.PURPOSE:
        return trust_list._associated(ctx, key.fragment)
    if key.purpose == vp_requests._PURPOSE:
        return f"{vp_requests.platform_did(ctx)}#{key.fragment}"
    raise SkillsVCError(
        f"platform key {key.id} has the unknown purpose {key.purpose!r}", code="unknown_key_purpose"
    )


def _stored_keys(ctx: ServiceContext) -> Iterator[tuple[str, AssociationKey | PlatformKey, str]]:
    for key in ctx.session.scalars(select(AssociationKey).order_by(AssociationKey.id)):
        yield "association_keys", key, f"{associations.did_of(ctx, key.association)}#{key.fragment}"
    for platform_key in ctx.session.scalars(select(PlatformKey).order_by(PlatformKey.id)):
        yield "platform_keys", platform_key, _platform_kid(ctx, platform_key)


def survey(ctx: ServiceContext) -> list[SealedRow]:
    """Every stored private key, with the configured master key that opens it."""
    master_keys = (ctx.master_key, *ctx.settings.previous_master_key_bytes)
    rows = []
    for table, stored, kid in _stored_keys(ctx):
        sealed = keylib.SealedKey(stored.private_nonce, stored.private_ciphertext)
        try:
            private, position = keylib.open_sealed_any(sealed, master_keys, kid)
        except InvalidTag:
            rows.append(SealedRow(table, stored.id, kid, None, stored, None))
        else:
            rows.append(SealedRow(table, stored.id, kid, position, stored, private))
    return rows


def _refuse_unopened(rows: list[SealedRow]) -> None:
    unopened = [row for row in rows if row.private is None]
    if unopened:
        named = ", ".join(f"{row.table} {row.row_id} ({row.kid})" for row in unopened[:5])
        more = f" and {len(unopened) - 5} more" if len(unopened) > 5 else ""
        raise SkillsVCError(
            f"{len(unopened)} stored key(s) open with no configured master key: {named}{more}; "
            "add the master key that sealed them to SKILLS_VC_PREVIOUS_MASTER_KEYS (and check that "
            "SKILLS_VC_PUBLIC_URL is the service's: key ids are bound to it)",
            code=MISMATCH,
        )


def reseal(ctx: ServiceContext) -> tuple[int, int]:
    """Seal every stored private key under the current master key, in the caller's transaction;
    returns (re-sealed, already under the current key). Refuses, changing nothing, when a key
    opens with none of the configured master keys."""
    rows = survey(ctx)
    _refuse_unopened(rows)
    moved = 0
    for row in rows:
        if row.position == 0 or row.private is None:
            continue
        sealed = keylib.seal(row.private, ctx.master_key, row.kid)
        row.stored.private_nonce = sealed.nonce
        row.stored.private_ciphertext = sealed.ciphertext
        moved += 1
    ctx.session.flush()
    return moved, len(rows) - moved


@keys_app.command(name="check")
def check(
    require_current: Annotated[
        bool,
        typer.Option(
            "--require-current",
            help="fail (exit 2) unless every key is sealed under the current master key: run it"
            " before removing the previous keys",
        ),
    ] = False,
) -> None:
    """List every stored private key with the master key that opens it (current, previous N or none)."""
    with command_context() as ctx:
        rows = survey(ctx)
        for row in rows:
            typer.echo(f"{row.table}\t{row.row_id}\t{row.kid}\t{row.sealed_under}")
        current = sum(1 for row in rows if row.position == 0)
        unopened = sum(1 for row in rows if row.position is None)
        typer.echo(
            f"{len(rows)} stored keys: {current} under the current master key, "
            f"{len(rows) - current - unopened} under a previous one, {unopened} under none"
        )
        _refuse_unopened(rows)
        if require_current and current < len(rows):
            raise SkillsVCError(
                f"{len(rows) - current} stored key(s) are still sealed under a previous master key:"
                " run `skills-vc keys reseal`",
                code="keys_not_resealed",
            )


@keys_app.command(name="reseal")
def reseal_command() -> None:
    """Re-seal every stored private key under the current master key, all in one transaction."""
    with command_context() as ctx:
        moved, unchanged = reseal(ctx)
    typer.echo(f"re-sealed {moved} stored keys under the current master key ({unchanged} already were)")
