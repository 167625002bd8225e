// ThreadSanitizer builds only (-DRETSIM_SANITIZE=thread): tells TSan about oneTBB's task
// synchronisation. Debian's libtbb is not built with TSan, so a worker finishing a task and the
// waiting thread seeing it happen inside libtbb, unseen, and every result read after a
// parallel_for looks like a race. With TBB_USE_PROFILING_TOOLS=2 oneTBB's headers report each
// hand-over (a task spawned, a wait context released, a wait finished) through
// r1::call_itt_notify; this definition takes precedence over libtbb's and turns them into TSan
// release/acquire pairs on the same address. Likewise the task objects that the headers
// allocate from libtbb's small-object pool come from operator new here: the pool hands memory
// from one thread to another out of TSan's sight, so a task built where another one lived
// looked like a race.
#include <oneapi/tbb/detail/_small_object_pool.h>
#include <oneapi/tbb/profiling.h>

#include <new>

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace tbb::detail::r1 {

void __TBB_EXPORTED_FUNC call_itt_notify(int t, void* ptr) {
    switch (t) {
        case d1::acquired: __tsan_acquire(ptr); break;
        case d1::releasing: __tsan_release(ptr); break;
        default: break;
    }
}

namespace {
// Never dereferenced by the headers; they only hand it back to deallocate.
d1::small_object_pool* const kNoPool = reinterpret_cast<d1::small_object_pool*>(alignof(std::max_align_t));
}  // namespace

void* __TBB_EXPORTED_FUNC allocate(d1::small_object_pool*& pool, std::size_t number_of_bytes) {
    pool = kNoPool;
    return ::operator new(number_of_bytes);
}

void* __TBB_EXPORTED_FUNC allocate(d1::small_object_pool*& pool, std::size_t number_of_bytes,
                                   const d1::execution_data&) {
    return allocate(pool, number_of_bytes);
}

void __TBB_EXPORTED_FUNC deallocate(d1::small_object_pool&, void* ptr, std::size_t) { ::operator delete(ptr); }

void __TBB_EXPORTED_FUNC deallocate(d1::small_object_pool& pool, void* ptr, std::size_t number_of_bytes,
                                    const d1::execution_data&) {
    deallocate(pool, ptr, number_of_bytes);
}

}  // namespace tbb::detail::r1
