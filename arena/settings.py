"""The one configuration object of the platform.

Every knob is a typed, defaulted, described field read from the environment with
the ``ARENA_`` prefix (or a ``.env`` file). Nothing else in the code base reads
``os.environ`` for configuration.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from arena.errors import ConfigurationError

__all__ = ["SandboxProfile", "Settings", "get_settings"]


_PLACEHOLDER_PASSWORDS = {"postgres", "password", "changeme", "secret", "arena", "admin"}


class SandboxProfile(BaseModel):
    """A sandbox size a competitor may choose when starting a server (see ``Settings.sandbox_profiles``)."""

    description: str = Field("", description="What the choice is for, shown in the spawn form.")
    mem_bytes: int = Field(description="Memory limit of the sandbox (bytes).")
    cpus: float = Field(1.0, description="CPU cores (docker spawner only: bubblewrap has no CPU-share limit).")
    max_processes: int | None = Field(None, description="Process-count limit (None: sandbox_max_processes).")


class Settings(BaseSettings):
    """Platform settings (environment prefix ``ARENA_``)."""

    # An empty ARENA_X= (what ${X:-} gives in compose files and scripts) means "not set": the default.
    model_config = SettingsConfigDict(env_prefix="ARENA_", env_file=".env", extra="ignore", env_ignore_empty=True)

    # --- storage -------------------------------------------------------------
    data_dir: Path = Field(Path("./var"), description="Root of every store the platform writes.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default: SQLite file arena.db under data_dir. "
        "Production: postgresql+psycopg://user:pass@host/db.",
    )

    # --- hub -----------------------------------------------------------------
    public_ip: str = Field("127.0.0.1", description="Address the proxy listens on for browsers.")
    public_port: int = Field(8000, description="Port the proxy listens on for browsers.")
    hub_port: int = Field(8081, description="Port of the hub's own API (bound on 0.0.0.0 so sandboxes reach it).")
    hub_auth_refresh_seconds: int = Field(
        60,
        ge=0,
        description="How often the hub re-reads the account behind an open session: a disabled account "
        "is signed out (and its tokens refused by the hub) at most this long after `arena users disable`; "
        "0: never.",
    )
    proxy_api_port: int = Field(8001, description="configurable-http-proxy's REST API port (127.0.0.1).")
    proxy_check_url: str | None = Field(
        None,
        description="Where `arena doctor` reaches the proxy (default http://PUBLIC_IP:PUBLIC_PORT; "
        "e.g. http://proxy-public on Kubernetes).",
    )
    scoring_port: int = Field(8090, description="Port of the scoring service (a hub-managed service).")
    leaderboard_port: int = Field(8501, description="Port of the leaderboard's OAuth proxy (hub-managed service).")
    streamlit_port: int = Field(8502, description="Port Streamlit itself listens on, behind the OAuth proxy (127.0.0.1).")
    admin_users: list[str] = Field(default_factory=list, description="Hub users given the admin role.")

    # --- sandboxes -----------------------------------------------------------
    sandbox_env_dir: Path = Field(
        Path("/opt/data-arena/sandbox-env"),
        description="World-readable Python environment the sandboxes run (built from /usr/bin/python3).",
    )
    sandbox_base_python: Path = Field(Path("/usr/bin/python3"), description="Interpreter the sandbox env is built from.")
    sandbox_uid_base: int = Field(20000, description="Sandbox uid = base + arena user id (never 0).")
    sandbox_network_prefix: str = Field(
        "10.213", description="/16 prefix of the per-sandbox veth pairs (host .1, sandbox .2 of a /30)."
    )
    sandbox_mem_bytes: int = Field(
        2 * 1024**3,
        description="Memory of one sandbox, all its processes, page cache and tmpfs (/tmp, /dev/shm) together "
        "(bytes; its control group; the container's limit with docker/kubernetes; without cgroups: the "
        "address-space limit of each process).",
    )
    sandbox_max_processes: int = Field(
        256, description="Processes and threads of one sandbox together (its cgroup's pids.max; without: per uid)."
    )
    sandbox_max_file_bytes: int = Field(1024**3, description="Largest file a sandbox may write (bytes).")
    sandbox_tmp_bytes: int = Field(
        512 * 1024**2, description="Size of a sandbox's private /tmp (a tmpfs: it takes RAM, so it is capped)."
    )
    sandbox_cpu_seconds: int | None = Field(None, description="CPU-time limit of a sandbox process (None: none).")
    sandbox_home_quota: Literal["loop", "none"] = Field(
        "loop",
        description="How a home's disk use is capped (bwrap spawner): 'loop' = each home is a sparse ext4 image "
        "homes/<user>.img of sandbox_disk_quota_mb, loop-mounted while the server runs (needs root and loop "
        "devices; without them the hub warns and falls back to 'none'); 'none' = a plain folder, no cap.",
    )
    sandbox_disk_quota_mb: int = Field(
        2048,
        ge=16,
        description="Size of each home image in MiB (sandbox_home_quota='loop'); fixed when the image is made.",
    )
    spawn_timeout_seconds: int = Field(60, description="How long the hub waits for a sandbox to answer.")
    sandbox_idle_seconds: int = Field(
        0, description="Stop a sandbox after this long without activity (jupyterhub-idle-culler; 0: never). "
        "Production: 3600.",
    )
    sandbox_named_servers: int = Field(
        0, description="Named servers a user may run besides the default one (e.g. one per challenge; 0: none)."
    )
    sandbox_profiles: dict[str, SandboxProfile] = Field(
        default_factory=dict,
        description='Sizes offered at spawn, first = default, e.g. {"small": {"mem_bytes": 2147483648, "cpus": 1}, '
        '"large": {"mem_bytes": 8589934592, "cpus": 2}} (JSON in ARENA_SANDBOX_PROFILES); empty: no choice.',
    )

    # --- production spawner (Docker) -------------------------------------------
    spawner: Literal["bwrap", "docker"] = Field(
        "bwrap", description="How sandboxes run: bubblewrap on this host, or DockerSpawner containers."
    )
    sandbox_image: str = Field("data-arena/sandbox:0.1.0", description="Image of the sandbox containers (docker).")
    sandbox_docker_network: str = Field(
        "data-arena-sandboxes", description="Internal Docker network the sandbox containers join (docker)."
    )
    sandbox_datasets_volume: str = Field(
        "data-arena-datasets", description="Docker volume of the published datasets, mounted read-only at /datasets."
    )
    sandbox_challenges_volume: str = Field(
        "data-arena-challenges", description="Docker volume of the public challenge files, read-only at /challenges."
    )
    sandbox_home_volume: str = Field(
        "data-arena-home-{username}", description="Per-user Docker volume of a home ({username} is filled in)."
    )
    sandbox_cpu_limit: float = Field(1.0, description="CPU cores a sandbox container may use (docker).")
    hub_host: str = Field("hub", description="Host name sandbox containers reach the hub container by (docker).")

    # --- enclave (code submissions run on the real test features) -----------------
    enclave_runner: Literal["bwrap", "docker"] = Field(
        "bwrap",
        description="How code submissions are run on the scoring side: 'bwrap' (bubblewrap + cgroups on this "
        "host, needs root) or 'docker' (one `docker run --network none` container per run).",
    )
    enclave_slots: int = Field(
        1, ge=1, description="Code runs at once per scoring worker (each slot has its own uid; ARENA_ENCLAVE_SLOTS)."
    )
    enclave_uid_base: int = Field(
        30000,
        ge=1000,
        description="Enclave slot n runs as uid base + n (no account, owns nothing; apart from the sandbox uids).",
    )
    enclave_image: str = Field(
        "data-arena/sandbox:0.1.0",
        description="Image of the enclave containers (docker runner): the sandbox image, same Python and harness.",
    )
    enclave_stage_dir: Path = Field(
        Path("/var/tmp/data-arena-enclave"),
        description="Where each bwrap run is staged (code and features copies, output tmpfs; removed after it). "
        "Every folder above it must be searchable by the enclave uids.",
    )
    enclave_python: Path | None = Field(
        None,
        description="Python the bwrap enclave runs the harness with; default: sandbox_env_dir/bin/python.",
    )

    # --- scoring -------------------------------------------------------------
    submission_max_bytes: int = Field(50 * 1024**2, description="Largest accepted submission file (bytes).")
    submission_max_columns: int = Field(
        1000, description="Most columns a submission header may have (checked before the file is parsed)."
    )
    hub_token_cache_seconds: int = Field(
        10,
        ge=0,
        description="How long the scoring service trusts a hub token it checked: a revoked token works "
        "up to this long; 0 asks the hub on every request.",
    )
    upload_stale_seconds: int = Field(
        900,
        description="A staging upload or an unreferenced stored file older than this is swept as abandoned "
        "(at service start and by `arena sweep-store`).",
    )
    score_display_digits: int = Field(4, description="Digits competitors see of a score (blunts probing).")
    worker_poll_seconds: float = Field(0.5, description="How often an idle worker looks for queued submissions.")
    worker_heartbeat_seconds: float = Field(5.0, description="How often a scoring worker refreshes its heartbeat.")
    watchdog_stale_seconds: float = Field(60.0, description="A 'scoring' row with an older heartbeat is re-queued.")
    embedded_worker: bool = Field(True, description="Run one scoring worker inside the scoring service process.")
    review_comment_max_chars: int = Field(
        4000, description="Longest comment a judge may store with a rubric score (characters)."
    )

    # --- leaderboard -----------------------------------------------------------
    judges_page_size: int = Field(50, description="Submissions per page of the judges' console list.")
    leaderboard_scoring_url: str | None = Field(
        None,
        description="Where the leaderboard calls the scoring API on behalf of its viewers (reviews, "
        "private-board audit); default http://127.0.0.1:SCORING_PORT/services/scoring.",
    )

    # --- synthetic data --------------------------------------------------------
    synth_memory_budget_bytes: int | None = Field(
        4 * 1024**3,
        description="Largest estimated in-memory size of one input table of `arena synth` (bytes; "
        "estimated before loading from file size, Parquet footer or SQL row count). None: no limit.",
    )

    # --- operations ----------------------------------------------------------
    production: bool = Field(
        False, description="A real deployment: refuse to start with default secrets (no database password, SQLite)."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines of the scoring service and workers: text, or one JSON object per line."
    )
    log_level: str = Field("INFO", description="Lowest level logged (DEBUG, INFO, WARNING, ERROR).")
    metrics_latency_window: int = Field(
        1000, description="Newest scored submissions the /metrics scoring-latency summary is computed over."
    )

    # --- sandbox confinement and platform reliability (issue 15) --------------------------------
    http_keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description="How long the proxy (toward browsers and clients) and the scoring service keep an idle "
        "HTTP connection open. The proxy drops its own idle connections to the hub, services and sandboxes "
        "after a third of this, so it never reuses one a service is closing (a spurious 503).",
    )
    sandbox_shm_bytes: int = Field(
        64 * 1024**2,
        description="Size of a sandbox's /dev/shm (a tmpfs, like Docker's default shm_size; POSIX semaphores "
        "and shared memory of multiprocessing live there).",
    )
    sandbox_cpu_weight: int = Field(
        100,
        ge=1,
        le=10_000,
        description="CPU share of one sandbox under contention (cgroup cpu.weight; 100: a normal share; "
        "v1: cpu.shares = weight x 1024 / 100).",
    )
    sandbox_cgroups: Literal["auto", "off"] = Field(
        "auto",
        description="Put each bubblewrap sandbox in a control group of its own (memory incl. tmpfs and page "
        "cache, pids, CPU weight) when the host allows it (root, cgroup v2 or v1); off or impossible: "
        "per-process prlimit only, with a warning.",
    )
    sandbox_poll_seconds: int = Field(
        10,
        ge=1,
        description="How often the hub checks whether each sandbox still runs (a dead one is torn down: "
        "network, mounts, loop device, cgroup).",
    )

    # --- demo ----------------------------------------------------------------
    demo_people: int = Field(2000, description="People in the demo's reference data.")
    demo_seed: int = Field(7, description="Seed of the demo's reference data and example challenge.")

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        problems = self.default_secrets()
        if self.production and problems:
            raise ConfigurationError("ARENA_PRODUCTION is on but " + "; ".join(problems))
        return self

    def default_secrets(self) -> list[str]:
        """What in these settings is a development default no deployment may keep (empty: none)."""
        if self.database_url is None or self.database_url.startswith("sqlite"):
            return ["the database is the SQLite default: set ARENA_DATABASE_URL=postgresql+psycopg://USER:PW@HOST/DB"]
        url = make_url(self.database_url)
        if not url.password:
            return [f"ARENA_DATABASE_URL has no password (user {url.username!r} on {url.host}): put one in the URL"]
        if str(url.password).lower() in _PLACEHOLDER_PASSWORDS:
            return [f"ARENA_DATABASE_URL uses the placeholder password {url.password!r}: choose a real one"]
        return []

    @cached_property
    def resolved_data_dir(self) -> Path:
        """``data_dir`` as an absolute path."""
        return self.data_dir.expanduser().resolve()

    @property
    def db_url(self) -> str:
        """The database URL in force (the SQLite default filled in)."""
        return self.database_url or f"sqlite:///{self.resolved_data_dir / 'arena.db'}"

    @property
    def scoring_api_url(self) -> str:
        """Base URL of the scoring service as the leaderboard reaches it (no trailing slash)."""
        url = self.leaderboard_scoring_url or f"http://127.0.0.1:{self.scoring_port}/services/scoring"
        return url.rstrip("/")

    @property
    def enclave_interpreter(self) -> Path:
        """The Python the bwrap enclave runs (``enclave_python``, else the sandbox environment's)."""
        return self.enclave_python or self.sandbox_env_dir / "bin" / "python"

    @property
    def datasets_dir(self) -> Path:
        """Published synthetic replicas (mounted read-only in sandboxes)."""
        return self.resolved_data_dir / "datasets"

    @property
    def answers_dir(self) -> Path:
        """Hidden answers (scoring side only)."""
        return self.resolved_data_dir / "answers"

    @property
    def reference_dir(self) -> Path:
        """Reference ("real") tables the replicas are made from (scoring side only)."""
        return self.resolved_data_dir / "reference"

    @property
    def submissions_dir(self) -> Path:
        """Uploaded submission files, content-addressed."""
        return self.resolved_data_dir / "submissions"

    @property
    def homes_dir(self) -> Path:
        """One home folder per competitor."""
        return self.resolved_data_dir / "homes"

    @property
    def hub_dir(self) -> Path:
        """JupyterHub's state (database, cookie secret, service tokens)."""
        return self.resolved_data_dir / "hub"

    @property
    def challenges_dir(self) -> Path:
        """Published challenge bundles (descriptions, starter notebooks; answers kept apart)."""
        return self.resolved_data_dir / "challenges"


def get_settings() -> Settings:
    """Return settings read from the current environment."""
    return Settings()
