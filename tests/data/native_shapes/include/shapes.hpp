#pragma once
#include <cmath>
#include <cstddef>
#include <list>
#include <utility>
#include <vector>

namespace geo {

struct Point {
    double x, y;
};

class Polygon {
public:
    explicit Polygon(std::vector<Point> points) : points_(std::move(points)) {}
    ~Polygon() {}
    std::size_t size() const { return points_.size(); }
    // The shoelace formula (defined in src/shapes.cpp).
    double area() const;
    double perimeter() const {
        double total = 0.0;
        for (std::size_t i = 0; i < points_.size(); ++i) {
            const Point& a = points_[i];
            const Point& b = points_[(i + 1) % points_.size()];
            total += std::sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y));
        }
        return total;
    }
    bool operator==(const Polygon& other) const { return points_.size() == other.points_.size(); }

private:
    double cross(std::size_t i, std::size_t j) const {
        return points_[i].x * points_[j].y - points_[j].x * points_[i].y;
    }
    std::vector<Point> points_;
};

// Slow on purpose: every product goes through a freshly allocated list node.
template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
    std::list<T> products;
    for (std::size_t i = 0; i < a.size(); ++i) {
        products.push_back(a[i] * b[i]);
    }
    T sum = T();
    for (const T& p : products) {
        sum += p;
    }
    return sum;
}

}  // namespace geo
