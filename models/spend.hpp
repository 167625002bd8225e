// Spend per purchase.
//
// Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: Using iso-value curves for customer
// base analysis", JMR 42(4); after Colombo & Jiang 1999): each purchase spends
//     z ~ Gamma(shape p, rate nu)          (cents)
// where each customer's nu ~ Gamma(shape q, rate gamma_cents). A customer's mean spend is
// p / nu; the population mean spend per purchase is p * gamma / (q - 1) (finite for q > 1).
// CDNOW fit: p = 6.25, q = 3.74, gamma = 15.44 dollars (1544 cents): mean $35.22.
//
// Fixed: every purchase (or renewal payment) spends price_cents.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/samplers.hpp"
#include "sim/behaviour.hpp"
#include "sim/population.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

struct GammaGammaParams {
    double p = 6.25;
    double q = 3.74;
    double gamma_cents = 1544.0;
};

/// The spend model of a population; parameters from [population.spend].
class SpendModel {
public:
    enum class Kind { GammaGamma, Fixed };

    /// Reads [population.spend] (model, p, q, gamma_cents, price_cents).
    static SpendModel read(TableReader& spend);

    [[nodiscard]] Kind kind() const { return kind_; }
    [[nodiscard]] const GammaGammaParams& gamma_gamma() const { return gg_; }
    [[nodiscard]] std::int64_t price_cents() const { return price_cents_; }
    /// Mean spend per purchase of the population, in cents.
    [[nodiscard]] double mean_spend_cents() const;
    void append_parameters(std::vector<std::pair<std::string, double>>& out) const;

    /// Allocates the spend trait column (Gamma-Gamma only).
    void allocate(Population& pop, std::size_t first, std::size_t count) const {
        if (kind_ == Kind::GammaGamma) pop.spend_rate.allocate(first, count);
    }
    /// Draws customer i's spend trait.
    void draw_trait(Draws& d, Population& pop, std::size_t i) const {
        if (kind_ == Kind::GammaGamma) pop.spend_rate[i] = float(gamma_variate(d, gg_.q) / gg_.gamma_cents);
    }
    /// Spend of one purchase by customer i, rounded to the cent.
    [[nodiscard]] std::int64_t draw_cents(Draws& d, const Population& pop, std::size_t i) const {
        if (kind_ == Kind::Fixed) return price_cents_;
        const double z = gg_.p >= 1.0 ? gamma_variate_shape_ge1(d, p_shape_) : gamma_variate(d, gg_.p);
        return round_non_negative(z / double(pop.spend_rate[i]));
    }
    /// draw_cents from the first words of the purchase's draws, without a Draws object: true,
    /// with `used` words taken, when each sampler accepts its first try (most purchases);
    /// false when one does not, and the caller draws through Draws from the same words.
    [[nodiscard]] bool first_try_cents(const std::uint64_t* words, int& used, const Population& pop, std::size_t i,
                                       std::int64_t& cents) const {
        if (kind_ == Kind::Fixed) {
            used = 0;
            cents = price_cents_;
            return true;
        }
        double z;
        used = 2;
        if (gg_.p < 1.0 || !gamma_shape_ge1_first_try(words[0], words[1], p_shape_, z, &p_squeeze_)) return false;
        cents = round_non_negative(z / double(pop.spend_rate[i]));
        return true;
    }
    /// Total spend of n purchases by customer i, rounded to the cent once: a sum of n
    /// Gamma(p, nu) spends is Gamma(n p, nu), so one draw replaces n.
    [[nodiscard]] std::int64_t draw_sum_cents(Draws& d, const Population& pop, std::size_t i, double n) const {
        if (kind_ == Kind::Fixed) return std::int64_t(n) * price_cents_;
        return round_non_negative(gamma_variate(d, n * gg_.p) / double(pop.spend_rate[i]));
    }
    /// Bytes of trait state per customer.
    [[nodiscard]] std::size_t trait_bytes() const { return kind_ == Kind::GammaGamma ? sizeof(float) : 0; }

private:
    Kind kind_ = Kind::GammaGamma;
    GammaGammaParams gg_;
    GammaShape p_shape_{std::max(1.0, gg_.p)};  ///< of the spend per purchase, when p >= 1
    GammaSqueeze p_squeeze_{p_shape_};          ///< its first tries' squeeze
    std::int64_t price_cents_ = 1000;
};

}  // namespace retsim
