// BG/NBD purchasing in continuous time (equations in bgnbd.hpp).
#include "models/bgnbd.hpp"

#include <algorithm>
#include <array>

#include "models/firm_prediction.hpp"
#include "models/purchase_events.hpp"
#include "models/samplers.hpp"

namespace retsim {
namespace {

class BgNbd final : public Behaviour {
public:
    BgNbd(const BgNbdParams& p, const SpendModel& spend) : p_(p), spend_(spend) {}

    std::string name() const override { return "bgnbd"; }
    std::vector<std::pair<std::string, double>> parameters() const override {
        std::vector<std::pair<std::string, double>> out = {
            {"bgnbd.r", p_.r}, {"bgnbd.alpha_weeks", p_.alpha_weeks}, {"bgnbd.a", p_.a}, {"bgnbd.b", p_.b}};
        spend_.append_parameters(out);
        return out;
    }
    double mean_interpurchase_days() const override { return 7.0 * p_.alpha_weeks / p_.r; }
    bool churn_observed() const override { return false; }

    void allocate(Population& pop, std::size_t first, std::size_t count) const override {
        pop.lambda_per_day.allocate(first, count);
        pop.dropout_p.allocate(first, count);
        spend_.allocate(pop, first, count);
    }

    void start(Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
               PurchaseSink& sink) const override {
        for_start_chunks(pop, begin, end, rk, false, [&](std::size_t i, const StartBlocks& blocks) {
            double lambda;
            Draws e = start_customer(pop, i, rk, sink, lambda, blocks);
            pop.next_event_day[i] = float(double(pop.birth_day[i]) + e.exponential() / lambda);
        });
    }

    // The history up to `until_day` drawn whole, exact in distribution. Over the T days since
    // birth the Poisson process of rate lambda puts N ~ Poisson(lambda T) purchases, uniformly
    // placed; the customer leaves at the D-th, D ~ Geometric(p), if D <= N. Then x = D and the
    // last purchase (the time of leaving) is the D-th of N uniform order statistics,
    // birth + T Beta(D, N - D + 1). Otherwise x = N, the last purchase is birth + T U^(1/N),
    // and the clocks being memoryless, the next purchase comes Exp(lambda) after until_day.
    // The x repeat purchases spend one Gamma-sum draw (rounded to the cent once, not per
    // purchase). A handful of draws per customer instead of a Philox block per purchase.
    void start_with_history(Population& pop, std::size_t begin, std::size_t end, double until_day,
                            const RandomKey& rk) const override {
        PurchaseSink outside_accounts;
        for_start_chunks(pop, begin, end, rk, true, [&](std::size_t i, const StartBlocks& blocks) {
            double lambda;
            Draws e = start_customer(pop, i, rk, outside_accounts, lambda, blocks);
            const double birth = pop.birth_day[i];
            const double days = until_day - birth;
            if (!(days > 0.0)) {
                pop.next_event_day[i] = float(birth + e.exponential() / lambda);
                return;
            }
            // As in advance(): the stored rate, times the strategies' and moods' multiplier.
            const double rate = rate_mult(pop, i);
            lambda = double(pop.lambda_per_day[i]) * rate;
            Draws h(rk, pop.key[i], Stream::History, 0, blocks.history);
            const double n = double(poisson_variate(h, lambda * days));
            const double p = std::min(1.0, double(pop.dropout_p[i]) * risk_mult(pop, i) / rate);
            const double d = p >= 1.0 ? 1.0 : std::ceil(std::log(h.uniform()) / std::log1p(-p));
            double x = n, last = birth;
            if (d <= n) {
                x = d;
                last = birth + days * beta_variate(h, d, n - d + 1.0);
                pop.death_day[i] = float(last);
                pop.next_event_day[i] = kNever;
            } else {
                if (n > 0.0) last = birth + days * std::pow(h.uniform(), 1.0 / n);
                pop.next_event_day[i] = float(until_day + h.exponential() / lambda);
            }
            if (x > 0.0) {
                pop.repeat_purchases[i] = std::uint32_t(x);
                pop.spend_cents[i] += purchases_cents(pop, i, spend_, h, x);
                pop.last_purchase_day[i] = float(last);
            }
        });
    }

    void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                 const RandomKey& rk, PurchaseSink& sink) const override {
        buy_in_waves(pop, begin, end, until_day, rk, spend_, sink, [&](std::size_t i) {
            // Strategies and moods multiply the risk of leaving per unit of time. Here leaving
            // happens at purchases, so the chance per purchase is scaled by risk / rate: a
            // customer who only buys faster does not leave sooner for it.
            return std::min(1.0, double(pop.dropout_p[i]) * risk_mult(pop, i) / rate_mult(pop, i));
        });
    }

    bool revive(Population& pop, std::size_t i, double now, Draws& d) const override {
        pop.death_day[i] = kNever;
        pop.next_event_day[i] = float(now + d.exponential() / (double(pop.lambda_per_day[i]) * rate_mult(pop, i)));
        return true;
    }

    double p_alive(const FirmHistory& h) const override { return bgnbd_p_alive(p_, to_history(h)); }
    double predicted_margin_cents(const FirmHistory& h, double horizon_weeks, double rate,
                                  double margin) const override {
        const ClvInputs in = clv_inputs(spend_, h, horizon_weeks, rate, margin);
        return in.scale * bgnbd_clv(p_, in.gg, in.h, in.settings);
    }

private:
    /// The first random blocks of a starting customer: its traits (three blocks: the rate, the
    /// dropout chance's two Gamma draws and the spend trait take nine words when their first
    /// tries accept), its first purchase and, with a history, its history.
    struct StartBlocks {
        std::array<Draws::Block, 3> traits;
        Draws::Block purchase, history;
    };

    /// Calls start_one(i, blocks) for each customer i of [begin, end) in order, with its
    /// StartBlocks hashed a chunk at a time in one loop: independent blocks overlap in the
    /// multiplier, where one customer at a time would wait on each block's ten rounds.
    template <class StartOne>
    static void for_start_chunks(const Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
                                 bool history, StartOne&& start_one) {
        constexpr std::size_t kChunk = 64;
        std::array<StartBlocks, kChunk> blocks;
        for (std::size_t chunk = begin; chunk < end; chunk += kChunk) {
            const std::size_t n = std::min(kChunk, end - chunk);
            for (std::size_t j = 0; j < n; ++j) {
                const std::uint64_t key = pop.key[chunk + j];
                for (std::uint64_t b = 0; b < 3; ++b) blocks[j].traits[b] = Draws::block(rk, key, Stream::Traits, 0, b);
                blocks[j].purchase = Draws::first_block(rk, key, Stream::Purchase, 0);
                if (history) blocks[j].history = Draws::first_block(rk, key, Stream::History, 0);
            }
            for (std::size_t j = 0; j < n; ++j) start_one(chunk + j, blocks[j]);
        }
    }

    /// Customer i's traits and first purchase (at birth); `lambda` is its purchase rate per day
    /// before rounding to the stored float. Returns that purchase's draws: their next value
    /// times the first wait.
    Draws start_customer(Population& pop, std::size_t i, const RandomKey& rk, PurchaseSink& sink, double& lambda,
                         const StartBlocks& blocks) const {
        Draws traits(rk, pop.key[i], Stream::Traits, 0, blocks.traits);
        lambda = gamma_variate(traits, p_.r) * (1.0 / (7.0 * p_.alpha_weeks));  // Gamma(r, 1) -> per day
        pop.lambda_per_day[i] = float(lambda);
        pop.dropout_p[i] = float(beta_variate(traits, p_.a, p_.b));
        spend_.draw_trait(traits, pop, i);
        Draws e(rk, pop.key[i], Stream::Purchase, 0, blocks.purchase);
        record_first_purchase(pop, i, spend_, e, sink);
        return e;
    }

    BgNbdParams p_;
    SpendModel spend_;
};

}  // namespace

std::shared_ptr<const Behaviour> make_bgnbd(const BgNbdParams& params, const SpendModel& spend) {
    return std::make_shared<BgNbd>(params, spend);
}

std::shared_ptr<const Behaviour> build_bgnbd(TableReader& population) {
    BgNbdParams p;
    TableReader t = population.table("bgnbd");
    t.number("r", p.r, Range::positive());
    t.number("alpha_weeks", p.alpha_weeks, Range::positive());
    t.number("a", p.a, Range::positive());
    t.number("b", p.b, Range::positive());
    t.finish();
    TableReader s = population.table("spend");
    const SpendModel spend = SpendModel::read(s);
    return make_bgnbd(p, spend);
}

}  // namespace retsim
