"""Writes on claims and disputes (issue 6; DESIGN.md rule 8), in three modules:

- ``claims``: ``claim_quote`` (pure: what a claim would be and why it may not be filed),
  ``claim_submit``, ``claim_decide`` (through ``claim_transition``);
- ``evidence``: ``evidence_validate`` and ``claim_evidence_add`` (files on a claim);
- ``disputes``: ``dispute_file`` (checks itself against tracked clicks and orders as it is
  filed), ``dispute_decide`` (through ``dispute_transition``).

Every public name is re-exported here, so ``from apps.disputes.services import ...`` keeps
working.
"""

from apps.disputes.services.claims import (
    CLAIM_ALLOWED,
    CLAIM_FILING_DAYS,
    ClaimDecision,
    ClaimQuote,
    claim_decide,
    claim_quote,
    claim_submit,
    claim_transition,
    compensation_amount,
    first_spend_day,
)
from apps.disputes.services.disputes import (
    DISPUTE_ALLOWED,
    DISPUTE_FILING_DAYS,
    dispute_decide,
    dispute_evidence,
    dispute_file,
    dispute_transition,
)
from apps.disputes.services.evidence import (
    EVIDENCE_MAX_FILES,
    EVIDENCE_TYPES,
    claim_evidence_add,
    evidence_max_bytes,
    evidence_validate,
)

__all__ = [
    "CLAIM_ALLOWED",
    "CLAIM_FILING_DAYS",
    "DISPUTE_ALLOWED",
    "DISPUTE_FILING_DAYS",
    "EVIDENCE_MAX_FILES",
    "EVIDENCE_TYPES",
    "ClaimDecision",
    "ClaimQuote",
    "claim_decide",
    "claim_evidence_add",
    "claim_quote",
    "claim_submit",
    "claim_transition",
    "compensation_amount",
    "dispute_decide",
    "dispute_evidence",
    "dispute_file",
    "dispute_transition",
    "evidence_max_bytes",
    "evidence_validate",
    "first_spend_day",
]
