// Shared by the libFuzzer targets: splitting one fuzz input into parts, and the rule that
// BadInput and RuntimeFailure are the only acceptable ways for input to be refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace retsim::fuzz {

/// The separator line between the parts of one input: "PART\n----\nPART...".
inline constexpr std::string_view kSeparator = "\n----\n";

/// Splits `data` at every separator line into at most `max_parts` parts (the last part keeps
/// any further separators).
inline std::vector<std::string> split_parts(const std::uint8_t* data, std::size_t size, std::size_t max_parts) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (parts.size() + 1 < max_parts) {
        const std::size_t at = all.find(kSeparator, start);
        if (at == std::string_view::npos) break;
        parts.emplace_back(all.substr(start, at - start));
        start = at + kSeparator.size();
    }
    parts.emplace_back(all.substr(start));
    return parts;
}

/// Splits text into lines ('\n'), dropping empty ones.
inline std::vector<std::string> nonempty_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

}  // namespace retsim::fuzz
