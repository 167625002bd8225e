// libFuzzer target: sweep designs read from files (read_design_files: SALib parameter file and
// sample matrix) and --vary specs (parse_vary). Input: "PARAMS\n----\nSAMPLES\n----\nVARY
// lines". The two files are written to a per-process temporary directory because the reader
// takes paths, as `retsim sweep --design-file` does. Only BadInput (and RuntimeFailure for
// I/O) is an acceptable refusal; anything else is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "sim/problems.hpp"
#include "sim/sweep_design.hpp"

namespace {

std::string write_file(const std::string& name, const std::string& text) {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("retsim_fuzz_design_" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::string> parts = retsim::fuzz::split_parts(data, size, 3);
    const std::string params = write_file("params.txt", parts[0]);
    const std::string samples = write_file("samples.txt", parts.size() > 1 ? parts[1] : std::string());
    try {
        const retsim::Design d = retsim::read_design_files(params, samples);
        for (std::size_t r = 0; r < d.rows && r < 16; ++r) {
            for (std::size_t j = 0; j < d.factors.size(); ++j) (void)retsim::override_text(d.factors[j], d.at(r, j));
        }
    } catch (const retsim::BadInput&) {
    } catch (const retsim::RuntimeFailure&) {
    }
    if (parts.size() > 2) {
        int n = 0;
        for (const std::string& spec : retsim::fuzz::nonempty_lines(parts[2])) {
            if (++n > 8) break;
            for (const bool integer : {false, true}) {
                try {
                    const retsim::Factor f = retsim::parse_vary(spec, integer);
                    for (const double v : f.levels) (void)retsim::override_text(f, v);
                    (void)retsim::override_text(f, f.low);
                    (void)retsim::override_text(f, f.high);
                } catch (const retsim::BadInput&) {
                }
            }
        }
    }
    return 0;
}
