"""Language server benchmark: `textDocument/codeAction` latency and resident memory, idle and
during a run (issue 6's Benchmark section).

    .venv/bin/python benchmarks/server_bench.py [--requests N] [--rounds T] [--delay S] [--json]

It starts the real server (`python -m lessonl_server`) as a subprocess and drives it with pygls's
LanguageClient over stdio, on a throw-away copy of a small Python project whose target is real
(its check and bench are Python scripts the harness runs). The team is three agents on the
loopback fake LLM server (tests/fakes) answering after `--delay` seconds with a correct, faster
function, so a run does everything a real one does (concurrent model calls over HTTP, variant
copies, checks, interleaved timing, lessons, the bank) except thinking.

Figures: p50/p95/max codeAction latency over N requests idle (after start-up preloading), and
over requests sent every `--interval` seconds for the whole run; the server process's RSS idle
and its peak during the run (the harness's child processes are reported separately: they are
not the server's memory).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes import FakeLLM  # noqa: E402
from lessonl_server.wire import params_converter  # noqa: E402

KERNEL = '''\
"""A kernel to optimize."""


def total(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def untouched():
    return 1
'''

CHECK = """\
import sys
sys.path.insert(0, "src")
from kern import total
for n in (0, 1, 2, 1000):
    assert total(n) == sum(i * i for i in range(n)), n
"""

BENCH = """\
import sys, time
sys.path.insert(0, "src")
from kern import total
for _ in range(3):
    t = time.perf_counter()
    total(200_000)
    print(f"LESSONL_TIME_S={time.perf_counter() - t}")
"""

FAST = "def total(n):\n    return (n - 1) * n * (2 * n - 1) // 6 if n > 0 else 0\n"


def reply(request: Any) -> str:
    if "\nCode B:\n" in request.prompt:  # the lesson prompt shows the variant as Code B
        return "The closed form replaces the loop, so the work no longer grows with n."
    return f"```python\n{FAST}```\n"


def make_project(folder: Path, base_url: str, rounds: int) -> Path:
    root = folder / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "kern.py").write_text(KERNEL, encoding="utf-8")
    (root / "check.py").write_text(CHECK, encoding="utf-8")
    (root / "bench.py").write_text(BENCH, encoding="utf-8")
    agents = "".join(
        f"""
[[agents]]
name = "fake{i}"
provider = "openai"
model = "fake-coder-{i}"
base_url = "{base_url}"
api_key_env = "LESSONL_BENCH_KEY"
"""
        for i in range(3)
    )
    (root / "lessonl.toml").write_text(
        f"""[run]
rounds = {rounds}
cache = false
{agents}
[[targets]]
name = "kern"
files = ["src/kern.py"]
test = "{{python}} check.py"
bench = "{{python}} bench.py"
min_pairs = 3
max_pairs = 8
timing_budget_s = 5
""",
        encoding="utf-8",
    )
    return root


def summary(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    q = statistics.quantiles(ms, n=20, method="inclusive")
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": q[18], "max_ms": ms[-1]}


async def code_action(client: LanguageClient, uri: str, line: int) -> float:
    pos = types.Position(line=line, character=4)
    started = time.perf_counter()
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(
                diagnostics=[], trigger_kind=types.CodeActionTriggerKind.Invoked
            ),
        )
    )
    elapsed = time.perf_counter() - started
    if not result:
        raise RuntimeError("the server offered no code action on `total`")
    return elapsed


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.script_fn(reply)
        fake.delay_s = args.delay
        root = make_project(Path(tmp), fake.base_url, args.rounds)
        env = {**os.environ, "LESSONL_BENCH_KEY": "not-a-real-key"}
        if args.timing_lock:
            env["LESSONL_TIMING_LOCK"] = args.timing_lock
        client = LanguageClient("server-bench", "1", converter_factory=params_converter)
        statuses: list[dict[str, Any]] = []
        client.feature("lessonl/status")(lambda params: statuses.append(params))
        await client.start_io(sys.executable, "-m", "lessonl_server", env=env, cwd=str(root))
        assert client._server is not None
        server = psutil.Process(client._server.pid)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=root.as_uri(), process_id=None
            )
        )
        client.initialized(types.InitializedParams())
        kern = root / "src" / "kern.py"
        uri = kern.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=kern.read_text()
                )
            )
        )
        await asyncio.sleep(3)  # let the start-up preloading finish: we measure steady state
        for _ in range(5):
            await code_action(client, uri, 5)
        idle = [await code_action(client, uri, 5 + i % 3) for i in range(args.requests)]
        rss_idle = server.memory_info().rss

        run = asyncio.ensure_future(
            client.protocol.send_request_async(
                "lessonl/optimize", {"uri": uri, "version": 1, "function": "total"}
            )
        )
        while not statuses and not run.done():
            await asyncio.sleep(0.02)
        busy: list[float] = []
        rss_peak = rss_idle
        children_peak = 0
        while not run.done():
            busy.append(await code_action(client, uri, 5 + len(busy) % 3))
            rss_peak = max(rss_peak, server.memory_info().rss)
            kids = 0
            for child in server.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # it may have just exited
                    kids += child.memory_info().rss
            children_peak = max(children_peak, kids)
            await asyncio.sleep(args.interval)
        result = await run
        rss_after = server.memory_info().rss
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        if len(busy) < 5:
            raise RuntimeError("the run ended before enough requests; raise --rounds or --delay")
        return {
            "idle": summary(idle),
            "during_run": summary(busy),
            "rss_idle_mib": rss_idle / 2**20,
            "rss_peak_during_run_mib": rss_peak / 2**20,
            "rss_after_run_mib": rss_after / 2**20,
            "harness_children_peak_rss_mib": children_peak / 2**20,
            "run": {
                "summary": result["summary"],
                "wall_s": result["report"]["wall_s"],
                "status_notifications": len(statuses),
            },
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="code actions when idle")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the measured run")
    parser.add_argument("--delay", type=float, default=1.0, help="fake model latency (s)")
    parser.add_argument(
        "--interval", type=float, default=0.1, help="pause between requests during the run"
    )
    parser.add_argument(
        "--timing-lock",
        default=os.path.join(tempfile.gettempdir(), f"lessonl-server-bench-{os.getpid()}.lock"),
        help="the harness's timing lock file (default: a private one, so other lessonl "
        "processes on the machine do not stretch the run; pass '' for the machine-wide lock)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print("textDocument/codeAction latency (ms)")
    print(f"{'':12} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}")
    for phase in ("idle", "during_run"):
        f = figures[phase]
        print(f"{phase:12} {f['n']:>4} {f['p50_ms']:>8.2f} {f['p95_ms']:>8.2f} {f['max_ms']:>8.2f}")
    print(
        f"server RSS: idle {figures['rss_idle_mib']:.1f} MiB, peak during run "
        f"{figures['rss_peak_during_run_mib']:.1f} MiB, after {figures['rss_after_run_mib']:.1f}"
        f" MiB (harness children peak {figures['harness_children_peak_rss_mib']:.1f} MiB)"
    )
    run = figures["run"]
    print(f"run: {run['summary']} in {run['wall_s']:.1f} s, {run['status_notifications']} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
