// The scenario library (scenarios/*.toml): every file parses, the built-in default is
// scenarios/default.toml, and each library scenario, shrunk to a few thousand customers, gives
// exactly the figures in tests/golden/<name>.expected. Regenerate those with
// scripts/regen_golden.sh and read the diff before committing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_engine_helpers.hpp"

using namespace retsim;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}



std::vector<std::filesystem::path> scenario_files() {
    std::vector<std::filesystem::path> files;
    const std::filesystem::path root = std::filesystem::path(RETSIM_SOURCE_DIR) / "scenarios";
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("golden: every library scenario, shrunk, gives the figures it gave before", "[golden]") {
    const bool regenerate = std::getenv("RETSIM_REGEN_GOLDEN") != nullptr;
    for (const retsim::test::LibraryCase& c : retsim::test::kLibrary) {
        const std::string name = c.name;
        INFO(name);
        const Scenario sc = retsim::test::scenario_file("scenarios/" + name + ".toml", c.shrink);
        const RunResult r = retsim::test::run(sc, 2);
        // A golden file of a scenario whose strategies never act would pin nothing of interest.
        for (std::size_t k = 0; k < r.strategies.name.size(); ++k) {
            INFO(r.strategies.name[k]);
            CHECK(r.strategies.contacts[k] > 0);
            CHECK(r.strategies.control[k] > 0);
        }
        const std::string actual = retsim::test::golden_text(r);
        const std::string path = retsim::test::source_path("tests/golden/" + name + ".expected");
        if (regenerate) {
            std::ofstream(path, std::ios::binary) << actual;
            WARN("regenerated " << path);
            continue;
        }
        const std::string expected = read_text(path);
        REQUIRE(!expected.empty());
        CHECK(actual == expected);
    }
}

TEST_CASE("input: every scenario in scenarios/ parses without problems", "[input]") {
    const std::vector<std::filesystem::path> files = scenario_files();
    // The seven library scenarios, the default and the validation scenarios at least.
    CHECK(files.size() >= retsim::test::kLibrary.size() + 1);
    for (const auto& path : files) {
        INFO(path.string());
        try {
            const Scenario s = load_scenario(path.string());
            CHECK(s.population.behaviour != nullptr);
        } catch (const BadInput& e) {
            FAIL(e.what());
        }
    }
    for (const retsim::test::LibraryCase& c : retsim::test::kLibrary) {
        INFO(c.name);
        CHECK(std::filesystem::exists(retsim::test::source_path(std::string("scenarios/") + c.name + ".toml")));
    }
}

TEST_CASE("input: every library scenario opens with the question it answers", "[input]") {
    for (const retsim::test::LibraryCase& c : retsim::test::kLibrary) {
        INFO(c.name);
        const std::string text = read_text(retsim::test::source_path(std::string("scenarios/") + c.name + ".toml"));
        const auto question = text.find("\n# Question: ");
        REQUIRE(question != std::string::npos);
        // Only comment lines before the question.
        std::istringstream head(text.substr(0, question));
        for (std::string line; std::getline(head, line);) CHECK(line.rfind("#", 0) == 0);
        // Every strategy keeps a holdout, so that incremental figures exist.
        const Scenario s = retsim::test::scenario_file(std::string("scenarios/") + c.name + ".toml");
        CHECK(!s.strategies.empty());
        for (const StrategyConfig& st : s.strategies) {
            INFO(st.name);
            CHECK(st.holdout_fraction >= 0.1);
            CHECK(st.holdout_fraction <= 0.2);
        }
    }
}

TEST_CASE("input: scenarios/default.toml is the built-in default", "[input]") {
    const std::string file = read_text(retsim::test::source_path("scenarios/default.toml"));
    REQUIRE(!file.empty());
    CHECK(file == std::string(default_scenario_text()));
    // The default is the acquisition-versus-retention scenario; only the opening lines, which
    // say which file is which, differ.
    const std::string library = read_text(retsim::test::source_path("scenarios/acquisition_vs_retention.toml"));
    const auto body = [](const std::string& text) { return text.substr(std::min(text.size(), text.find("\n# Question: "))); };
    CHECK(body(file) == body(library));
    CHECK(!body(file).empty());
}
