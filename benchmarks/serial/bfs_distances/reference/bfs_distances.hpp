#pragma once
#include <utility>
#include <vector>

// Breadth-first hop distances from `source` in the undirected graph on vertices 0..n-1 with the
// given edges (self-loops and repeated edges allowed). Unreachable vertices get -1.
// Compressed adjacency (CSR) built by counting: O(n + m) instead of O(n^2).
std::vector<int> bfs_distances(int n, const std::vector<std::pair<int, int>>& edges, int source) {
    std::vector<int> start(n + 1, 0);
    for (const auto& [u, v] : edges) {
        ++start[u + 1];
        ++start[v + 1];
    }
    for (int i = 0; i < n; ++i) start[i + 1] += start[i];
    std::vector<int> adj(start[n]);
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (const auto& [u, v] : edges) {
        adj[fill[u]++] = v;
        adj[fill[v]++] = u;
    }
    std::vector<int> dist(n, -1), queue(n);
    int head = 0, tail = 0;
    dist[source] = 0;
    queue[tail++] = source;
    while (head < tail) {
        int u = queue[head++];
        for (int k = start[u]; k < start[u + 1]; ++k) {
            int v = adj[k];
            if (dist[v] < 0) {
                dist[v] = dist[u] + 1;
                queue[tail++] = v;
            }
        }
    }
    return dist;
}
