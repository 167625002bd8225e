// libFuzzer target: the transaction-log reader behind `retsim fit`, then the calibration
// summary at the default calibration end. Input: the CSV text; its first byte picks the date
// format. Only BadInput is an acceptable refusal; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/problems.hpp"
#include "sim/transactions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    retsim::TransactionLogFormat format;
    switch (data[0] % 4) {
        case 0: break;  // CDNOW's "%Y%m%d"
        case 1: format.date_format = "%Y-%m-%d"; break;
        case 2: format.date_format = "%d/%m/%Y"; break;
        default:  // the CDNOW file as `retsim fit` reads it
            format.customer_column = "masterid";
            format.amount_column = "sales";
            break;
    }
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        const retsim::TransactionLog log = retsim::parse_transaction_log(text, "fuzz.csv", format);
        const retsim::CalibrationSummary summary = retsim::summarise(log, retsim::default_calibration_end(log));
        for (const auto& c : summary.customers) (void)retsim::format_day(c.first_day);
    } catch (const retsim::BadInput&) {
    }
    return 0;
}
