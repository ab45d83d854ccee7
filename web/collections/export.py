"""The published collection as a PDF (WeasyPrint), rendered from the same groups as the page."""

from __future__ import annotations

import logging

from flask import render_template

from web.collections.services import Group
from web.examples.models import ExampleKind
from web.models import utcnow
from web.tenants.models import Tenant


def collection_pdf(
    tenant: Tenant,
    groups: dict[ExampleKind, list[Group]],
    *,
    by: str,
    query: str | None,
    kind_label: str | None = None,
) -> bytes:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per step
    from weasyprint import HTML  # imported when needed: it takes a second

    html = render_template(
        "collections/export.html",
        tenant=tenant,
        groups=groups,
        by=by,
        query=query,
        kind_label=kind_label,
        generated_at=utcnow(),
    )
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
