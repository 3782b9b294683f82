"""Entry point when this folder is run by path (`python .../lessonl/auto/runner ...`).

Python puts this folder first on sys.path, where `compare.py` or `record.py` would shadow a
project module of the same name; so the folder is taken off sys.path and the package is loaded
under the private name `_lessonl_runner`.
"""

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _load() -> object:
    if __package__:  # run as `python -m lessonl.auto.runner`
        return importlib.import_module(f"{__package__}.cli")
    if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
        sys.path.pop(0)
    spec = importlib.util.spec_from_file_location(
        "_lessonl_runner", _HERE / "__init__.py", submodule_search_locations=[str(_HERE)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["_lessonl_runner"] = package
    spec.loader.exec_module(package)
    return importlib.import_module("_lessonl_runner.cli")


if __name__ == "__main__":
    sys.exit(_load().main(sys.argv[1:]))  # type: ignore[attr-defined]
