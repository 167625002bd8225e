// Shifted-beta-geometric renewals (equations in sbg.hpp).
#include "models/sbg.hpp"

#include "models/purchase_events.hpp"
#include "models/samplers.hpp"

namespace retsim {
namespace {

class Sbg final : public Behaviour {
public:
    Sbg(const SbgParams& p, const SpendModel& spend) : p_(p), spend_(spend) {}

    std::string name() const override { return "sbg"; }
    std::vector<std::pair<std::string, double>> parameters() const override {
        std::vector<std::pair<std::string, double>> out = {
            {"sbg.gamma", p_.gamma}, {"sbg.delta", p_.delta}, {"sbg.billing_period_days", p_.billing_period_days}};
        spend_.append_parameters(out);
        return out;
    }
    double mean_interpurchase_days() const override { return p_.billing_period_days; }
    bool churn_observed() const override { return true; }

    void allocate(Population& pop, std::size_t first, std::size_t count) const override {
        pop.churn_theta.allocate(first, count);
        spend_.allocate(pop, first, count);
    }

    void start(Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
               PurchaseSink& sink) const override {
        for (std::size_t i = begin; i < end; ++i) {
            Draws traits(rk, pop.key[i], Stream::Traits, 0);
            pop.churn_theta[i] = float(beta_variate(traits, p_.gamma, p_.delta));
            spend_.draw_trait(traits, pop, i);
            Draws e(rk, pop.key[i], Stream::Purchase, 0);
            record_first_purchase(pop, i, spend_, e, sink);
            pop.next_event_day[i] = float(double(pop.birth_day[i]) + p_.billing_period_days);
        }
    }

    void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                 const RandomKey& rk, PurchaseSink& sink) const override {
        for (std::size_t i = begin; i < end; ++i) {
            double t = pop.next_event_day[i];
            const double death = pop.death_day[i];  // +inf unless planned (a customer leaving for a competitor)
            if (!(t < until_day) || !(t < death)) continue;
            const double theta = std::min(1.0, double(pop.churn_theta[i]) * risk_mult(pop, i));
            do {
                const std::uint32_t k = pop.repeat_purchases[i] + 1;  // renewal number
                Draws e(rk, pop.key[i], Stream::Purchase, k);
                if (e.uniform() < theta) {
                    pop.death_day[i] = float(t);
                    t = kNever;
                    break;
                }
                pop.repeat_purchases[i] = k;
                record_repeat_purchase(pop, i, t, spend_, e, sink);
                // From the renewal count, not by accumulation, so periods never drift.
                t = double(pop.birth_day[i]) + double(k + 1) * p_.billing_period_days;
            } while (t < until_day && t < death);
            pop.next_event_day[i] = float(t);
        }
    }

    /// Renewals follow the billing calendar, not a clock: only the multipliers change.
    void influence(Population& pop, std::size_t i, double /*now*/, float rate, float risk, float spend) const override {
        pop.rate_mult[i] = rate;
        pop.risk_mult[i] = risk;
        pop.spend_mult[i] = spend;
    }

private:
    SbgParams p_;
    SpendModel spend_;
};

}  // namespace

std::shared_ptr<const Behaviour> make_sbg(const SbgParams& params, const SpendModel& spend) {
    return std::make_shared<Sbg>(params, spend);
}

std::shared_ptr<const Behaviour> build_sbg(TableReader& population) {
    SbgParams p;
    TableReader t = population.table("sbg");
    t.number("gamma", p.gamma, Range::positive());
    t.number("delta", p.delta, Range::positive());
    t.number("billing_period_days", p.billing_period_days, Range::positive());
    t.finish();
    TableReader s = population.table("spend");
    return make_sbg(p, SpendModel::read(s));
}

}  // namespace retsim
