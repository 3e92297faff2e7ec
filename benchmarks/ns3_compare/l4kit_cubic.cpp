// CUBIC (RFC 9438)'s run, in a translation unit of its own (l4kit_side.hpp).
#include "l4kit_side.hpp"

#include <l4/congestion/cubic.hpp>

namespace l4bench {

outcome run_l4kit_cubic(const scenario& s) { return run_l4kit<l4::congestion::cubic>(s); }

}  // namespace l4bench
