"""Printing a case's document in one call: build it, write the PDF, record the audit
entry. The UI runs it on a worker thread and then opens or prints the file through
:mod:`station.printing.dispatch`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from forms.model import Matter
from station.audit import Action
from station.context import ServiceContext
from station.printing import output
from station.printing.documents import DocumentKind, build_commitment, build_receipt
from station.printing.fonts import PrintFont
from station.printing.notice import build_notice
from station.printing.paper import Paper

if TYPE_CHECKING:
    from station.printing.pdf import Document, RenderedPdf
    from station.session import Session

_PRIVATE_FILE = 0o600


def build(ctx: ServiceContext, kind: DocumentKind, case_uuid: str, matter: Matter) -> Document:
    """The document of ``kind`` for the case (``matter``: the definition it was started
    with). Raises what the builders raise."""
    kind = DocumentKind(kind)
    if kind is DocumentKind.RECEIPT:
        return build_receipt(ctx, case_uuid)
    if kind is DocumentKind.NOTICE:
        return build_notice(ctx, case_uuid, matter)
    return build_commitment(ctx, case_uuid)


class PrintService:
    """Makes the printed documents of a logged-in session."""

    def __init__(self, session: Session, font: PrintFont | None = None) -> None:
        """``font`` defaults to the one find_font() finds at each print."""
        self._session = session
        self._font = font

    @property
    def _ctx(self) -> ServiceContext:
        return self._session.ctx

    def make_pdf(
        self,
        kind: DocumentKind,
        case_uuid: str,
        matter: Matter,
        *,
        paper: Paper = Paper.A4,
        folder: Path | None = None,
    ) -> RenderedPdf:
        """Write the document as a PDF in ``folder`` (default: output_dir(session)) and
        record the print in the audit log; return the written file.

        Raises CaseNotFoundError, DocumentUnavailableError, MatterMismatchError,
        FontMissingError, OSError; on any error no file is left and nothing is recorded.
        """
        from station.printing.pdf import render  # fpdf2 loads only when printing

        document = build(self._ctx, kind, case_uuid, matter)
        target_dir = output.output_dir(self._session) if folder is None else folder
        path = output.pdf_path(target_dir, document.heading.case_number, document.KIND)
        try:
            rendered = render(document, path, paper, self._font)
            os.chmod(path, _PRIVATE_FILE)
            with self._ctx.atomic():
                self._ctx.record(
                    Action.PRINT,
                    "case",
                    case_uuid,
                    {"document": str(document.KIND), "paper": str(paper)},
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return rendered
