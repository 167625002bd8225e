// Program version (configure time) and git commit (read at every build).
#pragma once

#include <string_view>

namespace retsim {

[[nodiscard]] std::string_view program_version();
[[nodiscard]] std::string_view git_commit();

}  // namespace retsim
