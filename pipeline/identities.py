"""The identities (勾稽关系) the templates print, evaluated on a report's numbers.

Used twice by the parser: to choose between readings of ambiguous text (the fast counts and the
linear coefficients below), and to record every identity of the chosen reading as a row of
``checks``.  A cell without a number counts as 0.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from pipeline.model import Check
from pipeline.template import APPEAL_OUTCOMES, APPEAL_PROCEEDINGS, APPLICANT_CODES

Rows = Mapping[str, Sequence[int | float | None]]  # category -> 7 values in column order

_LEAF_EXCLUDED = ("outcome.total",)


def _n(v: int | float | None) -> int | float:
    return 0 if v is None else v


def request_checks(rows: Rows) -> list[Check]:
    """balance per column, row_total per row, outcome_total per column."""
    checks: list[Check] = []
    filled = {code: [0 if v is None else v for v in vals] for code, vals in rows.items()}
    new, carried = filled.get("received.new"), filled.get("received.carried_over")
    total, forward = filled.get("outcome.total"), filled.get("carried_forward")
    leaves = [v for code, v in filled.items() if code.startswith("outcome.") and code not in _LEAF_EXCLUDED]
    if new is not None and carried is not None and total is not None and forward is not None:
        for c, col in enumerate(APPLICANT_CODES):
            exp = total[c] + forward[c]
            act = new[c] + carried[c]
            checks.append(Check("balance", col, exp, act, exp == act))
    for code, vals in filled.items():
        exp, act = vals[6], sum(vals[:6])
        checks.append(Check("row_total", code, exp, act, exp == act))
    if total is not None and leaves:
        for c, (col, act) in enumerate(zip(APPLICANT_CODES, map(sum, zip(*leaves, strict=True)), strict=True)):
            exp = total[c]
            checks.append(Check("outcome_total", col, exp, act, exp == act))
    return checks


def appeal_checks(values: Sequence[int | float | None]) -> list[Check]:
    """appeals_total per proceeding; values are the 15 numbers in printed order."""
    checks = []
    for (proc, _), block in zip(APPEAL_PROCEEDINGS, _appeal_blocks(values), strict=True):
        exp, act = block[-1], sum(block[:-1])
        checks.append(Check("appeals_total", proc, exp, act, exp == act))
    return checks


def _appeal_blocks(values: Sequence[int | float | None]) -> list[list[int | float]]:
    """The 15 numbers cut into one block of outcomes per proceeding, a blank as 0."""
    width = len(APPEAL_OUTCOMES)
    return [[_n(v) for v in values[p * width : (p + 1) * width]] for p in range(len(APPEAL_PROCEEDINGS))]


# The same identities as linear equations, for the parser's search over readings: each row adds
# coefficient x its values to a per-column residual that must end at zero.
BALANCE = {"received.new": 1, "received.carried_over": 1, "outcome.total": -1, "carried_forward": -1}


@functools.cache
def outcome_coefficient(code: str) -> int:
    if code == "outcome.total":
        return -1
    return 1 if code.startswith("outcome.") else 0


@functools.lru_cache(maxsize=1 << 14)
def column_vector(code: str, values: tuple[int | float | None, ...], use_balance: bool, use_outcome: bool) -> tuple:
    """What one row adds to the residuals of balance (first seven) and outcome_total (last
    seven): every identity holds when the rows' vectors sum to zero.  Cached: the parser weighs
    the same rows again for every placement of values it tries."""
    b = BALANCE.get(code, 0) if use_balance else 0
    o = outcome_coefficient(code) if use_outcome else 0
    nums = [v or 0 for v in values]
    return (*(b * v for v in nums), *(o * v for v in nums))


def appeal_residuals(values: Sequence[int | float | None]) -> tuple:
    """Per proceeding, the sum of its outcomes less its total: appeals_total holds where it is 0
    (the fast form of ``appeal_checks`` for the parser's search over readings)."""
    return tuple(sum(b[:-1]) - b[-1] for b in _appeal_blocks(values))
