// Check and bench for bfs_distances (exact integer distances).
#include <algorithm>

#include "../src/bfs_distances.hpp"
#include "lessonl_bench.hpp"

using Edges = std::vector<std::pair<int, int>>;

static Edges random_edges(lb::Rng& rng, int n, int m) {
    Edges e(m);
    for (auto& [u, v] : e) {
        u = static_cast<int>(rng.uniform(0, n - 1));
        v = static_cast<int>(rng.uniform(0, n - 1));
    }
    return e;
}

// Oracle: Bellman-Ford style relaxation over the undirected edges until nothing changes.
static std::vector<int> oracle(int n, const Edges& edges, int source) {
    const int inf = 1 << 30;
    std::vector<int> d(n, inf);
    d[source] = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& [u, v] : edges) {
            if (d[u] + 1 < d[v]) d[v] = d[u] + 1, changed = true;
            if (d[v] + 1 < d[u]) d[u] = d[v] + 1, changed = true;
        }
    }
    for (int& x : d) x = x == inf ? -1 : x;
    return d;
}

static void check_case(int n, const Edges& edges, int source, const char* what) {
    auto want = oracle(n, edges, source);
    auto got = bfs_distances(n, edges, source);
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
    check_case(3, {}, 1, "no edges");
    check_case(2, {{0, 0}, {1, 1}}, 0, "self-loops only");
    check_case(4, {{1, 0}, {2, 1}, {3, 2}}, 0, "path given backwards");
    check_case(4, {{0, 1}, {0, 1}, {1, 0}}, 1, "repeated edges");
    for (int n : {5, 30, 300, 1500}) {
        for (int deg : {0, 1, 3}) {
            int m = n * deg / 2 + 1;
            check_case(n, random_edges(rng, n, m), static_cast<int>(rng.uniform(0, n - 1)), "random");
        }
    }
}

static void bench(lb::Rng& rng) {
    const int n = 5000, m = 15000;
    lb::time_reps(
        5, [&] { return random_edges(rng, n, m); },
        [&](Edges& e) {
            auto d = bfs_distances(n, e, 0);
            double sum = 0;
            for (int x : d) sum += x;
            return sum;
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
