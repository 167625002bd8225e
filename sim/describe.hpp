// `retsim info`: what a retsim HDF5 file holds (run result, comparison, sweep or scores),
// as text for people and as JSON for scripts. Both are built from one reading of the file.
#pragma once

#include <string>
#include <string_view>

namespace retsim {

/// The kinds of HDF5 file retsim writes, told apart by the root attribute `content`
/// (absent in run results, docs/hdf5_layout.md).
enum class FileKind { Run, Comparison, Sweep, Scores };

/// "run", "comparison", "sweep" or "scores".
[[nodiscard]] std::string_view file_kind_name(FileKind kind);

/// The kind of the retsim file at `path`. Throws BadInput naming the file when it is missing,
/// not a regular file, not HDF5, or an HDF5 file retsim did not write (no `format_version`,
/// or an unknown `content`).
[[nodiscard]] FileKind retsim_file_kind(const std::string& path);

/// Human-readable description of a retsim file for `retsim info`: kind, provenance, the
/// scenario and the question it answers, headline figures, per-strategy, per-metric or
/// per-factor tables, and every dataset with its shape and units. Money is shown in currency
/// units. Throws RuntimeFailure when the file is missing, unreadable or not a retsim file.
[[nodiscard]] std::string describe_result_file(const std::string& path);

/// The same description as one JSON object (`retsim info --json`): money stays in cents as in
/// the file, NaN and infinities become null, and the scenario texts are included in full.
/// Throws as describe_result_file.
[[nodiscard]] std::string describe_result_file_json(const std::string& path);

}  // namespace retsim
