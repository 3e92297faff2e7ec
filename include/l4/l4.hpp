// l4kit: everything in one include.
//
// Each layer adds its umbrella header (or its headers) here as it lands;
// include the individual headers instead where compile time matters.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/frame_queue.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>
