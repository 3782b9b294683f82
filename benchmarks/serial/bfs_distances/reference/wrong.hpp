#pragma once
#include <utility>
#include <vector>

// Wrong on purpose: follows edges only from u to v, as if the graph were directed.
std::vector<int> bfs_distances(int n, const std::vector<std::pair<int, int>>& edges, int source) {
    std::vector<std::vector<int>> adj(n);
    for (const auto& [u, v] : edges) adj[u].push_back(v);
    std::vector<int> dist(n, -1), queue;
    dist[source] = 0;
    queue.push_back(source);
    for (std::size_t head = 0; head < queue.size(); ++head) {
        int u = queue[head];
        for (int v : adj[u]) {
            if (dist[v] < 0) {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
        }
    }
    return dist;
}
