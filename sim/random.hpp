// Counter-based random numbers (Random123 Philox4x64-10). A draw is a pure function of
// (seed, replicate, subject, stream, event, index): it never depends on which thread made
// it or in which order, so results are identical for any thread count, and two scenarios
// with the same seed see the same draws for the same customers (common random numbers).
#pragma once

#include <Random123/philox.h>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/normal_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <span>

namespace retsim {

/// Identity of a run's random numbers: replicates change `replicate`, never the seed.
struct RandomKey {
    std::uint64_t seed = 1;
    std::uint64_t replicate = 0;
};

/// Fixed stream numbers. Never renumber: adding a stream must not shift the others' draws.
enum class Stream : std::uint32_t {
    Traits = 1,    ///< a customer's latent traits, drawn once at birth
    Purchase = 2,  ///< per purchase or renewal event: spend, dropout, time to next event
    Birth = 3,     ///< birth time of a customer within its arrival step or history window
    Arrivals = 4,  ///< number of customers a channel acquires in a step
    Response = 5,  ///< strategies: response, revival and redemption draws, per customer, step and strategy
    Holdout = 6,   ///< strategies: a customer's control-group assignment, per strategy
    Sentiment = 7, ///< service failures, complaints, intent to leave and risk signals, per step
    Sensitivity = 8,  ///< strategies: a customer's lasting sensitivity to a strategy's offers
    History = 9,   ///< a customer's purchases before day 0, drawn as one summary (Behaviour::start_with_history)
};

/// Stable customer identity for random keys. Initial customers are 0..N-1; an acquired
/// customer is named by (channel, step, k-th arrival of that step), so changing the spend of
/// one channel never renames the customers of another or of the initial base.
[[nodiscard]] constexpr std::uint64_t initial_customer_key(std::uint64_t index) { return index; }
[[nodiscard]] constexpr std::uint64_t arrival_customer_key(std::uint64_t channel, std::uint64_t step,
                                                           std::uint64_t k) {
    return (std::uint64_t{1} << 63) | (channel << 44) | (step << 24) | k;
}
inline constexpr std::uint64_t kMaxArrivalsPerStep = std::uint64_t{1} << 24;
inline constexpr std::uint64_t kMaxSteps = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kMaxChannels = std::uint64_t{1} << 19;

/// The random numbers of one event of one subject: an unbounded sequence of 64-bit words,
/// generated four at a time. Cheap to construct; not shared between threads.
class Draws {
public:
    Draws(const RandomKey& key, std::uint64_t subject, Stream stream, std::uint64_t event)
        : ctr_{{subject, std::uint64_t(stream) << 32, event, 0}}, key_{{key.seed, key.replicate}} {}

    /// The first four words of an event's draws, computed apart from their use: a loop that
    /// hashes the first blocks of many independent events keeps the multiplier busy, where
    /// one event at a time waits on each block's ten dependent rounds.
    using Block = r123::Philox4x64::ctr_type;
    [[nodiscard]] static Block first_block(const RandomKey& key, std::uint64_t subject, Stream stream,
                                           std::uint64_t event) {
        return block(key, subject, stream, event, 0);
    }
    /// The n-th block of an event's draws (words 4n to 4n + 3).
    [[nodiscard]] static Block block(const RandomKey& key, std::uint64_t subject, Stream stream, std::uint64_t event,
                                     std::uint64_t n) {
        return r123::Philox4x64()({{subject, std::uint64_t(stream) << 32, event, n}}, {{key.seed, key.replicate}});
    }
    /// The same draws as Draws(key, subject, stream, event), given its first_block.
    Draws(const RandomKey& key, std::uint64_t subject, Stream stream, std::uint64_t event, const Block& first)
        : ctr_{{subject, std::uint64_t(stream) << 32, event, 1}}, key_{{key.seed, key.replicate}}, out_(first),
          used_(0) {}

    /// The same draws as Draws(key, subject, stream, event), given its first blocks (at least
    /// one; `blocks` must outlive the draws taken from them).
    Draws(const RandomKey& key, std::uint64_t subject, Stream stream, std::uint64_t event,
          std::span<const Block> blocks)
        : Draws(key, subject, stream, event, blocks.front()) {
        next_ = blocks.data() + 1;
        next_end_ = blocks.data() + blocks.size();
    }

    /// Next 64 random bits.
    std::uint64_t bits() {
        if (used_ == 4) refill();
        return out_.v[used_++];
    }
    /// Uniform on the open interval (0, 1), 53-bit resolution.
    double uniform() { return uniform_from(bits()); }
    /// The uniform that the word `bits` gives.
    static double uniform_from(std::uint64_t bits) { return (double(bits >> 11) + 0.5) * 0x1.0p-53; }
    /// Standard exponential (Boost.Random's ziggurat: portable, and rarely needs a log).
    double exponential() {
        Engine e{*this};
        return boost::random::exponential_distribution<double>()(e);
    }
    /// Standard normal (Boost.Random's ziggurat).
    double normal() {
        Engine e{*this};
        return boost::random::normal_distribution<double>()(e);
    }

    /// Adapts Draws to the uniform random bit generator interface of Boost.Random.
    struct Engine {
        using result_type = std::uint64_t;
        Draws& draws;
        static constexpr result_type min() { return 0; }
        static constexpr result_type max() { return ~result_type{0}; }
        result_type operator()() { return draws.bits(); }
    };

private:
    void refill() {
        out_ = next_ != next_end_ ? *next_++ : r123::Philox4x64()(ctr_, key_);
        ctr_.v[3] += 1;
        used_ = 0;
    }

    r123::Philox4x64::ctr_type ctr_;
    r123::Philox4x64::key_type key_;
    r123::Philox4x64::ctr_type out_{};
    int used_ = 4;
    const Block* next_ = nullptr;  ///< blocks computed ahead, [next_, next_end_)
    const Block* next_end_ = nullptr;
};

}  // namespace retsim
