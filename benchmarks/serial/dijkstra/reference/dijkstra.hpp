#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

struct Edge {
    int from, to;
    int64_t weight;  // >= 0
};

// Shortest path lengths from `source` over directed edges (parallel edges and self-loops
// allowed); -1 for unreachable vertices. Dijkstra with a binary heap and lazy deletion over a
// CSR adjacency: O((n + m) log n).
std::vector<int64_t> shortest_paths(int n, const std::vector<Edge>& edges, int source) {
    std::vector<int> start(n + 1, 0);
    for (const Edge& e : edges) ++start[e.from + 1];
    for (int i = 0; i < n; ++i) start[i + 1] += start[i];
    std::vector<std::pair<int, int64_t>> adj(edges.size());
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (const Edge& e : edges) adj[fill[e.from]++] = {e.to, e.weight};
    std::vector<int64_t> dist(n, -1);
    using Item = std::pair<int64_t, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
    dist[source] = 0;
    heap.push({0, source});
    while (!heap.empty()) {
        auto [d, u] = heap.top();
        heap.pop();
        if (d != dist[u]) continue;  // stale entry
        for (int k = start[u]; k < start[u + 1]; ++k) {
            auto [v, w] = adj[k];
            int64_t nd = d + w;
            if (dist[v] < 0 || nd < dist[v]) {
                dist[v] = nd;
                heap.push({nd, v});
            }
        }
    }
    return dist;
}
