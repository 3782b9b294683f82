"""The sandbox every command of a target runs in: bubblewrap on Linux (`sandbox = "auto"`).

Generated code is untrusted, and `run_command`'s rlimits only bound *runaway* code. A hostile
variant could still overwrite the user's sources, read `~/.ssh`, open a socket or leave a
daemon behind. So, when bubblewrap (`bwrap`) works on this machine, each command runs as
`bwrap <policy> -- argv`, where the policy (`wrap`) is:

- the whole filesystem read-only (`--ro-bind / /`), fresh `/dev` and `/proc`;
- hidden behind an empty read-only tmpfs: the real HOME (by `$HOME` and by the password
  database) and the project root, so `~/.ssh`, `~/.aws`, `~/.config`, shell history, the
  project's `.env`, its `.lessonl/` state and the other variants' folders are neither readable
  nor writable. Re-exposed read-only inside them: only what commands need to start, i.e. the
  interpreter's prefixes (`sys.prefix`, `sys.base_prefix`: a venv, a pyenv install), the
  entries of PATH and pyenv's root when PATH goes through its shims;
- writable: the variant's own build folder only (tree/, out/, and home/ which is HOME and
  TMPDIR, as without the sandbox);
- no network (`--unshare-net`: only a private loopback) unless the target sets
  `network = true`;
- its own PID namespace (`--unshare-pid`): when the command ends or is killed, the kernel kills
  every process left in it, `setsid()` or not; `--die-with-parent` ties it to the bwrap process
  we start, which `kill_tree` reaches and which dies with lessonl (PR_SET_PDEATHSIG);
- the namespace's init (`--as-pid-1`) is a `/bin/sh` that runs the command as its child and
  waits for it (`INIT`). Not bwrap's own init: that one reaps the command without passing its
  CPU time up, so `getrusage` read about 1 ms for a 0.5 s bench and the CPU clock (measure.py)
  was never usable in the sandbox. Not the command itself as init either: pid 1 ignores the
  signals it sends itself, so `abort()` would die of SIGSEGV instead of SIGABRT. The shell
  exits with 128 + N for a command killed by signal N, which `exit_signal` reads;
- `--new-session` (no TIOCSTI into a terminal), `--cap-drop ALL` (as root, no remounting the
  read-only filesystem writable), private IPC.

What it does not cover is in the README ("Generated code is untrusted"): CPU side channels,
the compiler and linker reading system headers and libraries (they are readable), the number
of processes (bounded only by the timeout and the kernel), /dev/shm and tmpfs memory.

Start-up cost is some 10-40 ms per command (8-11 ms measured on a 2-core machine), mostly
creating the network and PID namespaces (benchmarks/sandbox_overhead.py), paid by the baseline
and the variant alike and outside a bench's in-process timing, so ratios stay unbiased.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import pwd
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lessonl.config import SANDBOX_MODES
from lessonl.errors import EnvironmentProblem

log = logging.getLogger(__name__)

MODES = SANDBOX_MODES
INSTALL_FIX = "install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap)"
USERNS_FIX = (
    "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on "
    "Ubuntu kernel.apparmor_restrict_unprivileged_userns=0) or run inside a container that "
    "permits them"
)
PROBE_TIMEOUT_S = 10.0
# pid 1 of the sandbox: runs the command (its arguments) as a child, so the command's CPU time
# reaches the rusage of the bwrap we reap, and exits with its status (module docstring). The
# `exit` keeps a shell from exec'ing the command in its place.
INIT = ("/bin/sh", "-c", '"$@"; exit $?', "lessonl-init")

# bwrap's options that do not depend on the command: namespaces and lifetime.
_BASE = (
    "--die-with-parent",
    "--new-session",
    "--unshare-pid",
    "--as-pid-1",
    "--unshare-ipc",
    "--cap-drop",
    "ALL",
)


class SandboxUnavailable(EnvironmentProblem):
    """`sandbox = "required"` but bubblewrap cannot run here."""


@dataclass(frozen=True)
class Availability:
    """Whether commands can be sandboxed here; `reason` and `fix` say why not."""

    ok: bool
    detail: str  # the bwrap version when ok, else the reason
    fix: str = ""


@functools.cache
def probe() -> Availability:
    """Is bwrap installed, and does a trivial sandbox with our namespaces start? Cached: the
    answer does not change during a process, and a probe costs a fork or two."""
    if sys.platform != "linux":
        return Availability(False, f"not available on {sys.platform} (needs Linux)", "")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Availability(False, "bwrap (bubblewrap) not found on PATH", INSTALL_FIX)
    argv = [bwrap, *_BASE, "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev"]
    argv += ["--proc", "/proc", "--", *INIT, "true"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Availability(False, f"{bwrap} does not start: {exc}", INSTALL_FIX)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return Availability(False, f"{bwrap} cannot create a sandbox: {why}", USERNS_FIX)
    return Availability(True, f"{_version(bwrap)} ({bwrap})")


def _version(bwrap: str) -> str:
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        out = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=5, check=False
        )
        if out.stdout.strip():
            return out.stdout.strip().splitlines()[0]
    return "bubblewrap"


_warned = False


def enabled(mode: str, *, where: str = "") -> bool:
    """Whether to sandbox under `mode` ("auto" | "required" | "off").

    "auto" without a working bwrap logs one warning per process (the CLI shows warnings on
    stderr; a run, an evaluation or a whole `lessonl bench` says it once) and runs commands as
    before; "required" raises `SandboxUnavailable` instead. `where` names the setting for the
    error message."""
    global _warned
    if mode == "off":
        return False
    found = probe()
    if found.ok:
        return True
    fix = f"; fix: {found.fix}" if found.fix else ""
    if mode == "required":
        setting = f'{where} sandbox = "required"' if where else 'sandbox = "required"'
        raise SandboxUnavailable(
            f"{setting} but commands cannot be sandboxed: {found.detail}{fix}"
            ', or set sandbox = "off"'
        )
    if not _warned:
        _warned = True
        log.warning(
            "generated code runs WITHOUT a sandbox (writes outside its build folder, network "
            'and leftover processes are not prevented): %s%s; set sandbox = "off" under '
            "[run] to silence this",
            found.detail,
            fix,
        )
    return False


def real_homes() -> list[Path]:
    """The user's real HOME folders: `$HOME` and the password database's (they can differ)."""
    homes: list[Path] = []
    candidates = [os.environ.get("HOME", "")]
    with contextlib.suppress(KeyError):
        candidates.append(pwd.getpwuid(os.getuid()).pw_dir)
    for text in candidates:
        if text and Path(text).is_absolute():
            path = Path(os.path.realpath(text))
            if path != Path("/") and path.is_dir() and path not in homes:
                homes.append(path)
    return homes


def exposed(hidden: Iterable[Path], env_path: str | None = None) -> list[Path]:
    """What commands need that lives inside a hidden folder, to re-expose read-only: the
    interpreter's prefixes (a venv, pyenv's versions/X), each PATH entry, and pyenv's root when
    PATH goes through its shims (a shim runs `$PYENV_ROOT/libexec/pyenv`). Nothing else: the
    point of hiding HOME is that `~/.ssh`, `~/.aws`, `~/.config` and the like stay hidden."""
    hidden = [Path(h) for h in hidden]
    wanted: list[Path] = []
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        wanted.append(Path(prefix))
        wanted.append(Path(os.path.realpath(prefix)))
    wanted.append(Path(os.path.realpath(sys.executable)).parent)
    path_env = os.environ.get("PATH", "") if env_path is None else env_path
    for entry in path_env.split(os.pathsep):
        if not entry or not os.path.isabs(entry):
            continue
        folder = Path(os.path.realpath(entry))
        wanted.append(folder)
        # pyenv's shims (its own and pyenv-virtualenv's, under plugins/) run
        # $PYENV_ROOT/libexec/pyenv, which reads its versions: expose the whole root.
        for parent in folder.parents:
            if (parent / "libexec" / "pyenv").exists():
                wanted.append(parent)
                break
    out: list[Path] = []
    for path in wanted:
        if not path.is_dir() or path in out:
            continue
        # Strictly inside a hidden folder, and holding none: binding e.g. ~/code (on PATH)
        # would bring back the project folder hidden below it.
        if any(_inside(path, h) and path != h for h in hidden) and not any(
            _inside(h, path) for h in hidden
        ):
            out.append(path)
    # A folder inside another exposed one is already visible.
    return [p for p in out if not any(q != p and _inside(p, q) for q in out)]


def wrap(
    argv: Sequence[str],
    *,
    cwd: Path,
    writable: Path,
    hidden: Sequence[Path],
    network: bool = False,
    bwrap: str | None = None,
    env_path: str | None = None,
    readable: Sequence[Path] = (),
) -> list[str]:
    """`argv` as a bwrap command line with the policy of the module docstring.

    `writable` is the variant's build folder (its tree/, out/ and home/); `hidden` the folders
    to cover with an empty tmpfs (the real HOME, the project root). Mount order matters to
    bwrap: the covers first (outer ones first), then the read-only re-exposures, then the
    writable folder, then the covers are made read-only (so they cannot be used as a scratch
    disk that fills memory). `env_path` is the PATH to re-expose (default: ours); `readable`
    more paths to re-expose read-only (a target's `readable`, see `interpreter_paths`)."""
    tool = bwrap or shutil.which("bwrap") or "bwrap"
    writable = Path(os.path.realpath(writable))
    covers = sorted(
        {Path(os.path.realpath(h)) for h in hidden if Path(h).is_dir()},
        key=lambda p: len(p.parts),
    )
    covers = [c for c in covers if c != Path("/") and not _inside(c, writable)]
    out = [tool, *_BASE]
    if not network:
        out.append("--unshare-net")
    out += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for cover in covers:
        out += ["--tmpfs", str(cover)]
    extra = [Path(os.path.realpath(p)) for p in readable if Path(p).exists()]
    for path in [*exposed(covers, env_path), *extra]:
        if not _inside(writable, path) and not _inside(path, writable):
            out += ["--ro-bind", str(path), str(path)]
    out += ["--bind", str(writable), str(writable)]
    for cover in covers:
        out += ["--remount-ro", str(cover)]
    out += ["--chdir", str(Path(os.path.realpath(cwd))), "--", *INIT, *argv]
    return out


def interpreter_paths(python: str) -> list[Path]:
    """What another Python needs to start inside the sandbox: its venv (the folder above its
    `bin/`), the installation the venv was made from (`home` in pyvenv.cfg) and where its
    executable really lives. For an automatic target run with the project's own `.venv`, which
    the sandbox would otherwise hide with the project folder."""
    exe = Path(python)
    out = [exe.parent.parent, Path(os.path.realpath(exe)).parent.parent]
    cfg = exe.parent.parent / "pyvenv.cfg"
    try:
        for line in cfg.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                out.append(Path(value.strip()).parent)
    except OSError:
        pass
    return list(dict.fromkeys(p for p in out if p != Path("/")))


def exit_signal(returncode: int | None) -> int | None:
    """The signal that killed the sandboxed command, from bwrap's exit status.

    The sandbox's init (`INIT`, a shell) reports a command killed by signal N as exit status
    128 + N, where an unsandboxed command gives -N. A command that itself exits with 129..192
    is read as a signal too; shells have the same ambiguity."""
    if returncode is None or returncode <= 128:
        return None
    number = returncode - 128
    try:
        signal.Signals(number)
    except ValueError:
        return None
    return number


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
