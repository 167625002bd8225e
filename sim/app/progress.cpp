// Progress bar on stderr (see progress.hpp).
#include "sim/app/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace retsim {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--";
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600) {
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    } else if (s >= 60) {
        std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lds", s);
    }
    return buf;
}

ProgressReporter::ProgressReporter(const Progress& progress, bool enabled) : progress_(progress) {
    if (!enabled) return;
    terminal_ = isatty(STDERR_FILENO) != 0;
    thread_ = std::thread([this] { loop(); });
}

ProgressReporter::~ProgressReporter() { finish(); }

void ProgressReporter::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (drew_ && terminal_) std::fputc('\n', stderr);
    drew_ = false;
}

void ProgressReporter::loop() {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last_line = start;
    // Quiet for short runs: the bar appears only after the first half second.
    const auto first_draw = std::chrono::milliseconds(500);
    const auto line_every = std::chrono::seconds(5);
    while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto now = clock::now();
        if (now - start < first_draw) continue;
        const double total = progress_.total_customer_days.load();
        const double done = progress_.done_customer_days.load();
        const double fraction = total > 0 ? std::min(1.0, done / total) : 0.0;
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : NAN;
        const double rate = done / elapsed;
        if (terminal_) {
            constexpr int kWidth = 30;
            const int filled = int(fraction * kWidth);
            std::string bar(std::size_t(filled), '#');
            bar.append(std::size_t(kWidth - filled), '.');
            std::fprintf(stderr, "\r[%s] %5.1f%%  %.3g customer-days/s  ETA %s   ", bar.c_str(),
                         100.0 * fraction, rate, format_duration(eta).c_str());
            std::fflush(stderr);
            drew_ = true;
        } else if (now - last_line >= line_every) {
            std::fprintf(stderr, "progress: %.1f%% after %s, ETA %s\n", 100.0 * fraction,
                         format_duration(elapsed).c_str(), format_duration(eta).c_str());
            last_line = now;
        }
    }
}

}  // namespace retsim
