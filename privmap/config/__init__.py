"""Configuration: strict models, YAML loading with file/line errors, the declared inventory."""

from privmap.config.errors import ConfigError, ConfigIssue
from privmap.config.loader import load_config, parse_config
from privmap.config.models import Config, SourceConfig, parse_size

__all__ = ["Config", "ConfigError", "ConfigIssue", "SourceConfig", "load_config", "parse_config", "parse_size"]
