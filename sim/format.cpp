// Number formatting for people (see format.hpp).
#include "sim/format.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace retsim {
namespace {

/// Appends "1,234,567" for 1234567 to `out`.
void append_grouped(std::string& out, std::uint64_t magnitude) {
    const std::string digits = std::to_string(magnitude);
    const std::size_t n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
}

std::uint64_t magnitude_of(std::int64_t v) { return v < 0 ? std::uint64_t{0} - std::uint64_t(v) : std::uint64_t(v); }

}  // namespace

std::string format_count(std::int64_t n) {
    std::string out;
    if (n < 0) out.push_back('-');
    append_grouped(out, magnitude_of(n));
    return out;
}

std::string format_money(double cents) {
    if (std::isnan(cents)) return "n/a";
    if (!std::isfinite(cents) || std::fabs(cents) >= 9e18) return cents > 0 ? "inf" : "-inf";
    const std::int64_t total = std::llround(cents);
    const std::uint64_t magnitude = magnitude_of(total);
    std::string out;
    if (total < 0) out.push_back('-');
    append_grouped(out, magnitude / 100);
    char fraction[4];
    std::snprintf(fraction, sizeof fraction, ".%02u", unsigned(magnitude % 100));
    out.append(fraction);
    return out;
}

std::string format_number(double value) {
    if (std::isfinite(value) && std::fabs(value) < 9e15 && (value == std::floor(value) || std::fabs(value) >= 1e4)) {
        return format_count(std::llround(value));
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

std::string utc_timestamp() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace retsim
