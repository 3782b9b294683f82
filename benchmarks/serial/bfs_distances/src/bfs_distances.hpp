#pragma once
#include <queue>
#include <utility>
#include <vector>

// Breadth-first hop distances from `source` in the undirected graph on vertices 0..n-1 with the
// given edges (self-loops and repeated edges allowed). Unreachable vertices get -1.
std::vector<int> bfs_distances(int n, const std::vector<std::pair<int, int>>& edges, int source) {
    std::vector<std::vector<bool>> adjacent(n, std::vector<bool>(n, false));
    for (const auto& [u, v] : edges) {
        adjacent[u][v] = true;
        adjacent[v][u] = true;
    }
    std::vector<int> dist(n, -1);
    std::queue<int> frontier;
    dist[source] = 0;
    frontier.push(source);
    while (!frontier.empty()) {
        int u = frontier.front();
        frontier.pop();
        for (int v = 0; v < n; ++v) {
            if (adjacent[u][v] && dist[v] < 0) {
                dist[v] = dist[u] + 1;
                frontier.push(v);
            }
        }
    }
    return dist;
}
