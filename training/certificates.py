"""A certificate as a PDF (reportlab), carrying the link anyone can follow to check it."""

import io

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


def certificate_pdf(*, award, holder: str, program: str, verify_url: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=f"{award.certification.name}: {holder}"
    )
    styles = getSampleStyleSheet()
    big = ParagraphStyle("big", parent=styles["Title"], fontSize=30, leading=36)
    centred = ParagraphStyle("centred", parent=styles["Normal"], alignment=1, fontSize=13)
    expires = f"valid until {award.expires_on:%d %B %Y}" if award.expires_on else "with no expiry"
    story = [
        Spacer(1, 40),
        Paragraph(program, centred),
        Spacer(1, 24),
        Paragraph("Certificate", big),
        Spacer(1, 12),
        Paragraph(f"<b>{holder}</b> of {award.partner.name}", centred),
        Spacer(1, 8),
        Paragraph("has earned the certification", centred),
        Spacer(1, 8),
        Paragraph(f"<b>{award.certification.name}</b>", big),
        Spacer(1, 8),
        Paragraph(f"on {award.earned_on:%d %B %Y}, {expires}.", centred),
        Spacer(1, 40),
        Paragraph(f"Check this certificate at {verify_url}", centred),
    ]
    document.build(story)
    return buffer.getvalue()
