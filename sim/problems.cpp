// Formatting of input problems and the exceptions that carry them.
#include "sim/problems.hpp"

namespace retsim {

std::string Problems::format() const {
    std::string out;
    for (const Problem& p : list_) {
        if (!out.empty()) out += '\n';
        std::string where = p.file;
        if (p.line > 0) {
            where += ':' + std::to_string(p.line);
            if (p.column > 0) where += ':' + std::to_string(p.column);
        }
        if (!where.empty()) out += where + ": ";
        if (!p.key_path.empty()) out += p.key_path + ": ";
        out += p.message;
    }
    return out;
}

BadInput::BadInput(Problems problems)
    : std::runtime_error(problems.format()), problems_(std::move(problems)) {}

namespace {

Problems single_problem(const std::string& message) {
    Problem p;
    p.message = message;
    Problems problems;
    problems.add(std::move(p));
    return problems;
}

}  // namespace

BadInput::BadInput(const std::string& message)
    : std::runtime_error(message), problems_(single_problem(message)) {}

}  // namespace retsim
