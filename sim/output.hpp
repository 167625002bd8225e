// HDF5 results: the layout is documented in docs/hdf5_layout.md and versioned by the root
// attribute format_version. A result is written under a temporary name and renamed only when
// complete, so no half-written file ever carries the final name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/result.hpp"

namespace retsim {

inline constexpr const char* kFormatVersion = "1.1";

/// Provenance stored as root attributes.
struct RunMetadata {
    std::string program_version;
    std::string git_commit;
    std::string scenario_name;  ///< path or "<built-in default>"
    std::string scenario_text;  ///< the TOML text as given
    std::vector<std::string> overrides;  ///< --set strings, in order
    std::uint64_t seed = 0;
    std::uint64_t replicate = 0;
    int threads = 0;
    std::string created_utc;  ///< ISO 8601
};

/// Call first in main(): HDF5 must not close files itself when the program exits. After a
/// failed close (a full disk) HDF5 1.10 keeps the file in its tables and crashes retrying the
/// close at exit; every file retsim writes is closed (or abandoned and removed) explicitly.
void keep_hdf5_from_closing_files_at_exit();

/// Writes `result` to `path`. Refuses (BadInput) when `path` exists and `overwrite` is false.
/// Throws RuntimeFailure on I/O or HDF5 errors; the temporary file is removed on failure.
void write_result(const std::string& path, const RunResult& result, const RunMetadata& meta,
                  bool overwrite);


}  // namespace retsim
