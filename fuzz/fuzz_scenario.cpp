// libFuzzer target: parse_scenario with --set overrides. Input: TOML text, then optionally a
// "----" line followed by up to 8 override lines ("dotted.key=value"). A scenario is either
// accepted or refused with BadInput; any other outcome (crash, other exception, sanitizer
// report, hang) is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_common.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> parts = retsim::fuzz::split_parts(data, size, 2);
    std::vector<std::string> overrides;
    if (parts.size() == 2) {
        overrides = retsim::fuzz::nonempty_lines(parts[1]);
        if (overrides.size() > 8) overrides.resize(8);
    }
    try {
        const retsim::Scenario s = retsim::parse_scenario(parts[0], "fuzz.toml", overrides);
        (void)s;
    } catch (const retsim::BadInput&) {
    }
    return 0;
}
