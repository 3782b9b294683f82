"""Regions: listing functions, prompt context, code extraction and splicing (real g++/ast)."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from lessonl.errors import UsageError
from lessonl.regions import (
    CONTEXT_LIMIT_CHARS,
    SpliceError,
    extract_code,
    find_function,
    list_functions,
    own_helpers,
    prompt_context,
    splice,
    splice_parts,
)

C_SRC = """\
#include <stdio.h>
#include <stdlib.h>

typedef struct { int n; double *v; } vec_t;
static int counter = 0;

double sum(const vec_t *x) {
    double s = 0;
    for (int i = 0; i < x->n; i++) s += x->v[i];
    return s;
}

int *find(int *a, int n, int key) {
    for (int i = 0; i < n; i++) if (a[i] == key) return a + i;
    return 0;
}
"""

CPP_SRC = """\
#pragma once
#include <vector>
#include <cstddef>

namespace stats {

template <typename T>
T total(const std::vector<T>& xs) {
    T s{};
    for (std::size_t i = 0; i < xs.size(); ++i) s += xs[i];
    return s;
}

struct Histogram {
    std::vector<int> bins;
    void add(int v) {
        for (std::size_t i = 0; i < bins.size(); ++i) {
            if (static_cast<int>(i) == v) bins[i]++;
        }
    }
    int peak() const;
};

inline int Histogram::peak() const {
    int best = 0;
    for (int b : bins) if (b > best) best = b;
    return best;
}

}  // namespace stats
"""

PY_SRC = '''\
"""A module."""
from __future__ import annotations

import os


class Model:
    @staticmethod
    def score(xs):
        def square(v):
            return v * v

        return sum(square(x) for x in xs)


def run(n):
    return [i for i in range(n)]
'''


def _gxx_syntax(code: str, tmp_path: Path, suffix: str = ".cpp") -> None:
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    path = tmp_path / f"spliced{suffix}"
    path.write_text(code)
    lang = ["-x", "c++", "-std=c++17"] if suffix != ".c" else ["-x", "c"]
    proc = subprocess.run(
        ["g++", *lang, "-fsyntax-only", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr + "\n---\n" + code


def test_lists_c_functions_with_ranges() -> None:
    fns = list_functions(C_SRC, "c")
    assert [(f.name, f.kind) for f in fns] == [("sum", "function"), ("find", "function")]
    s = fns[0]
    lines = C_SRC.splitlines()
    assert lines[s.start_line].startswith("double sum(")
    assert lines[s.end_line] == "}"
    assert C_SRC.encode()[s.start_byte : s.end_byte].decode().endswith("return s;\n}")


def test_lists_cpp_methods_templates_namespaces() -> None:
    fns = {f.qualified_name: f for f in list_functions(CPP_SRC, "cpp")}
    assert set(fns) == {"stats::total", "stats::Histogram::add", "stats::Histogram::peak"}
    total = fns["stats::total"]
    assert total.kind == "template"
    # the template header belongs to the function's range
    assert CPP_SRC.splitlines()[total.start_line] == "template <typename T>"
    assert fns["stats::Histogram::add"].kind == "method"
    assert fns["stats::Histogram::peak"].name == "peak"
    assert find_function(CPP_SRC, "cpp", "add").qualified_name == "stats::Histogram::add"
    assert find_function(CPP_SRC, "cpp", "Histogram::peak").name == "peak"


def test_lists_python_methods_and_nested() -> None:
    fns = {f.qualified_name: f for f in list_functions(PY_SRC, "python")}
    assert set(fns) == {"Model.score", "Model.score.square", "run"}
    assert fns["Model.score"].kind == "method"
    assert fns["Model.score.square"].kind == "nested"
    # decorators belong to the range
    assert PY_SRC.splitlines()[fns["Model.score"].start_line].strip() == "@staticmethod"


def test_find_function_missing_is_usage_error() -> None:
    with pytest.raises(UsageError, match="no function 'nope'"):
        find_function(C_SRC, "c", "nope")


def test_prompt_context_short_file_has_rest_of_file() -> None:
    ctx = prompt_context(C_SRC, "c", "sum")
    assert ctx.code.startswith("double sum(const vec_t *x) {")
    assert "#include <stdio.h>" in ctx.context
    assert "typedef struct" in ctx.context
    assert "int *find(" in ctx.context
    assert "s += x->v[i]" not in ctx.context  # the target itself is not repeated
    whole = prompt_context(C_SRC, "c", None)
    assert whole.code == C_SRC and whole.context == "" and whole.name is None


def test_prompt_context_long_file_elides_other_bodies() -> None:
    filler = "".join(
        f"int unused_{i}(int x) {{\n" + "    x = x * 3 + 1;\n" * 20 + "    return x;\n}\n\n"
        for i in range(60)
    )
    src = C_SRC + filler
    assert len(src) > CONTEXT_LIMIT_CHARS
    ctx = prompt_context(src, "c", "sum")
    assert len(ctx.context) <= CONTEXT_LIMIT_CHARS + 200
    assert "typedef struct { int n; double *v; } vec_t;" in ctx.context
    assert "#include <stdlib.h>" in ctx.context
    assert "s += x->v[i]" in ctx.code


def test_extract_code_prefers_language_then_longest_and_tolerates_open_fence() -> None:
    reply = "Text\n```\nplain longer block\nplain\nplain\n```\nmore\n```cpp\nint f();\n```\n"
    assert extract_code(reply, "cpp") == "int f();\n"
    assert extract_code("```\na\n```\n```\nlonger\nblock\n```", "c") == "longer\nblock\n"
    assert extract_code("Sure:\n```python\ndef f():\n    return 1\n", "python") == (
        "def f():\n    return 1\n"
    )
    assert extract_code("no code here", "python") is None


def test_splice_c_with_helper_and_include_compiles(tmp_path: Path) -> None:
    answer = extract_code(
        """Here is a faster version.
```c
#include <stdio.h>
#include <string.h>

static inline double add4(const double *p) { return p[0] + p[1] + p[2] + p[3]; }

double sum(const vec_t *x) {
    double s = 0;
    int i = 0;
    for (; i + 4 <= x->n; i += 4) s += add4(x->v + i);
    for (; i < x->n; i++) s += x->v[i];
    return s;
}

int main(void) { return 0; }
```""",
        "c",
    )
    assert answer is not None
    out = splice(C_SRC, "c", "sum", answer)
    assert out.count("#include <stdio.h>") == 1  # deduplicated
    assert out.index("#include <string.h>") < out.index("typedef struct")
    assert out.index("add4(const double") < out.index("double sum(")
    assert "int main" not in out  # a demo main would clash with the target's program
    assert "int *find(" in out  # the rest is untouched
    _gxx_syntax(out, tmp_path, ".c")


def test_splice_cpp_method_alone_with_helper_compiles(tmp_path: Path) -> None:
    answer = """\
#include <algorithm>
#include <vector>

static inline bool in_range(int v, std::size_t n) {
    return v >= 0 && static_cast<std::size_t>(v) < n;
}

void add(int v) {
    if (in_range(v, bins.size())) bins[v]++;
}
"""
    out = splice(CPP_SRC, "cpp", "add", answer)
    assert "#include <algorithm>" in out and out.count("#include <vector>") == 1
    assert out.index("in_range(int v") < out.index("struct Histogram")
    assert "if (in_range(v, bins.size())) bins[v]++;" in out
    assert "static_cast<int>(i) == v" not in out
    _gxx_syntax(out, tmp_path)


def test_splice_cpp_template_and_out_of_line_method(tmp_path: Path) -> None:
    answer = """```cpp
template <typename T>
T total(const std::vector<T>& xs) {
    T s{};
    for (const T& x : xs) s += x;
    return s;
}
```"""
    out = splice(CPP_SRC, "cpp", "total", extract_code(answer, "cpp") or "")
    assert out.count("template <typename T>") == 1
    assert "for (const T& x : xs) s += x;" in out
    _gxx_syntax(out, tmp_path)

    # A class given whole, with a new member helper next to the target method.
    answer2 = """
struct Histogram {
    std::vector<int> bins;
    int max_of(int a, int b) const { return a > b ? a : b; }
    void add(int v) { if (v >= 0 && v < (int)bins.size()) bins[v]++; }
};
inline int Histogram::peak() const {
    int best = 0;
    for (int b : bins) best = max_of(best, b);
    return best;
}
"""
    out2 = splice(CPP_SRC, "cpp", "stats::Histogram::peak", answer2)
    assert "best = max_of(best, b);" in out2
    assert "static_cast<int>(i) == v" in out2  # add() itself stays the user's
    # The class exists in the file, so the answer's copy of it is not pasted again.
    assert out2.count("struct Histogram") == 1

    answer3 = """
struct Histogram {
    std::vector<int> bins;
    int twice(int x) const { return x + x; }
    void add(int v) { bins[twice(v) / 2]++; }
};
"""
    out3 = splice(CPP_SRC, "cpp", "add", answer3)
    assert out3.index("int twice(int x) const") < out3.index("void add(int v)")
    assert out3.count("std::vector<int> bins;") == 1
    _gxx_syntax(out3, tmp_path)


def test_splice_python_method_keeps_decorator_and_parses() -> None:
    answer = """```python
import math
import os

def _sq(v):
    return v * v

def score(xs):
    return math.fsum(_sq(x) for x in xs)
```"""
    out = splice(PY_SRC, "python", "Model.score", extract_code(answer, "python") or "")
    ast.parse(out)
    assert out.count("import os") == 1
    assert out.index("import math") > out.index("from __future__")
    assert "    @staticmethod\n    def score(xs):\n        return math.fsum" in out
    assert out.index("def _sq") < out.index("class Model")
    ns: dict[str, object] = {}
    exec(compile(out, "spliced.py", "exec"), ns)
    assert ns["Model"].score([1, 2]) == 5.0  # type: ignore[attr-defined]


def test_splice_python_nested_and_whole_file() -> None:
    out = splice(PY_SRC, "python", "Model.score.square", "def square(v):\n    return v ** 2\n")
    ast.parse(out)
    assert "            return v ** 2" in out
    assert splice(PY_SRC, "python", None, "x = 1") == "x = 1\n"


def test_splice_without_target_raises() -> None:
    with pytest.raises(SpliceError, match="does not contain the function `sum`"):
        splice(C_SRC, "c", "sum", "double total(const vec_t *x) { return 0; }\n")
    with pytest.raises(SpliceError):
        splice(PY_SRC, "python", "run", "import os\n")


def test_splice_keeps_existing_types_and_globals_adds_new_ones(tmp_path: Path) -> None:
    # The model repeats the file's typedef and global (reformatted, a changed initializer):
    # they must not be pasted again (redefinition); its new constant table must be added.
    answer = """\
typedef struct {
    int n;
    double *v;
} vec_t;
static int counter = 1;
static const double K[4] = {1, 2, 3, 4};
double sum(const vec_t *x) { return K[0] * x->n; }
"""
    out = splice(C_SRC, "c", "sum", answer)
    assert out.count("vec_t;") == 1 and out.count("counter") == 1
    assert "static int counter = 0;" in out
    assert out.index("static const double K[4]") < out.index("double sum(")
    _gxx_syntax(out, tmp_path, ".c")


def test_prompt_context_very_long_file_keeps_what_the_target_calls() -> None:
    filler = "".join(f"int helper_{i}(int x) {{\n    return x + {i};\n}}\n\n" for i in range(900))
    src = C_SRC.replace("return s;", "return s + helper_3(1);") + filler
    ctx = prompt_context(src, "c", "sum")
    assert len(ctx.context) <= CONTEXT_LIMIT_CHARS
    assert "int helper_3(int x) { /* ... */ }" in ctx.context  # its signature, body elided
    assert "helper_500" not in ctx.context  # not used by the target: dropped
    assert "vec_t;" in ctx.context and "#include <stdio.h>" in ctx.context


# The target's own helpers (issue 20 part 1): `dfs_helper` is used only by `componentCount`,
# `degree` also by `maxDegree`.
GRAPH_CPP = """\
#include <algorithm>
#include <vector>

using Graph = std::vector<std::vector<int>>;

static void dfs_helper(int u, const Graph& adj, std::vector<char>& seen) {
    seen[u] = 1;
    for (int v : adj[u]) if (!seen[v]) dfs_helper(v, adj, seen);
}

static int degree(const Graph& adj, int u) { return (int)adj[u].size(); }

int componentCount(const Graph& adj) {
    std::vector<char> seen(adj.size(), 0);
    int n = 0;
    for (int u = 0; u < (int)adj.size(); ++u) {
        if (!seen[u] && degree(adj, u) >= 0) { dfs_helper(u, adj, seen); ++n; }
    }
    return n;
}

int maxDegree(const Graph& adj) {
    int best = 0;
    for (int u = 0; u < (int)adj.size(); ++u) best = std::max(best, degree(adj, u));
    return best;
}
"""

GRAPH_ANSWER = """\
#include <vector>

static inline void push_unseen(int v, std::vector<char>& seen, std::vector<int>& stack) {
    if (!seen[v]) { seen[v] = 1; stack.push_back(v); }
}

static void dfs_helper(int s, const Graph& adj, std::vector<char>& seen) {
    std::vector<int> stack;
    push_unseen(s, seen, stack);
    while (!stack.empty()) {
        int u = stack.back();
        stack.pop_back();
        for (int v : adj[u]) push_unseen(v, seen, stack);
    }
}

static int degree(const Graph& adj, int u) { return static_cast<int>(adj[u].size()); }

int componentCount(const Graph& adj) {
    std::vector<char> seen(adj.size(), 0);
    int n = 0;
    for (int u = 0; u < (int)adj.size(); ++u) if (!seen[u]) { dfs_helper(u, adj, seen); ++n; }
    return n;
}
"""


def test_splice_rewrites_the_targets_own_cpp_helper_and_reports_it(tmp_path: Path) -> None:
    assert [f.name for f in own_helpers(GRAPH_CPP, "cpp", "componentCount")] == ["dfs_helper"]
    assert prompt_context(GRAPH_CPP, "cpp", "componentCount").helpers == ("dfs_helper",)
    result = splice_parts(GRAPH_CPP, "cpp", "componentCount", GRAPH_ANSWER)
    out = result.text
    # The iterative helper replaced the recursive one, in place, once.
    assert "dfs_helper(v, adj, seen)" not in out
    assert out.count("static void dfs_helper(") == 1 and "stack.pop_back();" in out
    # The new helper it calls goes before it, so it compiles.
    assert out.index("push_unseen(int v") < out.index("static void dfs_helper(")
    assert splice(GRAPH_CPP, "cpp", "componentCount", GRAPH_ANSWER) == out
    used = {(p.kind, p.name) for p in result.used}
    assert used == {("target", "componentCount"), ("helper", "dfs_helper"), ("new", "push_unseen")}
    # `degree` is also used by maxDegree: its rewrite is not applied, and the report says why.
    assert "return (int)adj[u].size();" in out and "static_cast<int>(adj[u]" not in out
    (ignored,) = result.ignored
    assert ignored.name == "degree" and "`maxDegree`" in ignored.reason
    assert result.to_json()["ignored"][0]["reason"] == ignored.reason
    _gxx_syntax(out, tmp_path)


PY_HELPERS = """\
import math


def _dist(a, b):
    return math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)


class Points:
    def __init__(self, pts):
        self.pts = pts

    def _pairs(self):
        n = len(self.pts)
        return [(self.pts[i], self.pts[j]) for i in range(n) for j in range(i + 1, n)]

    def closest(self):
        return min(_dist(a, b) for a, b in self._pairs())

    def spread(self):
        return max(_dist(a, b) for a, b in self._pairs())


def nearest(p, pts):
    return min(pts, key=lambda q: _dist(p, q))
"""


def test_splice_rewrites_a_python_methods_own_helper_and_not_shared_ones() -> None:
    # `_pairs` is also used by `spread`, `_dist` by `nearest`: neither is closest's own.
    assert own_helpers(PY_HELPERS, "python", "Points.closest") == []
    solo = PY_HELPERS.replace("max(_dist(a, b) for a, b in self._pairs())", "0")
    assert [f.qualified_name for f in own_helpers(solo, "python", "Points.closest")] == [
        "Points._pairs"
    ]
    answer = """\
import itertools

def _pairs(self):
    return list(itertools.combinations(self.pts, 2))

def _dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])

def closest(self):
    return min(_dist(a, b) for a, b in self._pairs())
"""
    result = splice_parts(solo, "python", "Points.closest", answer)
    ast.parse(result.text)
    assert "    def _pairs(self):\n        return list(itertools.combinations" in result.text
    assert "import itertools" in result.text
    assert {(p.kind, p.name) for p in result.used} == {
        ("target", "Points.closest"),
        ("helper", "Points._pairs"),
        ("include", "import itertools"),
    }
    (ignored,) = result.ignored
    assert ignored.name == "_dist" and "`nearest`" in ignored.reason
    assert "math.hypot" not in result.text
    ns: dict[str, object] = {}
    exec(compile(result.text, "spliced.py", "exec"), ns)
    points = ns["Points"]([(0, 0), (3, 4), (10, 10)])  # type: ignore[operator]
    assert points.closest() == 5.0


# Issue 26: the original computes distances inline; the model's `closestPair` starts calling
# the file's `dist` (used by nothing else) and rewrites it; `dist2` is used by `farthest` too;
# `unused` is called by neither version of `closestPair`.
PAIRS_CPP = """\
#include <cmath>
#include <vector>
struct P { double x, y; };
static double dist(const P& a, const P& b) {
    return std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y));
}
static double dist2(const P& a, const P& b) {
    return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
}
static int unused(int v) { return v + 1; }
double farthest(const std::vector<P>& p) { return p.size() > 1 ? dist2(p[0], p[1]) : 0.0; }
double closestPair(const std::vector<P>& p) {
    double best = 1e300;
    for (size_t i = 0; i < p.size(); ++i)
        for (size_t j = i + 1; j < p.size(); ++j) {
            double dx = p[i].x - p[j].x, dy = p[i].y - p[j].y;
            best = std::min(best, std::sqrt(dx * dx + dy * dy));
        }
    return best;
}
"""
PAIRS_ANSWER = """\
static double dist(const P& a, const P& b) { return std::hypot(a.x - b.x, a.y - b.y); }
static double dist2(const P& a, const P& b) {
    double dx = a.x - b.x, dy = a.y - b.y;
    return dx * dx + dy * dy;
}
static int unused(int v) { return v + 2; }
double closestPair(const std::vector<P>& p) {
    double best = 1e300;
    for (size_t i = 0; i < p.size(); ++i)
        for (size_t j = i + 1; j < p.size(); ++j) best = std::min(best, dist2(p[i], p[j]));
    return best > 0 ? dist(P{0, 0}, P{std::sqrt(best), 0}) : 0.0;
}
"""


def test_a_helper_only_the_new_target_calls_is_rewritten_and_a_shared_one_is_said_to_be(
    tmp_path: Path,
) -> None:
    result = splice_parts(PAIRS_CPP, "cpp", "closestPair", PAIRS_ANSWER)
    out = result.text
    assert {(p.kind, p.name) for p in result.used} == {
        ("target", "closestPair"),
        ("helper", "dist"),
    }
    assert "std::hypot(a.x - b.x, a.y - b.y)" in out and out.count("double dist(") == 1
    reasons = {p.name: p.reason for p in result.ignored}
    assert set(reasons) == {"dist2", "unused"}
    # The reasons are right about the model's code: it does call dist2.
    assert "also used by `farthest`" in reasons["dist2"]
    assert "not called by" not in reasons["dist2"]
    assert "`closestPair` calls it neither in the file nor in the answer" in reasons["unused"]
    assert "return v + 1;" in out and "double dx = a.x - b.x" not in out
    _gxx_syntax(out, tmp_path)


# A docstring / Doxygen comment holding a fenced example: its closing fence line must not end
# the reply's code block (issue 29: every answer for such a function was refused).
PY_DOC_FENCE = '''def intcomma(value):
    """Format an integer with commas.

```python
>>> intcomma(1000)
'1,000'
```
    """
    return f"{value:,}"
'''

CPP_DOC_FENCE = """/**
 * Sum of the values.
```cpp
double s = sum(v);
```
 */
double sum(const std::vector<double>& v) {
    /* also:
```
sum({}) == 0
```
    */
    const char* raw = R"x(
```
)x";
    double s = 0;
    for (double x : v) s += x;  // ``` in a line comment
    return s;
}
"""


def test_extract_code_keeps_fences_inside_python_docstrings() -> None:
    reply = f"Here it is:\n```python\n{PY_DOC_FENCE}```\nThis is faster.\n"
    assert extract_code(reply, "python") == PY_DOC_FENCE
    assert find_function(PY_DOC_FENCE, "python", "intcomma") is not None
    single = '```python\ndef f():\n    return \'"""\'  # """\n```\nprose\n```\nx\n```\n'
    assert extract_code(single, "python") == 'def f():\n    return \'"""\'  # """\n'


def test_extract_code_keeps_fences_inside_cpp_comments_and_raw_strings() -> None:
    reply = f"```cpp\n{CPP_DOC_FENCE}```\nDone.\n"
    assert extract_code(reply, "cpp") == CPP_DOC_FENCE


def test_extract_code_a_reply_cut_inside_a_string_reads_as_before() -> None:
    # An unbalanced quote: the lexer believes the rest is a string; the first fence still closes.
    reply = '```python\ndef f():\n    """never closed\n    return 1\n```\nprose\n'
    assert extract_code(reply, "python") == 'def f():\n    """never closed\n    return 1\n'


def test_a_new_import_never_rebinds_a_name_the_file_binds() -> None:
    """The local model's answer for toolz's `frequencies` added `from itertools import
    groupby, filterfalse` to a file that defines its own `groupby`. An import binding a name
    the file already binds to something else (its own function, an optional import set in a
    top-level `try`) would change code nobody asked us to touch: a `from` import is cut down to
    the other names, any other import is left out, and each says why. Binding a name to what
    the file already binds it to (`filterfalse`, `os` by `import os.path`) is harmless. The
    result must still run: exec it."""
    source = (
        "import collections\n"
        "import os\n"
        "from itertools import filterfalse\n"
        "try:\n"
        "    import numpy as np\n"
        "except ImportError:\n"
        "    np = None\n"
        "\n\n"
        "def frequencies(seq):\n"
        "    d = collections.defaultdict(int)\n"
        "    for item in seq:\n"
        "        d[item] += 1\n"
        "    return dict(d)\n"
        "\n\n"
        "def groupby(key, seq):\n"
        "    return 'toolz groupby'\n"
    )
    answer = (
        "from itertools import groupby, filterfalse, chain as ch\n"
        "import numpy as np\n"
        "import collections\n"
        "import os.path\n"
        "from collections import Counter\n"
        "\n\n"
        "def frequencies(seq):\n"
        "    return dict(Counter(ch(seq)))\n"
    )
    result = splice_parts(source, "python", "frequencies", answer)
    reasons = {p.name: p.reason for p in result.ignored}
    assert set(reasons) == {
        "from itertools import groupby, filterfalse, chain as ch",
        "import numpy as np",
    }, reasons
    cut = reasons["from itertools import groupby, filterfalse, chain as ch"]
    assert cut.startswith("it would rebind `groupby`, which the file already binds")
    assert cut.endswith("`from itertools import filterfalse, chain as ch` was added instead")
    assert reasons["import numpy as np"].startswith("it would rebind `np`")
    assert reasons["import numpy as np"].endswith("it was not added")
    used = {p.name for p in result.used if p.kind == "include"}
    assert used == {
        "from itertools import filterfalse, chain as ch",
        "import os.path",
        "from collections import Counter",
    }
    namespace: dict[str, object] = {}
    exec(compile(result.text, "spliced.py", "exec"), namespace)
    assert namespace["frequencies"](["a", "b", "a"]) == {"a": 2, "b": 1}  # type: ignore[operator]
    assert namespace["groupby"](None, []) == "toolz groupby"  # type: ignore[operator]
