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

// Wrong on purpose: a vertex is finalized when first reached, not when popped, so a later,
// shorter path through a cheaper route is ignored.
std::vector<int64_t> shortest_paths(int n, const std::vector<Edge>& edges, int source) {
    std::vector<std::vector<std::pair<int, int64_t>>> adj(n);
    for (const Edge& e : edges) adj[e.from].push_back({e.to, e.weight});
    std::vector<int64_t> dist(n, -1);
    using Item = std::pair<int64_t, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
    dist[source] = 0;
    heap.push({0, source});
    while (!heap.empty()) {
        auto [d, u] = heap.top();
        heap.pop();
        for (auto [v, w] : adj[u]) {
            if (dist[v] < 0) {
                dist[v] = d + w;
                heap.push({dist[v], v});
            }
        }
    }
    return dist;
}
