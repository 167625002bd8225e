// The readable summary printed on stdout at the end of a run.
#pragma once

#include <cstdint>
#include <string>

#include "sim/result.hpp"
#include "sim/scenario.hpp"

namespace retsim {

/// Cents as currency units with thousands separators: 123456789 -> "1,234,567.89".
[[nodiscard]] std::string format_money(double cents);
/// An integer with thousands separators.
[[nodiscard]] std::string format_count(std::int64_t n);

/// Multi-line summary of a run: customers, stages against truth at the end, money, channels,
/// throughput.
[[nodiscard]] std::string format_summary(const Scenario& scenario, const RunResult& result);

}  // namespace retsim
