# libtins (Debian libtins-dev) as the imported target l4::libtins, for the
# differential fuzz targets and the side-by-side benchmarks. Debian ships no
# CMake package for it, so look for the library and its pcap dependency by
# hand. Sets L4_HAVE_LIBTINS. Build tree only: not part of the installed package.
# Included from fuzz/ and benchmarks/: the imported target is global, but
# L4_HAVE_LIBTINS is a directory variable, so each includer gets it set.
include_guard(DIRECTORY)
if(TARGET l4::libtins)
    set(L4_HAVE_LIBTINS TRUE)
    return()
endif()

find_library(L4_TINS_LIBRARY NAMES tins)
find_library(L4_PCAP_LIBRARY NAMES pcap)
find_path(L4_TINS_INCLUDE_DIR NAMES tins/tins.h)

if(L4_TINS_LIBRARY AND L4_PCAP_LIBRARY AND L4_TINS_INCLUDE_DIR)
    set(L4_HAVE_LIBTINS TRUE)
    add_library(l4::libtins INTERFACE IMPORTED GLOBAL)
    target_link_libraries(l4::libtins INTERFACE ${L4_TINS_LIBRARY} ${L4_PCAP_LIBRARY})
    # SYSTEM: libtins' headers must not trip our -Werror.
    target_include_directories(l4::libtins SYSTEM INTERFACE ${L4_TINS_INCLUDE_DIR})
else()
    set(L4_HAVE_LIBTINS FALSE)
endif()

# Does the program in `src` (target base name `name`) need libtins? By
# convention its name says "libtins"; a source including <tins/...> counts too.
function(l4_needs_libtins src name out)
    file(STRINGS ${src} tins_includes REGEX "^[ \t]*#[ \t]*include[ \t]*<tins/")
    if(name MATCHES "libtins" OR tins_includes)
        set(${out} TRUE PARENT_SCOPE)
    else()
        set(${out} FALSE PARENT_SCOPE)
    endif()
endfunction()
