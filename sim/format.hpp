// Formatting for people: thousands separators, money in currency units, timestamps. Shared
// by the run summary, `retsim info` and the files the commands write.
#pragma once

#include <cstdint>
#include <string>

namespace retsim {

/// An integer with thousands separators: -1234567 -> "-1,234,567".
[[nodiscard]] std::string format_count(std::int64_t n);
/// Cents as currency units with two decimals: 123456789 -> "1,234,567.89"; NaN -> "n/a".
[[nodiscard]] std::string format_money(double cents);
/// Whole or large numbers with thousands separators, others to 6 significant digits.
[[nodiscard]] std::string format_number(double value);
/// The current time in UTC, ISO 8601 ("2026-11-23T09:32:16Z").
[[nodiscard]] std::string utc_timestamp();

}  // namespace retsim
