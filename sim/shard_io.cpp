// Shard files (see shard_io.hpp).
#include "sim/shard_io.hpp"

#include <vector>

#include "sim/hdf5_support.hpp"

namespace retsim {
namespace {

using namespace hdf5;

constexpr const char* kFormat = "retsim shard 1";

void write_file(const std::string& temporary, const std::string& path, const ShardResult& shard,
                const RunMetadata& meta) {
    const Context ctx(path);
    Handle fcpl = ctx.own(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "create the file");
    Handle file = ctx.own(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT), H5Fclose, "create the file");
    write_string_attribute(ctx, file, "/", "format", kFormat);
    write_string_attribute(ctx, file, "/", "program_version", meta.program_version);
    write_string_attribute(ctx, file, "/", "git_commit", meta.git_commit);
    write_string_attribute(ctx, file, "/", "scenario_name", meta.scenario_name);
    write_string_attribute(ctx, file, "/", "scenario_text", meta.scenario_text);
    write_strings_attribute(ctx, file, "/", "overrides", meta.overrides);
    write_scalar_attribute(ctx, file, "/", "seed", meta.seed);
    write_scalar_attribute(ctx, file, "/", "replicate", meta.replicate);
    write_string_attribute(ctx, file, "/", "created_utc", meta.created_utc);
    write_scalar_attribute(ctx, file, "/", "shard_index", std::uint64_t(shard.shard.index));
    write_scalar_attribute(ctx, file, "/", "shard_count", std::uint64_t(shard.shard.count));
    write_string_attribute(ctx, file, "/", "plan_fingerprint", shard.plan_fingerprint);
    write_scalar_attribute(ctx, file, "/", "wall_seconds", shard.wall_seconds);
    write_scalar_attribute(ctx, file, "/", "threads", std::int32_t(shard.threads));
    write_scalar_attribute(ctx, file, "/", "bytes_per_customer", std::uint64_t(shard.bytes_per_customer));
    write_dataset(ctx, file, "", "tallies", {hsize_t(shard.tallies.size())},
                  reinterpret_cast<const std::uint8_t*>(shard.tallies.data()), "1",
                  "the shard's exact integer tallies, host byte order (read by retsim merge)");
    ctx.check(file.close(), "close the file");
}

}  // namespace

void write_shard_file(const std::string& path, const ShardResult& shard, const RunMetadata& meta, bool overwrite) {
    silence_hdf5();
    write_through_temporary(path, overwrite,
                            [&](const std::string& temporary) { write_file(temporary, path, shard, meta); });
}

ShardFile read_shard_file(const std::string& path) {
    silence_hdf5();
    const Context ctx(path);
    if (!path_exists(path)) throw BadInput(path + ": no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) throw BadInput(path + ": not an HDF5 file");
    Handle file = ctx.own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open the file");
    if (ctx.value(H5Aexists(file, "format"), "read the format") <= 0 ||
        read_string_attribute(ctx, file, "format") != kFormat) {
        throw BadInput(path + ": not a retsim shard file (write one with retsim run --shard I/N)");
    }
    ShardFile out;
    RunMetadata& m = out.meta;
    m.program_version = read_string_attribute(ctx, file, "program_version");
    m.git_commit = read_string_attribute(ctx, file, "git_commit");
    m.scenario_name = read_string_attribute(ctx, file, "scenario_name");
    m.scenario_text = read_string_attribute(ctx, file, "scenario_text");
    m.overrides = read_strings_attribute(ctx, file, "overrides");
    m.seed = read_scalar_attribute<std::uint64_t>(ctx, file, "seed");
    m.replicate = read_scalar_attribute<std::uint64_t>(ctx, file, "replicate");
    m.created_utc = read_string_attribute(ctx, file, "created_utc");
    ShardResult& s = out.shard;
    s.shard.index = std::size_t(read_scalar_attribute<std::uint64_t>(ctx, file, "shard_index"));
    s.shard.count = std::size_t(read_scalar_attribute<std::uint64_t>(ctx, file, "shard_count"));
    s.plan_fingerprint = read_string_attribute(ctx, file, "plan_fingerprint");
    s.wall_seconds = read_scalar_attribute<double>(ctx, file, "wall_seconds");
    s.threads = read_scalar_attribute<std::int32_t>(ctx, file, "threads");
    s.bytes_per_customer = std::size_t(read_scalar_attribute<std::uint64_t>(ctx, file, "bytes_per_customer"));
    m.threads = s.threads;
    const std::string what = "read dataset /tallies";
    Handle set = ctx.own(H5Dopen2(file, "tallies", H5P_DEFAULT), H5Dclose, what);
    Handle space = ctx.own(H5Dget_space(set), H5Sclose, what);
    if (H5Sget_simple_extent_type(space) != H5S_NULL) {
        s.tallies.resize(std::size_t(ctx.value(H5Sget_simple_extent_npoints(space), what)));
        ctx.check(H5Dread(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.tallies.data()), what);
    }
    return out;
}

}  // namespace retsim
