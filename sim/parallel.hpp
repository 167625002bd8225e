// retsim::parallel_over: tbb::parallel_for over a range, with the hand-over of the loop body
// from one thread to another made visible to ThreadSanitizer.
//
// Why this exists: Debian's libtbb is not built with TSan. tests/tsan_tbb_annotations.cpp
// turns oneTBB's own notifications into TSan acquire/release (a task finishing, its waiter
// waking), but a task built by one thread (the root task, or a half split off a range) and
// run by another is handed over inside libtbb with no notification. TSan then saw whatever
// the building thread wrote before (the step number of the engine's loop, the strategies'
// selection, the task object holding the body) as a race with the body that reads it. Under
// TSan the body is wrapped: each copy of it, made as a task is built, releases its own address
// once written, and the thread that runs the copy (or copies it again, splitting the range)
// acquires that address first. That is the edge oneTBB's spawn really makes, and no more: a
// body is ordered after what the thread that built its task had done, never after what other
// bodies do meanwhile, so races between bodies are still reported. In every other build
// parallel_over is tbb::parallel_for, no more.
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#if defined(__SANITIZE_THREAD__)
#define RETSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RETSIM_TSAN 1
#endif
#endif

#ifdef RETSIM_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace retsim {

#ifdef RETSIM_TSAN
namespace detail {
template <class Body>
class HandedOver {
public:
    explicit HandedOver(const Body& body) : body_(body) { __tsan_release(this); }
    HandedOver(const HandedOver& other) : body_((__tsan_acquire(const_cast<HandedOver*>(&other)), other.body_)) {
        __tsan_release(this);
    }
    HandedOver& operator=(const HandedOver&) = delete;
    template <class Range>
    void operator()(const Range& range) const {
        __tsan_acquire(const_cast<HandedOver*>(this));
        body_(range);
    }

private:
    Body body_;
};
}  // namespace detail
#endif

/// body(subrange) for subranges of `range` in parallel, in the current task arena.
template <class Range, class Body, class Partitioner = tbb::auto_partitioner>
void parallel_over(const Range& range, const Body& body, Partitioner&& partitioner = {}) {
#ifdef RETSIM_TSAN
    tbb::parallel_for(range, detail::HandedOver<Body>(body), partitioner);
#else
    tbb::parallel_for(range, body, partitioner);
#endif
}

}  // namespace retsim
