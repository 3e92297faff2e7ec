// NewReno's run, in a translation unit of its own (l4kit_side.hpp).
#include "l4kit_side.hpp"

#include <l4/congestion/newreno.hpp>

namespace l4bench {

outcome run_l4kit_newreno(const scenario& s) { return run_l4kit<l4::congestion::newreno>(s); }

}  // namespace l4bench
