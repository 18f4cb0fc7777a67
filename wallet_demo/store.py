"""All SQL of the wallet, on one SQLite file.

Tables and why they look this way:

* ``holder_keys``: the holder's key pairs; the private key only sealed (see :mod:`wallet_demo.keys`).
* ``cards``: one per credential as a person thinks of it; its id is the credential's own id (the
  SD-JWT's ``jti``, the same as the vc+jwt's ``id``). ``holder_kid`` names the key it is bound to.
* ``credentials``: each format of a card, ``raw`` exactly as issued (the SD-JWT with every
  disclosure), because presenting later means choosing disclosures from it.
* ``presentations``: what was shown to whom (OpenID4VP): the verifier's client identifier, and in
  ``disclosed`` a JSON object with the credential query, the claims (id and path) disclosed and
  whether the verifier accepted the answer. Deleted with its card.
* ``pending_offers``: an offer between "who offers what" and the transaction code (one hour).
* ``pending_requests``: a checked presentation request between "who asks for what" and the
  volunteer's answer (until the request expires).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "NewCredential",
    "Store",
    "StoredCard",
    "StoredCredential",
    "StoredKey",
    "StoredPresentation",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS holder_keys (
  kid TEXT PRIMARY KEY,
  key_type TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  sealed_private_key BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (
  id TEXT PRIMARY KEY,
  credential_issuer TEXT NOT NULL,
  issuer_display TEXT NOT NULL,
  holder_kid TEXT NOT NULL REFERENCES holder_keys(kid),
  paper_qr TEXT,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
  id INTEGER PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL,
  configuration_id TEXT NOT NULL,
  format TEXT NOT NULL,
  raw TEXT NOT NULL,
  received_at TEXT NOT NULL,
  UNIQUE (card_id, format)
);
CREATE INDEX IF NOT EXISTS credentials_by_id ON credentials(credential_id);
CREATE TABLE IF NOT EXISTS presentations (
  id INTEGER PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
  credential_row INTEGER REFERENCES credentials(id) ON DELETE CASCADE,
  verifier TEXT NOT NULL,
  disclosed TEXT NOT NULL,
  presented_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_requests (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_offers (
  id TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StoredKey:
    kid: str
    key_type: str
    sealed: bytes


@dataclass(frozen=True)
class StoredCredential:
    credential_id: str
    configuration_id: str
    format: str
    raw: str
    received_at: datetime


@dataclass(frozen=True)
class StoredCard:
    id: str
    credential_issuer: str
    issuer_display: list[Any]
    holder_kid: str
    paper_qr: str | None
    received_at: datetime
    credentials: tuple[StoredCredential, ...]


@dataclass(frozen=True)
class StoredPresentation:
    id: int
    card_id: str
    verifier: str
    disclosed: dict[str, Any]
    presented_at: datetime


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    configuration_id: str
    format: str
    raw: str


class Store:
    """The wallet's database; each call opens its own connection and commits on success."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Credentials are personal data: only this user may read the file.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    # Holder keys.

    def newest_key(self, key_type: str | None = None) -> StoredKey | None:
        """The newest key of ``key_type`` (of any type when None)."""
        sql = "SELECT kid, key_type, sealed_private_key FROM holder_keys"
        args: tuple[str, ...] = ()
        if key_type is not None:
            sql, args = sql + " WHERE key_type = ?", (key_type,)
        with self._connect() as conn:
            row = conn.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", args).fetchone()
        return StoredKey(row[0], row[1], bytes(row[2])) if row else None

    def key(self, kid: str) -> StoredKey | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT kid, key_type, sealed_private_key FROM holder_keys WHERE kid = ?", (kid,)
            ).fetchone()
        return StoredKey(row[0], row[1], bytes(row[2])) if row else None

    def add_key(
        self, kid: str, key_type: str, public_jwk: dict[str, str], sealed: bytes, now: datetime
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO holder_keys (kid, key_type, public_jwk, sealed_private_key, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (kid, key_type, json.dumps(public_jwk), sealed, now.isoformat()),
            )

    # Offers waiting for the transaction code.

    def add_pending(
        self, pending_id: str, data: dict[str, Any], now: datetime, *, keep_after: datetime
    ) -> None:
        """Keep an offer being accepted; offers older than ``keep_after`` are dropped meanwhile."""
        with self._connect() as conn:
            conn.execute("DELETE FROM pending_offers WHERE created_at < ?", (keep_after.isoformat(),))
            conn.execute(
                "INSERT INTO pending_offers (id, data, created_at) VALUES (?, ?, ?)",
                (pending_id, json.dumps(data), now.isoformat()),
            )

    def pending(self, pending_id: str, *, newer_than: datetime) -> dict[str, Any] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data FROM pending_offers WHERE id = ? AND created_at >= ?",
                (pending_id, newer_than.isoformat()),
            ).fetchone()
        value = json.loads(row[0]) if row else None
        return value if isinstance(value, dict) else None

    def delete_pending(self, pending_id: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM pending_offers WHERE id = ?", (pending_id,))

    # Cards and their credentials.

    def save_card(
        self,
        card_id: str,
        *,
        issuer: str,
        issuer_display: list[Any],
        holder_kid: str,
        paper_qr: str | None,
        credentials: list[NewCredential],
        now: datetime,
    ) -> str:
        """Store the credentials of one card; a card already holding one of them is updated instead."""
        with self._connect() as conn:
            row = conn.execute("SELECT id FROM cards WHERE id = ?", (card_id,)).fetchone()
            for c in credentials:
                row = (
                    row
                    or conn.execute(
                        "SELECT card_id FROM credentials WHERE credential_id = ?", (c.credential_id,)
                    ).fetchone()
                )
            if row:
                card_id = row[0]
                conn.execute(
                    "UPDATE cards SET holder_kid = ?, paper_qr = COALESCE(?, paper_qr) WHERE id = ?",
                    (holder_kid, paper_qr, card_id),
                )
            else:
                conn.execute(
                    "INSERT INTO cards (id, credential_issuer, issuer_display, holder_kid, paper_qr,"
                    " received_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (card_id, issuer, json.dumps(issuer_display), holder_kid, paper_qr, now.isoformat()),
                )
            for c in credentials:
                conn.execute(
                    "INSERT INTO credentials (card_id, credential_id, configuration_id, format, raw,"
                    " received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (card_id, format) DO UPDATE SET"
                    " credential_id = excluded.credential_id, configuration_id = excluded.configuration_id,"
                    " raw = excluded.raw, received_at = excluded.received_at",
                    (card_id, c.credential_id, c.configuration_id, c.format, c.raw, now.isoformat()),
                )
        return card_id

    def cards(self) -> list[StoredCard]:
        """Every card, newest first."""
        return self._cards(None)

    def card(self, card_id: str) -> StoredCard | None:
        found = self._cards(card_id)
        return found[0] if found else None

    def _cards(self, card_id: str | None) -> list[StoredCard]:
        """The cards (all of them when ``card_id`` is None) with their credentials."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, credential_issuer, issuer_display, holder_kid, paper_qr, received_at FROM cards"
                " WHERE ? IS NULL OR id = ? ORDER BY received_at DESC, rowid DESC",
                (card_id, card_id),
            ).fetchall()
            parts: dict[str, list[StoredCredential]] = {row[0]: [] for row in rows}
            for c in conn.execute(
                "SELECT card_id, credential_id, configuration_id, format, raw, received_at FROM credentials"
                " WHERE ? IS NULL OR card_id = ? ORDER BY format",
                (card_id, card_id),
            ):
                if c[0] in parts:
                    parts[c[0]].append(StoredCredential(c[1], c[2], c[3], c[4], datetime.fromisoformat(c[5])))
        return [
            StoredCard(
                id=row[0],
                credential_issuer=row[1],
                issuer_display=json.loads(row[2]),
                holder_kid=row[3],
                paper_qr=row[4],
                received_at=datetime.fromisoformat(row[5]),
                credentials=tuple(parts[row[0]]),
            )
            for row in rows
        ]

    def delete_card(self, card_id: str) -> bool:
        """Delete a card with its credentials and its presentation records."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM cards WHERE id = ?", (card_id,)).rowcount > 0

    def credential_row(self, card_id: str, fmt: str) -> int | None:
        """The row id of the card's credential in ``fmt`` (what a presentation record points to)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id FROM credentials WHERE card_id = ? AND format = ?", (card_id, fmt)
            ).fetchone()
        return int(row[0]) if row else None

    # Presentation requests waiting for the volunteer's answer.

    def add_pending_request(
        self, request_id: str, data: dict[str, Any], now: datetime, expires: datetime
    ) -> None:
        """Keep a checked request until ``expires``; expired ones are dropped meanwhile."""
        with self._connect() as conn:
            conn.execute("DELETE FROM pending_requests WHERE expires_at <= ?", (now.isoformat(),))
            conn.execute(
                "INSERT INTO pending_requests (id, data, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (request_id, json.dumps(data), now.isoformat(), expires.isoformat()),
            )

    def pending_request(self, request_id: str, *, now: datetime) -> dict[str, Any] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data FROM pending_requests WHERE id = ? AND expires_at > ?",
                (request_id, now.isoformat()),
            ).fetchone()
        value = json.loads(row[0]) if row else None
        return value if isinstance(value, dict) else None

    def delete_pending_request(self, request_id: str) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM pending_requests WHERE id = ?", (request_id,))

    def take_pending_request(self, request_id: str) -> tuple[dict[str, Any], datetime, datetime] | None:
        """Remove a request to answer it: only one of two concurrent callers gets it.

        Returns ``(data, created_at, expires_at)`` so that a failed answer can put it back.
        """
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data, created_at, expires_at FROM pending_requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None:
                return None
            if conn.execute("DELETE FROM pending_requests WHERE id = ?", (request_id,)).rowcount != 1:
                return None
        return json.loads(row[0]), datetime.fromisoformat(row[1]), datetime.fromisoformat(row[2])

    def restore_pending_request(
        self, request_id: str, taken: tuple[dict[str, Any], datetime, datetime]
    ) -> None:
        data, created, expires = taken
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO pending_requests (id, data, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (request_id, json.dumps(data), created.isoformat(), expires.isoformat()),
            )

    # What was shown to whom.

    def add_presentation(
        self,
        card_id: str,
        credential_row: int | None,
        verifier: str,
        disclosed: dict[str, Any],
        now: datetime,
    ) -> int:
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO presentations (card_id, credential_row, verifier, disclosed, presented_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (card_id, credential_row, verifier, json.dumps(disclosed), now.isoformat()),
            )
            return int(cursor.lastrowid or 0)

    def presentation(self, presentation_id: int) -> StoredPresentation | None:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, card_id, verifier, disclosed, presented_at FROM presentations WHERE id = ?",
                (presentation_id,),
            ).fetchall()
        found = self._presentations(rows)
        return found[0] if found else None

    def presentations(self, card_id: str) -> list[StoredPresentation]:
        """The card's presentations, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, card_id, verifier, disclosed, presented_at FROM presentations WHERE card_id = ?"
                " ORDER BY presented_at DESC, id DESC",
                (card_id,),
            ).fetchall()
        return self._presentations(rows)

    @staticmethod
    def _presentations(rows: list[sqlite3.Row]) -> list[StoredPresentation]:
        found = []
        for row in rows:
            disclosed = json.loads(row[3])
            found.append(
                StoredPresentation(
                    id=row[0],
                    card_id=row[1],
                    verifier=row[2],
                    disclosed=disclosed if isinstance(disclosed, dict) else {},
                    presented_at=datetime.fromisoformat(row[4]),
                )
            )
        return found
