"""The summary table both round-trip scripts print: one line per group, then the total.

A group's counts are: reports, cells, exact cells, flagged cells, reports with no silently wrong
cell (every cell exact or flagged), wrong-but-ok,
and optionally CPU seconds.  Returns the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def print_table(label: str, stats: Mapping[tuple[str, str], Sequence[float]]) -> list[float]:
    cpu = any(len(s) > 6 for s in stats.values())
    print(
        f"{label:<10} {'tpl':<5} {'reports':>8} {'cells':>9} {'%exact':>9} {'flagged':>8} "
        f"{'%rep sound':>10} {'wrong+ok':>8}" + (f" {'cpu s':>7}" if cpu else "")
    )
    total = [0.0] * (7 if cpu else 6)
    for (group, tpl), s in sorted(stats.items()):
        total = [a + b for a, b in zip(total, s, strict=True)]
        print(_line(f"{group:<10} {tpl:<5}", s))
    print(_line(f"{'all':<16}", total))
    return total


def _line(head: str, s: Sequence[float]) -> str:
    line = (
        f"{head} {s[0]:>8.0f} {s[1]:>9.0f} {100 * s[2] / s[1]:>8.3f}% {s[3]:>8.0f} "
        f"{100 * s[4] / s[0]:>9.2f}% {s[5]:>8.0f}"
    )
    return line + (f" {s[6]:>7.1f}" if len(s) > 6 else "")
