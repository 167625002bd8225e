// Transaction logs (customer id, date, amount) and the calibration summary that the
// purchase and spend models are fitted to: per customer x, t_x, T, m_x and holdout purchases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace retsim {

/// How to read a transaction log CSV. The first line is the header; fields are separated by
/// commas (a field may be double-quoted). Other columns are ignored.
struct TransactionLogFormat {
    std::string customer_column = "customer_id";
    std::string date_column = "date";
    std::string amount_column = "amount";
    /// strptime(3) format of the date column; "%Y%m%d" and "%Y-%m-%d" are the common ones.
    std::string date_format = "%Y%m%d";
};

/// One transaction after merging: a customer's purchases on one day, amounts summed.
struct Transaction {
    std::int32_t customer = 0;  ///< index into TransactionLog::customer_ids
    std::int32_t day = 0;       ///< days since 1970-01-01
    double amount = 0;          ///< the log's currency units, >= 0
};

/// A log read and merged: same-day transactions of one customer are one transaction.
struct TransactionLog {
    std::string file;
    std::vector<std::string> customer_ids;  ///< in order of first appearance in the file
    std::vector<Transaction> transactions;  ///< sorted by customer, then day
    std::size_t raw_lines = 0;              ///< data lines read, before merging
    std::int32_t first_day = 0;             ///< earliest date in the log
    std::int32_t last_day = 0;              ///< latest date in the log
};

/// Reads a transaction log. Throws BadInput listing every problem (up to 20) with file and
/// line: missing column, duplicate header line or column name, wrong field count, bad date,
/// negative or non-numeric amount, empty file. Throws RuntimeFailure when the file cannot be read.
[[nodiscard]] TransactionLog read_transaction_log(const std::string& path, const TransactionLogFormat& format);

/// Same as read_transaction_log, from text already in memory; `name` is used in messages.
[[nodiscard]] TransactionLog parse_transaction_log(const std::string& text, const std::string& name,
                                                   const TransactionLogFormat& format);

/// Parses a date with a strptime(3) format, the whole text consumed; false when it does not parse
/// or is not a real calendar date.
[[nodiscard]] bool parse_day(const std::string& text, const std::string& format, std::int32_t& day);

/// Days since 1970-01-01 as "YYYY-MM-DD".
[[nodiscard]] std::string format_day(std::int32_t day);

/// One customer's calibration summary. Conventions (Fader, Hardie & Lee 2005): the first
/// purchase starts the clock and is not a repeat purchase; times are in weeks since the first
/// purchase; the calibration period ends at the end of the calibration-end day.
struct CustomerSummary {
    std::string id;
    std::int32_t first_day = 0;
    double x = 0;               ///< repeat transactions in the calibration period
    double t_x_weeks = 0;       ///< last calibration purchase, weeks after the first (0 when x = 0)
    double T_weeks = 0;         ///< calibration end minus first purchase, weeks
    double mean_spend = 0;      ///< m_x: mean amount of the x repeat transactions (0 when x = 0)
    double holdout_x = 0;       ///< transactions after the calibration end, up to the holdout end
};

struct CalibrationSummary {
    std::vector<CustomerSummary> customers;  ///< customers whose first purchase is <= calibration end
    std::int32_t calibration_end_day = 0;
    std::int32_t holdout_end_day = 0;        ///< last day of the holdout period (inclusive)
    double holdout_weeks = 0;                ///< (holdout_end - calibration_end) / 7
    std::size_t later_customers = 0;         ///< first purchase after the calibration end: left out
    double calibration_repeat_total = 0;     ///< sum of x
    double holdout_total = 0;                ///< sum of holdout_x
};

/// Default calibration end: two thirds of the way from the first to the last day of the log.
[[nodiscard]] std::int32_t default_calibration_end(const TransactionLog& log);

/// Builds the summary; the holdout runs from the day after calibration_end_day to
/// holdout_end_day (the log's last day when not given). Throws BadInput when the calibration end
/// is before the log's first day.
[[nodiscard]] CalibrationSummary summarise(const TransactionLog& log, std::int32_t calibration_end_day,
                                           std::optional<std::int32_t> holdout_end_day = {});

}  // namespace retsim
