# Included by tests/CMakeLists.txt in the normal (gcc) build: one ctest test
# per libFuzzer target, label "fuzz".  The CI build is gcc, so the tests
# build the clang fuzz tree themselves: "fuzz/build" (a fixture every target
# test requires) runs scripts/fuzz.sh --build-only into <source>/build/fuzz
# (cached), then each fuzz/<target> runs its target for $FUZZ_SECONDS
# (default 30) on a copy of its corpus and fails on any crash, leak, UB or
# timeout.  A missing clang fails fuzz/build (never a silent skip).
file(GLOB HS_FUZZ_TARGET_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fuzz_*.c)
add_test(NAME fuzz/build COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh --build-only)
set_tests_properties(fuzz/build PROPERTIES LABELS fuzz FIXTURES_SETUP hs_fuzz_build TIMEOUT 1500)
foreach(src ${HS_FUZZ_TARGET_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" short ${name})
  add_test(NAME fuzz/${short}
    COMMAND bash -c "exec bash \"$0\" --no-build \"\${FUZZ_SECONDS:-30}\" \"$1\""
            ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh ${short})
  set_tests_properties(fuzz/${short} PROPERTIES LABELS fuzz FIXTURES_REQUIRED hs_fuzz_build
    TIMEOUT 900)
endforeach()
