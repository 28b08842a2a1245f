"""`logto-email` (Logto Email Service, Cloud only): branding is all there is to configure."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator

from connectors.factories._base import (
    FactoryModel,
    HeaderText,
    HttpUrl,
    NonEmptyStr,
    TemplateFormat,
)

# connector-kit's urlRegEx, tested with RegExp.test (a search). JS \w is ASCII.
URL_RE = re.compile(r"(https?://)?(?:www\.)?[\w#%+.:=@~-]{1,256}\.[\d()A-Za-z]{1,6}\b[\w#%&()+./:=?@~-]*", re.ASCII)


def _no_url(what: str) -> AfterValidator:
    def check(value: str) -> str:
        if URL_RE.search(value):
            raise ValueError(f"URL is not allowed in {what}.")
        return value

    return AfterValidator(check)


class LogtoEmailConfig(FactoryModel):
    """The legacy endpoint/tokenEndpoint/resource/appId/appSecret keys are refused: Logto
    removed them from stored configs and uses the tenant's cloud connection instead."""

    FACTORY_ID: ClassVar[str] = "logto-email"
    TEMPLATE_FORMAT: ClassVar[TemplateFormat] = TemplateFormat("none")
    SENDER_KEYS: ClassVar[tuple[str, ...]] = ("senderName",)
    CLOUD_ONLY: ClassVar[bool] = True

    senderName: Annotated[HeaderText, _no_url("sender name")] | None = None
    companyInformation: Annotated[NonEmptyStr, _no_url("company information")] | None = None
    appLogo: HttpUrl | None = None
