"""Money arithmetic: Decimal only, full precision inside, rounded once per line, half-up."""

from __future__ import annotations

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


# --- money in a currency (issue 17, docs/currency.md) ----------------------------------------
#
# A small value type rather than py-moneyed/django-money: every amount column here is a plain
# ``Decimal`` in the tenant's book currency, rounded half-up once per line by
# ``quantize_money``; django-money would turn each into a pair of columns and change every
# query and aggregate, and py-moneyed rounds by its own rules (half-even) with its own currency
# tables. What multi-currency needs is one guarantee, that two currencies are never added by
# mistake, and one conversion rule; ``Money`` gives exactly that.

#: exchange rates are kept to 8 places (API.md ``fx_rates``: up to 8 decimals)
FX_RATE_PLACES = Decimal("0.00000001")


class CurrencyMismatchError(TypeError):
    """Two amounts in different currencies were added, subtracted or compared."""


class Money:
    """An amount in one currency (ISO 4217 code). ``+``, ``-`` and comparisons refuse another
    currency (``CurrencyMismatchError``); ``*`` takes a ``Decimal`` factor; ``converted`` is the
    one FX rule: ``amount x rate`` in the target currency, rounded half-up to cents."""

    __slots__ = ("amount", "currency")
    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal, currency: str) -> None:
        if not isinstance(amount, Decimal):
            raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            raise ValueError(f"{currency!r} is not an ISO 4217 currency code such as CNY")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", currency.upper())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)

    def _same(self, other: object, verb: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {verb} {type(other).__name__} and Money")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {verb} {self.currency} and {other.currency} without an exchange rate"
            )
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.amount + self._same(other, "add").amount, self.currency)

    def __radd__(self, other: object) -> Money:
        if other == 0:  # sum() starts at 0
            return self
        return self.__add__(other)

    def __sub__(self, other: object) -> Money:
        return Money(self.amount - self._same(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if not isinstance(factor, (Decimal, int)) or isinstance(factor, bool):
            raise TypeError("money is multiplied by a Decimal or an int only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def quantized(self) -> Money:
        return Money(quantize_money(self.amount), self.currency)

    def converted(self, *, rate: Decimal, to: str) -> Money:
        """This amount in ``to`` at ``rate`` (units of ``to`` per unit of this currency),
        rounded half-up to cents; the same currency needs no rate and is returned as it is."""
        if to.upper() == self.currency:
            return self.quantized()
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise ValueError(f"an exchange rate is a Decimal above 0, not {rate!r}")
        return Money(quantize_money(self.amount * rate), to)


def money_sum(amounts: Sequence[Money], currency: str) -> Money:
    """The sum of ``amounts``, all in ``currency`` (an empty sequence is zero)."""
    return sum(amounts, Money.zero(currency))
