// Catch2 entry point for the retsim test suite.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
