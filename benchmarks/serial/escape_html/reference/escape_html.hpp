#pragma once
#include <array>
#include <cstring>
#include <string>

// HTML-escape s: & < > " ' become &amp; &lt; &gt; &quot; &#39;; every other byte is copied.
// A 256-entry table gives each byte's extra length; one pass sizes the output exactly and a
// second fills it, copying runs of ordinary bytes in bulk.
std::string escape_html(const std::string& s) {
    static const std::array<unsigned char, 256> extra = [] {
        std::array<unsigned char, 256> t{};
        t['&'] = 4;
        t['<'] = 3;
        t['>'] = 3;
        t['"'] = 5;
        t['\''] = 4;
        return t;
    }();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t size = n;
    for (std::size_t i = 0; i < n; ++i) size += extra[p[i]];
    if (size == n) return s;
    std::string out(size, '\0');
    char* o = out.data();
    std::size_t i = 0;
    while (i < n) {
        std::size_t run = i;
        while (i < n && extra[p[i]] == 0) ++i;
        std::memcpy(o, p + run, i - run);
        o += i - run;
        if (i == n) break;
        const char* rep = p[i] == '&' ? "&amp;" : p[i] == '<' ? "&lt;" : p[i] == '>' ? "&gt;"
                        : p[i] == '"' ? "&quot;" : "&#39;";
        std::memcpy(o, rep, extra[p[i]] + 1);
        o += extra[p[i]] + 1;
        ++i;
    }
    return out;
}
