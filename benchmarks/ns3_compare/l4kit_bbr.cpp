// BBR v1's run, in a translation unit of its own (l4kit_side.hpp).
#include "l4kit_side.hpp"

#include <l4/congestion/bbr.hpp>

namespace l4bench {

outcome run_l4kit_bbr(const scenario& s) { return run_l4kit<l4::congestion::bbr>(s); }

}  // namespace l4bench
