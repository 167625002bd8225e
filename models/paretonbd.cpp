// Pareto/NBD purchasing in continuous time (equations in paretonbd.hpp).
#include "models/paretonbd.hpp"

#include "models/firm_prediction.hpp"
#include "models/purchase_events.hpp"
#include "models/samplers.hpp"

namespace retsim {
namespace {

class ParetoNbd final : public Behaviour {
public:
    ParetoNbd(const ParetoNbdParams& p, const SpendModel& spend) : p_(p), spend_(spend) {}

    std::string name() const override { return "paretonbd"; }
    std::vector<std::pair<std::string, double>> parameters() const override {
        std::vector<std::pair<std::string, double>> out = {{"paretonbd.r", p_.r},
                                                            {"paretonbd.alpha_weeks", p_.alpha_weeks},
                                                            {"paretonbd.s", p_.s},
                                                            {"paretonbd.beta_weeks", p_.beta_weeks}};
        spend_.append_parameters(out);
        return out;
    }
    double mean_interpurchase_days() const override { return 7.0 * p_.alpha_weeks / p_.r; }
    bool churn_observed() const override { return false; }

    void allocate(Population& pop, std::size_t first, std::size_t count) const override {
        pop.lambda_per_day.allocate(first, count);
        pop.death_rate_per_day.allocate(first, count);
        spend_.allocate(pop, first, count);
    }

    void start(Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
               PurchaseSink& sink) const override {
        const double rate_scale = 1.0 / (7.0 * p_.alpha_weeks);
        const double death_scale = 1.0 / (7.0 * p_.beta_weeks);
        for (std::size_t i = begin; i < end; ++i) {
            Draws traits(rk, pop.key[i], Stream::Traits, 0);
            const double lambda = gamma_variate(traits, p_.r) * rate_scale;
            const double mu = gamma_variate(traits, p_.s) * death_scale;
            pop.lambda_per_day[i] = float(lambda);
            pop.death_rate_per_day[i] = float(mu);
            spend_.draw_trait(traits, pop, i);

            Draws e(rk, pop.key[i], Stream::Purchase, 0);
            record_first_purchase(pop, i, spend_, e, sink);
            const double birth = pop.birth_day[i];
            pop.death_day[i] = float(birth + traits.exponential() / mu);
            // Kept even when it falls after the death: a strategy may still lengthen the life.
            pop.next_event_day[i] = float(birth + e.exponential() / lambda);
        }
    }

    void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                 const RandomKey& rk, PurchaseSink& sink) const override {
        buy_in_waves(pop, begin, end, until_day, rk, spend_, sink, NoLeavingAtPurchases{});
    }

    /// Rescales the pending purchase by the rate and the remaining lifetime by the risk.
    void influence(Population& pop, std::size_t i, double now, float rate, float risk, float spend) const override {
        const double death = pop.death_day[i];
        if (std::isfinite(death) && death > now && risk != pop.risk_mult[i]) {
            pop.death_day[i] = float(now + (death - now) * double(pop.risk_mult[i]) / double(risk));
        }
        Behaviour::influence(pop, i, now, rate, risk, spend);
    }

    bool revive(Population& pop, std::size_t i, double now, Draws& d) const override {
        pop.death_day[i] = float(now + d.exponential() / (double(pop.death_rate_per_day[i]) * risk_mult(pop, i)));
        pop.next_event_day[i] = float(now + d.exponential() / (double(pop.lambda_per_day[i]) * rate_mult(pop, i)));
        return true;
    }

    double p_alive(const FirmHistory& h) const override { return paretonbd_p_alive(p_, to_history(h)); }
    double predicted_margin_cents(const FirmHistory& h, double horizon_weeks, double rate,
                                  double margin) const override {
        const ClvInputs in = clv_inputs(spend_, h, horizon_weeks, rate, margin);
        return in.scale * paretonbd_clv(p_, in.gg, in.h, in.settings);
    }

private:
    ParetoNbdParams p_;
    SpendModel spend_;
};

}  // namespace

std::shared_ptr<const Behaviour> make_paretonbd(const ParetoNbdParams& params, const SpendModel& spend) {
    return std::make_shared<ParetoNbd>(params, spend);
}

std::shared_ptr<const Behaviour> build_paretonbd(TableReader& population) {
    ParetoNbdParams p;
    TableReader t = population.table("paretonbd");
    t.number("r", p.r, Range::positive());
    t.number("alpha_weeks", p.alpha_weeks, Range::positive());
    t.number("s", p.s, Range::positive());
    t.number("beta_weeks", p.beta_weeks, Range::positive());
    t.finish();
    TableReader s = population.table("spend");
    return make_paretonbd(p, SpendModel::read(s));
}

}  // namespace retsim
