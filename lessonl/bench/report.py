"""The benchmark report: `results.json`, `report.md` and two PNG plots in the report folder.

`build(...)` makes the JSON object that `lessonl bench --json` prints and `results.json` keeps
(docs/contracts.md: per strategy `correctness`, `geomean_speedup`, `share_ge_2x`, `mean_speedup`,
the best speedup after each round, tokens, cost and wall time, and per problem its outcome and
speedup; and `paired`, every two arms' won/lost/tied count over their common problems,
`metrics.paired`). The Markdown and the plots are rendered from that object only, so what a
reader sees can never disagree with the JSON.

Plots (matplotlib, Agg backend: no display needed, safe in CI and over SSH):
- `speedup_by_round.png`: per strategy, the geometric-mean best speedup after each round (the
  paper's Figure 3);
- `speedup_by_category.png`: geometric-mean speedup per category, one bar per strategy.
matplotlib (35 MB with its dependencies) is the optional `bench` extra: only these two pictures
need it, so without it the report is written whole except for them, `report.md` says how to get
them, and the command says so in one line (`PLOTS_MISSING`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lessonl.atomic import write_text
from lessonl.bench.metrics import ProblemResult, by_category, paired, summarize
from lessonl.bench.suite import Problem
from lessonl.harness.stats import NOISE_MARGIN

RESULTS_JSON = "results.json"
REPORT_MD = "report.md"
ROUNDS_PNG = "speedup_by_round.png"
CATEGORIES_PNG = "speedup_by_category.png"
PLOTS_MISSING = "plots skipped: matplotlib is not installed (pip install 'lessonl[bench]')"
_CATEGORY_KEYS = ("n_problems", "correctness", "geomean_speedup", "share_ge_2x", "mean_speedup")


def build(
    suite: Path,
    report_dir: Path,
    problems: Sequence[Problem],
    results: Mapping[str, Sequence[ProblemResult]],
) -> dict[str, Any]:
    """The report object (see the module docstring); strategies in the order given."""
    strategies: dict[str, Any] = {}
    for name, rs in results.items():
        entry = summarize(rs).to_json()
        entry["categories"] = {
            cat: {k: v for k, v in s.to_json().items() if k in _CATEGORY_KEYS}
            for cat, s in by_category(rs).items()
        }
        entry["problems"] = {r.problem: _problem_entry(r) for r in rs}
        strategies[name] = entry
    return {
        "suite": str(suite),
        "report_dir": str(report_dir),
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "problems": [p.listing() for p in problems],
        "strategies": strategies,
        "paired": [c.to_json() for c in paired(results)],
    }


def _problem_entry(r: ProblemResult) -> dict[str, Any]:
    return {
        "category": r.category,
        "language": r.language,
        "outcome": r.outcome,
        "speedup": None if r.speedup is None else round(r.speedup, 4),
        "ci95": [round(x, 4) for x in r.ci95] if r.ci95 else None,
        "verified": r.verified,
        "best_speedup_by_round": [None if x is None else round(x, 4) for x in r.round_best],
        "samples": r.samples,
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "cost_usd": r.cost_usd,
        "wall_s": round(r.wall_s, 3),
        "outcomes": r.outcomes,
        "detail": r.detail,
        "error": r.error,
        "node": r.node,
        "host": r.host,
        "warm_lessons": r.warm_lessons,
        "round0_lessons": r.round0_lessons,
    }


def write(report_dir: Path, data: dict[str, Any]) -> list[Path]:
    """Write results.json, report.md and the plots (if matplotlib is installed, see
    `plots_available`); returns the paths written."""
    report_dir.mkdir(parents=True, exist_ok=True)
    plots = plots_available()
    paths = [
        write_text(report_dir / RESULTS_JSON, json.dumps(data, indent=2) + "\n"),
        write_text(report_dir / REPORT_MD, markdown(data, plots=plots)),
    ]
    if plots:
        paths.append(plot_rounds(data, report_dir / ROUNDS_PNG))
        paths.append(plot_categories(data, report_dir / CATEGORIES_PNG))
    return paths


def plots_available() -> bool:
    """Whether matplotlib can be imported (the `bench` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------- Markdown


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _tokens(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1_000_000 else f"{n / 1e3:.1f}k" if n >= 1000 else str(n)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(data: dict[str, Any], *, plots: bool = True) -> str:
    """The report as Markdown: summary per strategy, per category, per problem, plots (or,
    with `plots` false, a line on how to get them).

    Long because the report is written top to bottom in the order it reads: one section
    after another, each a few table rows.
    """
    strategies: dict[str, Any] = data["strategies"]
    rounds = max((len(s["best_speedup_by_round"]) for s in strategies.values()), default=0)
    out = [
        f"# LessonL benchmark: `{Path(data['suite']).name}`",
        "",
        f"{len(data['problems'])} problems, generated {data['generated']}. Speedup: the final "
        "answer (best correct variant) re-measured against the original; geomean and mean "
        "count max(1, s), an incorrect answer as 1 (the paper's metric); *verified* counts only "
        f"answers measurably faster (95% interval above {1 + NOISE_MARGIN:.2f}x), others as 1. "
        "Best after round t: geomean of the best speedup found so far.",
        "",
        "## Per strategy",
        "",
    ]
    header = [
        "strategy",
        "problems",
        "correct",
        "geomean",
        "verified",
        ">= 2x",
        "mean",
        *[f"round {t + 1}" for t in range(rounds)],
        "tokens in",
        "tokens out",
        "cost",
        "wall",
    ]
    rows = []
    for name, s in strategies.items():
        curve = [_x(v) for v in s["best_speedup_by_round"]]
        curve += ["-"] * (rounds - len(curve))
        errors = f" ({s['errors']} errors)" if s["errors"] else ""
        rows.append(
            [
                f"{name}{errors}",
                str(s["n_problems"]),
                _pct(s["correctness"]),
                _x(s["geomean_speedup"]),
                _x(s["geomean_verified"]),
                _pct(s["share_ge_2x"]),
                _x(s["mean_speedup"]),
                *curve,
                _tokens(s["input_tokens"]),
                _tokens(s["output_tokens"]),
                _cost(s["cost_usd"]),
                f"{s['wall_s']:.0f} s",
            ]
        )
    out += [_table(header, rows), ""]

    categories = sorted({c for s in strategies.values() for c in s["categories"]})
    out += ["## Geomean speedup per category", ""]
    rows = []
    for cat in categories:
        cells = []
        for s in strategies.values():
            c = s["categories"].get(cat)
            cells.append("-" if c is None else f"{_x(c['geomean_speedup'])} ({c['n_problems']})")
        rows.append([cat, *cells])
    out += [_table(["category", *strategies], rows), ""]

    out += ["## Per problem", ""]
    rows = []
    for p in data["problems"]:
        cells = []
        for s in strategies.values():
            e = s["problems"].get(p["name"])
            if e is None:
                cells.append("-")
            elif e["outcome"] == "correct":
                cells.append(_x(e["speedup"]) + ("" if e["verified"] else " (n.s.)"))
            else:
                cells.append(e["outcome"].replace("_", " "))
        rows.append([p["name"], p["category"], *cells])
    out += [
        _table(["problem", "category", *strategies], rows, right_from=2),
        "",
        "n.s.: correct but not measurably faster than the original (its 95% interval does not "
        f"lie above {1 + NOISE_MARGIN:.2f}x).",
        "",
        *_paired(data),
        *_transfer(data),
        *_failures(data),
        "## Plots",
        "",
        *(
            [
                f"![best speedup after each round]({ROUNDS_PNG})",
                "",
                f"![geomean speedup per category]({CATEGORIES_PNG})",
            ]
            if plots
            else [PLOTS_MISSING[0].upper() + PLOTS_MISSING[1:] + "."]
        ),
        "",
    ]
    return "\n".join(out)


def paired_line(c: dict[str, Any]) -> str:
    """'A vs B: won W, lost L, tied T of N' (`metrics.Paired.line`, from the JSON)."""
    return (
        f"{c['a']} vs {c['b']}: won {c['won']}, lost {c['lost']}, tied {c['tied']} "
        f"of {c['n_problems']}"
    )


def _paired(data: dict[str, Any]) -> list[str]:
    """'Paired comparison': per pair of arms, the problems A won, lost and tied against B."""
    comparisons = data.get("paired") or []
    if not comparisons:
        return []
    rows = [
        [
            f"{c['a']} vs {c['b']}",
            str(c["won"]),
            str(c["lost"]),
            str(c["tied"]),
            str(c["n_problems"]),
        ]
        for c in comparisons
    ]
    return [
        "## Paired comparison",
        "",
        "Per problem, A won if its answer is measurably faster than B's (A's re-measured 95% "
        "interval lies wholly above B's), lost if measurably slower, tied otherwise; an "
        "incorrect answer counts as [1, 1] and intervals are clipped at 1, as the speedups are.",
        "",
        _table(["A vs B", "won", "lost", "tied", "of"], rows),
        "",
        *[f"- {paired_line(c)}" for c in comparisons],
        "",
    ]


def _transfer(data: dict[str, Any]) -> list[str]:
    """'Warm banks': per problem of an arm whose bank started warm (`lessonl_transfer`), how
    many lessons it started with and how many round 0's prompts showed."""
    lines = []
    for name, s in data["strategies"].items():
        for problem, e in s["problems"].items():
            if e.get("warm_lessons") is None:
                continue
            shown = e.get("round0_lessons")
            lines.append(
                f"- {problem} · {name}: started with {e['warm_lessons']} lessons of the other "
                f"problems; round 1 prompts showed {'-' if shown is None else shown}"
            )
    return ["## Warm banks", "", *lines, ""] if lines else []


def _failures(data: dict[str, Any]) -> list[str]:
    """'Without a correct answer': per failed problem x strategy, the samples' outcomes and the
    first line of why one failed, so a reader can tell a weak model from a broken problem."""
    lines = []
    for p in data["problems"]:
        for name, s in data["strategies"].items():
            e = s["problems"].get(p["name"])
            if e is None or e["outcome"] == "correct":
                continue
            tally = ", ".join(
                f"{n} {o.replace('_', ' ')}" for o, n in sorted(e.get("outcomes", {}).items())
            )
            why = e.get("error") or e.get("detail") or "no detail recorded"
            lines.append(
                f"- {p['name']} · {name}: {e['outcome'].replace('_', ' ')}"
                + (f" ({tally})" if tally else "")
                + f": `{why.replace('`', chr(39))}`"
            )
    return ["## Without a correct answer", "", *lines, ""] if lines else []


# ------------------------------------------------------------------------------- plots


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: CI, SSH, the editor's server
    import matplotlib.pyplot as plt

    return plt


def plot_rounds(data: dict[str, Any], path: Path) -> Path:
    """Figure 3: geomean best speedup after each round, one line per strategy."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    try:
        plotted = False
        for name, s in data["strategies"].items():
            curve = s["best_speedup_by_round"]
            if curve:
                ax.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
                plotted = True
        ax.set_xlabel("round")
        ax.set_ylabel("geomean best speedup so far (log scale)")
        _log_axis(ax)
        ax.set_title(f"Best speedup after each round: {Path(data['suite']).name}")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
        ax.grid(alpha=0.3)
        if plotted:
            ax.legend()
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


def plot_categories(data: dict[str, Any], path: Path) -> Path:
    """Grouped bars: geomean speedup per category, one bar per strategy."""
    plt = _pyplot()
    strategies: dict[str, Any] = data["strategies"]
    categories = sorted({c for s in strategies.values() for c in s["categories"]})
    width = 0.8 / max(1, len(strategies))
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(categories) + 2), 4.6), dpi=120)
    try:
        for i, (name, s) in enumerate(strategies.items()):
            values = [s["categories"].get(c, {}).get("geomean_speedup", 1.0) for c in categories]
            xs = [j + (i - (len(strategies) - 1) / 2) * width for j in range(len(categories))]
            # Bars rise from 1 (no speedup) on a log axis: speedups are ratios.
            ax.bar(xs, [v - 1.0 for v in values], bottom=1.0, width=width, label=name)
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories, rotation=30, ha="right")
        ax.set_ylabel("geomean speedup (log scale)")
        _log_axis(ax)
        ax.set_title(f"Geomean speedup per category: {Path(data['suite']).name}")
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
        ax.grid(axis="y", alpha=0.3)
        if strategies:
            ax.legend()
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


def _log_axis(ax: Any) -> None:
    """Log-2 y axis with plain-number ticks (1x, 2x, 4x, ...), starting at or below 1."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}x"))
    low, high = ax.get_ylim()
    ax.set_ylim(min(low, 0.9), max(high * 1.15, 2.0))
