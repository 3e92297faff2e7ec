#include <l4/core/ports.hpp>

#include <catch2/catch.hpp>

using l4::classify_port;
using l4::port_range;

TEST_CASE("ports fall in the IANA ranges at their exact boundaries", "[ports]") {
    CHECK(classify_port(0) == port_range::well_known);
    CHECK(classify_port(80) == port_range::well_known);
    CHECK(classify_port(1023) == port_range::well_known);
    CHECK(classify_port(1024) == port_range::registered);
    CHECK(classify_port(50000) == port_range::dynamic);
    CHECK(classify_port(49151) == port_range::registered);
    CHECK(classify_port(49152) == port_range::dynamic);
    CHECK(classify_port(65535) == port_range::dynamic);
    CHECK(l4::to_string(classify_port(443)) == "well-known");
}
