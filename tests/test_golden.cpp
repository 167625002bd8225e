// Golden output: the summary of a small scenario must not change unless the change is
// deliberate. Regenerate with scripts/regen_golden.sh and read the diff before committing.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "test_engine_helpers.hpp"

using namespace retsim;

TEST_CASE("golden: summary of a small scenario is unchanged", "[golden]") {
    const Scenario sc = retsim::test::scenario_file("tests/golden/small.toml");
    const std::string actual = retsim::test::golden_text(retsim::test::run(sc, 2));
    const std::string path = retsim::test::source_path("tests/golden/small.expected");
    if (std::getenv("RETSIM_REGEN_GOLDEN") != nullptr) {
        std::ofstream(path) << actual;
        WARN("regenerated " << path);
        return;
    }
    std::ifstream in(path);
    REQUIRE(in.good());
    std::stringstream expected;
    expected << in.rdbuf();
    CHECK(actual == expected.str());
}
