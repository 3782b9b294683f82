"""What the timing benchmarks evaluate: a project's target with its own, unchanged files.

Shared by harness_bench.py and timing_under_model.py (run as scripts, so this folder is on
sys.path). An identical variant must measure 1.00x; how far it strays is the noise they report.
"""

from __future__ import annotations

from pathlib import Path

from lessonl.config import Config, TargetConfig, load_config
from lessonl.harness import require_tools


def unchanged_variant(root: Path) -> tuple[Config, TargetConfig, dict[str, str]]:
    """The project at `root`, its only target (its tools checked), and that target's files as
    they are: a variant identical to the original."""
    config = load_config(root)
    target = config.target()
    require_tools(target)
    return config, target, {f: (root / f).read_text(encoding="utf-8") for f in target.files}
