// Reading transaction logs and building the per-customer calibration summary.
#include "sim/transactions.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "sim/problems.hpp"

namespace retsim {

namespace {

constexpr std::size_t kMaxListedProblems = 20;

// Howard Hinnant's days_from_civil: proleptic Gregorian date to days since 1970-01-01.
std::int32_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int>(doe) - 719468;
}

void civil_from_days(std::int32_t z, int& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
    return std::string(s.substr(b, e - b));
}

// Splits one CSV line; a field may be double-quoted ("" inside quotes is a quote).
std::vector<std::string> split_csv(std::string_view line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(trim(field));
            field.clear();
        } else {
            field += c;
        }
    }
    fields.push_back(trim(field));
    return fields;
}

bool blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

bool parse_day(const std::string& text, const std::string& format, std::int32_t& day) {
    std::tm tm{};
    tm.tm_mday = 0;
    const char* end = strptime(text.c_str(), format.c_str(), &tm);
    if (end == nullptr || *end != '\0' || tm.tm_mday < 1) return false;
    const int y = tm.tm_year + 1900;
    const unsigned m = static_cast<unsigned>(tm.tm_mon + 1);
    const unsigned d = static_cast<unsigned>(tm.tm_mday);
    if (m < 1 || m > 12) return false;
    day = days_from_civil(y, m, d);
    // strptime accepts 31 for any month; the round trip rejects 1997-02-30.
    int y2 = 0;
    unsigned m2 = 0, d2 = 0;
    civil_from_days(day, y2, m2, d2);
    return y2 == y && m2 == m && d2 == d;
}

std::string format_day(std::int32_t day) {
    int y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(day, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    return buf;
}

TransactionLog parse_transaction_log(const std::string& text, const std::string& name,
                                     const TransactionLogFormat& format) {
    Problems problems;
    std::size_t problem_count = 0;
    auto problem = [&](int line, const std::string& key, const std::string& message) {
        ++problem_count;
        if (problems.size() < kMaxListedProblems) problems.add({name, line, 0, key, message});
    };
    // Throws the problems found, with a count of those beyond the listed ones.
    auto fail = [&] {
        if (problem_count > problems.size()) {
            problems.add({name, 0, 0, "",
                          std::to_string(problem_count - problems.size()) + " more problems not listed"});
        }
        throw BadInput(problems);
    };

    TransactionLog log;
    log.file = name;
    std::istringstream in(text);
    std::string line;
    int line_number = 0;

    // Header: the first non-blank line.
    std::string header_line;
    while (std::getline(in, line)) {
        ++line_number;
        if (!blank(line)) {
            header_line = line;
            break;
        }
    }
    if (header_line.empty()) {
        problem(0, "", "the file is empty: expected a header line naming the columns " +
                           quoted(format.customer_column) + ", " + quoted(format.date_column) + " and " +
                           quoted(format.amount_column) + ", then one line per transaction");
        throw BadInput(problems);
    }
    const int header_line_number = line_number;
    if (header_line.rfind("\xEF\xBB\xBF", 0) == 0) header_line.erase(0, 3);  // UTF-8 byte-order mark
    const std::vector<std::string> header = split_csv(header_line);
    // Each column named like an earlier one is reported once, against the first of that name:
    // a header of n equal names (a spreadsheet's trailing commas) gives n - 1 problems, not n^2/2.
    std::unordered_map<std::string, std::size_t> first_column;
    for (std::size_t i = 0; i < header.size(); ++i) {
        const auto [it, fresh] = first_column.emplace(header[i], i);
        if (!fresh) {
            problem(header_line_number, header[i],
                    "duplicate column name " + quoted(header[i]) + " (columns " + std::to_string(it->second + 1) +
                        " and " + std::to_string(i + 1) + ")");
        }
    }
    auto find_column = [&](const std::string& column, const char* option) -> long {
        const auto it = std::find(header.begin(), header.end(), column);
        if (it != header.end()) return it - header.begin();
        std::string have;
        for (const std::string& h : header) have += (have.empty() ? "" : ", ") + quoted(h);
        problem(header_line_number, column,
                "missing column " + quoted(column) + " (the header has " + have + "); name the column with " +
                    option);
        return -1;
    };
    const long customer_col = find_column(format.customer_column, "--customer-column");
    const long date_col = find_column(format.date_column, "--date-column");
    const long amount_col = find_column(format.amount_column, "--amount-column");
    if (!problems.empty()) fail();

    struct Raw {
        std::int32_t customer;
        std::int32_t day;
        double amount;
    };
    std::vector<Raw> raw;
    std::unordered_map<std::string, std::int32_t> index;
    while (std::getline(in, line)) {
        ++line_number;
        if (blank(line)) continue;
        if (trim(line) == trim(header_line)) {
            problem(line_number, "", "duplicate header line (the header is line " +
                                         std::to_string(header_line_number) +
                                         "); concatenated files must keep only the first header");
            continue;
        }
        const std::vector<std::string> fields = split_csv(line);
        if (fields.size() != header.size()) {
            problem(line_number, "",
                    "wrong number of fields: " + std::to_string(fields.size()) + " instead of the header's " +
                        std::to_string(header.size()));
            continue;
        }
        bool ok = true;
        const std::string& id = fields[std::size_t(customer_col)];
        if (id.empty()) {
            problem(line_number, format.customer_column, "empty customer id");
            ok = false;
        }
        std::int32_t day = 0;
        const std::string& date = fields[std::size_t(date_col)];
        if (!parse_day(date, format.date_format, day)) {
            problem(line_number, format.date_column,
                    "bad date " + quoted(date) + ": expected the format " + quoted(format.date_format) +
                        " (set it with --date-format, e.g. %Y-%m-%d)");
            ok = false;
        }
        double amount = 0;
        const std::string& amount_text = fields[std::size_t(amount_col)];
        const char* first = amount_text.data();
        const char* last = first + amount_text.size();
        if (first != last && *first == '+') ++first;
        const auto [ptr, ec] = std::from_chars(first, last, amount);
        if (amount_text.empty() || ec != std::errc() || ptr != last || !std::isfinite(amount)) {
            problem(line_number, format.amount_column, "amount " + quoted(amount_text) + " is not a number");
            ok = false;
        } else if (amount < 0) {
            problem(line_number, format.amount_column,
                    "negative amount " + amount_text + ": refunds and returns are not transactions; remove them");
            ok = false;
        }
        if (!ok) continue;
        const auto [it, inserted] = index.try_emplace(id, std::int32_t(log.customer_ids.size()));
        if (inserted) log.customer_ids.push_back(id);
        raw.push_back({it->second, day, amount});
    }
    if (problem_count == 0 && raw.empty()) {
        problem(header_line_number, "", "no transactions after the header line");
    }
    if (!problems.empty()) fail();

    log.raw_lines = raw.size();
    std::stable_sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) {
        return a.customer != b.customer ? a.customer < b.customer : a.day < b.day;
    });
    log.first_day = raw.front().day;
    log.last_day = raw.front().day;
    for (const Raw& r : raw) {
        log.first_day = std::min(log.first_day, r.day);
        log.last_day = std::max(log.last_day, r.day);
        if (!log.transactions.empty() && log.transactions.back().customer == r.customer &&
            log.transactions.back().day == r.day) {
            log.transactions.back().amount += r.amount;
        } else {
            log.transactions.push_back({r.customer, r.day, r.amount});
        }
    }
    return log;
}

TransactionLog read_transaction_log(const std::string& path, const TransactionLogFormat& format) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw RuntimeFailure("cannot open transaction log " + path);
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad()) throw RuntimeFailure("cannot read transaction log " + path);
    return parse_transaction_log(text.str(), path, format);
}

std::int32_t default_calibration_end(const TransactionLog& log) {
    return log.first_day + std::int32_t((2 * std::int64_t(log.last_day - log.first_day)) / 3);
}

CalibrationSummary summarise(const TransactionLog& log, std::int32_t calibration_end_day,
                             std::optional<std::int32_t> holdout_end_day) {
    if (calibration_end_day < log.first_day) {
        throw BadInput("calibration end " + format_day(calibration_end_day) + " is before the first date of " +
                       log.file + " (" + format_day(log.first_day) + ")");
    }
    CalibrationSummary s;
    s.calibration_end_day = calibration_end_day;
    s.holdout_end_day = holdout_end_day.value_or(std::max(log.last_day, calibration_end_day));
    s.holdout_weeks = (s.holdout_end_day - calibration_end_day) / 7.0;

    std::size_t i = 0;
    const std::size_t n = log.transactions.size();
    while (i < n) {
        const std::int32_t c = log.transactions[i].customer;
        const std::int32_t first = log.transactions[i].day;
        std::size_t j = i;
        CustomerSummary cs;
        cs.id = log.customer_ids[std::size_t(c)];
        cs.first_day = first;
        double repeat_spend = 0;
        for (++j; j < n && log.transactions[j].customer == c; ++j) {
            const Transaction& t = log.transactions[j];
            if (t.day <= calibration_end_day) {
                cs.x += 1;
                cs.t_x_weeks = (t.day - first) / 7.0;
                repeat_spend += t.amount;
            } else if (t.day <= s.holdout_end_day) {
                cs.holdout_x += 1;
            }
        }
        i = j;
        if (first > calibration_end_day) {
            ++s.later_customers;
            continue;
        }
        cs.T_weeks = (calibration_end_day - first) / 7.0;
        cs.mean_spend = cs.x > 0 ? repeat_spend / cs.x : 0.0;
        s.calibration_repeat_total += cs.x;
        s.holdout_total += cs.holdout_x;
        s.customers.push_back(std::move(cs));
    }
    return s;
}

}  // namespace retsim
