// Program version and git commit, stamped at configure time.
#pragma once

#include <string_view>

namespace retsim {

[[nodiscard]] std::string_view program_version();
[[nodiscard]] std::string_view git_commit();

}  // namespace retsim
