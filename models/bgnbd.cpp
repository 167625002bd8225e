// BG/NBD purchasing in continuous time (equations in bgnbd.hpp).
#include "models/bgnbd.hpp"

#include <algorithm>
#include <array>
#include <span>

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
        for (std::size_t i = begin; i < end; ++i) {
            double lambda;
            Draws e = start_customer(pop, i, rk, sink, lambda);
            pop.next_event_day[i] = float(double(pop.birth_day[i]) + e.exponential() / lambda);
        }
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
        for (std::size_t i = begin; i < end; ++i) {
            double lambda;
            Draws e = start_customer(pop, i, rk, outside_accounts, lambda);
            const double birth = pop.birth_day[i];
            const double days = until_day - birth;
            if (!(days > 0.0)) {
                pop.next_event_day[i] = float(birth + e.exponential() / lambda);
                continue;
            }
            // As in advance(): the stored rate, times the strategies' and moods' multiplier.
            const double rate = rate_mult(pop, i);
            lambda = double(pop.lambda_per_day[i]) * rate;
            Draws h(rk, pop.key[i], Stream::History, 0);
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
        }
    }

    // Purchases of all buyers of a chunk, one purchase each per wave. A customer's purchases
    // form a chain (each wait starts at the previous purchase), and one customer's chain ends
    // at a random length, which a branch cannot predict; a wave instead hashes the next random
    // block of every buyer still in the step in one loop (independent blocks overlap in the
    // multiplier), then makes those purchases and keeps, without a branch, the buyers whose
    // next purchase still falls in the step. The draws, and so the results, are those of
    // buying customer by customer.
    void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                 const RandomKey& rk, PurchaseSink& sink) const override {
        // The customers who buy before until_day (t < until_day exactly when the float t is
        // below float_not_below(until_day)). death_day is +inf unless planned (a customer
        // leaving for a competitor).
        const float until_up = float_not_below(until_day);
        const auto due = [&](std::size_t i) {
            return (pop.next_event_day[i] < until_up) & (pop.next_event_day[i] < pop.death_day[i]);
        };
        list_due(begin, end, due, [&](std::span<const std::uint32_t> buyers) {
            // The chunk's tallies in a local, whose address is not taken: they stay in registers.
            PurchaseSink tally = sink;
            // Per buyer (q-th of the chunk): the next purchase day, purchases so far, spend this
            // step, last purchase day, rate and chance of leaving at a purchase.
            std::array<double, kDueChunk> t, last, lambda, leave;
            std::array<std::uint32_t, kDueChunk> n;
            std::array<std::int64_t, kDueChunk> spent;
            std::array<std::uint16_t, kDueChunk> active;  // buyers still buying in this step
            std::array<Draws::Block, kDueChunk> block;   // of each active buyer's next purchase
            // That purchase: its spend, whether the buyer leaves at it, the wait to the next, and
            // whether it was taken from the block's words alone.
            std::array<std::int64_t, kDueChunk> cents;
            std::array<bool, kDueChunk> leaves, first_try;
            std::array<double, kDueChunk> wait;
            static_assert(kDueChunk <= 65536);
            for (std::size_t q = 0; q < buyers.size(); ++q) {
                const std::size_t i = buyers[q];
                t[q] = pop.next_event_day[i];
                n[q] = pop.repeat_purchases[i];
                spent[q] = 0;
                const double rate = rate_mult(pop, i);
                lambda[q] = double(pop.lambda_per_day[i]) * rate;
                // Strategies and moods multiply the risk of leaving per unit of time. Here leaving
                // happens at purchases, so the chance per purchase is scaled by risk / rate: a
                // customer who only buys faster does not leave sooner for it.
                leave[q] = std::min(1.0, double(pop.dropout_p[i]) * risk_mult(pop, i) / rate);
                active[q] = std::uint16_t(q);
            }
            std::size_t n_active = buyers.size();
            while (n_active > 0) {
                for (std::size_t a = 0; a < n_active; ++a) {
                    const std::size_t q = active[a];
                    block[a] = Draws::first_block(rk, pop.key[buyers[q]], Stream::Purchase, n[q] + 1);
                }
                // The spend, whether the customer leaves at this purchase, and the wait to the
                // next: straight from the block when each first try is accepted (most purchases),
                // else through Draws (the same words, so the same values). In separate loops, each
                // short: the purchases of a wave are independent, and short loops let the
                // processor work on many of them at once.
                for (std::size_t a = 0; a < n_active; ++a) {
                    const std::size_t q = active[a];
                    const std::uint64_t* words = block[a].v;
                    int used;
                    const bool quick = first_try_purchase_cents(pop, buyers[q], spend_, words, used, cents[a]);
                    leaves[a] = Draws::uniform_from(words[used & 3]) < leave[q];
                    first_try[a] = quick & (leaves[a] | exponential_first_try(words[(used + 1) & 3], wait[a]));
                }
                for (std::size_t a = 0; a < n_active; ++a) {
                    if (first_try[a]) continue;
                    const std::size_t q = active[a];
                    const std::size_t i = buyers[q];
                    Draws e(rk, pop.key[i], Stream::Purchase, n[q] + 1, block[a]);
                    cents[a] = purchase_cents(pop, i, spend_, e);
                    leaves[a] = e.uniform() < leave[q];
                    if (!leaves[a]) wait[a] = e.exponential();
                }
                std::size_t still = 0;
                for (std::size_t a = 0; a < n_active; ++a) {
                    const std::size_t q = active[a];
                    const std::size_t i = buyers[q];
                    ++n[q];
                    tally.record(cents[a], true);
                    spent[q] += cents[a];
                    last[q] = t[q];
                    if (leaves[a]) {
                        pop.death_day[i] = float(t[q]);
                        t[q] = kNever;
                        continue;
                    }
                    t[q] += wait[a] / lambda[q];
                    active[still] = std::uint16_t(q);
                    still += std::size_t((t[q] < until_day) & (t[q] < double(pop.death_day[i])));
                }
                n_active = still;
            }
            for (std::size_t q = 0; q < buyers.size(); ++q) {
                const std::size_t i = buyers[q];
                pop.repeat_purchases[i] = n[q];
                pop.spend_cents[i] += spent[q];
                pop.last_purchase_day[i] = float(last[q]);
                pop.next_event_day[i] = float(t[q]);
            }
            sink = tally;
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
    /// Customer i's traits and first purchase (at birth); `lambda` is its purchase rate per day
    /// before rounding to the stored float. Returns that purchase's draws: their next value
    /// times the first wait.
    Draws start_customer(Population& pop, std::size_t i, const RandomKey& rk, PurchaseSink& sink,
                         double& lambda) const {
        Draws traits(rk, pop.key[i], Stream::Traits, 0);
        lambda = gamma_variate(traits, p_.r) * (1.0 / (7.0 * p_.alpha_weeks));  // Gamma(r, 1) -> per day
        pop.lambda_per_day[i] = float(lambda);
        pop.dropout_p[i] = float(beta_variate(traits, p_.a, p_.b));
        spend_.draw_trait(traits, pop, i);
        Draws e(rk, pop.key[i], Stream::Purchase, 0);
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
