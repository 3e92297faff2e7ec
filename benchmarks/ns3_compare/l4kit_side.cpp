// The l4kit side's entry point. Each algorithm's run is compiled in a
// translation unit of its own (l4kit_side.hpp says why).
#include "scenario.hpp"

namespace l4bench {

outcome run_l4kit_newreno(const scenario& s);
outcome run_l4kit_cubic(const scenario& s);
outcome run_l4kit_cubic_without_reno_friendly(const scenario& s);
outcome run_l4kit_bbr(const scenario& s);

outcome run_l4kit(algorithm a, const scenario& s) {
    switch (a) {
        case algorithm::newreno: return run_l4kit_newreno(s);
        case algorithm::cubic: return run_l4kit_cubic(s);
        case algorithm::cubic_without_reno_friendly: return run_l4kit_cubic_without_reno_friendly(s);
        case algorithm::bbr: return run_l4kit_bbr(s);
    }
    return {};
}

}  // namespace l4bench
