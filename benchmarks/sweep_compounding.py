"""Do lessons compound across a sweep? (issue 27); a script, not a test.

    .venv/bin/python benchmarks/sweep_compounding.py [--functions 8] [--rounds 2]
        [--team TEAM.toml] [--out DIR]

It writes a project of its own (`listkit`) with `--functions` deliberately slow functions of
related kinds (list membership, repeated `count`/`index`, quadratic duplicate checks: the
idioms a lesson like "look items up in a set" fixes), each in its own file, with tests and a
workload (`bench.py`) that runs them all. Then two arms, same team, same rounds, same order:

- shared: one `lessonl sweep --top N --min-share 0` on a fresh copy: one bank, so what the
  team learned on function 1 is offered (labelled) on function 2, and so on;
- fresh: the same functions in the sweep's order, each `lessonl optimize FILE:FUNC` on its
  own fresh copy (an empty bank for every function).

It prints per function the best speedup of each arm, the paired won/lost/tied (a win: the
shared arm's speedup above the fresh arm's by more than 5%), tokens per arm, the shared arm's
end-to-end line, and the learning curve (the geometric mean of the best speedups so far,
against functions done) as a plot (`--out`/learning_curve.png, with matplotlib from the
`bench` extra; skipped with a note without it) and as JSON (`--out`/results.json).

Without `--team`, the team is one agent of the scripted fake LLM server (tests/fakes), which
answers every function with its known fast version and learns nothing: the arms can only
tie. That run shows the benchmark works; it says nothing about compounding.

With the embedded local model (qwen2.5-coder 0.5B, the three agents LessonL uses when nothing
is configured: benchmarks/results/sweep_compounding/local_team.toml), 2026-12-07, 2-core
machine shared with other work, `--functions 8 --rounds 1` (about 35 minutes for both arms):

    function                               shared    fresh earlier  tok sh  tok fr
    listkit/union_ordered.py:union_ordered    1.00x    1.00x       0    2630    2630
    listkit/has_duplicates.py:has_duplicates   15.37x   13.18x       3    5309    2598
    listkit/common.py:common                1.00x    1.00x       4    4330    2380
    listkit/missing.py:missing              1.00x    1.00x       4    4156    2681
    listkit/index_of_all.py:index_of_all    1.00x    1.00x       4    4117    2315
    listkit/first_repeat.py:first_repeat   11.28x    8.74x       4    4731    4205
    listkit/count_each.py:count_each        1.00x    1.00x       4    4785    3004
    listkit/dedupe.py:dedupe                5.79x    6.24x       4    5415    2704
    shared bank vs fresh bank per function: won 2, lost 1, tied 5
    tokens: shared 35473, fresh 22517
    end to end (shared arm): 1.21x, 95% CI 1.14-1.36, tests passed 40, failed 0

What it shows: no evidence that lessons compound with this model. Both arms found the same
three functions (the rest stayed at 1.00x in both); where both won, the shared arm's speedups
were higher on two and lower on one, by margins one round of a 0.5B model's sampling and the
machine's noise can make. The shared arm paid 58% more tokens for the lessons it was shown.
One round per function, one run per arm: a claim either way needs more rounds, repeats and a
stronger model.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

#: name -> (slow body, fast body, a call for the tests and the workload ({n}: the size))
FUNCTIONS: dict[str, tuple[str, str, str]] = {
    "dedupe": (
        "out = []\nfor x in xs:\n    if x not in out:\n        out.append(x)\nreturn out",
        "return list(dict.fromkeys(xs))",
        "dedupe([i % ({n} // 4 + 1) for i in range({n})])",
    ),
    "common": (
        "return [x for x in xs if x in ys]",
        "seen = set(ys)\nreturn [x for x in xs if x in seen]",
        "common(list(range({n})), list(range(0, 2 * {n}, 2)))",
    ),
    "missing": (
        "return [x for x in xs if x not in ys]",
        "seen = set(ys)\nreturn [x for x in xs if x not in seen]",
        "missing(list(range({n})), list(range(0, 2 * {n}, 3)))",
    ),
    "has_duplicates": (
        "for i in range(len(xs)):\n"
        "    for j in range(i + 1, len(xs)):\n"
        "        if xs[i] == xs[j]:\n"
        "            return True\n"
        "return False",
        "return len(set(xs)) != len(xs)",
        "has_duplicates(list(range({n} // 3)))",
    ),
    "count_each": (
        "return [xs.count(y) for y in ys]",
        "counts = {}\n"
        "for x in xs:\n"
        "    counts[x] = counts.get(x, 0) + 1\n"
        "return [counts.get(y, 0) for y in ys]",
        "count_each([i % 50 for i in range({n})], list(range({n} // 8)))",
    ),
    "index_of_all": (
        "return [xs.index(y) for y in ys]",
        "first = {}\n"
        "for i, x in enumerate(xs):\n"
        "    first.setdefault(x, i)\n"
        "return [first[y] for y in ys]",
        "index_of_all(list(range({n})), list(range({n} - 1, -1, -2)))",
    ),
    "first_repeat": (
        "for i, x in enumerate(xs):\n    if x in xs[:i]:\n        return x\nreturn None",
        "seen = set()\n"
        "for x in xs:\n"
        "    if x in seen:\n"
        "        return x\n"
        "    seen.add(x)\n"
        "return None",
        "first_repeat(list(range({n} // 2)) + [7])",
    ),
    "union_ordered": (
        "return xs + [y for y in ys if y not in xs]",
        "seen = set(xs)\nreturn xs + [y for y in ys if y not in seen]",
        "union_ordered(list(range({n})), list(range({n} // 2, 2 * {n})))",
    ),
}
SIGNATURES = {
    "dedupe": "xs",
    "has_duplicates": "xs",
    "first_repeat": "xs",
}
WORKLOAD_N = 3000
TEST_SIZES = (0, 1, 5, 40, 200)


def _signature(name: str) -> str:
    return SIGNATURES.get(name, "xs, ys")


def _function(name: str, body: str, signature_of: str | None = None) -> str:
    signature = _signature(signature_of or name)
    return f"def {name}({signature}):\n" + textwrap.indent(body, "    ") + "\n"


def write_project(root: Path, names: list[str]) -> None:
    """The project: one slow function per file, tests that compare with the fast version on
    several sizes, and the workload."""
    pkg = root / "listkit"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "listkit"\nversion = "0.1.0"\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    )
    (pkg / "__init__.py").write_text("".join(f"from listkit.{n} import {n}\n" for n in names))
    for name in names:
        slow, _fast, _call = FUNCTIONS[name]
        (pkg / f"{name}.py").write_text(
            f'"""`{name}`, slow on purpose."""\n\n\n' + _function(name, slow)
        )
    tests = ["import pytest", "import listkit", ""]
    for name in names:
        _slow, fast, call = FUNCTIONS[name]
        args = call.replace("{n}", "n")[len(name) :]  # "(...)"
        tests += [
            "",
            _function(f"_ref_{name}", fast, signature_of=name),
            "",
            f"@pytest.mark.parametrize('n', {list(TEST_SIZES)})",
            f"def test_{name}(n):",
            f"    assert listkit.{name}{args} == _ref_{name}{args}",
            "",
        ]
    (root / "tests").mkdir()
    (root / "tests" / "test_listkit.py").write_text("\n".join(tests))
    bench = ["from listkit import " + ", ".join(names), ""]
    bench += [
        call.replace("{n}", str(WORKLOAD_N)) for _s, _f, call in (FUNCTIONS[n] for n in names)
    ]
    (root / "bench.py").write_text("\n".join(bench) + "\n")


def _fake_reply(req: Any) -> str:
    from fakes.strategies import NO_DOUBT, is_skeptic_request
    from loop_project import is_lesson_request

    if is_lesson_request(req):
        return "List membership and count/index are linear: build a set or dict once."
    if is_skeptic_request(req):
        return NO_DOUBT
    for name, (_slow, fast, _call) in FUNCTIONS.items():
        if f"The function to optimize, `{name}`" in req.prompt:
            return f"```python\n{_function(name, fast)}```"
    return "I cannot help with that."


def _lessonl(args: list[str], cwd: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "lessonl", *args], cwd=cwd, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"lessonl {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 1.0


def run(names: list[str], rounds: int, team: Path, work: Path) -> dict[str, Any]:
    shared_root = work / "shared" / "listkit-project"
    write_project(shared_root, names)
    started = time.monotonic()
    sweep = _lessonl(
        [
            "sweep",
            "--top",
            str(len(names)),
            "--min-share",
            "0",
            "--rounds",
            str(rounds),
            "--team",
            str(team),
            "--json",
            "--",
            "python",
            "bench.py",
        ],
        shared_root,
    )
    shared_s = time.monotonic() - started
    rows = []
    for entry in sweep["functions"]:
        fresh_root = work / "fresh" / entry["function"].split(":")[1] / "listkit-project"
        write_project(fresh_root, names)
        report = _lessonl(
            ["optimize", entry["function"], "--rounds", str(rounds), "--team", str(team), "--json"],
            fresh_root,
        )
        usage = report["usage"]
        rows.append(
            {
                "function": entry["function"],
                "share": entry["share"],
                "shared": (entry["best"] or {}).get("speedup", 1.0),
                "fresh": (report["best"] or {}).get("speedup", 1.0),
                "shared_tokens": entry["tokens"],
                "fresh_tokens": usage["input_tokens"] + usage["output_tokens"],
                "lessons_from_earlier": entry["lessons_from_earlier"],
            }
        )
    return {"functions": rows, "end_to_end": sweep["end_to_end"], "shared_wall_s": shared_s}


def report(result: dict[str, Any], out: Path) -> None:
    rows = result["functions"]
    print(f"{'function':36} {'shared':>8} {'fresh':>8} {'earlier':>7} {'tok sh':>7} {'tok fr':>7}")
    won = lost = tied = 0
    for r in rows:
        if r["shared"] > 1.05 * r["fresh"]:
            won += 1
        elif r["fresh"] > 1.05 * r["shared"]:
            lost += 1
        else:
            tied += 1
        print(
            f"{r['function']:36} {r['shared']:>7.2f}x {r['fresh']:>7.2f}x "
            f"{r['lessons_from_earlier']:>7} {r['shared_tokens']:>7} {r['fresh_tokens']:>7}"
        )
    print(f"shared bank vs fresh bank per function: won {won}, lost {lost}, tied {tied}")
    print(
        f"tokens: shared {sum(r['shared_tokens'] for r in rows)}, "
        f"fresh {sum(r['fresh_tokens'] for r in rows)}"
    )
    e2e = result["end_to_end"]
    speed, ci = e2e["speedup"], e2e["ci95"]
    print(
        "end to end (shared arm): "
        + (f"{speed:.2f}x, 95% CI {ci[0]:.2f}-{ci[1]:.2f}" if speed and ci else "not measured")
        + f", tests passed {e2e['tests_passed']}, failed {e2e['tests_failed']}"
    )
    curve = {
        arm: [_geomean([r[arm] for r in rows[: i + 1]]) for i in range(len(rows))]
        for arm in ("shared", "fresh")
    }
    print(
        "learning curve (geometric mean of best speedups so far): "
        + "; ".join(f"{arm} " + " ".join(f"{v:.2f}" for v in vals) for arm, vals in curve.items())
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({**result, "curve": curve}, indent=1) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plot: matplotlib is not installed (pip install -e '.[bench]')")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm, vals in curve.items():
        ax.plot(range(1, len(vals) + 1), vals, marker="o", label=f"{arm} bank")
    ax.set_xlabel("functions done")
    ax.set_ylabel("geometric mean of verified speedups so far")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "learning_curve.png", dpi=120)
    print(f"plot: {out / 'learning_curve.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--functions", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--team", type=Path, help="default: one agent of the scripted fake")
    parser.add_argument("--out", type=Path, default=Path("sweep-compounding"))
    args = parser.parse_args()
    if not 1 <= args.functions <= len(FUNCTIONS):
        raise SystemExit(f"--functions: 1 to {len(FUNCTIONS)}")
    names = list(FUNCTIONS)[: args.functions]
    with tempfile.TemporaryDirectory(prefix="sweep-compounding-") as tmp:
        work = Path(tmp)
        if args.team is not None:
            result = run(names, args.rounds, args.team.resolve(), work)
        else:
            from fakes import FakeLLM

            with FakeLLM() as fake:
                fake.script_fn(_fake_reply)
                team = work / "team.toml"
                team.write_text(
                    '[[agents]]\nname = "alpha"\nprovider = "openai"\nmodel = "alpha"\n'
                    f'base_url = "{fake.base_url}"\nmax_retries = 0\n'
                )
                result = run(names, args.rounds, team, work)
        shutil.rmtree(work / "shared", ignore_errors=True)
    report(result, args.out)


if __name__ == "__main__":
    main()
