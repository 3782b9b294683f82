"""`lessonl bench --ray`: the pairs as tasks on a real two-node Ray cluster on 127.0.0.1.

The cluster is made the way a user makes one: `ray start --head --block` plus a second
`ray start --address ... --block` joining it, each node with one `timing` slot and one CPU, so
the two nodes have distinct node ids. Both processes are ours and are ended by pid at the end
(`--block` makes each stop its node's processes when it is terminated). The nodes are started
before any test puts an API key in the environment, so a key can only reach a task the way the
driver sends it. The problems are tests/data/bench_suite (two tiny Python problems, real
harness, real timing) and the model is the loopback fake server of tests/fakes.

Time: about 10 s to start the cluster, then each `--ray` run connects (2-3 s) and runs its
pairs; the module takes 2-3 minutes on the 2-core dev machine, plus 2-3 minutes for the
one test that runs the real local model (skipped without the `local` extra).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pickle
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from fakes import FakeLLM, FakeRequest
from test_bench import SUITE, _cli, _reply

from lessonl.bench.ray_cluster import CANCEL_GRACE_S, RAY_MISSING
from lessonl.bench.ray_task import Secrets, pack_problem, unpack_problem

KEY_ENV = "BENCH_RAY_TEST_KEY"
SECRET = "sk-test-not-a-real-key-7f3a9c"
ROUNDS = 1
COPIES = "lessonl-bench-*"  # the pairs' working copies (runner.COPY_PREFIX)


def test_without_ray_the_option_fails_in_one_line_naming_the_extra(tmp_path: Path) -> None:
    # `ray` made unimportable in a fresh interpreter: the same as the extra not installed.
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from lessonl.cli import main\n"
        f"sys.exit(main(['bench', {str(SUITE)!r}, '--report', {str(tmp_path)!r}, '--ray']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == f"lessonl: {RAY_MISSING}\n"
    assert "lessonl[ray]" in proc.stderr
    assert not (tmp_path / "results").exists()  # nothing ran


def test_problem_archive_round_trips_without_state(tmp_path: Path) -> None:
    src = tmp_path / "src" / "unique_count"
    shutil.copytree(SUITE / "unique_count", src)
    (src / ".lessonl").mkdir()
    (src / ".lessonl" / "bank.db").write_text("state", encoding="utf-8")
    folder = unpack_problem(pack_problem(src), tmp_path / "out")
    assert folder.name == "unique_count"
    assert (folder / "lessonl.toml").read_bytes() == (src / "lessonl.toml").read_bytes()
    assert not (folder / ".lessonl").exists()


def test_secrets_never_show_their_values() -> None:
    s = Secrets({KEY_ENV: SECRET})
    assert SECRET not in repr(s) and SECRET not in str(s) and KEY_ENV in repr(s)


# ----------------------------------------------------------------------------- the cluster

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="the ray extra is not installed (pip install 'lessonl[ray]')",
)
needs_local_model = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="the local extra is not installed (pip install 'lessonl[local]')",
)


@dataclass
class Cluster:
    address: str
    temp_dir: Path
    node_ids: set[str]
    tmp: Path  # the nodes' TMPDIR: where their pairs make their working copies
    env: dict[str, str]  # what a node is started with (for one more node)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    assert KEY_ENV not in os.environ
    temp_dir = Path(tempfile.mkdtemp(prefix="lr-", dir="/tmp"))  # short: unix socket paths
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # Ray 2.60 turns token authentication on by default; a private token for this cluster
    # (nodes and this driver) keeps ~/.ray/auth_token out of the test.
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    # A private TMPDIR for the nodes (and so their workers), so a test can tell the copies
    # of its own pairs from those of anything else running on the machine.
    tmp = temp_dir / "t"
    tmp.mkdir()
    # A dead node is noticed after 3 missed health checks 0.5 s apart, not Ray's 5 x 3 s.
    fast = {"RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "3"}
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "TMPDIR": str(tmp), **auth, **fast}
    mp = pytest.MonkeyPatch()
    for name, value in auth.items():
        mp.setenv(name, value)
    common = ["--num-cpus=1", '--resources={"timing": 1}', "--block"]
    head = subprocess.Popen(
        [_ray_bin(), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
         f"--temp-dir={temp_dir}", "--include-dashboard=false", *common],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    procs = [head]
    try:
        _wait_nodes(address, 1, head)
        second = subprocess.Popen(
            [_ray_bin(), "start", f"--address={address}", "--node-ip-address=127.0.0.1",
             *common],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        procs.append(second)
        ids = _wait_nodes(address, 2, second)
        yield Cluster(address=address, temp_dir=temp_dir, node_ids=ids, tmp=tmp, env=env)
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)
        mp.undo()


def _wait_nodes(address: str, n: int, proc: subprocess.Popen[bytes]) -> set[str]:
    """Node ids once `n` nodes with a timing slot are alive (asked from a short subprocess, so
    this process never stays connected to the cluster)."""
    probe = (
        f"import json, ray; ray.init(address={address!r}, logging_level='ERROR'); "
        "print(json.dumps([n['NodeID'] for n in ray.nodes() "
        "if n['Alive'] and n['Resources'].get('timing')]))"
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ray start exited"
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
        if out.returncode == 0:
            ids = set(json.loads(out.stdout.strip().splitlines()[-1]))
            if len(ids) >= n:
                return ids
        time.sleep(1)
    raise AssertionError(f"the Ray cluster at {address} did not get {n} nodes")


@pytest.fixture
def team(tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-agent team whose key lives in KEY_ENV (set only in this process)."""
    monkeypatch.setenv(KEY_ENV, SECRET)
    fake_llm.script_fn(_reply)
    path = tmp_path / "team.toml"
    path.write_text(
        "[[agents]]\nname = 'a'\nprovider = 'openai'\nmodel = 'fake-a'\nseed = 7\n"
        f"base_url = '{fake_llm.base_url}'\napi_key_env = '{KEY_ENV}'\nmax_retries = 0\n",
        encoding="utf-8",
    )
    return path


def _bench(team: Path, report: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(report)]
    argv += ["--rounds", str(ROUNDS), "--strategy", "single", "cot", "--json", *extra]
    code, out, err = _cli(argv)
    return code, (json.loads(out) if out else {}), err


def _entries(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s, p): e for s, sd in data["strategies"].items() for p, e in sd["problems"].items()}


def _ray_logs_hold(temp_dir: Path, text: str) -> list[Path]:
    hits = []
    for path in temp_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if text.encode() in path.read_bytes():
                    hits.append(path)
            except OSError:
                pass
    return hits


@needs_ray
@pytest.mark.slow
def test_a_cluster_run_matches_a_local_run_and_their_stores_are_interchangeable(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    local_report, ray_report = tmp_path / "local", tmp_path / "ray"
    code, local, err = _bench(team, local_report)
    assert code == 0, err
    code, remote, err = _bench(team, ray_report, "--ray", cluster.address)
    assert code == 0, err
    assert "ray: 2 node(s) with a 'timing' slot" in err
    # The same results: the fast variant wins, the wrong one is rejected, per strategy.
    lr, rr = _entries(local), _entries(remote)
    assert set(lr) == set(rr) and len(rr) == 4
    for pair, e in rr.items():
        assert e["outcome"] == lr[pair]["outcome"], pair
        assert e["samples"] == lr[pair]["samples"], pair
        if pair[1] == "unique_count":
            assert e["speedup"] > 3 and e["verified"], (pair, e)
        # Who measured what: a node of the cluster here, no node (this machine) locally.
        assert e["node"] in cluster.node_ids and e["host"] == socket.gethostname(), e
        assert lr[pair]["node"] is None and lr[pair]["host"] == socket.gethostname()
    # One line per finished pair on the driver, as a local run prints.
    assert sum(f"[{i}/4] " in err and ": " in err for i in range(1, 5)) == 4
    # The key reached every call (nodes were started without it) and no Ray file holds it.
    assert {r.api_key for r in fake_llm.requests} == {SECRET}
    assert _ray_logs_hold(cluster.temp_dir, SECRET) == []

    # Interchangeable: a local rerun on the cluster's store and a cluster rerun on the local
    # store skip everything; a cluster run on a store missing one pair runs just that one.
    calls = len(fake_llm.requests)
    code, _, err = _bench(team, ray_report)
    assert code == 0 and err.count("stored result, skipped") == 4, err
    code, _, err = _bench(team, local_report, "--ray", cluster.address)
    assert code == 0 and err.count("stored result, skipped") == 4, err
    assert "ray:" not in err  # nothing to run: the cluster is not even contacted
    assert len(fake_llm.requests) == calls
    (local_report / "results" / "cot" / "unique_count.json").unlink()
    code, _, err = _bench(team, local_report, "--ray", cluster.address)
    assert code == 0 and err.count("stored result, skipped") == 3, err
    stored = json.loads((local_report / "results" / "cot" / "unique_count.json").read_text())
    assert stored["node"] in cluster.node_ids and stored["outcome"] == "correct"
    assert len(fake_llm.requests) > calls


@needs_ray
@pytest.mark.slow
def test_transfer_pairs_follow_the_lessonl_pairs_with_their_lessons(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """The lessonl pairs' lessons come back from the nodes with their results, and each
    transfer pair, submitted after them, gets the other problem's lessons in its arguments."""
    from test_bench_transfer import _marker
    from test_bench_transfer import _reply as transfer_reply

    fake_llm.script_fn(transfer_reply)
    report = tmp_path / "r"
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(report)]
    argv += ["--rounds", "1", "--strategy", "lessonl_transfer", "--json", "--ray", cluster.address]
    code, out, err = _cli(argv)
    assert code == 0, err
    assert "added lessonl" in err
    data = json.loads(out)
    code_prompts = [r.prompt for r in fake_llm.requests if "fenced code block" in r.prompt]
    assert not any("marker" in p for p in code_prompts[:2])  # the lessonl pairs, first
    for problem, other in (("unique_count", "prefix_max"), ("prefix_max", "unique_count")):
        entry = data["strategies"]["lessonl_transfer"]["problems"][problem]
        assert (entry["warm_lessons"], entry["round0_lessons"]) == (1, 1), entry
        assert entry["node"] in cluster.node_ids
        (prompt,) = [p for p in code_prompts[2:] if f"def {problem}" in p]
        assert _marker(other) in prompt and _marker(problem) not in prompt
        stored = json.loads((report / "results" / "lessonl" / f"{problem}.json").read_text())
        assert len(stored["lessons"]) == 1 and stored["node"] in cluster.node_ids


def test_task_arguments_hold_no_key(team: Path, tmp_path: Path) -> None:
    """What the driver hands `ray.remote(...).remote(...)` pickles without the key."""
    from lessonl.bench import ray_cluster
    from lessonl.bench.runner import BenchPlan
    from lessonl.bench.suite import discover
    from lessonl.config import parse_agents_file

    plan = BenchPlan(
        problems=discover(SUITE), strategies=["single"], report_dir=tmp_path,
        team=parse_agents_file(team),
    )  # fmt: skip
    teams = [ray_cluster.effective_team(plan, p) for p in plan.problems]
    keys = ray_cluster.team_keys(teams)
    assert keys == {KEY_ENV: SECRET}  # the driver does send it, by reference
    assert KEY_ENV not in ray_cluster.settings_env(keys)
    args = (pack_problem(plan.problems[0].path), "single", 1, teams[0])
    assert SECRET.encode() not in pickle.dumps(args)


def _kill_first_pair_worker(name: str, killed: list[int], stop: threading.Event, tmp: Path) -> None:
    """SIGKILL the Ray worker process whose title says it runs task `name`, once, when it is
    mid-pair (its working copy made in the nodes' temporary folder `tmp`)."""
    while not stop.is_set() and not killed:
        if not any(tmp.glob("lessonl-bench-single-*/*/lessonl.toml")):  # run_pair's copy
            time.sleep(0.05)
            continue
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if cmd.startswith(f"ray::{name}"):
                with_pid = proc.info["pid"]
                os.kill(with_pid, signal.SIGKILL)
                killed.append(with_pid)
                return
        time.sleep(0.05)


@needs_ray
@pytest.mark.slow
def test_a_worker_killed_mid_pair_is_survived(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.delay_s = 1.0  # the pair is mid-call when the worker dies
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(
        target=_kill_first_pair_worker,
        args=("single/unique_count", killed, stop, cluster.tmp),
        daemon=True,
    )
    killer.start()
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(tmp_path / "r")]
    argv += ["--rounds", "1", "--strategy", "single", "--problems", "unique_count"]
    argv += ["--json", "--ray", cluster.address]
    try:
        code, out, err = _cli(argv)
    finally:
        stop.set()
        killer.join()
    assert killed, "the pair's worker was never seen"
    assert code == 0, err
    entry = json.loads(out)["strategies"]["single"]["problems"]["unique_count"]
    assert entry["outcome"] == "correct" and entry["node"] in cluster.node_ids
    # The killed worker could not remove its working copies; the re-run pair did (their owner
    # is dead), and its own copies went with it.
    assert _copies(cluster.tmp) == []


def _owners(tmp: Path, pattern: str) -> set[int]:
    """Pids that claimed the working copies matching `pattern` in `tmp`."""
    pids = set()
    for owner in tmp.glob(f"{pattern}/.owner"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids.add(int(owner.read_text(encoding="utf-8").split()[0]))
    return pids


def _kill_every_pair_worker(tmp: Path, killed: list[int], stop: threading.Event) -> None:
    """SIGKILL each worker that is mid-pair (it owns a run_pair copy in `tmp`), every time."""
    while not stop.is_set():
        for pid in _owners(tmp, "lessonl-bench-single-*") - set(killed):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.05)


@needs_ray
@pytest.mark.slow
def test_a_pair_whose_worker_keeps_dying_is_an_error_after_bounded_retries(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pair runs 1 + MAX_PAIR_RETRIES times, then is an `error` (not stored: a rerun tries
    it again); the driver's end removes the copies the last killed worker left (the nodes'
    temporary folder is the driver's here, as with a local Ray)."""
    from lessonl.bench.ray_cluster import MAX_PAIR_RETRIES

    monkeypatch.setattr(tempfile, "tempdir", str(cluster.tmp))  # the driver's temporary folder
    fake_llm.delay_s = 1.0
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(
        target=_kill_every_pair_worker, args=(cluster.tmp, killed, stop), daemon=True
    )
    killer.start()
    report = tmp_path / "r"
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(report), "--rounds", "1"]
    argv += ["--strategy", "single", "--problems", "unique_count", "--json"]
    try:
        code, out, err = _cli([*argv, "--ray", cluster.address])
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1 + MAX_PAIR_RETRIES, killed
    assert code == 1, err
    entry = json.loads(out)["strategies"]["single"]["problems"]["unique_count"]
    assert entry["outcome"] == "error"
    assert f"its Ray worker died {1 + MAX_PAIR_RETRIES} times" in entry["error"], entry
    assert not (report / "results" / "single" / "unique_count.json").exists()
    assert _copies(cluster.tmp) == []


@needs_ray
@pytest.mark.slow
def test_a_pair_failing_the_same_way_on_every_node_stops_the_run(
    cluster: Cluster, team: Path, tmp_path: Path
) -> None:
    # No node has this compiler: a fatal error (runner.FATAL) wherever the pair runs.
    suite = tmp_path / "suite"
    shutil.copytree(SUITE / "unique_count", suite / "unique_count")
    toml = suite / "unique_count" / "lessonl.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[[targets]]\n", '[[targets]]\nbuild = "no-such-cc-3f9 x"\n'))
    assert "no-such-cc-3f9" in toml.read_text(encoding="utf-8")
    argv = ["bench", str(suite), "--team", str(team), "--report", str(tmp_path / "r")]
    argv += ["--rounds", "1", "--strategy", "single"]
    code, out, local_err = _cli(argv)
    assert code == 2 and "no-such-cc-3f9 not found" in local_err  # what a local run does
    code, out, err = _cli([*argv, "--ray", cluster.address])
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("lessonl: no-such-cc-3f9 not found"), err
    assert last.endswith("(on every node of the Ray cluster: 2)"), err
    assert "trying node" in err  # tried on the other node before giving up


def _hangs_in_bench(function: str, body: str) -> str:
    """A correct `function` whose bench hangs (a timing in progress) after leaving a marker
    file next to it (all inside the function: the rest of a reply is not spliced in)."""
    return (
        f"```python\ndef {function}(values):\n"
        "    import sys, time\n"
        "    from pathlib import Path\n"
        "    if sys.argv[1:2] == ['bench']:\n"
        "        Path(__file__).with_name('HANGING').touch()\n"
        "        time.sleep(120)\n"
        f"{body}```"
    )


HANGS_IN_BENCH = {
    "unique_count": _hangs_in_bench("unique_count", "    return len(set(values))\n"),
    "prefix_max": _hangs_in_bench(
        "prefix_max",
        "    out, best = [], None\n"
        "    for v in values:\n"
        "        best = v if best is None or v > best else best\n"
        "        out.append(best)\n"
        "    return out\n",
    ),
}


def _copies(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(COPIES))


def _pair_processes(tmp: Path) -> list[str]:
    """Command lines of processes still running a pair: a Ray worker titled with a task name
    (an idle one is `ray::IDLE`), or a build / test / timing command in a working copy."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmd = " ".join(proc.info["cmdline"] or [])
        if cmd.startswith(("ray::single/", "ray::cot/")) or f"{tmp}/lessonl-bench-" in cmd:
            found.append(cmd)
    return found


def _wait_for(what: str, check: Any, within_s: float, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert proc.poll() is None, f"the run ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within {within_s:g} s"
        time.sleep(0.1)


def _running_tasks() -> dict[int, str]:
    """The Ray workers running a pair now, by pid, with their task names (process titles)."""
    found = {}
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if cmd.startswith(("ray::single/", "ray::cot/")):
            found[proc.info["pid"]] = cmd.split()[0]
    return found


@needs_ray
@pytest.mark.slow
def test_ctrl_c_cancels_every_task_and_keeps_what_finished(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """Ctrl-C while one pair is stored, one is timing a variant and one waits on a model call
    that would take a minute: the run ends in seconds, each running pair unwinds as on Ctrl-C
    in a local run, and nothing of theirs is left running or on disk."""
    report = tmp_path / "r"
    held = threading.Event()  # a model call is being held
    release = threading.Event()  # ends the held model call once the test is over
    calls: list[str] = []
    lock = threading.Lock()

    def reply(req: FakeRequest) -> str:
        # By the order code prompts come (one per pair here), whatever order Ray runs the four
        # pairs in: the first pair is answered and stored; the second (on the other node) gets
        # a model call that hangs, once the first is stored; the third (next on the first
        # node) gets a variant whose bench hangs, while its baseline found the timing lock free.
        if "fenced code block" not in req.prompt:
            return _reply(req)
        problem = "unique_count" if "def unique_count" in req.prompt else "prefix_max"
        with lock:
            calls.append(problem)
            k = len(calls)
        if k == 2:
            deadline = time.monotonic() + 60
            while not list(report.glob("results/*/*.json")) and time.monotonic() < deadline:
                time.sleep(0.1)
            held.set()
            release.wait(60)
        elif k == 3:
            return HANGS_IN_BENCH[problem]
        return _reply(req)

    fake_llm.script_fn(reply)
    argv = ["bench", str(SUITE), "--team", str(team), "--report", str(report), "--rounds", "1"]
    argv += ["--strategy", "single", "cot", "--ray", cluster.address]
    code = "import sys; from lessonl.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "TMPDIR": str(cluster.tmp)}, process_group=0,
    )  # fmt: skip
    try:
        _wait_for("held model call", held.is_set, 90, proc)
        hanging = lambda: any(cluster.tmp.glob(f"{COPIES}/*/.lessonl/**/HANGING"))  # noqa: E731
        _wait_for("timing in progress", hanging, 60, proc)
        busy = _running_tasks()
        assert len(busy) == 2, busy  # both nodes busy: one timing, one in a model call
        stored = list(report.glob("results/*/*.json"))
        assert len(stored) == 1, stored
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        release.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    # Each running pair unwound itself (the one in a model call too) within the grace the
    # driver gives before it kills the workers of pairs that did not.
    assert took < CANCEL_GRACE_S, took
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines[-1] == (
        f"cancelled; finished pairs are kept in {report}/results and skipped on rerun"
    ), err
    # One line for the interruption: everything before it is the run's own progress.
    assert all(line.startswith(("ray:", "[")) for line in lines[:-1]), err
    assert out == ""
    # Nothing keeps running, and nothing is left in the temporary folder.
    leftovers: list[str] = []
    deadline = time.monotonic() + 3  # a worker's title changes back to ray::IDLE
    while (leftovers := _pair_processes(cluster.tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers == []
    assert _copies(cluster.tmp) == []
    # What finished is kept, and a rerun skips it.
    assert list(report.glob("results/*/*.json")) == stored
    fake_llm.script_fn(_reply)
    code_, _, err = _cli([*argv, "--json"])
    assert code_ == 0, err
    assert err.count("(stored result, skipped)") == 1, err
    skipped = f"· {stored[0].stem}: "
    assert any(skipped in line and "(stored result, skipped)" in line for line in err.splitlines())
    assert len(list(report.glob("results/*/*.json"))) == 4


BLOCKER = """
import pathlib, sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
@ray.remote(num_cpus=0, resources={"timing": 1})
def hold(flag, i):
    pathlib.Path(flag + f".{i}").touch()
    while not pathlib.Path(flag).exists():
        time.sleep(0.1)
ray.get([hold.remote(sys.argv[2], i) for i in range(int(sys.argv[3]))])
"""


def _local_servers(tmp: Path) -> list[psutil.Process]:
    """The embedded model's servers started by this cluster's workers (their TMPDIR is the
    nodes' `tmp`), running or paused."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if (
                "lessonl.llm.llama_server" in cmd
                and proc.info["status"] != psutil.STATUS_ZOMBIE
                and proc.environ().get("TMPDIR") == str(tmp)
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@needs_ray
@needs_local_model
@pytest.mark.slow
def test_the_local_model_runs_on_the_node_that_runs_the_pair(
    cluster: Cluster, tmp_path: Path
) -> None:
    """With a `provider = "local"` team, each pair's agent is served by a model server that the
    pair's Ray worker starts (lazily: none before a pair needs one) and keeps for the node's later
    pairs; nothing is served from the driver, no node runs two at a time, and none is left once
    the run has ended (Ray ends a job's workers with its driver). The real model."""
    assert _local_servers(cluster.tmp) == []
    # Four problems (the suite's two, twice), one short-answer sample each: two pairs per node.
    suite = tmp_path / "suite"
    for problem in SUITE.iterdir():
        for name in (problem.name, f"{problem.name}_again"):
            shutil.copytree(problem, suite / name)
    team = tmp_path / "team.toml"
    team.write_text("[[agents]]\nname = 'l'\nprovider = 'local'\n", encoding="utf-8")
    argv = ["bench", str(suite), "--team", str(team), "--report", str(tmp_path / "r")]
    argv += ["--rounds", "1", "--strategy", "single", "--json", "--ray", cluster.address]
    seen: dict[int, str] = {}  # server pid -> its parent's process title
    most = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal most
        while not stop.is_set():
            alive = _local_servers(cluster.tmp)
            most = max(most, len(alive))
            for server in alive:
                with contextlib.suppress(psutil.NoSuchProcess, AttributeError):
                    seen.setdefault(server.pid, " ".join(server.parent().cmdline()))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        code, out, err = _cli(argv)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert code == 0, err
    entries = _entries(json.loads(out))
    assert len(entries) == 4
    for pair, e in entries.items():
        assert e["outcome"] != "error", (pair, e, err)  # the model answered on that node
        assert e["samples"] == 1 and e["output_tokens"] > 0, (pair, e)
        assert e["node"] in cluster.node_ids, e
    nodes = {e["node"] for e in entries.values()}
    assert seen, "no model server was started by a Ray worker"
    assert all(title.startswith("ray::") for title in seen.values()), seen  # a worker's child
    assert 1 <= most <= len(nodes), (most, seen)
    # A node's later pairs use the server its first pair started, as long as Ray gives them the
    # same worker process. Ray may start a fresh worker for a later pair (it did once in three
    # full runs of the suite here), which then starts its own server: so fewer servers than
    # pairs, not exactly one per node. Without the worker's keep-alive lease, every pair
    # starts one (4).
    assert len(seen) < len(entries), seen
    deadline = time.monotonic() + 30  # the job's workers end with the driver, their servers too
    while _local_servers(cluster.tmp) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _local_servers(cluster.tmp) == []


@needs_ray
@pytest.mark.slow
def test_a_node_that_dies_mid_pair_has_its_pair_rerun_on_another(
    cluster: Cluster, team: Path, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """A third node joins; while the two others' timing slots are held, the pair can only start
    there; that node is killed mid-pair (SIGKILL to its raylet, workers and the rest), the slots
    are let go, and the pair is re-run on another node and stored as a whole one.
    (Last in this module: the cluster keeps a dead node.)"""
    flag = tmp_path / "release"
    # Both slots held first, then the third node joins: its slot is the only free one.
    blocker = subprocess.Popen(
        [sys.executable, "-c", BLOCKER, cluster.address, str(flag), "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    tmp3 = cluster.temp_dir / "t3"  # the third node's own TMPDIR: where its pair's copy is
    tmp3.mkdir()
    third: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 60
        while not all(Path(f"{flag}.{i}").exists() for i in range(2)):
            assert blocker.poll() is None, blocker.communicate()
            assert time.monotonic() < deadline, "the blocker never held the two slots"
            time.sleep(0.1)
        third = subprocess.Popen(
            [_ray_bin(), "start", f"--address={cluster.address}", "--node-ip-address=127.0.0.1",
             "--num-cpus=1", '--resources={"timing": 1}', "--block"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**cluster.env, "TMPDIR": str(tmp3)},
        )  # fmt: skip
        ids = _wait_nodes(cluster.address, 3, third)
        (third_id,) = ids - cluster.node_ids
        # The pair now starts on the third node (the only free slot); kill that node once the
        # pair's copy is there (and its model call under way), then free the other two.
        fake_llm.delay_s = 2.0
        killed = threading.Event()

        def kill_node() -> None:
            deadline = time.monotonic() + 60
            while not any(tmp3.glob("lessonl-bench-single-*/*/lessonl.toml")):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
            assert third is not None
            node = psutil.Process(third.pid)
            for proc in [*node.children(recursive=True), node]:  # a crash: every process at once
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            third.wait(timeout=30)
            killed.set()
            flag.touch()

        killer = threading.Thread(target=kill_node, daemon=True)
        killer.start()
        argv = ["bench", str(SUITE), "--team", str(team), "--report", str(tmp_path / "r")]
        argv += ["--rounds", "1", "--strategy", "single", "--problems", "unique_count"]
        code, out, err = _cli([*argv, "--json", "--ray", cluster.address])
        killer.join()
        assert killed.is_set(), "the pair never started on the third node"
        assert code == 0, err
        entry = json.loads(out)["strategies"]["single"]["problems"]["unique_count"]
        assert entry["outcome"] == "correct", entry
        assert entry["node"] in cluster.node_ids and entry["node"] != third_id, entry
    finally:
        flag.touch()
        try:
            blocker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            blocker.kill()
        if third is not None and third.poll() is None:
            third.send_signal(signal.SIGTERM)
            try:
                third.wait(timeout=30)
            except subprocess.TimeoutExpired:
                third.kill()
