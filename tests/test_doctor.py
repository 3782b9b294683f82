"""`lessonl doctor` on real temporary projects, with agents pointed at the fake LLM server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bwraps import no_working_bwrap, path_without_bwrap
from fakes import FakeLLM

from lessonl.cli import main

KEY = "sk-doctor-SECRET-9876543210"


def _project(root: Path, agents: str, build: str = "g++ -O2 main.cpp -o {build}/a") -> Path:
    (root / "main.cpp").write_text("int main() { return 0; }\n")
    (root / "lessonl.toml").write_text(
        f"""{agents}
[[targets]]
name = "demo"
files = ["main.cpp"]
build = "{build}"
test = "{{build}}/a"
bench = "{{build}}/a"
"""
    )
    return root


def _agent(fake: FakeLLM, name: str = "a", key_env: str = "DOC_KEY") -> str:
    return f"""[[agents]]
name = "{name}"
provider = "openai"
model = "m"
base_url = "{fake.base_url}"
api_key_env = "{key_env}"
"""


def _doctor(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.chdir(root)
    code = main(["doctor"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_ready_project_exits_0_and_never_prints_the_key(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv("DOC_KEY", KEY)
    _project(tmp_path, _agent(fake_llm))
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 0, out
    assert "Ready: a run can start." in out and "target demo: main.cpp (cpp)" in out
    assert "key DOC_KEY is set" in out and "server reachable" in out
    assert "python: 3." in out and "g++" in out
    assert KEY not in out and KEY[:8] not in out
    assert [r.path for r in fake_llm.requests] == []  # the probe lists models, asks nothing


def test_missing_key_unreachable_server_and_rejected_key(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    dead = FakeLLM().start()
    dead.stop()
    monkeypatch.setenv("DOC_KEY", KEY)
    monkeypatch.delenv("NOPE_KEY", raising=False)
    fake_llm.api_key = "another-key"
    agents = (
        _agent(fake_llm, "rejected") + _agent(dead, "down") + _agent(fake_llm, "nokey", "NOPE_KEY")
    )
    _project(tmp_path, agents)
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 1
    assert "NOPE_KEY, which is not set" in out
    assert f"cannot connect to {dead.base_url}" in out
    assert "rejected the key (401)" in out and "fix: check the key in DOC_KEY" in out
    assert "3 problem(s)" in out and KEY not in out


def test_no_config_and_missing_build_program(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    # A plain Python project: optimize works there without lessonl.toml (the automatic
    # target), so doctor says how and a run can start. The team: the user-level team file.
    monkeypatch.setenv("DOC_KEY", KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "lessonl").mkdir(parents=True)
    (tmp_path / "xdg" / "lessonl" / "config.toml").write_text(_agent(fake_llm))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".git").mkdir()  # stop the config search here
    (empty / "pyproject.toml").write_text('[project]\nname = "plain"\nversion = "0.1"\n')
    code, out = _doctor(empty, monkeypatch, capsys)
    assert code == 0, out
    assert "no lessonl.toml" in out and "automatic target" in out and "fix:" not in out
    assert "Ready: a run can start." in out and "server reachable" in out

    monkeypatch.setenv("DOC_KEY", KEY)
    proj = tmp_path / "proj"
    proj.mkdir()
    _project(proj, _agent(fake_llm), build="no-such-compiler-xyz main.cpp")
    code, out = _doctor(proj, monkeypatch, capsys)
    assert code == 1 and "no-such-compiler-xyz: needed by target demo but not on PATH" in out


@pytest.mark.local_model
@pytest.mark.slow
def test_doctor_proves_the_local_model_by_generating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    _project(tmp_path, "")  # no [[agents]] and no keys: the embedded local team
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 0, out
    assert re.search(r"local model generates: [1-9]\d* tokens in [\d.]+ s", out), out


def test_sandbox_line_names_which_bwrap_or_the_fix(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    import shutil

    from lessonl.harness import isolation

    monkeypatch.setenv("DOC_KEY", KEY)
    _project(tmp_path, _agent(fake_llm))  # an agent, so doctor does not start a local model
    isolation.probe.cache_clear()
    try:
        system = shutil.which("bwrap")
        if system is not None and isolation.probe().ok:
            _, out = _doctor(tmp_path, monkeypatch, capsys)
            assert "sandbox: bubblewrap 0." in out and f"({system}, system)" in out, out
        wheel = isolation.wheel_bwrap()
        if wheel is not None:
            # A machine without the bubblewrap package: the wheel's bwrap, named as such.
            monkeypatch.setenv("PATH", path_without_bwrap(tmp_path / "nobwrap"))
            isolation.probe.cache_clear()
            code, out = _doctor(tmp_path, monkeypatch, capsys)
            assert code == 0 and f"({wheel}, wheel)" in out, out
        # No bwrap can start a sandbox: on Linux a run stops, so it is a problem with the fix.
        no_working_bwrap(tmp_path, monkeypatch)
        code, out = _doctor(tmp_path, monkeypatch, capsys)
        assert code == 1 and "unavailable, so a run of demo stops" in out, out
        assert "fix: allow unprivileged user namespaces" in out
        assert 'or set sandbox = "off" under [run]' in out
        with (tmp_path / "lessonl.toml").open("a") as f:
            f.write('sandbox = "off"\n')
        code, out = _doctor(tmp_path, monkeypatch, capsys)
        assert code == 0 and 'sandbox: off (sandbox = "off")' in out, out
    finally:
        isolation.probe.cache_clear()


def test_doctor_checks_the_state_folder_and_the_bank(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    """`doctor` said nothing about a damaged bank or an unwritable `.lessonl/`."""
    from lessonl.bank import LessonBank
    from lessonl.lessons import Lesson
    from lessonl.state import StateDir

    monkeypatch.setenv("DOC_KEY", KEY)
    _project(tmp_path, _agent(fake_llm))
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 0 and "is writable" in out and "none yet" in out, out
    assert not (tmp_path / ".lessonl").exists()  # checking creates nothing

    with LessonBank(StateDir(tmp_path).ensure().bank) as bank:
        for i in range(100):
            bank.add(Lesson(id="", text=f"Lesson {i}.", outcome="correct", code="x" * 2000))
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 0 and "reads completely" in out, out

    db = StateDir(tmp_path).bank / "cache.db"
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    code, out = _doctor(tmp_path, monkeypatch, capsys)
    assert code == 1, out
    assert re.search(r"lesson bank: .* is damaged", out)
    assert "lessonl lessons recover" in out
    assert db.stat().st_size > 0 and not list(db.parent.parent.glob("bank.damaged-*"))


def test_doctor_team_checks_the_team_files_agents(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    dead = FakeLLM().start()
    dead.stop()
    monkeypatch.setenv("DOC_KEY", KEY)
    _project(tmp_path, _agent(fake_llm, "project-agent"))
    team = tmp_path / "team.toml"
    team.write_text(_agent(fake_llm, "from-file") + _agent(dead, "down"))
    monkeypatch.chdir(tmp_path)
    code = main(["doctor", "--team", str(team)])
    out = "".join(capsys.readouterr())
    assert code == 1, out
    assert f"team file: {team}: 2 agents" in out
    assert "agent from-file: openai m, key DOC_KEY is set, server reachable" in out
    assert f"cannot connect to {dead.base_url}" in out
    assert "project-agent" not in out  # the file's team, not the project's
    team.write_text("[[agents]]\nname = 'x'\n")  # no provider
    code = main(["doctor", "--team", str(team)])
    out = "".join(capsys.readouterr())
    assert code == 1 and "team file:" in out and "Traceback" not in out, out


def test_the_local_extras_install_command_fits_a_checkout() -> None:
    """Installed from a checkout (`pip install -e .`), `pip install 'lessonl[local]'` would
    not reach the checkout: the fix names its folder."""
    from lessonl.llm import local

    root = Path(__file__).resolve().parent.parent
    assert local.install_hint().endswith(f"pip install -e '{root}[local]'")
    assert (
        local.pip_install("local", force=True)
        == f"pip install --force-reinstall -e '{root}[local]'"
    )
