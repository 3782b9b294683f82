"""The automatic C/C++ target's check: run the sanitized driver, compare with the original's output.

Run as `python -m lessonl.native.check --expected FILE -- BINARY`, inside the sandbox, as the
target's `test` command. Exit 0 when the output matches; otherwise one `LESSONL_MISMATCH:` line
(the harness leads the variant's reason with it) and exit 1:

- a sanitizer report: its first line (`AddressSanitizer: heap-buffer-overflow ...`,
  `src/a.hpp:12:5: runtime error: signed integer overflow ...`);
- a crash or a non-zero exit of the driver;
- the first output token that differs from the original's.

Tolerance: tokens are compared exactly, except when both parse as numbers and one of them is
not an integer; then `|a - b| <= 1e-9 + 1e-6 * max(|a|, |b|)` (NaN equals NaN, infinities must
match). That admits a rewrite that sums in another order, and nothing that changes a digit a
user would read in a result printed with `%.6g`. The whitespace between tokens is compared
exactly (lines split at `\n` only), so text a function builds cannot lose or gain a space or
a `\r` unseen; blank lines are ignored.

Stdlib only and no other lessonl import: it runs in every check of every variant.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

MARK = "LESSONL_MISMATCH:"
REL_TOL = 1e-6
ABS_TOL = 1e-9
#: The sanitizers' own memory bound: ASan reserves terabytes of address space for its shadow, so
#: the target lifts the address-space limit for the check and this RSS limit replaces it.
RSS_LIMIT_MB = 4096
SANITIZER_ENV = {
    # Leak checks are off: LeakSanitizer cannot run under the sandbox's ptrace rules, and an
    # original that leaks would fail its own check.
    "ASAN_OPTIONS": f"detect_leaks=0:abort_on_error=0:hard_rss_limit_mb={RSS_LIMIT_MB}",
    "UBSAN_OPTIONS": "print_stacktrace=0:halt_on_error=1",
}
_INTEGER = re.compile(r"^[+-]?\d+$")
_WHITESPACE = re.compile(r"\s+")
_REPORT = re.compile(
    r"(ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer.*|.*runtime error:.*)"
)


def sanitizer_line(stderr: str) -> str | None:
    """The first line of a sanitizer's report, without the `==pid==ERROR: ` prefix."""
    for line in stderr.splitlines():
        found = _REPORT.search(line)
        if found:
            return re.sub(r"^==\d+==ERROR: ", "", line.strip()).removeprefix("ERROR: ")
    return None


def _number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def tokens_match(a: str, b: str) -> bool:
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is None or y is None or (_INTEGER.match(a) and _INTEGER.match(b)):
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= ABS_TOL + REL_TOL * max(abs(x), abs(y))


def _lines(text: str) -> list[str]:
    """Non-blank lines, split at newlines only: a `\r` or a form feed the function printed
    is part of its line, compared like any other whitespace."""
    return [line.removesuffix("\r") for line in text.split("\n") if line.strip()]


def first_difference(expected: str, got: str) -> str | None:
    """'line 3, token 2: expected '10', got '11'' or None when equal within the tolerance.
    The whitespace between tokens must be the same too: a rewrite of a function that prints
    or builds text (a JSON minifier) may differ from the original only there."""
    a = _lines(expected)
    b = _lines(got)
    for i in range(max(len(a), len(b))):
        left = a[i].split() if i < len(a) else None
        right = b[i].split() if i < len(b) else None
        if left is None or right is None:
            shown = " ".join(right or left or [])[:160]
            what = "more output" if left is None else "missing output"
            return f"line {i + 1}: {what} than the original: {shown!r}"
        for j in range(max(len(left), len(right))):
            x = left[j] if j < len(left) else "<end of line>"
            y = right[j] if j < len(right) else "<end of line>"
            if not tokens_match(x, y):
                return (
                    f"line {i + 1}, token {j + 1}: expected {x[:80]!r}, got {y[:80]!r} "
                    f"(the original printed {' '.join(left)[:120]!r})"
                )
        if _WHITESPACE.findall(a[i].strip()) != _WHITESPACE.findall(b[i].strip()):
            return (
                f"line {i + 1}: the whitespace differs: expected {a[i].strip()[:120]!r}, got "
                f"{b[i].strip()[:120]!r}"
            )
    return None


def run(binary: list[str], timeout: float) -> tuple[int | None, str, str]:
    env = {**os.environ, **SANITIZER_ENV}
    try:
        done = subprocess.run(
            binary, capture_output=True, text=True, errors="replace", timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return None, "", ""
    return done.returncode, done.stdout, done.stderr


def verdict(code: int | None, stdout: str, stderr: str, expected: str | None) -> str | None:
    """Why the run fails the check, or None when it passes."""
    report = sanitizer_line(stderr)
    if report is not None:
        return report
    if code is None:
        return "the driver did not finish in time"
    if code < 0:
        return f"the driver crashed: {signal.Signals(-code).name}"
    if code != 0:
        tail = [line for line in stderr.splitlines() if line.strip()][-1:]
        return f"the driver exited with status {code}" + (f": {tail[0][:200]}" if tail else "")
    if expected is not None:
        diff = first_difference(expected, stdout)
        if diff is not None:
            return f"the driver's output differs from the original's at {diff}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessonl.native.check")
    parser.add_argument("--expected", required=True, type=Path)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("binary", nargs="+")
    args = parser.parse_args(argv)
    code, stdout, stderr = run(args.binary, args.timeout)
    why = verdict(code, stdout, stderr, args.expected.read_text(encoding="utf-8"))
    if why is None:
        return 0
    print(f"{MARK} {why}")
    sys.stderr.write(stderr[-2000:])
    return 1


if __name__ == "__main__":
    sys.exit(main())
