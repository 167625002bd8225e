// Input and output of `retsim score`: customer histories read a chunk at a time from a retsim
// result (/customers) or a CSV summary table, model parameters from a result or a scenario,
// and the scores file (layout in docs/scores_layout.md) written under a temporary name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/bgnbd.hpp"
#include "models/paretonbd.hpp"
#include "models/scoring.hpp"
#include "models/spend.hpp"

namespace retsim {

inline constexpr const char* kScoresFormatVersion = "1.0";

/// A chunk of customer histories, structure of arrays. Times in weeks, money in cents.
struct HistoryChunk {
    std::vector<std::uint64_t> customer_id;
    std::vector<double> x;
    std::vector<double> t_x_weeks;
    std::vector<double> T_weeks;
    std::vector<double> mean_spend_cents;
    std::vector<double> spend_count;

    [[nodiscard]] std::size_t size() const { return x.size(); }
    void resize(std::size_t n);
    /// Customers [begin, end) as scoring columns (pointers into this chunk).
    [[nodiscard]] HistoryColumns columns(std::size_t begin, std::size_t end) const;
};

enum class InputKind { Result, Csv };

/// Reads customer histories in input order, a chunk at a time.
///
/// A result file (`retsim run --customers`) gives, per customer: x = repeat_purchases,
/// t_x = (last_purchase_day - birth_day) / 7, T = (steps * step_days - birth_day) / 7 weeks,
/// mean spend = spend_cents / (x + 1) over spend_count = x + 1 purchases; the id is the key.
/// A CSV summary table has the header columns customer_id, x, t_x, T, m_x (weeks, cents) and
/// optionally spend_count (default: x, the CDNOW convention); other columns are ignored.
/// Not thread safe; one reader per input.
class HistoryReader {
public:
    /// Opens `path`: an HDF5 file is read as a retsim result, anything else as CSV.
    /// Throws BadInput when the file is missing, is not a result with /customers, or the CSV
    /// header lacks a column; RuntimeFailure on I/O or HDF5 errors.
    [[nodiscard]] static std::unique_ptr<HistoryReader> open(const std::string& path);
    virtual ~HistoryReader() = default;

    [[nodiscard]] virtual InputKind kind() const = 0;
    /// Reads up to `max` customers into `chunk` (resized to the count); 0 at the end.
    /// Throws BadInput naming file and line for a bad CSV value (first bad row of the chunk).
    virtual std::size_t read(HistoryChunk& chunk, std::size_t max) = 0;
    /// Starts again from the first customer.
    virtual void rewind() = 0;
    /// Model parameters stored in the input (a result's /model); empty for CSV.
    [[nodiscard]] virtual std::vector<std::pair<std::string, double>> model_parameters() const = 0;
};

/// The purchase and spend model that scores customers.
struct ScoringModel {
    std::string name;  ///< "bgnbd" or "paretonbd"
    BgNbdParams bgnbd;
    ParetoNbdParams paretonbd;
    GammaGammaParams spend;
    std::vector<std::pair<std::string, double>> parameters;  ///< as read, dotted names
};

/// Picks the model from dotted parameter names (bgnbd.* or paretonbd.*, spend.p, spend.q,
/// spend.gamma_cents). Throws BadInput naming `source` when a parameter is missing, the model
/// cannot be scored (sbg, fixed spend) or a value is out of range.
[[nodiscard]] ScoringModel scoring_model(const std::vector<std::pair<std::string, double>>& parameters,
                                         const std::string& source);

/// Reads the [propensity] table of a TOML file (keys intercept, recency, frequency, monetary,
/// tenure; absent keys keep the values of `defaults`). Throws BadInput listing every problem.
[[nodiscard]] PropensityModel read_propensity_file(const std::string& path, const PropensityModel& defaults);

/// A deterministic sample of customers for the RFM cut points: the customers whose input
/// index is a multiple of `stride`, where stride is the smallest power of two that keeps the
/// sample at most `max_size` customers. Independent of how the input is cut into chunks.
class RfmSample {
public:
    explicit RfmSample(std::size_t max_size) : max_size_(max_size) {}
    /// Adds the sampled customers of `chunk`, whose first customer has input index `first`.
    void add(const HistoryChunk& chunk, std::uint64_t first);
    [[nodiscard]] std::uint64_t stride() const { return stride_; }
    [[nodiscard]] std::size_t size() const { return sample_.size(); }
    [[nodiscard]] HistoryColumns columns() const { return sample_.columns(0, sample_.size()); }

private:
    void halve();
    std::size_t max_size_;
    std::uint64_t stride_ = 1;
    HistoryChunk sample_;
};

/// Scores of a chunk of customers; the same length as its HistoryChunk.
struct ScoreChunk {
    std::vector<double> p_alive, expected_purchases, expected_spend_cents, clv_cents, propensity;
    std::vector<std::uint8_t> rfm_r, rfm_f, rfm_m;
    std::vector<std::uint16_t> rfm_cell;
    void resize(std::size_t n);
};

/// Provenance and settings stored as root attributes of the scores file.
struct ScoresMetadata {
    std::string program_version;
    std::string git_commit;
    std::string created_utc;
    std::string input_file;
    std::string input_kind;         ///< "result" or "csv"
    std::string parameters_source;  ///< the file the model parameters came from
    ScoringModel model;
    ScoreSettings settings;
    RfmCutoffs rfm;
    std::uint64_t rfm_sample_size = 0;
    std::uint64_t rfm_sample_stride = 1;
    std::uint64_t customers = 0;
};

/// Writes the scores file: chunks are appended to extendible datasets under /scores of a
/// temporary file (`PATH.partial-<pid>`), which commit() renames to `path`. Destroying an
/// uncommitted writer removes the temporary file. Throws BadInput when `path` exists and
/// `overwrite` is false, RuntimeFailure on I/O or HDF5 errors.
class ScoresWriter {
public:
    ScoresWriter(const std::string& path, bool overwrite);
    ~ScoresWriter();
    ScoresWriter(const ScoresWriter&) = delete;
    ScoresWriter& operator=(const ScoresWriter&) = delete;

    /// Appends customers [0, n) of `ids` and `scores`.
    void append(const std::vector<std::uint64_t>& ids, const ScoreChunk& scores, std::size_t n);
    /// Writes the root attributes, closes the file and renames it to its final name.
    void commit(const ScoresMetadata& meta);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace retsim
