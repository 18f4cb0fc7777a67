"""Paper QR benchmark: Base45 length and QR version (ECC Q) for 1, 5, 10 and 20 skills.

The claims are realistic: a French activity title, an accented name and role, a 12-character
association slug, a status index, the vc+jwt digest. Timings are the median of 200 runs.

    python -m bench.paper_bench
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta

import cbor2
import segno

from skills_vc.core import keys
from skills_vc.core.base45 import b45decode
from skills_vc.core.formats import Signer
from skills_vc.core.formats.qr import PREFIX, encode, short_kid
from skills_vc.core.offline import verify_offline
from skills_vc.core.paper import PaperClaims, short_issuer_id, vc_digest
from skills_vc.core.trustlist import AccreditationPeriod, TrustedKeyEntry, TrustEntry, TrustList
from skills_vc.services.mapping import get_bundle

__all__ = ["section"]

_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_SLUG = "entraide-bxl"
_DID = f"did:web:skills-vc.example:issuers:{_SLUG}"


def _claims(n_skills: int, skills: list[str], rng: random.Random) -> PaperClaims:
    return PaperClaims(
        issuer=short_issuer_id(_DID),
        credential_id=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        issued_at=int((_NOW - timedelta(days=30)).timestamp()),
        volunteer="Aïcha Benali",
        title="Couture de masques pour les hôpitaux",
        role="Couturière bénévole",
        start=date(2020, 3, 23),
        end=date(2020, 6, 30),
        hours=240,
        skills=tuple(skills[:n_skills]),
        status_seq=0,
        status_index=98_765,
        purposes=("revocation", "suspension"),
        vc_digest=vc_digest("x" * 1500),
    )


def _median_ms(run: object, repeat: int = 200) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def section() -> str:
    """The markdown section for docs/benchmarks.md."""
    key = keys.generate_private_key("Ed25519")
    fragment = keys.jwk_thumbprint(keys.public_jwk(key))
    signer = Signer(key=key, kid=f"{_DID}#{fragment}", algorithm="EdDSA")
    entry = TrustEntry(
        did=_DID,
        slug=_SLUG,
        legal_name="Entraide Bruxelles ASBL",
        enterprise_number="0400000197",
        status_list_base=None,
        keys=(TrustedKeyEntry(signer.kid, short_kid(key).hex(), "EdDSA", keys.public_jwk(key)),),
        accreditation=(AccreditationPeriod(_NOW - timedelta(days=400), None),),
    )
    trust = TrustList(
        "https://skills-vc.example", int(_NOW.timestamp()) - 60, int(_NOW.timestamp()) + 3600, (entry,)
    )
    rows = [
        "## Paper QR (VSC1)",
        "",
        "Ed25519, realistic claims and real ESCO skill UUIDs (see bench/paper_bench.py). `forced zlib` is",
        "the length if the COSE_Sign1 were always deflated; the encoder leaves deflate out when it does",
        "not shrink the data.",
        "",
        "| skills | COSE bytes | deflated | Base45 chars (with prefix) | forced zlib chars "
        "| QR version (ECC Q) | encode ms | verify ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rng = random.Random(2020)
    index = get_bundle().index
    # Real ESCO skill UUIDs (random, so incompressible), picked with a fixed seed.
    skills = [index.uuids[i] for i in rng.sample(range(len(index)), 20)]
    for n in (1, 5, 10, 20):
        claims = _claims(n, skills, rng)
        text = encode(claims, signer)
        data = b45decode(text[len(PREFIX) :])
        cose = zlib.decompress(data) if data[:1] == b"\x78" else data
        forced = len(PREFIX) + (len(zlib.compress(cose, 9)) * 3 + 1) // 2
        version = segno.make_qr(text, error="q", boost_error=False, mode="alphanumeric").version
        encode_ms = _median_ms(lambda claims=claims: encode(claims, signer))
        verify_ms = _median_ms(lambda text=text: verify_offline(text, trust, now=_NOW))
        assert isinstance(cbor2.loads(cose), cbor2.CBORTag)
        deflated = "yes" if data is not cose else "no"
        rows.append(
            f"| {n} | {len(cose)} | {deflated} | {len(text)} | {forced} | {version} "
            f"| {encode_ms:.2f} | {verify_ms:.2f} |"
        )
    rows += [
        "",
        "Target: <= 600 characters for 10 skills (QR version <= 20 at ECC Q); no QR above version 25.",
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(section())
