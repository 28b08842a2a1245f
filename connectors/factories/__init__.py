"""One exact config model per Logto email connector factory (Logto facts only).

The registry of which factories the toolkit configures, and parsing a config by factory id,
live in `connectors.providers` (`FACTORIES`, `parse_config`).
"""

from connectors.factories._base import FactoryModel, I18nRows, TemplateFormat

__all__ = ["FactoryModel", "I18nRows", "TemplateFormat"]
