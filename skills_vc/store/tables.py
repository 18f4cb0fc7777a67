"""SQLAlchemy 2 typed tables. Every query on them lives in the repository modules beside this one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AccreditationEventRow",
    "Activity",
    "ApiKey",
    "Association",
    "AssociationKey",
    "AuditEvent",
    "Base",
    "BulkImport",
    "Credential",
    "CredentialOffer",
    "IssuerNonce",
    "OfferAccessToken",
    "PlatformKey",
    "PresentationRequest",
    "SignInFailure",
    "StaffAccount",
    "StatusListDocument",
    "Volunteer",
    "WalletIssuance",
]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    # SQLAlchemy reads this mapping from the class itself.
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}  # noqa: RUF012


class Association(Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

    events: Mapped[list[AccreditationEventRow]] = relationship(
        order_by="AccreditationEventRow.id", lazy="selectin", back_populates="association"
    )


class AccreditationEventRow(Base):
    __tablename__ = "accreditation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))

    association: Mapped[Association] = relationship(back_populates="events")


class SealedKeyColumns:
    """The columns of a stored signing key: its public JWK and its sealed private half."""

    fragment: Mapped[str] = mapped_column(String(64))
    key_type: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]]
    # AES-256-GCM ciphertext of the PKCS#8 private key, bound to the key's id.
    private_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    private_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class AssociationKey(SealedKeyColumns, Base):
    """An association's key; the private half is bound to ``<did>#<fragment>``."""

    __tablename__ = "association_keys"
    __table_args__ = (UniqueConstraint("association_id", "fragment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)

    association: Mapped[Association] = relationship(lazy="joined")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    holder_did: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Activity(Base):
    __tablename__ = "activities"
    # A row of a bulk import is recorded once per association, whatever file it comes in.
    __table_args__ = (UniqueConstraint("association_id", "import_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(200))
    tasks: Mapped[list[Any]]
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2))
    coordinator_name: Mapped[str] = mapped_column(String(200))
    coordinator_role: Mapped[str] = mapped_column(String(200))
    # The skills the coordinator confirmed: [{"uri", "label"}]; these are what gets issued.
    skills: Mapped[list[Any]]
    # What the mapper suggested when the activity was recorded, kept for the record.
    suggested_skills: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    # Set for activities recorded from a bulk import: the row's identity and the import.
    import_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[str | None] = mapped_column(ForeignKey("bulk_imports.id"), index=True)


def _set_bits_index(name: str, column: str) -> Index:
    """An index of only the credentials whose ``column`` is set, by list: a list's set bits are
    read from it alone (index-only), however many credentials the list holds."""
    where = text(f"{column} IS NOT NULL")
    return Index(
        name,
        "association_id",
        "status_list_seq",
        "status_index",
        postgresql_where=where,
        sqlite_where=where,
    )


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("association_id", "status_list_seq", "status_index"),
        _set_bits_index("ix_credentials_revoked", "revoked_at"),
        _set_bits_index("ix_credentials_suspended", "suspended_at"),
    )

    id: Mapped[str] = mapped_column(String(500), primary_key=True)  # urn:uuid:... or a URL
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    activity_id: Mapped[str | None] = mapped_column(ForeignKey("activities.id"), index=True)
    volunteer_id: Mapped[str | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status_list_seq: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    # The secured credential; the credential JSON is read from it, never stored twice.
    secured: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]


class StatusListDocument(Base):
    """The signed form of a status list, kept while the bits it encodes are unchanged."""

    __tablename__ = "status_list_documents"

    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    bits_digest: Mapped[str] = mapped_column(String(64))
    secured: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"), index=True)
    subject: Mapped[str] = mapped_column(String(64))  # credential id, slug...
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class PlatformKey(SealedKeyColumns, Base):
    """A key of the platform itself (the operator's trust list signing key); the private half is
    bound to ``platform:<purpose>#<fragment>``."""

    __tablename__ = "platform_keys"
    __table_args__ = (UniqueConstraint("purpose", "fragment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))


class StaffAccount(Base):
    """A member of an association's staff who signs in to the association portal."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lowercased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    # Sessions started before this instant are refused (signing out ends every session).
    sessions_valid_after: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]

    association: Mapped[Association] = relationship(lazy="joined")


class SignInFailure(Base):
    """A failed sign-in, counted to slow down password guessing (per account and per address)."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(400), index=True)  # "staff:<email>", "ip:<address>"...
    at: Mapped[datetime] = mapped_column(index=True)


class BulkImport(Base):
    """An uploaded CSV file: its parsed rows and the skills per distinct activity, then what it issued."""

    __tablename__ = "bulk_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    filename: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # preview -> issuing -> done | failed
    status: Mapped[str] = mapped_column(String(16))
    options: Mapped[dict[str, Any]]
    file_errors: Mapped[list[Any]]
    rows: Mapped[list[Any]]
    groups: Mapped[list[Any]]
    row_count: Mapped[int] = mapped_column(Integer)
    valid_count: Mapped[int] = mapped_column(Integer)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CredentialOffer(Base):
    """An OpenID4VCI credential offer (pre-authorized code flow) for one issued credential.

    The pre-authorized code is derived from the offer id with a key of the master key, so only its
    hash is stored; the transaction code is stored as an HMAC. ``redeemed_at`` is set once, when
    the code is exchanged for an access token; ``burnt_at`` when too many wrong transaction codes
    were tried or the coordinator replaced the offer.
    """

    __tablename__ = "credential_offers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    configurations: Mapped[list[Any]]
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str] = mapped_column(String(64))
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    burnt_at: Mapped[datetime | None]


class OfferAccessToken(Base):
    """An access token of the token endpoint: bound to one offer (and so to its credential)."""

    __tablename__ = "offer_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("credential_offers.id"), index=True)
    expires_at: Mapped[datetime]


class IssuerNonce(Base):
    """A ``c_nonce`` of an association's nonce endpoint: single use, short-lived."""

    __tablename__ = "issuer_nonces"

    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class WalletIssuance(Base):
    """A credential issued to a wallet: each configuration of an offer is issued at most once."""

    __tablename__ = "wallet_issuances"
    __table_args__ = (UniqueConstraint("offer_id", "configuration"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("credential_offers.id"), index=True)
    configuration: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    holder_did: Mapped[str] = mapped_column(Text)
    secured: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]


class PresentationRequest(Base):
    """A counsellor's OpenID4VP request to a volunteer's wallet, and the answer while it is needed.

    Bound to the counsellor's browser by ``viewer_hash`` (the SHA-256 of a cookie). The answer
    (``result``) is kept only until ``forget_at``: the row is deleted then.
    """

    __tablename__ = "presentation_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    claims: Mapped[list[Any]]
    viewer_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    forget_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChangeCounter(Base):
    """A number raised by every transaction that changes what verification reads (an
    association's keys or accreditation, a credential's status): processes that keep the registry
    and the signed status lists in memory compare it to know when to read them again."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class StatusListCounter(Base):
    """How many indexes of one status list have been handed out: new credentials go to the
    association's newest list until this reaches the list's capacity, then to a new list.

    On PostgreSQL the count is raised in a short transaction of its own, before the credentials are
    written, so it may include indexes of a transaction that failed afterwards: it is never lower
    than the list's credentials, and a list it over-counts only closes a little early. For the same
    reason it has no foreign key: that transaction may run before the association's own row is
    committed (an association registered and issuing in one transaction).
    """

    __tablename__ = "status_list_counters"

    association_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    allocated: Mapped[int] = mapped_column(Integer)
