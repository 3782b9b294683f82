#include "shapes.hpp"

namespace {
auto squared = [](double v) { return v * v; };
}

double geo::Polygon::area() const {
    double twice = 0.0;
    for (std::size_t i = 0; i < points_.size(); ++i) {
        twice += cross(i, (i + 1) % points_.size());
    }
    return std::fabs(twice) / 2.0 + squared(0.0);
}
