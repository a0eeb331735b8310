"""Server settings: defaults < config file (YAML or JSON) < `SLMGUARD_*` env vars < CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class ServerConfig(BaseSettings):
    """Everything `slmguard serve` can be told; validated once at start-up."""

    model_config = SettingsConfigDict(env_prefix="SLMGUARD_", extra="forbid", yaml_file=None)

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    model_path: Path | None = Field(None, description="Model directory (default: the shipped model).")
    taxonomy: Path | None = Field(None, description="Policy file: per-category actions and thresholds.")
    cascade: bool = Field(
        True, description="Settle clear texts after e5's first layers (about twice as fast); false: the full model."
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Accepted keys; empty means no auth."
    )
    fail_mode: Literal["closed", "open"] = "closed"
    shadow: bool = Field(False, description="Decide and log, but allow everything.")
    log_db: str = Field("sqlite:///slmguard-decisions.db", description="sqlite:///PATH, postgresql://... or 'none'.")
    log_sync: Literal["full", "normal"] = Field(
        "full", description="SQLite: full fsyncs every commit (survives power loss); normal survives a crash only."
    )
    log_text: bool = Field(False, description="Store the text itself in the decision log (else only its hash).")
    upstream_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    upstream_api_key: str | None = None
    upstream_timeout_s: float = Field(60.0, gt=0)
    max_batch: int = Field(32, ge=1, description="Texts per encoder call.")
    max_wait_ms: float = Field(
        0.0,
        ge=0,
        description="How long a micro-batch waits to fill. 0: decide what is queued at once; under load the "
        "queue fills while the previous batch is decided.",
    )
    max_queue: int = Field(512, ge=1, description="Texts waiting for the guard; beyond it requests get 429.")
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_inputs: int = Field(256, ge=1, description="Texts in one request.")
    verdict_memo: int = Field(
        8192, ge=0, description="Texts whose verdicts are remembered (0: off): a repeated text costs no model call."
    )
    guard_timeout_s: float = Field(10.0, gt=0, description="Longest wait for a verdict.")
    stream_check_chars: int = Field(200, ge=1, description="Hold-back: characters buffered before each check.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        """Accept `a,b` from an env var or a flag as well as a list."""
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("log_db")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value != "none" and not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError(f"must be 'none', sqlite:///PATH or postgresql://..., got {value!r}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)


def load_config(file: str | Path | None = None, **flags: Any) -> ServerConfig:
    """Build the config from a file, the environment and explicit flags (None flags are ignored).

    Raises:
        FileNotFoundError: `file` does not exist.
        pydantic.ValidationError: a value is invalid; the message names the key.
    """
    given = {k: v for k, v in flags.items() if v is not None}
    if file is None:
        return ServerConfig(**given)
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")

    class _FromFile(ServerConfig):
        model_config = SettingsConfigDict(yaml_file=path)

    return ServerConfig.model_validate(_FromFile(**given).model_dump())
