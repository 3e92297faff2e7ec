// ECN (RFC 3168) as traces: the negotiation on the SYN and SYN-ACK, which
// segments leave ECT(0), the receiver's ECE until CWR, and the sender's one
// reduction per window. Then two hosts on a memory link: the IP header
// carries the codepoint, and a SYN cookie's connection goes without ECN.
#include "injecting_link.hpp"
#include "trace.hpp"

#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <memory>

using namespace l4;
using namespace l4::trace;

namespace {

// A segment as it left, with the IP codepoint the connection chose for it.
struct sent {
    seq32 seq, ack;
    std::uint8_t flags;
    std::uint32_t len;
    std::uint8_t ecn;
    [[nodiscard]] bool has(std::uint8_t f) const { return (flags & f) != 0; }
};

template <class C>
std::vector<sent> out(C& c, instant now) {
    std::vector<sent> v;
    c.poll_transmit(now, [&](const tcp::segment& s) { v.push_back({s.seq, s.ack, s.flags.bits, s.payload_len, s.ecn}); });
    return v;
}

template <class C>
void in(C& c, const in_seg& s, instant now, std::uint8_t ip_ecn) {
    wire::tcp_repr r;
    r.src_port = 50007;
    r.dst_port = 40000;
    r.seq_number = seq32{s.seq};
    r.ack_number = seq32{s.ack};
    r.flags.bits = s.flags;
    r.window = s.window;
    r.options = s.options;
    if (s.mss) r.options.mss = s.mss;
    r.payload = {reinterpret_cast<const std::uint8_t*>(s.payload.data()), s.payload.size()};
    c.on_segment(r, now, ip_ecn);
}

constexpr std::uint8_t ece = f::ece, cwr = f::cwr;
using tcp::ip_ecn::ce;
using tcp::ip_ecn::ect0;
using tcp::ip_ecn::not_ect;

tcp::config with(tcp::ecn_mode m) {
    tcp::config cfg = small();
    cfg.ecn = m;
    cfg.nodelay = true;
    cfg.initial_window = 4000;  // 4 segments
    return cfg;
}

// An active open that asked for ECN; the SYN-ACK carries `syn_ack_flags` besides SYN|ACK.
conn active(std::uint8_t syn_ack_flags, tcp::ecn_mode m = tcp::ecn_mode::request) {
    conn c{with(m), seq32{iss}, t0};
    (void)out(c, t0);
    in(c, {irs, iss + 1, static_cast<std::uint8_t>(f::syn | f::ack | syn_ack_flags), 65535, {}, 1000}, t0 + 10ms, not_ect);
    (void)out(c, t0 + 10ms);
    REQUIRE(c.current_state() == tcp::state::established);
    return c;
}
conn ecn_established() {
    auto c = active(ece);
    REQUIRE(c.ecn().enabled);
    return c;
}

wire::tcp_repr syn_with(std::uint8_t extra) {
    wire::tcp_repr syn;
    syn.src_port = 50007;
    syn.dst_port = 40000;
    syn.seq_number = seq32{irs};
    syn.flags.bits = f::syn | extra;
    syn.window = 65535;
    syn.options.mss = 1000;
    return syn;
}

}  // namespace

// --- negotiation (RFC 3168 §6.1.1) ---------------------------------------------

TEST_CASE("ecn: a requesting SYN carries ECE|CWR and is not-ECT, an ECE-only SYN-ACK turns ECN on",
          "[tcp][ecn][trace]") {
    conn c{with(tcp::ecn_mode::request), seq32{iss}, t0};
    const auto syn = out(c, t0);
    REQUIRE(syn.size() == 1);
    CHECK(syn[0].flags == (f::syn | ece | cwr));
    CHECK(syn[0].ecn == not_ect);
    in(c, {irs, iss + 1, f::syn | f::ack | ece, 65535, {}, 1000}, t0 + 10ms, not_ect);
    const auto ack = out(c, t0 + 10ms);
    REQUIRE(ack.size() == 1);
    CHECK(ack[0].flags == f::ack);  // the handshake's ACK: no ECN flags, not-ECT
    CHECK(ack[0].ecn == not_ect);
    CHECK(c.ecn().enabled);
}

TEST_CASE("ecn: no ECN unless the SYN-ACK carries ECE alone", "[tcp][ecn][trace]") {
    CHECK_FALSE(active(0).ecn().enabled);            // a peer without ECN
    CHECK_FALSE(active(ece | cwr).ecn().enabled);    // RFC 3168 §6.1.1: ECE|CWR on a SYN-ACK is no answer
    CHECK_FALSE(active(ece, tcp::ecn_mode::accept).ecn().enabled);  // we did not ask
    CHECK_FALSE(active(ece, tcp::ecn_mode::off).ecn().enabled);
}

TEST_CASE("ecn: by default a SYN does not ask, as Linux's tcp_ecn = 2", "[tcp][ecn][trace]") {
    CHECK(tcp::config{}.ecn == tcp::ecn_mode::accept);
    conn c{small(), seq32{iss}, t0};
    const auto syn = out(c, t0);
    REQUIRE(syn.size() == 1);
    CHECK(syn[0].flags == f::syn);
}

TEST_CASE("ecn: a SYN sent again after a timeout asks no more (RFC 3168 §6.1.1.1)", "[tcp][ecn][trace]") {
    conn c{with(tcp::ecn_mode::request), seq32{iss}, t0};
    REQUIRE(out(c, t0)[0].flags == (f::syn | ece | cwr));
    const auto again = out(c, t0 + 1100ms);  // RFC 6298 §2.1: 1 s
    REQUIRE(again.size() == 1);
    CHECK(again[0].flags == f::syn);
    // An ECN-setup SYN-ACK to the first SYN is no longer an answer to what we sent.
    in(c, {irs, iss + 1, f::syn | f::ack | ece, 65535, {}, 1000}, t0 + 1200ms, not_ect);
    CHECK(c.current_state() == tcp::state::established);
    CHECK_FALSE(c.ecn().enabled);
}

TEST_CASE("ecn: a listener's connection answers an ECN-setup SYN with an ECE-only SYN-ACK, unless ECN is off",
          "[tcp][ecn][trace]") {
    SECTION("accept (the default)") {
        conn c{with(tcp::ecn_mode::accept), seq32{iss}, syn_with(ece | cwr), t0};
        const auto sa = out(c, t0);
        REQUIRE(sa.size() == 1);
        CHECK(sa[0].flags == (f::syn | f::ack | ece));
        CHECK(sa[0].ecn == not_ect);  // RFC 3168 §6.1.1: the SYN-ACK is not-ECT
        CHECK(c.ecn().enabled);
    }
    SECTION("off") {
        conn c{with(tcp::ecn_mode::off), seq32{iss}, syn_with(ece | cwr), t0};
        CHECK(out(c, t0)[0].flags == (f::syn | f::ack));
        CHECK_FALSE(c.ecn().enabled);
    }
    SECTION("a SYN that does not ask (ECE alone is no ECN-setup SYN)") {
        conn plain{with(tcp::ecn_mode::request), seq32{iss}, syn_with(0), t0};
        CHECK(out(plain, t0)[0].flags == (f::syn | f::ack));
        CHECK_FALSE(plain.ecn().enabled);
        conn half{with(tcp::ecn_mode::accept), seq32{iss}, syn_with(ece), t0};
        CHECK(out(half, t0)[0].flags == (f::syn | f::ack));
        CHECK_FALSE(half.ecn().enabled);
    }
}

// --- sending (RFC 3168 §6.1.4-5) ---------------------------------------------------

TEST_CASE("ecn: new data leaves ECT(0), while retransmissions, pure ACKs and window probes are not-ECT",
          "[tcp][ecn][trace]") {
    auto c = ecn_established();
    REQUIRE(c.send(as_bytes(text(2000))));
    const auto data = out(c, t0 + 20ms);
    REQUIRE(data.size() == 2);
    for (const auto& s : data) CHECK(s.ecn == ect0);
    // A timeout resends the first segment: not-ECT (§6.1.5).
    const auto rto = out(c, t0 + 20ms + 1100ms);
    REQUIRE(rto.size() == 1);
    CHECK(rto[0].len == 1000);
    CHECK(rto[0].ecn == not_ect);
    CHECK_FALSE(rto[0].has(cwr));  // CWR goes with new data only
    // Everything acknowledged, then new data: ECT(0), and CWR for the timeout's reduction.
    in(c, {irs + 1, iss + 2001, f::ack}, t0 + 1200ms, not_ect);
    (void)out(c, t0 + 1200ms);
    REQUIRE(c.send(as_bytes(text(500))));
    const auto next = out(c, t0 + 1300ms);
    REQUIRE(next.size() == 1);
    CHECK(next[0].ecn == ect0);
    CHECK(next[0].has(cwr));
    CHECK(c.stats().cwr_sent == 1);
    // Data from the peer is acknowledged with a pure ACK: not-ECT.
    in(c, {irs + 1, iss + 2501, f::ack, 65535, "hello"}, t0 + 1400ms, ect0);
    const auto ack = out(c, t0 + 1400ms + 300ms);
    REQUIRE(ack.size() == 1);
    CHECK(ack[0].len == 0);
    CHECK(ack[0].ecn == not_ect);
    // A zero window: the probe is not-ECT (§6.1.6).
    in(c, {irs + 6, iss + 2501, f::ack, 0}, t0 + 2s, not_ect);
    REQUIRE(c.send(as_bytes(text(100))));
    (void)out(c, t0 + 2s);
    std::vector<sent> probes;
    for (int i = 1; i <= 20 && probes.empty(); ++i)
        for (const auto& s : out(c, t0 + 2s + i * 500ms))
            if (s.len > 0) probes.push_back(s);
    REQUIRE(probes.size() == 1);
    CHECK(probes[0].len == 1);
    CHECK(probes[0].ecn == not_ect);
}

TEST_CASE("ecn: without ECN nothing is ECT and no ECN flag is set", "[tcp][ecn][trace]") {
    auto c = active(0);
    REQUIRE(c.send(as_bytes(text(2000))));
    for (const auto& s : out(c, t0 + 20ms)) {
        CHECK(s.ecn == not_ect);
        CHECK_FALSE(s.has(ece | cwr));
    }
    // A CE mark (a router that marks regardless) is not echoed.
    in(c, {irs + 1, iss + 1, f::ack, 65535, "x"}, t0 + 30ms, ce);
    for (const auto& s : out(c, t0 + 300ms)) CHECK_FALSE(s.has(ece));
    CHECK(c.stats().ce_received == 0);
}

// --- the receiver (RFC 3168 §6.1.3) ------------------------------------------------------

TEST_CASE("ecn: a CE mark is acknowledged at once with ECE, and every segment carries ECE until CWR",
          "[tcp][ecn][trace]") {
    auto c = ecn_established();
    std::uint32_t seq = irs + 1;
    // One unmarked segment: the delayed ACK holds it.
    in(c, {seq, iss + 1, f::ack, 65535, text(1000)}, t0 + 20ms, ect0);
    seq += 1000;
    CHECK(out(c, t0 + 20ms).empty());
    // A CE-marked one: an ACK at once, with ECE.
    in(c, {seq, iss + 1, f::ack, 65535, text(1000)}, t0 + 21ms, ce);
    seq += 1000;
    auto a = out(c, t0 + 21ms);
    REQUIRE(a.size() == 1);
    CHECK(a[0].has(ece));
    CHECK(a[0].ack == seq32{seq});
    CHECK(c.stats().ce_received == 1);
    // Unmarked data goes on: ECE stays, on delayed and immediate ACKs and on our own data.
    for (int i = 0; i < 4; ++i) {
        in(c, {seq, iss + 1, f::ack, 65535, text(1000)}, t0 + 22ms, ect0);
        seq += 1000;
    }
    REQUIRE(c.send(as_bytes(text(10))));
    a = out(c, t0 + 22ms);
    REQUIRE_FALSE(a.empty());
    for (const auto& s : a) CHECK(s.has(ece));
    // The sender's CWR ends it.
    in(c, {seq, iss + 11, f::ack | cwr, 65535, text(1000)}, t0 + 30ms, ect0);
    seq += 1000;
    a = out(c, t0 + 30ms + 300ms);
    REQUIRE(a.size() == 1);
    CHECK_FALSE(a[0].has(ece));
    // A CWR segment that is itself CE-marked starts a new echo (§6.1.3).
    in(c, {seq, iss + 11, f::ack | cwr, 65535, text(1000)}, t0 + 400ms, ce);
    seq += 1000;
    a = out(c, t0 + 400ms);
    REQUIRE(a.size() == 1);
    CHECK(a[0].has(ece));
    CHECK(c.stats().ce_received == 2);
}

// --- the sender (RFC 3168 §6.1.2) -----------------------------------------------------------

TEST_CASE("ecn: ECE halves the window once per window of data, without a retransmission, and CWR follows",
          "[tcp][ecn][trace]") {
    auto c = ecn_established();
    REQUIRE(c.send(as_bytes(text(12'000))));
    auto first = out(c, t0 + 20ms);  // the initial window: 4 segments of 1000
    REQUIRE(first.size() == 4);
    const std::uint32_t flight = 4000;
    // The first ACK says ECE: ssthresh = cwnd = FlightSize/2.
    in(c, {irs + 1, iss + 1001, f::ack | ece}, t0 + 40ms, not_ect);
    CHECK(c.stats().ecn_echoes == 1);
    CHECK(c.stats().ece_received == 1);
    CHECK(c.congestion().ssthresh() == flight / 2);
    CHECK(c.congestion().cwnd() == flight / 2);
    CHECK(out(c, t0 + 40ms).empty());  // 3000 in flight, cwnd 2000: nothing new may leave yet
    // More ECEs for the same window change nothing, and nothing is resent.
    in(c, {irs + 1, iss + 2001, f::ack | ece}, t0 + 41ms, not_ect);
    in(c, {irs + 1, iss + 3001, f::ack | ece}, t0 + 42ms, not_ect);
    CHECK(c.stats().ecn_echoes == 1);
    CHECK(c.stats().ece_received == 3);
    const auto next = out(c, t0 + 42ms);
    REQUIRE_FALSE(next.empty());
    // The first new data carries CWR, and only it.
    CHECK(next[0].seq == seq32{iss + 4001});
    CHECK(next[0].has(cwr));
    CHECK(next[0].ecn == ect0);
    for (std::size_t i = 1; i < next.size(); ++i) CHECK_FALSE(next[i].has(cwr));
    CHECK(c.stats().cwr_sent == 1);
    // The rest of the old window, with ECE: still the same window.
    in(c, {irs + 1, iss + 4001, f::ack | ece}, t0 + 60ms, not_ect);
    CHECK(c.stats().ecn_echoes == 1);
    (void)out(c, t0 + 60ms);
    // An ACK beyond it (the CWR segment was received): a new ECE reduces again.
    const auto cwnd_before = c.congestion().cwnd();
    const std::uint32_t in_flight_now = c.in_flight();
    in(c, {irs + 1, iss + 5001, f::ack | ece}, t0 + 80ms, not_ect);
    CHECK(c.stats().ecn_echoes == 2);
    CHECK(c.congestion().ssthresh() == std::max<std::uint32_t>(in_flight_now / 2, 2000));
    CHECK(c.congestion().cwnd() <= cwnd_before);
    CHECK(c.stats().retransmits_fast == 0);
    CHECK(c.stats().retransmits_timeout == 0);
    CHECK(c.invariants_held());
}

TEST_CASE("ecn: an ECE in fast recovery changes nothing, and recovery's own reduction is followed by CWR",
          "[tcp][ecn][trace]") {
    auto c = ecn_established();
    REQUIRE(c.send(as_bytes(text(8000))));
    REQUIRE(out(c, t0 + 20ms).size() == 4);
    // The first segment is lost: three duplicates, the third with ECE.
    in(c, {irs + 1, iss + 1, f::ack}, t0 + 40ms, not_ect);
    in(c, {irs + 1, iss + 1, f::ack}, t0 + 41ms, not_ect);
    in(c, {irs + 1, iss + 1, f::ack | ece}, t0 + 42ms, not_ect);
    std::vector<sent> after = out(c, t0 + 42ms);
    REQUIRE_FALSE(after.empty());
    CHECK(after[0].seq == seq32{iss + 1});  // the fast retransmit
    CHECK(after[0].ecn == not_ect);
    CHECK_FALSE(after[0].has(cwr));
    const auto ssthresh = c.congestion().ssthresh();
    in(c, {irs + 1, iss + 1, f::ack | ece}, t0 + 43ms, not_ect);
    CHECK(c.stats().ecn_echoes == 0);
    CHECK(c.congestion().ssthresh() == ssthresh);
    for (const auto& s : out(c, t0 + 43ms)) after.push_back(s);
    CHECK(c.stats().retransmits_fast == 1);
    // The full ACK ends recovery; an ECE on it belongs to the reduced window.
    in(c, {irs + 1, iss + 4001, f::ack | ece}, t0 + 60ms, not_ect);
    CHECK(c.stats().ecn_echoes == 0);
    for (const auto& s : out(c, t0 + 60ms)) after.push_back(s);
    // The first new data after recovery began carries CWR, and no other segment does.
    std::size_t first_new = after.size();
    for (std::size_t i = 0; i < after.size() && first_new == after.size(); ++i)
        if (after[i].len > 0 && after[i].seq >= seq32{iss + 4001}) first_new = i;
    REQUIRE(first_new < after.size());
    for (std::size_t i = 0; i < after.size(); ++i) CHECK(after[i].has(cwr) == (i == first_new));
    CHECK(after[first_new].ecn == ect0);
}

// --- two hosts: the codepoint in the IP header -------------------------------------------------

namespace {

const net::socket_address server{*net::ip_address::from_string("192.0.2.2"), 80};
const net::socket_address client{*net::ip_address::from_string("192.0.2.1"), 40000};

// A memory link that records the ECN field and TCP flags of every IPv4 frame it sends.
struct recording_link {
    struct frame_info {
        std::uint8_t ecn, flags;
        std::size_t payload;
    };
    test::injecting_link inner;
    std::vector<frame_info> sent;

    io_result<void> transmit(bytes frame, instant now) {
        auto ip = wire::ipv4_view::check(frame);
        if (ip && ip->protocol() == wire::ip_protocol::tcp) {
            auto t = wire::tcp_view::check(ip->payload());
            if (t) sent.push_back({ip->ecn(), t->flags().bits, t->payload().size()});
        }
        return inner.transmit(frame, now);
    }
    io_result<std::size_t> receive(mut_bytes b, instant now) { return inner.receive(b, now); }
    std::size_t mtu() const { return inner.mtu(); }
    std::optional<instant> next_deadline() const { return inner.next_deadline(); }
    int poll_fd() const { return inner.poll_fd(); }
};

using host = net::stack<recording_link, tcp::endpoint<>>;

struct pair {
    explicit pair(tcp::ecn_mode client_mode, tcp::ecn_mode server_mode, std::uint32_t backlog = 16) {
        auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 4096});
        tcp::endpoint_config ca, cb;
        ca.connection.ecn = client_mode;
        cb.connection.ecn = server_mode;
        a = std::make_unique<host>(recording_link{{std::move(x), {}}, {}},
                                   net::stack_config{.addresses = {client.address}, .secret = {1}}, tcp::endpoint<>{ca});
        b = std::make_unique<host>(recording_link{{std::move(y), {}}, {}},
                                   net::stack_config{.addresses = {server.address}, .secret = {2}}, tcp::endpoint<>{cb});
        listener = b->socket(net::socket_type::stream).value();
        REQUIRE(b->bind(listener, server));
        REQUIRE(b->listen(listener, backlog));
    }
    // Connects, sends `n` bytes client to server and reads them; returns the accepted socket.
    net::socket_id transfer(std::size_t n) {
        auto c = a->socket(net::socket_type::stream).value();
        client_socket = c;
        REQUIRE(a->connect(c, server, clk.now()));
        std::optional<net::socket_id> acc;
        REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] {
            if (!acc)
                if (auto s = b->accept(listener)) acc = *s;
            return acc && a->writable(c);
        }, *a, *b));
        const std::string data = text(n);
        std::size_t sent_n = 0, got = 0;
        std::array<std::uint8_t, 4096> buf{};
        REQUIRE(net::drive_all_until(clk, clk.now() + 10s, [&] {
            if (sent_n < n)
                if (auto r = a->send(c, as_bytes(data).subspan(sent_n), clk.now())) sent_n += *r;
            while (auto r = b->recv(*acc, buf)) {
                if (*r == 0) break;
                got += *r;
            }
            return got == n;
        }, *a, *b));
        return *acc;
    }
    const tcp::endpoint<>::connection_type& client_conn() const {
        return *a->transport<tcp::endpoint<>>().connection_of(a->sockets().find(client_socket)->local);
    }
    std::unique_ptr<host> a, b;
    net::socket_id listener{}, client_socket{};
    virtual_clock clk;
};

}  // namespace

TEST_CASE("ecn: between two hosts the data frames are ECT(0) in the IPv4 header, and nothing else is",
          "[tcp][ecn][stack]") {
    pair p{tcp::ecn_mode::request, tcp::ecn_mode::accept};
    (void)p.transfer(20'000);
    CHECK(p.client_conn().ecn().enabled);
    const auto& sent = p.a->link().sent;
    REQUIRE(sent.size() > 10);
    CHECK(sent.front().flags == (f::syn | ece | cwr));
    CHECK(sent.front().ecn == not_ect);
    std::size_t data_frames = 0;
    for (const auto& s : sent) {
        if (s.payload > 0) {
            ++data_frames;
            CHECK(s.ecn == ect0);
        } else {
            CHECK(s.ecn == not_ect);
        }
    }
    CHECK(data_frames >= 14);
    const auto& back = p.b->link().sent;
    REQUIRE_FALSE(back.empty());
    CHECK(back.front().flags == (f::syn | f::ack | ece));
    for (const auto& s : back) CHECK(s.ecn == not_ect);  // pure ACKs
}

TEST_CASE("ecn: a host that asks, to one that will not, and the other way round: no ECT anywhere",
          "[tcp][ecn][stack]") {
    const auto mode = GENERATE(std::pair{tcp::ecn_mode::request, tcp::ecn_mode::off},
                               std::pair{tcp::ecn_mode::accept, tcp::ecn_mode::request},
                               std::pair{tcp::ecn_mode::off, tcp::ecn_mode::accept});
    pair p{mode.first, mode.second};
    (void)p.transfer(10'000);
    CHECK_FALSE(p.client_conn().ecn().enabled);
    for (const auto* l : {&p.a->link().sent, &p.b->link().sent})
        for (const auto& s : *l) {
            CHECK(s.ecn == not_ect);
            if (!(s.flags & f::syn)) CHECK((s.flags & (ece | cwr)) == 0);
        }
}

TEST_CASE("ecn: a SYN cookie's connection does without ECN (the cookie does not remember it)",
          "[tcp][ecn][syn_cookie]") {
    pair p{tcp::ecn_mode::request, tcp::ecn_mode::accept, 1};
    // Fill the backlog with a spoofed half-open connection, so that the client gets a cookie.
    wire::tcp_repr syn;
    syn.src_port = 1024;
    syn.dst_port = server.port;
    syn.seq_number = seq32{77};
    syn.flags.bits = f::syn;
    syn.window = 65535;
    syn.options.mss = 1460;
    p.b->link().inner.injected.push_back(test::ipv4_frame(wire::ipv4_address{203, 0, 113, 9}, server.address.v4(), syn));
    p.b->poll(p.clk.now());
    const auto acc = p.transfer(10'000);
    CHECK(p.b->transport<tcp::endpoint<>>().stats().syn_cookies_accepted == 1);
    CHECK_FALSE(p.client_conn().ecn().enabled);
    const auto& ep = p.b->transport<tcp::endpoint<>>();
    CHECK_FALSE(ep.connection_of(p.b->sockets().find(acc)->local)->ecn().enabled);
    // The cookie's SYN-ACK was no ECN-setup SYN-ACK.
    bool saw_syn_ack = false;
    for (const auto& s : p.b->link().sent)
        if ((s.flags & (f::syn | f::ack)) == (f::syn | f::ack)) {
            saw_syn_ack = true;
            CHECK((s.flags & ece) == 0);
        }
    CHECK(saw_syn_ack);
    for (const auto& s : p.a->link().sent) CHECK(s.ecn == not_ect);
}
