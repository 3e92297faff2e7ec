// What a channel does to a frame after serialising it: loss, corruption,
// duplication, reordering, jitter. Each impairment draws from its own seeded
// stream (random.hpp), and draws nothing while its probability is zero, so
// the loss pattern of a seed stays the same when jitter is switched on.
//
// Order, once per frame as its last bit leaves the sender (the frame has
// used the wire's time whatever happens to it next):
//   1. loss         the frame is gone (counted as lost);
//   2. corruption   one bit, chosen uniformly, is flipped;
//   3. duplication  a second copy follows the (possibly corrupted) frame
//                   and arrives right after it;
//   4. reordering   the frame (and its copy) is held back an extra delay,
//                   so frames sent after it within that delay overtake it;
//   5. jitter       a random extra delay in [0, max], which never reorders:
//                   a frame is not delivered before the one sent ahead of
//                   it on the same channel (its delay is raised to match).
//                   Only step 4 reorders.
#pragma once

#include <l4/core/time.hpp>
#include <l4/link/sim/random.hpp>

#include <cstdint>
#include <variant>

namespace l4::link::sim {

struct no_loss {};

// Independent losses: each frame is lost with probability p.
struct bernoulli_loss {
    double p = 0.01;
};

// Gilbert–Elliott: a two-state Markov chain stepped once per frame.
//
//        p (good → bad)
//   GOOD ───────────────► BAD
//        ◄───────────────
//        r (bad → good)
//
// In each state a frame is lost with that state's probability. The time
// spent in BAD is geometric, so with loss_in_bad = 1 and loss_in_good = 0
// (Gilbert's original model) losses come in bursts of mean length 1/r and
// the long-run loss rate is p / (p + r).
//
// Naming: Elliott (1963) writes k and h for the probability that a frame
// gets through in the good and the bad state (netem's "gemodel p r 1-h 1-k"
// follows him); the fields below name the loss probabilities directly:
// loss_in_good = 1 − k, loss_in_bad = 1 − h.
struct gilbert_elliott {
    double p = 0.01;             // P(good → bad) per frame
    double r = 0.25;             // P(bad → good) per frame; mean bad sojourn 1/r frames
    double loss_in_good = 0.0;   // 1 − k
    double loss_in_bad = 1.0;    // 1 − h
};

using loss_config = std::variant<no_loss, bernoulli_loss, gilbert_elliott>;

struct reorder_config {
    double probability = 0;
    duration delay{};  // extra delay of a reordered frame
};

struct jitter_config {
    duration max{};  // 0: no jitter
    jitter_shape shape = jitter_shape::uniform;
};

struct impairments_config {
    loss_config loss = no_loss{};
    double corrupt = 0;    // probability that one bit of the frame flips
    double duplicate = 0;  // probability that a second copy is delivered
    reorder_config reorder{};
    jitter_config jitter{};
};

// The per-channel state: the streams and the Gilbert–Elliott state.
class impairments {
public:
    impairments(const impairments_config& cfg, std::uint64_t network_seed, std::uint64_t channel)
        : corrupt_{cfg.corrupt},
          duplicate_{cfg.duplicate},
          reorder_{cfg.reorder.probability},
          reorder_delay_{cfg.reorder.delay},
          jitter_{cfg.jitter},
          loss_rng_{derive_seed(network_seed, channel, stream::loss)},
          corrupt_rng_{derive_seed(network_seed, channel, stream::corrupt)},
          duplicate_rng_{derive_seed(network_seed, channel, stream::duplicate)},
          reorder_rng_{derive_seed(network_seed, channel, stream::reorder)},
          jitter_rng_{derive_seed(network_seed, channel, stream::jitter)} {
        if (const auto* b = std::get_if<bernoulli_loss>(&cfg.loss)) {
            model_ = model::bernoulli;
            loss_good_ = chance{b->p};
        } else if (const auto* ge = std::get_if<gilbert_elliott>(&cfg.loss)) {
            model_ = model::gilbert_elliott;
            to_bad_ = chance{ge->p};
            to_good_ = chance{ge->r};
            loss_good_ = chance{ge->loss_in_good};
            loss_bad_ = chance{ge->loss_in_bad};
        }
    }

    // True when some impairment may act; lets the channel skip them all.
    [[nodiscard]] bool any() const noexcept { return model_ != model::none || any_after_loss(); }
    // True when one of steps 2-5 may act; lets a lossy channel skip them.
    [[nodiscard]] bool any_after_loss() const noexcept {
        return corrupt_.possible() || duplicate_.possible() || reorder_.possible() || jitter_.max.count() > 0;
    }

    // Step 1. Gilbert–Elliott: decide in the current state, then step the chain.
    [[nodiscard]] bool lose() noexcept {
        switch (model_) {
        case model::none: return false;
        case model::bernoulli: return loss_good_(loss_rng_);
        case model::gilbert_elliott: {
            const bool lost = bad_ ? loss_bad_(loss_rng_) : loss_good_(loss_rng_);
            bad_ = bad_ ? !to_good_(loss_rng_) : to_bad_(loss_rng_);
            return lost;
        }
        }
        return false;
    }
    // Step 2: the bit to flip, or -1 for none. Bits are numbered from the
    // first byte's most significant bit, as on the wire.
    [[nodiscard]] std::int64_t corrupt_bit(std::uint32_t len) noexcept {
        if (len == 0 || !corrupt_(corrupt_rng_)) return -1;
        return static_cast<std::int64_t>(uniform_below(corrupt_rng_, std::uint64_t{len} * 8));
    }
    // Step 3.
    [[nodiscard]] bool duplicate() noexcept { return duplicate_(duplicate_rng_); }
    // Step 4: is this frame held back by reorder_delay()?
    [[nodiscard]] bool reorder() noexcept { return reorder_(reorder_rng_); }
    [[nodiscard]] duration reorder_delay() const noexcept { return reorder_delay_; }
    // Step 5.
    [[nodiscard]] duration jitter() noexcept {
        if (jitter_.max.count() <= 0) return duration{0};
        return random_delay(jitter_rng_, jitter_.max, jitter_.shape);
    }

    [[nodiscard]] bool in_bad_state() const noexcept { return bad_; }

private:
    enum class model : std::uint8_t { none, bernoulli, gilbert_elliott };
    model model_ = model::none;
    bool bad_ = false;  // Gilbert–Elliott starts in the good state
    chance loss_good_, loss_bad_, to_bad_, to_good_;
    chance corrupt_, duplicate_, reorder_;
    duration reorder_delay_;
    jitter_config jitter_;
    rng loss_rng_, corrupt_rng_, duplicate_rng_, reorder_rng_, jitter_rng_;
};

}  // namespace l4::link::sim
