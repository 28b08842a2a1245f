"""Email templates as code: a branded, localized default set, tenant overrides, validation,
and rendering into each Logto email connector's own format. See README.md in this folder."""

from connectors.templates.catalog import available_locales
from connectors.templates.formats import config_templates, email_template_rows
from connectors.templates.lookup import pick_email
from connectors.templates.model import (
    Branding,
    RenderedEmail,
    RenderedSet,
    Sender,
    TemplateError,
    TemplateProblem,
)
from connectors.templates.placeholders import fill_placeholders
from connectors.templates.preview import write_preview
from connectors.templates.render import render_all

__all__ = [
    "Branding",
    "RenderedEmail",
    "RenderedSet",
    "Sender",
    "TemplateError",
    "TemplateProblem",
    "available_locales",
    "config_templates",
    "email_template_rows",
    "fill_placeholders",
    "pick_email",
    "render_all",
    "write_preview",
]
