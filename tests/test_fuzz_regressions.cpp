// Inputs found by fuzzing (fuzz/, scripts/fuzz.sh) that misbehaved, each fed to the function it
// was found in; each must now give a clean BadInput. docs/reliability.md lists the findings.
#include <catch2/catch.hpp>

#include <string>

#include "sim/problems.hpp"
#include "sim/transactions.hpp"

using namespace retsim;

TEST_CASE("fuzz: a header of thousands of equal column names gives one problem per column", "[unit]") {
    // fuzz_transactions: a header of n empty names was checked pair by pair and built n^2/2
    // problems (4.5 million here), slowing the fuzzer from 6,000 inputs a second to 120; twenty
    // were listed and the rest not counted. A spreadsheet exported with trailing commas looks
    // like this.
    const std::size_t n = 3000;
    const std::string text = "customer_id,date,amount" + std::string(n, ',') + "\n1,19970101,10" + std::string(n, ',') + "\n";
    try {
        (void)parse_transaction_log(text, "wide.csv", TransactionLogFormat{});
        FAIL("a header with duplicate column names was accepted");
    } catch (const BadInput& e) {
        const Problems& problems = e.problems();
        // The n empty names after "amount": the first is the one the others repeat. Twenty are
        // listed, then the count of the rest.
        REQUIRE(problems.size() == 21);
        const std::string& first = problems.list().front().message;
        CHECK(first.rfind("duplicate column name", 0) == 0);
        CHECK(first.find("(columns 4 and 5)") != std::string::npos);
        CHECK(problems.list().back().message == std::to_string(n - 1 - 20) + " more problems not listed");
    }
}
