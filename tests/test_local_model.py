"""The embedded local model: assembly and verification (small files, always run) and the real
Qwen2.5-Coder-0.5B server (marked local_model: skipped with a reason without the extra).

The real-model test costs one server start and one short completion (~10-60 s on a busy
2-core machine); keep it the only one.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path

import psutil
import pytest
from processes import runs_command, stopped

from lessonl import quiet
from lessonl.config import Config
from lessonl.harness.timing import TimingLock
from lessonl.llm import LocalModelError, build_team, local


def _parts(tmp_path: Path) -> tuple[list[Path], str]:
    parts = []
    for i, payload in enumerate((b"GGUF" + b"a" * 5000, b"b" * 7000, b"c" * 3)):
        p = tmp_path / f"part0{i + 1}.bin"
        p.write_bytes(payload)
        parts.append(p)
    sha = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    return parts, sha


def test_assemble_verifies_and_marks(tmp_path: Path):
    parts, sha = _parts(tmp_path)
    dest = tmp_path / "models" / "m.gguf"
    local.assemble(parts, dest, sha)
    assert dest.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert local.is_verified(dest, sha)
    local.verify_file(dest, sha)  # marker current: no error
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.verified"]


def test_corrupted_parts_are_refused_and_leave_no_file(tmp_path: Path):
    parts, sha = _parts(tmp_path)
    data = bytearray(parts[1].read_bytes())
    data[100] ^= 0xFF  # one flipped bit, same size
    parts[1].write_bytes(bytes(data))
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(LocalModelError, match=r"sha256 .* expected .*reinstall") as err:
        local.assemble(parts, dest, sha)
    assert "\n" not in str(err.value)
    assert list(dest.parent.iterdir()) == []  # no half-written or temp file left behind


def test_corrupted_model_file_is_refused(tmp_path: Path):
    parts, sha = _parts(tmp_path)
    dest = tmp_path / "m.gguf"
    local.assemble(parts, dest, sha)
    dest.write_bytes(dest.read_bytes()[:-1] + b"X")  # changed after verification
    assert not local.is_verified(dest, sha)
    with pytest.raises(LocalModelError, match="delete it and run again"):
        local.verify_file(dest, sha)


def test_model_path_must_be_gguf(tmp_path: Path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(LocalModelError, match="not a GGUF file"):
        local.check_gguf(bad)
    with pytest.raises(LocalModelError, match="cannot be read"):
        local.check_gguf(tmp_path / "missing.gguf")


def test_the_model_leaves_a_core_to_the_run():
    assert [local.model_threads(n) for n in (1, 2, 4, 64)] == [1, 1, 3, 8]


def test_model_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert local.model_path() == tmp_path / "lessonl" / "models" / local.MODEL_FILE


@pytest.mark.local_model
@pytest.mark.slow
async def test_real_local_model_answers_with_code_and_stops(tmp_path: Path):
    team = await build_team(Config(path=None, root=tmp_path), env={}, cache=False)
    try:
        assert len(team.agents) == 3 and "local model" in team.description
        assert len({(a.temperature, a.seed, a.emphasis) for a in team.agents}) == 3
        pids = local.running_servers()
        assert len(pids) == 1  # one server shared by the three agents
        server = psutil.Process(pids[0])
        family = [server, *server.children(recursive=True)]
        # Logits for the last token only: the server's default (every token, in an n_ctx x
        # n_vocab array) grew it by 0.6 MB per prompt token, to 3.4 GiB in a long run.
        cmdline = server.cmdline()
        assert cmdline[cmdline.index("--logits_all") + 1] == "False", cmdline
        # A core left to the run's builds and tests (llama.cpp's threads collapse when one is
        # descheduled), for generating and for reading the prompt alike.
        threads = str(local.model_threads())
        assert cmdline[cmdline.index("--n_threads") + 1] == threads, cmdline
        assert cmdline[cmdline.index("--n_threads_batch") + 1] == threads, cmdline
        reply = await team.agents[0].model.complete(
            [
                {
                    "role": "user",
                    "content": "Write a C function `int add(int a, int b)` returning a + b. "
                    "Reply with one fenced code block.",
                }
            ],
            temperature=0.0,
            max_tokens=120,
        )
        # Timing a pair pauses the server (it would otherwise disturb the measurement).
        assert pids[0] in quiet.registered()
        async with TimingLock(tmp_path / "timing.lock").exclusive():
            assert stopped(server)
        assert not stopped(server, want=False)
    finally:
        await team.aclose()
    assert pids[0] not in quiet.registered()
    assert "```" in reply.text and "add" in reply.text
    assert reply.output_tokens > 0 and reply.cost_usd == 0.0
    assert local.running_servers() == []
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == []


_CTRL_C_SCRIPT = """
import asyncio, faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1)  # lets the test see where a slow exit is stuck
from pathlib import Path
from lessonl.config import Config
from lessonl import aio
from lessonl.llm import build_team, local

async def main():
    team = await build_team(Config(path=None, root=Path(sys.argv[1])), env={}, cache=False)
    print(local.running_servers()[0], flush=True)
    await asyncio.sleep(600)

aio.run(main())  # as the commands do; plain asyncio.run may sleep through a Ctrl-C
"""


@pytest.mark.local_model
@pytest.mark.slow
def test_ctrl_c_stops_the_local_server(tmp_path: Path):
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_SCRIPT, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        server_pid = int(proc.stdout.readline())
        server = psutil.Process(server_pid)
        proc.send_signal(signal.SIGINT)
        try:
            # Normally about 1 s (3 s with the CPUs saturated); the bound is for loaded CI.
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            proc.kill()
            pytest.fail("still running 60 s after Ctrl-C; its threads:\n" + proc.stderr.read())
        _, alive = psutil.wait_procs([server], timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- the AMX crash

_FLAGS = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f {extra}\nbugs\t\t: spectre_v1\n"


def test_repacking_is_off_exactly_on_amx_cpus_unless_the_user_says():
    from lessonl.llm.llama_server import cpu_has_amx, repack_wanted

    amx, plain = _FLAGS.format(extra="amx_bf16 amx_tile amx_int8"), _FLAGS.format(extra="")
    assert cpu_has_amx(amx) and not cpu_has_amx(plain)
    assert not cpu_has_amx("bugs : amx_tile\n")  # only the flags line counts
    assert repack_wanted({}, plain) and not repack_wanted({}, amx)
    assert repack_wanted({"LESSONL_LLAMA_REPACK": "1"}, amx)
    assert not repack_wanted({"LESSONL_LLAMA_REPACK": "off"}, plain)


def test_disable_repacking_sets_use_extra_bufts_on_the_real_bindings():
    bindings = pytest.importorskip("llama_cpp.llama_cpp")
    import types

    from lessonl.llm.llama_server import disable_repacking

    copy = types.SimpleNamespace(
        llama_model_default_params=bindings.llama_model_default_params,
        llama_model_params=bindings.llama_model_params,
    )
    assert bindings.llama_model_default_params().use_extra_bufts  # llama.cpp's default
    assert disable_repacking(copy)
    assert copy.llama_model_default_params().use_extra_bufts is False
    older = types.SimpleNamespace(
        llama_model_default_params=object, llama_model_params=types.SimpleNamespace(_fields_=[])
    )
    assert not disable_repacking(older)  # a binding without the field is left alone


@pytest.mark.local_model
@pytest.mark.slow
async def test_the_amx_workaround_path_loads_and_generates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """What an AMX machine runs, forced here on any CPU: the model loaded without repacking."""
    monkeypatch.setenv("LESSONL_LLAMA_REPACK", "0")
    lease = await local.acquire(local.ensure_model())
    try:
        assert "repacking off (use_extra_bufts = False)" in lease.server.log_path.read_text()
        model = lease.client("probe", timeout_s=300, semaphore=asyncio.Semaphore(1))
        reply = await model.complete(
            [{"role": "user", "content": "Say hello."}], temperature=0.0, max_tokens=8
        )
        await model.aclose()
    finally:
        lease.release()
    assert reply.output_tokens > 0 and reply.text.strip()


_DEDUPE = Path(__file__).resolve().parent.parent / "examples" / "python-dedupe"


@pytest.mark.local_model
@pytest.mark.slow
def test_a_model_server_that_dies_mid_run_ends_the_run_with_one_line(tmp_path: Path):
    """The crash of issue 13 as a user saw it, with the real server killed by SIGSEGV: the run
    must say the server died (signal, log) and stop at once, not blame base_url and retry."""
    import os
    import shutil
    import signal
    import subprocess
    import sys

    project = tmp_path / "dedupe"
    shutil.copytree(_DEDUPE, project, ignore=shutil.ignore_patterns(".lessonl"))
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    cli = [sys.executable, "-m", "lessonl", "optimize", "dedupe/core.py:dedupe", "--no-cache"]
    proc = subprocess.Popen(
        [*cli, "--rounds", "2"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        me = psutil.Process(proc.pid)
        server = None
        deadline = time.monotonic() + 300
        while server is None and time.monotonic() < deadline and proc.poll() is None:
            kids = [p for p in me.children(recursive=True) if runs_command([p], "llama_server")]
            server = kids[0] if kids else None
            time.sleep(0.2)
        assert server is not None, "the local model server never started"
        # Let it load the model and take the first request: then it "crashes".
        while server.cpu_times().user < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        os.kill(server.pid, signal.SIGSEGV)
        killed = time.monotonic()
        _out, err = proc.communicate(timeout=60)
        ended_after = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    errors = [line for line in err.splitlines() if line.startswith("lessonl: ")]
    assert len(errors) == 1, err
    assert "local model server" in errors[0] and "died of SIGSEGV" in errors[0], err
    assert "start the server or fix base_url" not in err and "Traceback" not in err
    assert ended_after < 20, f"the run went on for {ended_after:.0f} s after the crash"


@pytest.mark.local_model
async def test_a_model_that_fails_to_load_is_reported_with_status_and_log(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 4096)  # the magic, then nothing llama.cpp can load
    with pytest.raises(LocalModelError) as err:
        await local.acquire(local.check_gguf(broken), timeout_s=120)
    message = str(err.value)
    assert "while starting or loading the model" in message and "\n" not in message
    assert "exited with status" in message or "died of" in message
    assert "see " in message and ".log" in message
    assert local.running_servers() == []
