# cmake -DCXX=<compiler> -DINCLUDE=<include dir> -DSOURCE=missing_members.cpp -P expect_diagnostic.cmake
#
# The source with its two members must compile; without them it must fail,
# and the diagnostics must name both missing members (on_timeout and name)
# and neither of the two it has (may_send, max_in_flight_segments).
foreach(v CXX INCLUDE SOURCE)
    if(NOT DEFINED ${v})
        message(FATAL_ERROR "expect_diagnostic.cmake: -D${v}=... missing")
    endif()
endforeach()
set(compile ${CXX} -std=c++20 -fsyntax-only -I${INCLUDE} ${SOURCE})

execute_process(COMMAND ${compile} -DL4_COMPLETE_POLICY RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the complete policy does not compile (the check below would prove nothing):\n${out}${err}")
endif()

execute_process(COMMAND ${compile} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
set(text "${out}${err}")
if(rc EQUAL 0)
    message(FATAL_ERROR "a sender policy without on_timeout() and name compiled")
endif()
foreach(expected "sender_policy: missing `l4::flow::rto_action on_timeout\\(\\)`"
                 "sender_policy: missing `static constexpr std::string_view name`")
    if(NOT text MATCHES "${expected}")
        message(FATAL_ERROR "the diagnostic does not name the missing member (${expected}):\n${text}")
    endif()
endforeach()
foreach(present "missing `std::uint32_t may_send" "missing `std::optional<std::uint32_t> max_in_flight_segments")
    if(text MATCHES "${present}")
        message(FATAL_ERROR "the diagnostic names a member the type has (${present}):\n${text}")
    endif()
endforeach()
message(STATUS "the diagnostic names on_timeout() and name, and nothing else")
