"""The enclave: competitors' code run offline on the real test features, only a fixed outcome coming back.

``run_code`` runs ``arena_client.harness`` (the sandbox client's harness) with the sandbox's Python
under bubblewrap (or Docker), as a uid of its own, with no network, no token, read-only code and
features, capped scratch and output, and memory/pids/CPU/time limits on the whole process tree.
``unpack_code`` turns an uploaded archive into a code folder, refusing anything odd.
"""

from scoring.enclave.archive import unpack_code
from scoring.enclave.launcher import run_code
from scoring.enclave.outcome import CodeLimits, EnclaveRun, RunOutcome

__all__ = ["CodeLimits", "EnclaveRun", "RunOutcome", "run_code", "unpack_code"]
