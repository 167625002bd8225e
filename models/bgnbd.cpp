// BG/NBD purchasing in continuous time (equations in bgnbd.hpp).
#include "models/bgnbd.hpp"

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
        const double rate_scale = 1.0 / (7.0 * p_.alpha_weeks);  // Gamma(r, 1) -> per day
        for (std::size_t i = begin; i < end; ++i) {
            Draws traits(rk, pop.key[i], Stream::Traits, 0);
            const double lambda = gamma_variate(traits, p_.r) * rate_scale;
            pop.lambda_per_day[i] = float(lambda);
            pop.dropout_p[i] = float(beta_variate(traits, p_.a, p_.b));
            spend_.draw_trait(traits, pop, i);

            Draws e(rk, pop.key[i], Stream::Purchase, 0);
            record_first_purchase(pop, i, spend_, e, sink);
            pop.next_event_day[i] = float(double(pop.birth_day[i]) + e.exponential() / lambda);
        }
    }

    void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                 const RandomKey& rk, PurchaseSink& sink) const override {
        for (std::size_t i = begin; i < end; ++i) {
            double t = pop.next_event_day[i];
            const double death = pop.death_day[i];  // +inf unless planned (a customer leaving for a competitor)
            if (!(t < until_day) || !(t < death)) continue;
            const double rate = rate_mult(pop, i);
            const double lambda = double(pop.lambda_per_day[i]) * rate;
            // Strategies and moods multiply the risk of leaving per unit of time. Here leaving
            // happens at purchases, so the chance per purchase is scaled by risk / rate: a
            // customer who only buys faster does not leave sooner for it.
            const double p = std::min(1.0, double(pop.dropout_p[i]) * risk_mult(pop, i) / rate);
            do {
                const std::uint32_t n = ++pop.repeat_purchases[i];
                Draws e(rk, pop.key[i], Stream::Purchase, n);
                record_repeat_purchase(pop, i, t, spend_, e, sink);
                if (e.uniform() < p) {
                    pop.death_day[i] = float(t);
                    t = kNever;
                    break;
                }
                t += e.exponential() / lambda;
            } while (t < until_day && t < death);
            pop.next_event_day[i] = float(t);
        }
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
