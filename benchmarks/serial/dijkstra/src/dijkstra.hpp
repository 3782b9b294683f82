#pragma once
#include <cstdint>
#include <vector>

struct Edge {
    int from, to;
    int64_t weight;  // >= 0
};

// Shortest path lengths from `source` over directed edges (parallel edges and self-loops
// allowed); -1 for unreachable vertices. Dijkstra's algorithm picking the closest unfinished
// vertex by a scan over all vertices.
std::vector<int64_t> shortest_paths(int n, const std::vector<Edge>& edges, int source) {
    std::vector<std::vector<Edge>> out(n);
    for (const Edge& e : edges) out[e.from].push_back(e);
    std::vector<int64_t> dist(n, -1);
    std::vector<bool> done(n, false);
    dist[source] = 0;
    for (;;) {
        int u = -1;
        for (int v = 0; v < n; ++v) {
            if (!done[v] && dist[v] >= 0 && (u < 0 || dist[v] < dist[u])) u = v;
        }
        if (u < 0) break;
        done[u] = true;
        for (const Edge& e : out[u]) {
            int64_t d = dist[u] + e.weight;
            if (dist[e.to] < 0 || d < dist[e.to]) dist[e.to] = d;
        }
    }
    return dist;
}
