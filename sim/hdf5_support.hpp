// HDF5 plumbing shared by the files that read and write HDF5 (results, scores, comparisons,
// sweeps, shard files, descriptions): owned handles, failing calls turned into RuntimeFailure
// naming the file, the mapping of C++ types to little-endian file types, and the attribute and
// group writers they share. Not for other includers: HDF5 stays in those .cpp files.
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/lifecycle.hpp"
#include "sim/problems.hpp"

namespace retsim::hdf5 {

/// HDF5 prints its error stack to stderr by default; library code must not print.
inline void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

/// The most specific message on HDF5's error stack (often the errno text), then clears it.
inline std::string hdf5_detail() {
    std::string detail;
    const auto take_innermost = [](unsigned n, const H5E_error2_t* error, void* data) -> herr_t {
        if (n == 0 && error != nullptr && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &detail);
    H5Eclear2(H5E_DEFAULT);
    // A failed write names the system's reason among many fields (time, buffer address, ...):
    // keep the reason, e.g. "No space left on device".
    const std::string marker = "error message = '";
    const auto at = detail.find(marker);
    if (at != std::string::npos) {
        const auto from = at + marker.size();
        const auto to = detail.find('\'', from);
        if (to != std::string::npos) return detail.substr(from, to - from);
    }
    return detail;
}

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            closer_ = other.closer_;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }
    // Implicit so that handles pass straight into the C API, like the hid_t they wrap.
    operator hid_t() const { return id_; }  // NOLINT(google-explicit-constructor)
    /// Closes now and reports the status (closing a file flushes it, which can fail).
    herr_t close() { return id_ >= 0 ? closer_(std::exchange(id_, H5I_INVALID_HID)) : 0; }

private:
    void reset() {
        if (id_ >= 0) closer_(std::exchange(id_, H5I_INVALID_HID));
    }
    hid_t id_ = H5I_INVALID_HID;
    Closer closer_ = nullptr;
};

/// Turns negative HDF5 returns into RuntimeFailure naming `path`.
class Context {
public:
    explicit Context(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& what) const {
        std::string message = path_ + ": cannot " + what;
        const std::string detail = hdf5_detail();
        if (!detail.empty()) message += " (HDF5: " + detail + ")";
        throw RuntimeFailure(message);
    }
    Handle own(hid_t id, Handle::Closer closer, const std::string& what) const {
        if (id < 0) fail(what);
        return Handle(id, closer);
    }
    void check(herr_t status, const std::string& what) const {
        if (status < 0) fail(what);
    }
    /// For htri_t (and other signed) results: negative is an error, else the value.
    template <class T>
    T value(T result, const std::string& what) const {
        if (result < 0) fail(what);
        return result;
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// Little-endian standard types in the file, native types in memory.
template <class T>
struct H5Type;
#define RETSIM_H5_TYPE(T, MEMORY, FILE)                \
    template <>                                        \
    struct H5Type<T> {                                 \
        static hid_t memory() { return MEMORY; }       \
        static hid_t file() { return FILE; }           \
    };
RETSIM_H5_TYPE(double, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE)
RETSIM_H5_TYPE(float, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE)
RETSIM_H5_TYPE(std::int64_t, H5T_NATIVE_INT64, H5T_STD_I64LE)
RETSIM_H5_TYPE(std::int32_t, H5T_NATIVE_INT32, H5T_STD_I32LE)
RETSIM_H5_TYPE(std::uint64_t, H5T_NATIVE_UINT64, H5T_STD_U64LE)
RETSIM_H5_TYPE(std::uint32_t, H5T_NATIVE_UINT32, H5T_STD_U32LE)
RETSIM_H5_TYPE(std::uint16_t, H5T_NATIVE_UINT16, H5T_STD_U16LE)
RETSIM_H5_TYPE(std::uint8_t, H5T_NATIVE_UINT8, H5T_STD_U8LE)
#undef RETSIM_H5_TYPE
// Stages are stored as their uint8 code; the names go into a stage_names attribute.
static_assert(std::is_same_v<std::underlying_type_t<Stage>, std::uint8_t>);
template <>
struct H5Type<Stage> : H5Type<std::uint8_t> {};

/// Variable-length UTF-8 string: h5py 3 reads such attributes as str.
inline Handle string_type(const Context& ctx) {
    Handle type = ctx.own(H5Tcopy(H5T_C_S1), H5Tclose, "copy the string type");
    ctx.check(H5Tset_size(type, H5T_VARIABLE), "make a variable-length string type");
    ctx.check(H5Tset_cset(type, H5T_CSET_UTF8), "set the UTF-8 character set");
    return type;
}

/// Writes a scalar string attribute `name` on `object` (`where` names the object in errors).
inline void write_string_attribute(const Context& ctx, hid_t object, const std::string& where, const char* name,
                                   const std::string& value) {
    const std::string what = "write attribute " + std::string(name) + " of " + where;
    Handle type = string_type(ctx);
    Handle space = ctx.own(H5Screate(H5S_SCALAR), H5Sclose, what);
    Handle attribute = ctx.own(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    const char* text = value.c_str();
    ctx.check(H5Awrite(attribute, type, &text), what);
}

/// Writes a 1-d string attribute from any range of strings (a null dataspace when empty).
template <class Strings>
void write_strings_attribute(const Context& ctx, hid_t object, const std::string& where, const char* name,
                             const Strings& values) {
    const std::string what = "write attribute " + std::string(name) + " of " + where;
    // Copies guarantee the NUL terminators that C strings need.
    const std::vector<std::string> copies(std::begin(values), std::end(values));
    std::vector<const char*> pointers;
    for (const std::string& s : copies) pointers.push_back(s.c_str());
    const hsize_t count = pointers.size();
    Handle type = string_type(ctx);
    Handle space = ctx.own(count > 0 ? H5Screate_simple(1, &count, nullptr) : H5Screate(H5S_NULL), H5Sclose, what);
    Handle attribute = ctx.own(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    if (count > 0) ctx.check(H5Awrite(attribute, type, pointers.data()), what);
}

/// Writes a scalar numeric attribute.
template <class T>
void write_scalar_attribute(const Context& ctx, hid_t object, const std::string& where, const char* name, T value) {
    const std::string what = "write attribute " + std::string(name) + " of " + where;
    Handle space = ctx.own(H5Screate(H5S_SCALAR), H5Sclose, what);
    Handle attribute =
        ctx.own(H5Acreate2(object, name, H5Type<T>::file(), space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    ctx.check(H5Awrite(attribute, H5Type<T>::memory(), &value), what);
}

/// Dataset creation properties without timestamps, so that equal contents give equal files.
inline Handle untimed_dataset_properties(const Context& ctx, const std::string& where) {
    Handle dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "set storage properties of " + where);
    ctx.check(H5Pset_obj_track_times(dcpl, false), "set storage properties of " + where);
    return dcpl;
}

/// The `units` and `description` attributes every dataset carries.
inline void describe_dataset(const Context& ctx, hid_t dataset, const std::string& where, const std::string& units,
                             const std::string& description) {
    write_string_attribute(ctx, dataset, where, "units", units);
    write_string_attribute(ctx, dataset, where, "description", description);
}

/// Writes dataset `name` of `dims` (none: a scalar) from row-major `values`, with units and
/// description, into `group` (at `group_path`, for messages).
template <class T>
void write_dataset(const Context& ctx, hid_t group, const std::string& group_path, const std::string& name,
                   const std::vector<hsize_t>& dims, const T* values, const std::string& units,
                   const std::string& description) {
    const std::string where = group_path + "/" + name;
    Handle space = ctx.own(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                           H5Sclose, "create the dataspace of " + where);
    Handle dcpl = untimed_dataset_properties(ctx, where);
    Handle dataset = ctx.own(H5Dcreate2(group, name.c_str(), H5Type<T>::file(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                             H5Dclose, "create dataset " + where);
    hsize_t count = 1;
    for (const hsize_t d : dims) count *= d;
    if (count > 0) {
        ctx.check(H5Dwrite(dataset, H5Type<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values), "write dataset " + where);
    }
    describe_dataset(ctx, dataset, where, units, description);
}

/// Writes a 1-d dataset of variable-length UTF-8 strings (units "1").
inline void write_string_dataset(const Context& ctx, hid_t group, const std::string& group_path,
                                 const std::string& name, const std::vector<std::string>& values,
                                 const std::string& description) {
    const std::string where = group_path + "/" + name;
    std::vector<const char*> pointers;
    for (const std::string& s : values) pointers.push_back(s.c_str());
    const hsize_t count = pointers.size();
    Handle type = string_type(ctx);
    Handle space = ctx.own(H5Screate_simple(1, &count, nullptr), H5Sclose, "create the dataspace of " + where);
    Handle dcpl = untimed_dataset_properties(ctx, where);
    Handle dataset = ctx.own(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                             "create dataset " + where);
    if (count > 0) {
        ctx.check(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "write dataset " + where);
    }
    describe_dataset(ctx, dataset, where, "1", description);
}

/// A group without timestamps, so that equal results give equal files.
inline Handle create_group(const Context& ctx, hid_t parent, const char* name) {
    const std::string what = "create group /" + std::string(name);
    Handle gcpl = ctx.own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, what);
    ctx.check(H5Pset_obj_track_times(gcpl, false), what);
    return ctx.own(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, what);
}

/// A string attribute (variable- or fixed-length) as text; RuntimeFailure when it is missing
/// or not a single string.
inline std::string read_string_attribute(const Context& ctx, hid_t object, const char* name) {
    const std::string what = "read attribute " + std::string(name);
    Handle attribute = ctx.own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, what);
    Handle type = ctx.own(H5Aget_type(attribute), H5Tclose, what);
    Handle space = ctx.own(H5Aget_space(attribute), H5Sclose, what);
    if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1) {
        ctx.fail(what + ": not a single string");
    }
    if (ctx.value(H5Tis_variable_str(type), what) > 0) {
        Handle memory = string_type(ctx);
        char* text = nullptr;
        ctx.check(H5Aread(attribute, memory, &text), what);
        std::string value = text != nullptr ? text : "";
        H5free_memory(text);
        return value;
    }
    const std::size_t size = H5Tget_size(type);
    std::string value(size, '\0');
    ctx.check(H5Aread(attribute, type, value.data()), what);
    value.resize(std::min(value.find('\0'), value.size()));
    return value;
}

/// True when anything (even a dangling symlink) is at `path`: such a name is never replaced
/// without --force.
inline bool path_exists(const std::string& path) {
    std::error_code ignored;
    return std::filesystem::exists(std::filesystem::symlink_status(path, ignored));
}

/// Scalar numeric attribute `name` of `object`, converted to T.
template <class T>
T read_scalar_attribute(const Context& ctx, hid_t object, const char* name) {
    const std::string what = "read attribute " + std::string(name);
    Handle attribute = ctx.own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, what);
    T value{};
    ctx.check(H5Aread(attribute, H5Type<T>::memory(), &value), what);
    return value;
}

/// A 1-d string attribute (empty for a null dataspace) as texts.
inline std::vector<std::string> read_strings_attribute(const Context& ctx, hid_t object, const char* name) {
    const std::string what = "read attribute " + std::string(name);
    Handle attribute = ctx.own(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, what);
    Handle space = ctx.own(H5Aget_space(attribute), H5Sclose, what);
    if (H5Sget_simple_extent_type(space) == H5S_NULL) return {};
    const auto count = std::size_t(ctx.value(H5Sget_simple_extent_npoints(space), what));
    Handle type = string_type(ctx);
    std::vector<char*> texts(count, nullptr);
    ctx.check(H5Aread(attribute, type, texts.data()), what);
    std::vector<std::string> out;
    for (char* t : texts) {
        out.emplace_back(t != nullptr ? t : "");
        H5free_memory(t);
    }
    return out;
}

/// Writes a file so that `path` only ever names a complete one: `write(temporary)` writes
/// PATH.partial-<pid>, which is then renamed to `path`, and removed if anything fails.
/// Refuses (BadInput) when `path` exists and `overwrite` is false (checked before and again
/// after writing, as another process may have created it meanwhile); RuntimeFailure when the
/// directory does not exist or the rename fails.
template <class Write>
void write_through_temporary(const std::string& path, bool overwrite, Write&& write) {
    namespace fs = std::filesystem;
    if (!overwrite && path_exists(path)) throw BadInput(path + " exists; use --force to overwrite it");
    fs::path directory = fs::path(path).parent_path();
    if (directory.empty()) directory = ".";
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        throw RuntimeFailure("cannot write " + path + ": directory " + directory.string() + " does not exist");
    }
    const std::string temporary = path + ".partial-" + std::to_string(::getpid());
    try {
        write(temporary);
        if (!overwrite && path_exists(path)) throw BadInput(path + " exists; use --force to overwrite it");
        fs::rename(temporary, path, ec);
        if (ec) throw RuntimeFailure("cannot rename " + temporary + " to " + path + ": " + ec.message());
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
}

}  // namespace retsim::hdf5
