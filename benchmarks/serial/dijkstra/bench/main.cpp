// Check and bench for shortest_paths (exact integer distances).
#include "../src/dijkstra.hpp"
#include "lessonl_bench.hpp"

static std::vector<Edge> random_edges(lb::Rng& rng, int n, int m, int64_t max_w) {
    std::vector<Edge> e(m);
    for (Edge& x : e) {
        x.from = static_cast<int>(rng.uniform(0, n - 1));
        x.to = static_cast<int>(rng.uniform(0, n - 1));
        x.weight = rng.uniform(0, max_w);
    }
    return e;
}

// Oracle: Bellman-Ford.
static std::vector<int64_t> oracle(int n, const std::vector<Edge>& edges, int source) {
    std::vector<int64_t> d(n, -1);
    d[source] = 0;
    for (int round = 0; round < n; ++round) {
        bool changed = false;
        for (const Edge& e : edges) {
            if (d[e.from] >= 0 && (d[e.to] < 0 || d[e.from] + e.weight < d[e.to])) {
                d[e.to] = d[e.from] + e.weight;
                changed = true;
            }
        }
        if (!changed) break;
    }
    return d;
}

static void check_case(int n, const std::vector<Edge>& edges, int source, const char* what) {
    auto want = oracle(n, edges, source);
    auto got = shortest_paths(n, edges, source);
    if (got.size() != want.size()) lb::fail(lb::str(what, " n=", n, ": ", got.size(), " distances"));
    for (int v = 0; v < n; ++v) {
        if (got[v] != want[v]) {
            lb::fail(lb::str(what, " n=", n, " m=", edges.size(), " source=", source, ": dist[", v,
                             "] = ", got[v], ", expected ", want[v]));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case(1, {}, 0, "single vertex");
    check_case(3, {{0, 1, 5}}, 2, "source without edges");
    check_case(3, {{0, 1, 10}, {0, 2, 1}, {2, 1, 2}}, 0, "detour is shorter");
    check_case(2, {{0, 1, 9}, {0, 1, 4}, {0, 1, 7}, {1, 1, 0}}, 0, "parallel edges and self-loop");
    check_case(3, {{0, 1, 0}, {1, 2, 0}}, 0, "zero weights");
    for (int n : {5, 40, 400}) {
        for (int deg : {1, 3, 8}) {
            check_case(n, random_edges(rng, n, n * deg, 1000), static_cast<int>(rng.uniform(0, n - 1)), "random");
            check_case(n, random_edges(rng, n, n * deg, 2), 0, "small weights, many ties");
        }
    }
}

static void bench(lb::Rng& rng) {
    const int n = 4000, m = 16000;
    lb::time_reps(
        5, [&] { return random_edges(rng, n, m, 1000000); },
        [&](std::vector<Edge>& e) {
            auto d = shortest_paths(n, e, 0);
            double sum = 0;
            for (int64_t x : d) sum += static_cast<double>(x);
            return sum;
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
