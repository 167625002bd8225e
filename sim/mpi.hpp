// MPI in one corner: starting and stopping MPI only when the program was launched by mpirun
// or srun (so `retsim run` never touches it), this process's rank and the world size, and
// byte messages between ranks. Built without MPI (RETSIM_HAVE_MPI undefined) every process is
// rank 0 of 1. Only the thread that initialised MPI may call the messaging functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace retsim::mpi {

/// True when this binary was built with MPI support.
[[nodiscard]] bool built_with_mpi();

/// True when the environment says an MPI launcher started this process (OMPI_COMM_WORLD_SIZE,
/// PMIX_RANK or PMI_RANK is set).
[[nodiscard]] bool launched_by_mpi();

/// Initialises MPI (thread level "funneled") for the lifetime of the object when
/// launched_by_mpi(), and finalises it in the destructor. Throws RuntimeFailure when launched by
/// an MPI launcher with more than one process but built without MPI (every process would
/// otherwise act as rank 0 of 1 and write the same files).
class Session {
public:
    Session();
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
};

/// Finalises MPI now if a Session initialised it (every rank must call it); the Session's
/// destructor then does nothing. Messaging is not possible afterwards.
void finalize();

/// True between MPI initialisation by a Session and its finalisation.
[[nodiscard]] bool active();
/// This process's rank in MPI_COMM_WORLD; 0 when MPI is not active.
[[nodiscard]] int rank();
/// Processes in MPI_COMM_WORLD; 1 when MPI is not active.
[[nodiscard]] int size();

inline constexpr int kAnySource = -1;
inline constexpr int kAnyTag = -1;

/// One received message.
struct Message {
    int source = 0;
    int tag = 0;
    std::string bytes;
};

/// Sends `bytes` to rank `destination` with `tag` (>= 0); blocks until the buffer may be reused.
/// RuntimeFailure when MPI is not active or the send fails.
void send(int destination, int tag, std::string_view bytes);
/// Receives the next message matching `source` and `tag` (kAnySource / kAnyTag match any),
/// blocking until one arrives.
[[nodiscard]] Message receive(int source = kAnySource, int tag = kAnyTag);
/// Receives a matching message when one has arrived; nullopt otherwise (does not block).
[[nodiscard]] std::optional<Message> try_receive(int source = kAnySource, int tag = kAnyTag);
/// Blocks until every rank has called it.
void barrier();
/// Ends every rank of the job with `code` (for failures that leave other ranks waiting).
[[noreturn]] void abort_all(int code);

}  // namespace retsim::mpi
