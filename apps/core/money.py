"""Money arithmetic: Decimal only, full precision inside, rounded once per line, half-up."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")


def quantize_money(amount: Decimal) -> Decimal:
    """Round an amount to cents, half-up (0.005 -> 0.01)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_rate(rate: Decimal) -> Decimal:
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (in cents) over ``weights`` by largest remainder; the parts sum exactly."""
    total = quantize_money(total)
    weight_sum = sum(weights, Decimal(0))
    if not weights:
        return []
    if weight_sum == 0:
        raise ValueError("cannot allocate over weights that sum to zero")
    cents = int(total / CENT)
    raw = [Decimal(cents) * weight / weight_sum for weight in weights]
    floors = [int(part.to_integral_value(rounding=ROUND_DOWN)) for part in raw]
    remainder = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for index in order[:remainder]:
        floors[index] += 1
    return [Decimal(part) * CENT for part in floors]


#: ROI (GMV / spend) is shown, compared and stored to two places, half-up, everywhere.
ROI_PLACES = CENT
#: attainment (ROI / target ROI) is a ratio kept to four places (shown as a percentage).
ATTAINMENT_PLACES = RATE_PLACES


def roi(*, gmv: Decimal, spend: Decimal | None) -> Decimal | None:
    """Return on spend, ``GMV / spend`` to two places half-up; None when nothing was spent.

    The one ROI rule: performance pages, the API, claims, disputes and tagging all call this,
    so the same plan never shows two ROIs."""
    if spend is None or spend <= 0:
        return None
    return (gmv / spend).quantize(ROI_PLACES, rounding=ROUND_HALF_UP)


def attainment(
    *, gmv: Decimal, spend: Decimal | None, target_roi: Decimal | None
) -> Decimal | None:
    """How much of its target ROI a plan reached (1.0000 = on target), from the unrounded
    ROI; None without spend or without a positive target."""
    if spend is None or spend <= 0 or target_roi is None or target_roi <= 0:
        return None
    return (gmv / spend / target_roi).quantize(ATTAINMENT_PLACES, rounding=ROUND_HALF_UP)
