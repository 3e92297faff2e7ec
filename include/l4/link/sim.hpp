// The network simulator: a deterministic discrete-event network in virtual
// time, for running stacks and congestion-control experiments much faster
// than real time, bit-identically for a given seed.
//
//   sim/random.hpp       seeded streams (splitmix64, xoshiro256**), distributions
//   sim/scheduler.hpp    the event heap: (time, insertion order)
//   sim/pool.hpp         frame slots reused through a free list
//   sim/ring.hpp         the FIFOs of queues, pipes and inboxes
//   sim/impairments.hpp  loss (Bernoulli, Gilbert–Elliott), corruption,
//                        duplication, reordering, jitter
//   sim/queue.hpp        drop-tail (packets, bytes) and RED
//   sim/channel.hpp      one direction: queue, bit rate, impairments, delay
//   sim/network.hpp      the network, its event loop, and the port (a Link)
//   sim/topology.hpp     point_to_point, dumbbell
//   sim/drive.hpp        a driver that polls each host only when it is due
#pragma once

#include <l4/link/sim/channel.hpp>
#include <l4/link/sim/drive.hpp>
#include <l4/link/sim/impairments.hpp>
#include <l4/link/sim/network.hpp>
#include <l4/link/sim/pool.hpp>
#include <l4/link/sim/queue.hpp>
#include <l4/link/sim/random.hpp>
#include <l4/link/sim/ring.hpp>
#include <l4/link/sim/scheduler.hpp>
#include <l4/link/sim/topology.hpp>
