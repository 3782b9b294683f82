"""C/C++ projects without a hand-written target, for the automatic native target's tests.

`tests/data/native_cmake`: a CMake project whose header `include/pairs.hpp` defines
`count_pairs_below` (quadratic) and whose ctest test checks small cases, negative values
included. `DRIVER` is the differential driver the scripted model writes for it: non-negative
values only, sizes up to 1000. The variants below are real code, each caught by one judge only:

- FAST: sort and two pointers, correct and much faster;
- NEGATIVES: wrong on negative values: only the project's test has them;
- LARGE: wrong beyond 64 elements: only the driver has such inputs;
- OVERREAD: reads one element past the end, which never changes the count: only the
  sanitizers see it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILE = "include/pairs.hpp"
FUNCTION = "count_pairs_below"

DRIVER = r"""#include "lessonl_driver.h"
#include "include/pairs.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

static std::uint64_t state = 12345;
static int next_value(int range) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((state >> 33) % (std::uint64_t)range);
}

static int *make(std::size_t n) {
    int *v = new int[n ? n : 1];
    for (std::size_t i = 0; i < n; ++i) v[i] = next_value(1000);
    return v;
}

int main(int argc, char **argv) {
    if (lessonl_timing(argc, argv)) {
        const std::size_t n = 3000;
        int *base = make(n);
        for (int rep = 0; rep < 5; ++rep) {
            std::vector<int> copy(base, base + n);
            LESSONL_TIMED(lessonl_sink_u64(
                (unsigned long long)count_pairs_below(copy.data(), n, 1000)));
        }
        delete[] base;
        return 0;
    }
    const std::size_t sizes[] = {0, 1, 2, 3, 10, 65, 100, 1000};
    const int limits[] = {0, 500, 1000, 1500};
    for (std::size_t n : sizes) {
        int *v = make(n);
        for (int limit : limits) {
            std::printf("%zu %d %lld\n", n, limit, count_pairs_below(v, n, limit));
        }
        delete[] v;
    }
    return 0;
}
"""

#: A driver whose output changes from run to run (it prints the clock): dropped.
UNSTABLE_DRIVER = r"""#include "lessonl_driver.h"
#include "include/pairs.hpp"
#include <cstdio>

int main(int argc, char **argv) {
    int *v = new int[4]{1, 2, 3, 4};
    if (lessonl_timing(argc, argv)) {
        LESSONL_TIMED(lessonl_sink_u64((unsigned long long)count_pairs_below(v, 4, 5)));
    } else {
        std::printf("%lld %.9f\n", count_pairs_below(v, 4, 5), lessonl_clock(CLOCK_MONOTONIC));
    }
    delete[] v;
    return 0;
}
"""

FAST = """inline long long count_pairs_below(const int* v, std::size_t n, int limit) {
    std::vector<int> s(v, v + n);
    std::sort(s.begin(), s.end());
    long long count = 0;
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
        if ((long long)s[lo] + s[hi - 1] < limit) {
            count += (long long)(hi - 1 - lo);
            ++lo;
        } else {
            --hi;
        }
    }
    return count;
}
"""

NEGATIVES = """inline long long count_pairs_below(const int* v, std::size_t n, int limit) {
    long long count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if ((unsigned)v[i] + (unsigned)v[j] < (unsigned)limit) {
                ++count;
            }
        }
    }
    return count;
}
"""

LARGE = """inline long long count_pairs_below(const int* v, std::size_t n, int limit) {
    long long count = 0;
    std::size_t m = n < 64 ? n : 64;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = i + 1; j < m; ++j) {
            if (v[i] + v[j] < limit) {
                ++count;
            }
        }
    }
    return count;
}
"""

OVERREAD = """inline long long count_pairs_below(const int* v, std::size_t n, int limit) {
    long long count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j <= n; ++j) {
            int x = v[j];
            count += (j < n) & (v[i] + x < limit);
        }
    }
    return count;
}
"""


def variant(original: str, function_text: str) -> str:
    """The header with `count_pairs_below` replaced by `function_text`."""
    start = original.index("inline long long count_pairs_below")
    return original[:start] + function_text


def make_project(tmp: Path, name: str = "native_cmake", config: str = "") -> Path:
    root = tmp / "proj"
    shutil.copytree(DATA / name, root)
    (root / "lessonl.toml").write_text(config, encoding="utf-8")
    return root


def agent_config(base_url: str, run: str = "") -> str:
    return (
        f'[run]\ncache = false\n{run}\n\n[[agents]]\nname = "a"\nprovider = "openai"\n'
        f'model = "a"\nbase_url = "{base_url}"\nmax_retries = 0\napi_key_env = "NO_KEY_NEEDED"\n'
    )


#: tests/data/native_ccj: only a compile_commands.json (flags -Iinclude -DDOT_SCALE=1.0), a
#: floating-point `dot` in src/dot.cpp, no tests.
DOT_DRIVER = r"""#include "lessonl_driver.h"
#include "src/dot.cpp"

#include <cstdint>
#include <vector>

static std::uint64_t state = 7;
static double next_value() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

int main(int argc, char **argv) {
    if (lessonl_timing(argc, argv)) {
        std::vector<double> a(1 << 16), b(1 << 16);
        for (std::size_t i = 0; i < a.size(); ++i) { a[i] = next_value(); b[i] = next_value(); }
        for (int rep = 0; rep < 5; ++rep) {
            LESSONL_TIMED(for (int k = 0; k < 50; ++k)
                              lessonl_sink_double(dot(a.data(), b.data(), (int)a.size())));
        }
        return 0;
    }
    const int sizes[] = {0, 1, 2, 3, 7, 100, 1001};
    for (int n : sizes) {
        std::vector<double> a(n), b(n);
        for (int i = 0; i < n; ++i) { a[i] = next_value(); b[i] = next_value(); }
        lessonl_print_double(dot(a.data(), b.data(), n));
        std::printf("\n");
    }
    return 0;
}
"""

#: Four partial sums: the same result up to rounding (within the check's tolerance).
DOT_UNROLLED = """double dot(const double* a, const double* b, int n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i] * DOT_SCALE;
        s1 += a[i + 1] * b[i + 1] * DOT_SCALE;
        s2 += a[i + 2] * b[i + 2] * DOT_SCALE;
        s3 += a[i + 3] * b[i + 3] * DOT_SCALE;
    }
    for (; i < n; ++i) {
        s0 += a[i] * b[i] * DOT_SCALE;
    }
    return (s0 + s1) + (s2 + s3);
}
"""

#: Forgets the tail: wrong whenever n is not a multiple of 4.
DOT_NO_TAIL = """double dot(const double* a, const double* b, int n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int i = 0; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i] * DOT_SCALE;
        s1 += a[i + 1] * b[i + 1] * DOT_SCALE;
        s2 += a[i + 2] * b[i + 2] * DOT_SCALE;
        s3 += a[i + 3] * b[i + 3] * DOT_SCALE;
    }
    return (s0 + s1) + (s2 + s3);
}
"""


#: Right up to 1500 elements, one pair short beyond: neither the driver (1000 at most) nor the
#: project's test sees it; the skeptic's program below does.
BEYOND = FAST.replace("    return count;\n}", "    return n > 1500 ? count - 1 : count;\n}")

SKEPTIC_PROGRAM = r"""#include "lessonl_driver.h"
#include "include/pairs.hpp"

#include <cstdio>
#include <vector>

int main() {
    const std::size_t sizes[] = {0, 1, 4, 5, 17, 1499, 1500, 1501, 2000};
    for (std::size_t n : sizes) {
        std::vector<int> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = (int)((i * 37) % 101) - 50;
        std::printf("%zu %lld\n", n, count_pairs_below(v.data(), n, 0));
    }
    return 0;
}
"""


#: tests/data/native_shapes: only a compile_commands.json; include/shapes.hpp holds the class
#: `geo::Polygon` (a constructor, a destructor, an out-of-line `area` defined in
#: src/shapes.cpp, an inline `perimeter`, an operator, a private `cross`) and the function
#: template `geo::dot`, slow on purpose (a list node per product). src/shapes.cpp also holds a
#: lambda.
SHAPES_HEADER = "include/shapes.hpp"
SHAPES_UNIT = "src/shapes.cpp"

#: Instantiates `dot` for double and for long long, as the driver prompt asks of a template.
TEMPLATE_DRIVER = r"""#include "lessonl_driver.h"
#include "include/shapes.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

static std::uint64_t state = 11;
static std::uint64_t next_bits() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 11;
}

int main(int argc, char **argv) {
    if (lessonl_timing(argc, argv)) {
        std::vector<double> a(1 << 16), b(1 << 16);
        for (std::size_t i = 0; i < a.size(); ++i) {
            a[i] = (double)(next_bits() % 1000) / 7.0;
            b[i] = (double)(next_bits() % 1000) / 3.0;
        }
        for (int rep = 0; rep < 5; ++rep) {
            LESSONL_TIMED(for (int k = 0; k < 10; ++k) lessonl_sink_double(geo::dot(a, b)));
        }
        return 0;
    }
    const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 1001};
    for (std::size_t n : sizes) {
        std::vector<double> a(n), b(n);
        std::vector<long long> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = (double)(next_bits() % 2001) / 10.0 - 100.0;
            b[i] = (double)(next_bits() % 2001) / 10.0 - 100.0;
            x[i] = (long long)(next_bits() % 20001) - 10000;
            y[i] = (long long)(next_bits() % 20001) - 10000;
        }
        lessonl_print_double(geo::dot<double>(a, b));
        std::printf(" %lld\n", geo::dot<long long>(x, y));
    }
    return 0;
}
"""

#: One pass, four accumulators, no allocation: the same up to rounding, much faster.
DOT_TEMPLATE_FAST = """template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
    T s0 = T(), s1 = T(), s2 = T(), s3 = T();
    std::size_t n = a.size(), i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) {
        s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
}
"""

#: Forgets the tail: wrong whenever the size is not a multiple of 4.
DOT_TEMPLATE_NO_TAIL = DOT_TEMPLATE_FAST.replace(
    "    for (; i < n; ++i) {\n        s0 += a[i] * b[i];\n    }\n", ""
)

#: Builds polygons through the public constructor, calls the out-of-line method.
AREA_DRIVER = r"""#include "lessonl_driver.h"
#include "src/shapes.cpp"

#include <cstdint>
#include <cstdio>
#include <vector>

static std::uint64_t state = 5;
static double next_coordinate() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)((state >> 33) % 2001) / 10.0 - 100.0;
}

static geo::Polygon make(std::size_t n) {
    std::vector<geo::Point> points(n);
    for (std::size_t i = 0; i < n; ++i) {
        double x = next_coordinate();
        points[i] = geo::Point{x, next_coordinate()};
    }
    return geo::Polygon(points);
}

int main(int argc, char **argv) {
    if (lessonl_timing(argc, argv)) {
        geo::Polygon big = make(1 << 16);
        for (int rep = 0; rep < 5; ++rep) {
            LESSONL_TIMED(for (int k = 0; k < 20; ++k) lessonl_sink_double(big.area()));
        }
        return 0;
    }
    const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 17, 1000};
    for (std::size_t n : sizes) {
        geo::Polygon p = make(n);
        lessonl_print_double(p.area());
        std::printf("\n");
    }
    return 0;
}
"""

#: The signed area: wrong for every clockwise polygon.
AREA_SIGNED = """double geo::Polygon::area() const {
    double twice = 0.0;
    for (std::size_t i = 0; i < points_.size(); ++i) {
        twice += cross(i, (i + 1) % points_.size());
    }
    return twice / 2.0;
}
"""

#: No modulo in the loop: the closing edge handled after it. The same result.
AREA_NO_MODULO = """double geo::Polygon::area() const {
    std::size_t n = points_.size();
    if (n == 0) {
        return 0.0;
    }
    double twice = 0.0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        twice += cross(i, i + 1);
    }
    twice += cross(n - 1, 0);
    return std::fabs(twice) / 2.0;
}
"""

#: Calls the inline `perimeter` on polygons it builds.
PERIMETER_DRIVER = AREA_DRIVER.replace('#include "src/shapes.cpp"', '#include "include/shapes.hpp"')
PERIMETER_DRIVER = PERIMETER_DRIVER.replace("area()", "perimeter()")

#: Forgets the closing edge.
PERIMETER_OPEN = """double perimeter() const {
        double total = 0.0;
        for (std::size_t i = 0; i + 1 < points_.size(); ++i) {
            const Point& a = points_[i];
            const Point& b = points_[i + 1];
            total += std::sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y));
        }
        return total;
    }
"""

#: std::hypot and no modulo: the same within the check's tolerance.
PERIMETER_HYPOT = """double perimeter() const {
        const std::size_t n = points_.size();
        double total = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const Point& a = points_[i];
            const Point& b = points_[i + 1 == n ? 0 : i + 1];
            total += std::hypot(b.x - a.x, b.y - a.y);
        }
        return total;
    }
"""
