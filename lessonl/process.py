"""Process hygiene shared by everything that starts a child: the harness's untrusted commands
and the LLM layer's local model server.

It lives outside `lessonl.harness` so the LLM layer can use it without importing the harness
(and, through its package, numpy and the timing machinery): the two layers share these few
rules, not each other's code.

- `scrub_env`: a child's environment never carries credentials. Matching is generous on
  purpose: losing e.g. SSH_AUTH_SOCK in a benchmark costs nothing, leaking a key costs a lot.
- `die_with_parent`: if lessonl is SIGKILLed (no cleanup code runs), the kernel kills the
  children it started (Linux's PR_SET_PDEATHSIG; a no-op elsewhere).
- `signal_name`: how a child's death by a signal is told to the user ("SIGSEGV (segmentation
  fault)"), the same for a crashed variant and a crashed model server.
"""

from __future__ import annotations

import ctypes
import re
import signal
import sys
from collections.abc import Mapping, Sequence

# Names of environment variables that plausibly carry credentials.
_SECRET_NAME = re.compile(
    r"(^|_)KEY(S)?(_|$)|APIKEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|PRIVATE|SESSION",
    re.IGNORECASE,
)

# libc, loaded in the parent: the child between fork and exec should not dlopen.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def scrub_env(env: Mapping[str, str], extra_names: Sequence[str] = ()) -> dict[str, str]:
    """`env` without credential-like variables (`*_KEY`, `*TOKEN*`, `*SECRET*`, ...) and without
    the names in `extra_names` (e.g. every agent's `api_key_env`, whatever it is called)."""
    drop = set(extra_names)
    return {k: v for k, v in env.items() if k not in drop and not _SECRET_NAME.search(k)}


def die_with_parent() -> None:
    """In a child between fork and exec: have the kernel SIGKILL it when the thread that forked
    it dies (PR_SET_PDEATHSIG; Linux only, a no-op elsewhere). SIGKILL because the child may be
    stopped (a paused model server) and could not act on a gentler signal."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def signal_name(number: int) -> str:
    """'SIGSEGV (segmentation fault)' for 11; falls back to the number."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    desc = signal.strsignal(number)
    return f"{name} ({desc.lower()})" if desc else name
