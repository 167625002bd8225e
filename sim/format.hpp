// Number formatting for people: thousands separators and money in currency units. Shared by
// the run summary and `retsim info`.
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

}  // namespace retsim
