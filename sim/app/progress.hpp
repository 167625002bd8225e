// A progress bar with ETA on stderr while a run is going on: redrawn in place on a terminal,
// a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "sim/engine.hpp"

namespace retsim {

/// A duration for an ETA: "42s", "3m07s", "2h05m"; "--" when unknown (negative or not finite).
[[nodiscard]] std::string format_duration(double seconds);

class ProgressReporter {
public:
    /// Starts reporting `progress` from a background thread; `enabled` false makes it silent.
    ProgressReporter(const Progress& progress, bool enabled);
    ~ProgressReporter();
    /// Stops the thread and finishes the bar line.
    void finish();

    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

private:
    void loop();

    const Progress& progress_;
    std::atomic<bool> stop_{false};
    bool terminal_ = false;
    bool drew_ = false;
    std::thread thread_;
};

}  // namespace retsim
