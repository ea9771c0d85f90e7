"""Evidence files attached to a compensation claim: checked by type, content and size."""

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.core.db import lock_object
from apps.core.errors import StateConflictError
from apps.core.history import person
from apps.disputes.errors import EvidenceError
from apps.disputes.models import (
    Claim,
    ClaimEvidence,
)

# --- claims: evidence --------------------------------------------------------------------

#: extension -> (content type, sniffer name)
EVIDENCE_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
EVIDENCE_MAX_FILES = 10


def evidence_max_bytes() -> int:
    return int(getattr(settings, "CLAIM_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024))


def _content_matches(extension: str, head: bytes) -> bool:
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in {".jpg", ".jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    # Text: UTF-8 with no NUL bytes (a cut multi-byte character at the end is fine).
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return True


def evidence_validate(upload: Any) -> str:
    """Check one uploaded file: an allowed extension (pdf, png, jpg/jpeg, csv, txt), content
    that really is that type (sniffed, not the browser's word), at most 5 MB. Returns the
    content type to store; raises ``EvidenceError`` naming the file otherwise."""
    name = PurePath(upload.name or "").name or "(unnamed)"
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_TYPES:
        allowed = ", ".join(sorted({e.lstrip(".") for e in EVIDENCE_TYPES}))
        raise EvidenceError(
            f"{name}: files of this type are not accepted as evidence (allowed: {allowed}).",
            code=EvidenceError.FORBIDDEN_TYPE,
            file=name,
        )
    limit = evidence_max_bytes()
    if upload.size > limit:
        raise EvidenceError(
            f"{name} is {upload.size / 1048576:.1f} MB; evidence files may be at most "
            f"{limit // 1048576} MB.",
            code=EvidenceError.TOO_LARGE,
            file=name,
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not _content_matches(extension, head):
        raise EvidenceError(
            f"{name}: the content is not a {extension.lstrip('.').upper()} file.",
            code=EvidenceError.CONTENT_MISMATCH,
            file=name,
        )
    return EVIDENCE_TYPES[extension]


def claim_evidence_add(
    *, claim: Claim, files: Sequence[Any], actor: Any = None
) -> list[ClaimEvidence]:
    """Attach evidence files to a submitted claim, all or none (each checked by
    ``evidence_validate`` first). Decided claims are immutable: no new evidence."""
    files = list(files)
    if not files:
        return []
    content_types = [evidence_validate(upload) for upload in files]
    with transaction.atomic():
        locked = lock_object(Claim.objects.all(), claim.pk)
        if locked.is_decided:
            raise StateConflictError(
                f"Claim #{claim.pk} is {locked.get_status_display().lower()}; it can no "
                "longer take evidence."
            )
        if locked.evidence.count() + len(files) > EVIDENCE_MAX_FILES:
            raise EvidenceError(
                f"A claim holds at most {EVIDENCE_MAX_FILES} evidence files.",
                code=EvidenceError.TOO_MANY,
            )
        created = []
        for upload, content_type in zip(files, content_types, strict=True):
            evidence = ClaimEvidence(
                tenant=locked.tenant,
                claim=locked,
                original_name=PurePath(upload.name).name[:255],
                content_type=content_type,
                size=upload.size,
                uploaded_by=person(actor),
            )
            evidence.file.save(upload.name, upload, save=False)
            evidence.save()
            created.append(evidence)
    return created
