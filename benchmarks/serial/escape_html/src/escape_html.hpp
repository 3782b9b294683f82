#pragma once
#include <sstream>
#include <string>

// HTML-escape s: & < > " ' become &amp; &lt; &gt; &quot; &#39;; every other byte is copied.
std::string escape_html(const std::string& s) {
    std::ostringstream out;
    for (char c : s) {
        switch (c) {
            case '&': out << "&amp;"; break;
            case '<': out << "&lt;"; break;
            case '>': out << "&gt;"; break;
            case '"': out << "&quot;"; break;
            case '\'': out << "&#39;"; break;
            default: out << c;
        }
    }
    return out.str();
}
