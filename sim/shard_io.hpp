// Shard files: what `retsim run --shard I/N` writes and `retsim merge` reads. One HDF5 file
// per shard holds its exact tallies (bytes) with the scenario text, overrides and plan
// fingerprint, so that merging can refuse shards that do not belong together.
#pragma once

#include <string>

#include "sim/engine.hpp"
#include "sim/output.hpp"

namespace retsim {

/// A shard file's content.
struct ShardFile {
    ShardResult shard;
    RunMetadata meta;  ///< of the shard's run (threads: of this shard)
};

/// Writes a shard file, first as PATH.partial-<pid>, renamed when complete. Refuses (BadInput)
/// when `path` exists and `overwrite` is false; RuntimeFailure on I/O or HDF5 errors.
void write_shard_file(const std::string& path, const ShardResult& shard, const RunMetadata& meta, bool overwrite);

/// Reads a shard file. RuntimeFailure when it cannot be read; BadInput when it is not a
/// retsim shard file.
[[nodiscard]] ShardFile read_shard_file(const std::string& path);

}  // namespace retsim
