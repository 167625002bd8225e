// Running the built retsim program from tests: a scratch directory per test case and the
// program's exit code and output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace retsim::test {

namespace fs = std::filesystem;

struct Outcome {
    int exit_code;
    std::string output;  // stdout and stderr
};

/// A fresh directory per test case, removed at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() / ("retsim_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    fs::path operator/(const std::string& name) const { return path / name; }
    /// Number of entries in the directory.
    [[nodiscard]] std::size_t count_files() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(path)) ++n;
        return n;
    }
};

/// Runs `retsim ARGS` inside `dir` and returns its exit code and combined output.
inline Outcome run_retsim(const std::string& args, const TempDir& dir) {
    const std::string log = (dir.path / "output.log").string();
    const std::string cmd = "cd '" + dir.path.string() + "' && '" RETSIM_BINARY "' " + args + " > '" + log + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    fs::remove(log);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

inline void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace retsim::test
