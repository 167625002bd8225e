// Input problems: every bad value found while reading a scenario, collected and reported
// together with file:line:column and the key path.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace retsim {

/// One problem with the input: where it is, which key, and what is wrong.
struct Problem {
    std::string file;      ///< scenario path, "--set" for overrides, "<built-in default>"
    int line = 0;          ///< 1-based; 0 when the problem has no place in the file
    int column = 0;        ///< 1-based; 0 when unknown
    std::string key_path;  ///< dotted path such as "population.bgnbd.r"; may be empty
    std::string message;   ///< what is wrong and, where obvious, what to do
};

/// Accumulates problems; formats them one per line as "file:line:col: key: message".
class Problems {
public:
    void add(Problem p) { list_.push_back(std::move(p)); }
    [[nodiscard]] bool empty() const { return list_.empty(); }
    [[nodiscard]] std::size_t size() const { return list_.size(); }
    [[nodiscard]] const std::vector<Problem>& list() const { return list_; }
    [[nodiscard]] std::string format() const;

private:
    std::vector<Problem> list_;
};

/// Thrown when input (scenario, override, command-line value) is invalid; maps to exit 2.
class BadInput : public std::runtime_error {
public:
    explicit BadInput(Problems problems);
    explicit BadInput(const std::string& message);
    [[nodiscard]] const Problems& problems() const { return problems_; }

private:
    Problems problems_;
};

/// Thrown on a failure that is not the user's input (I/O, HDF5, resources); maps to exit 1.
class RuntimeFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace retsim
