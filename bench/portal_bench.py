"""Bulk issuance benchmark: a CSV file of 200, 1,000 and 10,000 rows from upload to credentials.

For each size: the preview (parse, duplicate and "already issued" checks, the mapper once per
distinct activity, the preview stored), the issuance (volunteers, activities and credentials
recorded, signed and stored in one transaction) and, for 200 rows, the ZIP of certificates.
SQLite, one process, as ``make run`` serves it.

    python -m bench.portal_bench
"""

from __future__ import annotations

import base64
import csv
import io
import tempfile
import time
from pathlib import Path

from skills_vc.config import Settings
from skills_vc.services import associations, bulk_import
from skills_vc.services.bulk_csv import HEADERS
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.services.mapping import get_bundle
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine, make_session_factory

__all__ = ["section"]

_MASTER = bytes(range(32))
_SIZES = (200, 1_000, 10_000)
_ACTIVITIES = (
    ("Couture de masques", "Couturière", "Couture de masques en tissu pour les hôpitaux; découpe du tissu."),
    ("Distribution de colis alimentaires", "Bénévole logistique", "Préparation et distribution de colis."),
    ("Permanence téléphonique", "Écoutant bénévole", "Écoute des personnes isolées par téléphone."),
    ("Livraisons à vélo", "Coursier bénévole", "Livraison de courses à vélo aux personnes à risque."),
)


def _csv(rows: int, offset: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    fr = HEADERS["fr"]
    keys = ["volunteer_name", "volunteer_email", "activity_title", "role", "description"]
    keys += ["start_date", "end_date", "hours"]
    writer.writerow([fr[k] for k in keys])
    for i in range(offset, offset + rows):
        title, role, description = _ACTIVITIES[i % len(_ACTIVITIES)]
        writer.writerow(
            [f"Bénévole {i}", f"b{i}@example.org", title, role, description, "16/03/2020", "30/06/2020", 40]
        )
    return ("\ufeff" + out.getvalue()).encode()


def _run(folder: Path) -> list[tuple[int, float, float, float | None]]:
    settings = Settings(
        var_dir=folder,
        public_url="https://bench.skills-vc.test",
        master_key=base64.urlsafe_b64encode(_MASTER).decode().rstrip("="),
        operator_key="bench-operator-key-0123456789",
        database_url=f"sqlite:///{folder / 'portal.db'}",
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ctx = ServiceContext(session, settings, _MASTER)
        associations.register(ctx, associations.NewAssociation("Bench ASBL", "0412345020", "bench"))
        associations.change_accreditation(ctx, "bench", "accredited", None, "bench")
    get_bundle()
    results = []
    offset = 0
    options = bulk_import.ImportOptions("fr", "Marie Dubois", "Coordinatrice")
    for size in _SIZES:
        data = _csv(size, offset)
        offset += size
        start = time.perf_counter()
        with transaction(factory) as session:
            ctx = ServiceContext(session, settings, _MASTER)
            row = bulk_import.preview(ctx, associations.get(ctx, "bench"), None, "bench.csv", data, options)
            choices = {g["key"]: [s["uri"] for s in g["suggestions"][:3]] for g in row.groups}
            import_id = row.id
        preview_s = time.perf_counter() - start
        with transaction(factory) as session:
            ctx = ServiceContext(session, settings, _MASTER)
            bulk_import.confirm(ctx, associations.get(ctx, "bench"), import_id, choices)
        start = time.perf_counter()
        with transaction(factory) as session:
            done = bulk_import.issue(ServiceContext(session, settings, _MASTER), import_id, lambda d, t: None)
            assert done.issued_count == size
        issue_s = time.perf_counter() - start
        zip_s = None
        if size == _SIZES[0]:
            start = time.perf_counter()
            with transaction(factory) as session:
                ctx = ServiceContext(session, settings, _MASTER)
                association = associations.get(ctx, "bench")
                imported = bulk_import.get_import(ctx, association, import_id)
                count = bulk_import.certificates_zip(ctx, association, imported, "fr", io.BytesIO())
                assert count == size
            zip_s = time.perf_counter() - start
        results.append((size, preview_s, issue_s, zip_s))
    return results


def section() -> str:
    with tempfile.TemporaryDirectory() as folder:
        results = _run(Path(folder))
    lines = [
        "## Bulk issuance from a CSV file",
        "",
        "From the uploaded bytes to stored credentials, through the services the portal calls "
        f"(`bench/portal_bench.py`), on SQLite; {len(_ACTIVITIES)} distinct activities per file, "
        "so the mapper runs 4 times per preview.",
        "",
        "| rows | preview (parse, checks, suggestions, store) | issuance (one transaction) | credentials/s |",
        "|---|---|---|---|",
    ]
    for size, preview_s, issue_s, _ in results:
        lines.append(f"| {size:,} | {preview_s:.2f} s | {issue_s:.2f} s | {size / issue_s:,.0f} |")
    zip_s = results[0][3] or 0.0
    lines += [
        "",
        f"ZIP of {results[0][0]} PDF certificates (QR signed for each): {zip_s:.1f} s, "
        f"{zip_s / results[0][0] * 1000:.0f} ms per certificate.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(section())
