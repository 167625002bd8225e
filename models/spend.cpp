// Reading and describing the spend model (equations in spend.hpp).
#include "models/spend.hpp"

namespace retsim {

SpendModel SpendModel::read(TableReader& spend) {
    SpendModel m;
    std::string model = "gamma_gamma";
    spend.text("model", model, {"gamma_gamma", "fixed"});
    m.kind_ = model == "fixed" ? Kind::Fixed : Kind::GammaGamma;
    spend.number("p", m.gg_.p, Range::positive());
    spend.number("q", m.gg_.q, Range::above(1.0));
    spend.number("gamma_cents", m.gg_.gamma_cents, Range::positive());
    spend.integer("price_cents", m.price_cents_, 0, std::int64_t{1} << 50);
    if (m.kind_ == Kind::Fixed) {
        for (const char* key : {"p", "q", "gamma_cents"}) {
            if (spend.has(key)) spend.problem(key, "only used by spend model \"gamma_gamma\", but model is \"fixed\"");
        }
    } else if (spend.has("price_cents")) {
        spend.problem("price_cents", "only used by spend model \"fixed\", but model is \"gamma_gamma\"");
    }
    spend.finish();
    m.p_shape_ = GammaShape(std::max(1.0, m.gg_.p));
    m.p_squeeze_ = GammaSqueeze(m.p_shape_);
    return m;
}

double SpendModel::mean_spend_cents() const {
    if (kind_ == Kind::Fixed) return double(price_cents_);
    return gg_.p * gg_.gamma_cents / (gg_.q - 1.0);
}

void SpendModel::append_parameters(std::vector<std::pair<std::string, double>>& out) const {
    if (kind_ == Kind::Fixed) {
        out.emplace_back("spend.price_cents", double(price_cents_));
    } else {
        out.emplace_back("spend.p", gg_.p);
        out.emplace_back("spend.q", gg_.q);
        out.emplace_back("spend.gamma_cents", gg_.gamma_cents);
    }
}

}  // namespace retsim
