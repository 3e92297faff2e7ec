// CUBIC without the Reno-friendly region's run, in a translation unit of its own (l4kit_side.hpp).
#include "l4kit_side.hpp"

#include <l4/congestion/cubic.hpp>

namespace l4bench {

outcome run_l4kit_cubic_without_reno_friendly(const scenario& s) { return run_l4kit<l4::congestion::cubic_without_reno_friendly>(s); }

}  // namespace l4bench
