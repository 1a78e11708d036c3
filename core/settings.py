"""Every setting of a deployment, validated in this one module: the environment (the
`Environment` model, pydantic-settings) and the settings file of targets, alert thresholds
and composite weights (DESIGN.md §4, `load_settings`).

Environment: `environment()` reads the variables each call (so a test's monkeypatch
applies); a number that is missing, not a number or not positive keeps its default (a
deployment typo must not lock every user out or refuse every file), which is the rule the
auth, import and database code relied on when each read os.environ itself.

Settings file:

The file is `settings.toml` at the repository root, or the path in `DASHBOARD_SETTINGS`;
without a file the defaults apply: the targets and the alert and composite weights of the
metric registry (core/registry.py, DESIGN.md §4). A section present in the file replaces the
default section whole, so a [targets] section that leaves out a metric removes its target.

This module imports only the registry; core/metrics.py applies these settings to the
registry at import time. Whether every metric code named here exists is checked by the code
that uses the codes (`unknown_codes`).

Watermark (issue 15): every page and export of a signed-in user carries a faint mark with the
account and the date (components/watermark.py); on unless `[watermark] enabled = false` in the
file or WATERMARK_ENABLED=false in the environment (the environment wins, so one deployment
can switch it without editing the shared file). `watermark_enabled()` is the one answer.

Audit retention (issue 15): AUDIT_RETENTION_DAYS, how long audit_log rows are kept before
`python -m data.audit purge` deletes them (default 365). 网络安全法 Art. 21 asks network logs
to be kept for no less than six months, so a value under AUDIT_RETENTION_FLOOR_DAYS (180) is
raised to it with a logged warning: a deployment cannot configure itself out of the law.

Single sign-on (issue 19.3): AUTH_OIDC_CLAIM, the one claim of the identity that names the
account (components/oidc.py): `email` (the default; then `email_verified` must be true),
`preferred_username` or `sub`. Any other value means the default: the verified email.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.registry import DEFAULT_ALERT_WEIGHTS, DEFAULT_COMPOSITE_WEIGHTS, DEFAULT_TARGETS

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = REPO_ROOT / "settings.toml"
ENV_VAR = "DASHBOARD_SETTINGS"

AUDIT_RETENTION_FLOOR_DAYS = 180  # 网络安全法 Art. 21: network logs kept >= six months
DEFAULT_RELATIVE_TO: dict[str, str] = {"overdue_cases": "open_cases"}


class SettingsError(ValueError):
    """The settings file is malformed (the message names the file and the entry)."""


@dataclass(frozen=True)
class Settings:
    """Everything the targets, alerts and rankings read from the settings file."""

    targets: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    relative_to: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_RELATIVE_TO))
    alert_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ALERT_WEIGHTS))
    severe: float = 0.20
    moderate: float = 0.05
    min_sample: float = 5.0  # a rate over fewer units is marked 样本较小 and never heads a list
    composite_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_COMPOSITE_WEIGHTS)
    )
    min_weight_share: float = 0.5
    watermark: bool = True  # [watermark] enabled
    source: str = "defaults"

    def alert_weight(self, metric: str) -> float:
        """A metric's weight in the alert severity (1 when the file gives none)."""
        return float(self.alert_weights.get(metric, 1.0))


def _number(value: object, where: str, *, lo: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"{where} 应为数字，实际为 {value!r}")
    x = float(value)
    if not math.isfinite(x) or (lo is not None and x < lo):
        raise SettingsError(f"{where} 应为不小于 {lo} 的数字，实际为 {value!r}")
    return x


def _numbers(table: object, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise SettingsError(f"{where} 应为一个表（[section]）")
    return {str(k): _number(v, f"{where}.{k}") for k, v in table.items()}


def parse(data: Mapping, source: str = "defaults") -> Settings:
    """Settings from a parsed TOML document; missing sections keep their defaults."""
    where = source
    targets = _numbers(data.get("targets", DEFAULT_TARGETS), f"{where}: [targets]")
    relative = data.get("relative_to", DEFAULT_RELATIVE_TO)
    if not isinstance(relative, dict) or not all(isinstance(v, str) for v in relative.values()):
        raise SettingsError(f"{where}: [relative_to] 的值应为指标代码（字符串）")
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        raise SettingsError(f"{where}: [alerts] 应为一个表")
    severe = _number(alerts.get("severe", 0.20), f"{where}: alerts.severe")
    moderate = _number(alerts.get("moderate", 0.05), f"{where}: alerts.moderate")
    if moderate > severe:
        raise SettingsError(f"{where}: alerts.moderate 不应大于 alerts.severe")
    min_sample = _number(alerts.get("min_sample", 5), f"{where}: alerts.min_sample")
    alert_weights = _numbers(
        alerts.get("weights", DEFAULT_ALERT_WEIGHTS), f"{where}: [alerts.weights]"
    )
    composite = data.get("composite", {})
    if not isinstance(composite, dict):
        raise SettingsError(f"{where}: [composite] 应为一个表")
    weights = _numbers(
        composite.get("weights", DEFAULT_COMPOSITE_WEIGHTS), f"{where}: [composite.weights]"
    )
    if not any(w > 0 for w in weights.values()):
        raise SettingsError(f"{where}: [composite.weights] 至少要有一个正的权重")
    share = _number(composite.get("min_weight_share", 0.5), f"{where}: composite.min_weight_share")
    if share > 1:
        raise SettingsError(f"{where}: composite.min_weight_share 应在 0 到 1 之间")
    mark = data.get("watermark", {})
    if not isinstance(mark, dict) or not isinstance(mark.get("enabled", True), bool):
        raise SettingsError(f"{where}: [watermark] enabled 应为 true 或 false")
    return Settings(
        targets=targets,
        relative_to={str(k): str(v) for k, v in relative.items()},
        alert_weights=alert_weights,
        severe=severe,
        moderate=moderate,
        min_sample=min_sample,
        composite_weights=weights,
        min_weight_share=share,
        watermark=mark.get("enabled", True),
        source=source,
    )


class Environment(BaseSettings):
    """The deployment's environment variables (names are the fields in upper case)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    reporting_db_url: str | None = None  # else secrets.toml, else the demo DB (data/config.py)
    province_code: str = "360000"  # 江西省
    dashboard_settings: str | None = None  # another settings file than settings.toml
    auth_max_failures: float = 5  # wrong passwords within the window before a lock
    auth_failure_window_minutes: float = 15
    auth_lock_minutes: float = 15
    auth_idle_hours: float = 8  # a session ends after this long without activity
    auth_max_session_hours: float = 24  # and after this long in all
    auth_cookie_secure: bool | None = None  # Secure cookie even when the app sees plain HTTP
    auth_oidc_claim: Literal["email", "preferred_username", "sub"] = "email"  # names the account
    load_max_file_mb: float = 20  # the importer's limits
    load_max_rows: float = 200_000
    load_xlsx_reader: Literal["calamine", "openpyxl"] | None = None  # force one reader
    watermark_enabled: bool | None = None  # overrides [watermark] enabled when set
    audit_retention_days: int = 365  # audit_log rows older than this are purged (>= 180)

    @field_validator(
        "auth_max_failures",
        "auth_failure_window_minutes",
        "auth_lock_minutes",
        "auth_idle_hours",
        "auth_max_session_hours",
        "load_max_file_mb",
        "load_max_rows",
        mode="wrap",
    )
    @classmethod
    def _positive_or_default(cls, value: object, handler, info: ValidationInfo) -> float:
        default = cls.model_fields[info.field_name].default
        try:
            number = handler(value)
        except ValidationError:
            return default
        return number if math.isfinite(number) and number > 0 else default

    @field_validator("audit_retention_days", mode="wrap")
    @classmethod
    def _retention_floor(cls, value: object, handler, info: ValidationInfo) -> int:
        """Not a whole number or not positive: the default (the rule above); under the legal
        floor: the floor, with a warning, since purging younger logs would break the law."""
        default = cls.model_fields[info.field_name].default
        try:
            days = handler(value)
        except ValidationError:
            return default
        if days <= 0:
            return default
        if days < AUDIT_RETENTION_FLOOR_DAYS:
            log.warning(
                "AUDIT_RETENTION_DAYS=%s is under the legal floor; keeping %s days",
                days,
                AUDIT_RETENTION_FLOOR_DAYS,
            )
            return AUDIT_RETENTION_FLOOR_DAYS
        return days

    @field_validator("load_xlsx_reader", "watermark_enabled", "auth_cookie_secure", mode="wrap")
    @classmethod
    def _valid_or_none(cls, value: object, handler, info: ValidationInfo) -> object:
        """An unknown reader, or a switch that is not a boolean: as if unset."""
        try:
            return handler(value)
        except ValidationError:
            return None

    @field_validator("auth_oidc_claim", mode="wrap")
    @classmethod
    def _claim_or_email(cls, value: object, handler, info: ValidationInfo) -> str:
        """A claim named in any case and with spaces is that claim; an unknown one keeps the
        default (the verified email), logged, so a typo never maps on an unverified claim."""
        default = cls.model_fields[info.field_name].default
        if isinstance(value, str) and not value.strip():
            return default
        try:
            return handler(value.strip().lower() if isinstance(value, str) else value)
        except ValidationError:
            log.warning("AUTH_OIDC_CLAIM=%r is not email, preferred_username or sub", value)
            return default

    @field_validator("province_code", mode="after")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip() or "360000"


def environment() -> Environment:
    """The environment as it is now: read again whenever one of its variables changed.

    Building an Environment (pydantic-settings: every source, every validator) cost about
    0.2 s of each page's render on this machine, called 20-odd times a run (session checks,
    watermark, exports); the values of its variables are the cache key, so a change (a
    deployment's or a test's monkeypatch) is seen on the next call."""
    return _environment_of(_environment_key())


_ENV_FIELDS = frozenset(Environment.model_fields)


def _environment_key() -> tuple[tuple[str, str], ...]:
    """The environment variables an Environment reads (names in any case), sorted."""
    return tuple(sorted((k.lower(), v) for k, v in os.environ.items() if k.lower() in _ENV_FIELDS))


@lru_cache(maxsize=32)
def _environment_of(key: tuple[tuple[str, str], ...]) -> Environment:
    return Environment()


def settings_path() -> Path:
    """`DASHBOARD_SETTINGS` when set, else settings.toml at the repository root."""
    env = (environment().dashboard_settings or "").strip()
    return Path(env) if env else SETTINGS_FILE


@lru_cache(maxsize=8)
def _load(path: str) -> Settings:
    p = Path(path)
    if not p.exists():
        return Settings()
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{p}: 不是有效的 TOML 文件（{e}）") from e
    return parse(data, str(p))


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings in force (read once per path and process)."""
    return _load(str(path or settings_path()))


def targets() -> dict[str, float]:
    """metric code -> target, for core/metrics.py."""
    return dict(load_settings().targets)


def watermark_enabled() -> bool:
    """Whether pages and exports carry the watermark: WATERMARK_ENABLED when it is a
    boolean (true/false, 1/0, on/off), else the file's [watermark] enabled, else on."""
    env = environment().watermark_enabled
    return load_settings().watermark if env is None else env


def unknown_codes(settings: Settings, known: Iterable[str]) -> list[str]:
    """Metric codes the settings name that are not metrics (a typo in the file)."""
    known = set(known)
    named = (
        set(settings.targets)
        | set(settings.relative_to)
        | set(settings.relative_to.values())
        | set(settings.alert_weights)
        | set(settings.composite_weights)
    )
    return sorted(named - known)
