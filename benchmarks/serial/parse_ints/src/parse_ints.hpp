#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

// Parse "12,-7,0,42" into {12, -7, 0, 42}. Fields are decimal integers that fit in int64, with
// an optional leading '-'; no spaces; "" gives {}.
std::vector<int64_t> parse_ints(const std::string& csv) {
    std::vector<int64_t> values;
    std::stringstream stream(csv);
    std::string field;
    while (std::getline(stream, field, ',')) {
        values.push_back(std::stoll(field));
    }
    return values;
}
