// The readable summary printed on stdout at the end of a run.
#pragma once

#include <cstdint>
#include <string>

#include "sim/result.hpp"
#include "sim/scenario.hpp"

namespace retsim {

/// Multi-line summary of a run: customers, stages against truth at the end, money, channels,
/// throughput.
[[nodiscard]] std::string format_summary(const Scenario& scenario, const RunResult& result);

}  // namespace retsim
