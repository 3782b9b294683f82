"""The embedded model's server process: `llama_cpp.server`, without weight repacking on AMX CPUs.

Why this module exists: llama.cpp as built by `llama-cpp-python==0.3.36` crashes with SIGSEGV
on the first decode on CPUs with AMX (Sapphire Rapids and later Xeons), inside
`ggml_backend_amx_mul_mat`. Upstream knows it and has not fixed it. The crash is in the code
path that repacks weights into the "extra" CPU buffer types (AMX, and the AVX2/AVX-512 repack
layouts); loading the model with `use_extra_bufts = False` keeps the weights in the plain
layout and avoids it. `llama_cpp.server` has no option for that field, and `Llama.__init__`
reads its model parameters from `llama_model_default_params()` right before it loads the model,
so we start the server through this module, which makes that function return parameters with
repacking off and then hands over to the server's own `main()`.

Repacking is switched off where the CPU has AMX (`amx_tile`, `amx_int8` or `amx_bf16` among
the flags of /proc/cpuinfo: Linux lists them exactly when the kernel lets a process use AMX,
which ggml needs too). Elsewhere it stays on, as llama.cpp ships it: on an AMD EPYC (AVX-512,
no AMX, a loaded 2-core machine) repacking on gave 20-25 tokens/s where off gave 1.5-20, and
later pairs under heavier load were too noisy to tell them apart, so machines without AMX keep
the path that earlier releases measured at about 30 tokens/s. `LESSONL_LLAMA_REPACK=0`
forces it off, `=1` forces it on (see docs/local-model.md).

Run as `python -m lessonl.llm.llama_server <llama_cpp.server arguments>`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

REPACK_ENV = "LESSONL_LLAMA_REPACK"
AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "amx_complex"})


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """True when /proc/cpuinfo (or the given text) lists an AMX flag for the CPU."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return bool(flags & AMX_FLAGS)
    return False


def repack_wanted(env: Mapping[str, str] | None = None, cpuinfo: str | None = None) -> bool:
    """Whether llama.cpp may repack weights: `LESSONL_LLAMA_REPACK` if set (1/0), else not on
    CPUs with AMX (where it crashes) and yes elsewhere."""
    value = (os.environ if env is None else env).get(REPACK_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return not cpu_has_amx(cpuinfo)


def disable_repacking(module: Any) -> bool:
    """Make `module.llama_model_default_params()` return `use_extra_bufts = False`.

    `module` is `llama_cpp.llama_cpp` (the ctypes bindings). Returns False, changing nothing,
    when this llama.cpp has no such field (an older or newer binding): the server then runs
    with the library's defaults, and the caller says so."""
    original: Callable[[], Any] = module.llama_model_default_params
    fields = {name for name, *_ in getattr(module.llama_model_params, "_fields_", ())}
    if "use_extra_bufts" not in fields:
        return False

    def without_extra_bufts() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    module.llama_model_default_params = without_extra_bufts
    return True


def main() -> None:
    import llama_cpp.llama_cpp as bindings
    from llama_cpp.server.__main__ import main as serve

    if repack_wanted():
        print("lessonl: llama.cpp weight repacking on (no AMX on this CPU)", file=sys.stderr)
    elif disable_repacking(bindings):
        print("lessonl: llama.cpp weight repacking off (use_extra_bufts = False)", file=sys.stderr)
    else:
        print(
            "lessonl: this llama.cpp has no use_extra_bufts parameter; running with its "
            "defaults (CPUs with AMX may crash: see docs/local-model.md)",
            file=sys.stderr,
        )
    sys.stdout.flush()
    serve()


if __name__ == "__main__":
    main()
