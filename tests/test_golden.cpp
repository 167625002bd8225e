// Golden output: the summary of a small scenario must not change unless the change is
// deliberate. Regenerate with scripts/regen_golden.sh and read the diff before committing.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "test_engine_helpers.hpp"

using namespace retsim;

namespace {

/// Every exact figure of a run as "name = value" lines (doubles printed to 17 digits).
std::string golden_text(const RunResult& r) {
    std::ostringstream out;
    out.precision(17);
    const Summary& s = r.summary;
    out << "customers = " << s.customers << "\nacquired_customers = " << s.acquired_customers
        << "\nalive_at_end = " << s.alive_at_end << "\npurchases = " << s.purchases
        << "\nrepeat_purchases = " << s.repeat_purchases << "\nrevenue_cents = " << s.revenue_cents
        << "\nmargin_cents = " << s.margin_cents << "\nacquisition_cost_cents = " << s.acquisition_cost_cents
        << "\nfixed_cost_cents = " << s.fixed_cost_cents << "\nprofit_cents = " << s.profit_cents
        << "\ndiscounted_profit_cents = " << s.discounted_profit_cents << "\n";
    const std::size_t last = r.steps - 1;
    for (std::size_t k = 0; k < kStageCount; ++k) {
        out << "end_stage." << kStageNames[k] << " = "
            << r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount] << " alive, "
            << r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount + 1] << " gone\n";
    }
    for (std::size_t g = 0; g < r.cohorts.cohort.size(); ++g) {
        out << "cohort " << r.cohorts.cohort[g] << " channel " << r.cohorts.channel[g] << ": customers "
            << r.cohorts.customers[g] << ", margin_cents " << r.cohorts.margin_cents[g] << ", realised_clv_cents "
            << r.cohorts.realised_clv_cents[g] << "\n";
    }
    return out.str();
}

}  // namespace

TEST_CASE("golden: summary of a small scenario is unchanged", "[golden]") {
    const Scenario sc = retsim::test::scenario_file("tests/golden/small.toml");
    const std::string actual = golden_text(retsim::test::run(sc, 2));
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
