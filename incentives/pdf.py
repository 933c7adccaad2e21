"""A partner's rebate statement as a PDF (reportlab: pure Python, no system libraries)."""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .money import money


def statement_pdf(*, partner, rows, tenant) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=f"Rebates: {partner.name}")
    styles = getSampleStyleSheet()
    story = [
        Paragraph(f"Rebate statement: {partner.name} ({partner.ref})", styles["Title"]),
        Paragraph(f"{tenant.name} · issued {tenant.local_today():%d %B %Y}", styles["Normal"]),
        Spacer(1, 12),
    ]
    header = ["Quarter", "Tier", "Metric", "Base", "Rate", "Amount", "Paid", "Owed"]
    body = [
        [
            row.quarter,
            row.tier,
            row.metric,
            f"{row.base:,.2f}",
            f"{row.rate.normalize():f} %",
            money(row.amount, tenant.currency),
            money(row.paid, tenant.currency),
            money(row.owed, tenant.currency),
        ]
        for row in rows
    ]
    if not body:
        story.append(Paragraph("No rebate has been accrued yet.", styles["Normal"]))
    else:
        table = Table([header, *body], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                    ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ]
            )
        )
        story.append(table)
    document.build(story)
    return buffer.getvalue()
