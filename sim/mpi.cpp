// The MPI wrapper (see mpi.hpp). Every MPI call of the program is in this file.
#include "sim/mpi.hpp"

#include <cstdlib>
#include <string>

#include "sim/problems.hpp"

#ifdef RETSIM_HAVE_MPI
// The C API only: the deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace retsim::mpi {
namespace {

bool g_active = false;
int g_rank = 0;
int g_size = 1;

const char* environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

#ifndef RETSIM_HAVE_MPI
/// World size announced by the launcher's environment; 1 when none is.
int launcher_size() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "SLURM_NTASKS"}) {
        if (const char* value = environment(name)) {
            const int n = std::atoi(value);
            if (n > 0) return n;
        }
    }
    return 1;
}
#endif

#ifdef RETSIM_HAVE_MPI
void check(int status, const char* what) {
    if (status != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(status, text, &length);
        throw RuntimeFailure(std::string("MPI: cannot ") + what + ": " + std::string(text, std::size_t(length)));
    }
}

Message take(const MPI_Status& probed) {
    int count = 0;
    check(MPI_Get_count(&probed, MPI_BYTE, &count), "size a message");
    Message m;
    m.source = probed.MPI_SOURCE;
    m.tag = probed.MPI_TAG;
    m.bytes.resize(std::size_t(count));
    check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "receive a message");
    return m;
}

int source_of(int source) { return source == kAnySource ? MPI_ANY_SOURCE : source; }
int tag_of(int tag) { return tag == kAnyTag ? MPI_ANY_TAG : tag; }
#endif

void require_active(const char* what) {
    if (!g_active) throw RuntimeFailure(std::string("MPI: cannot ") + what + ": MPI is not running");
}

}  // namespace

bool built_with_mpi() {
#ifdef RETSIM_HAVE_MPI
    return true;
#else
    return false;
#endif
}

bool launched_by_mpi() {
    return environment("OMPI_COMM_WORLD_SIZE") != nullptr || environment("PMIX_RANK") != nullptr ||
           environment("PMI_RANK") != nullptr;
}

Session::Session() {
    if (!launched_by_mpi() || g_active) return;
#ifdef RETSIM_HAVE_MPI
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (initialised == 0) {
        int provided = 0;
        check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "initialise");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_active = true;
#else
    if (launcher_size() > 1) {
        throw RuntimeFailure("this retsim was built without MPI but was started by an MPI launcher with " +
                             std::to_string(launcher_size()) +
                             " processes; install libopenmpi-dev (scripts/setup.sh) and rebuild, or run "
                             "without mpirun");
    }
#endif
}

Session::~Session() { finalize(); }

void finalize() {
#ifdef RETSIM_HAVE_MPI
    if (g_active) {
        g_active = false;
        g_rank = 0;
        g_size = 1;
        MPI_Finalize();
    }
#endif
}

bool active() { return g_active; }
int rank() { return g_rank; }
int size() { return g_size; }

void send(int destination, int tag, std::string_view bytes) {
    require_active("send a message");
#ifdef RETSIM_HAVE_MPI
    check(MPI_Send(bytes.data(), int(bytes.size()), MPI_BYTE, destination, tag, MPI_COMM_WORLD), "send a message");
#else
    (void)destination;
    (void)tag;
    (void)bytes;
#endif
}

Message receive(int source, int tag) {
    require_active("receive a message");
#ifdef RETSIM_HAVE_MPI
    MPI_Status status;
    check(MPI_Probe(source_of(source), tag_of(tag), MPI_COMM_WORLD, &status), "wait for a message");
    return take(status);
#else
    (void)source;
    (void)tag;
    return {};
#endif
}

std::optional<Message> try_receive(int source, int tag) {
    require_active("receive a message");
#ifdef RETSIM_HAVE_MPI
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(source_of(source), tag_of(tag), MPI_COMM_WORLD, &flag, &status), "look for a message");
    if (flag == 0) return std::nullopt;
    return take(status);
#else
    (void)source;
    (void)tag;
    return std::nullopt;
#endif
}

void barrier() {
    require_active("wait at a barrier");
#ifdef RETSIM_HAVE_MPI
    check(MPI_Barrier(MPI_COMM_WORLD), "wait at a barrier");
#endif
}

void abort_all(int code) {
#ifdef RETSIM_HAVE_MPI
    if (g_active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    std::_Exit(code);
}

}  // namespace retsim::mpi
