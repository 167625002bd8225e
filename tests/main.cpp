// Catch2 entry point for the retsim test suite.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "sim/output.hpp"

int main(int argc, char** argv) {
    retsim::keep_hdf5_from_closing_files_at_exit();  // as the program does
    return Catch::Session().run(argc, argv);
}
