"""`logto-email` (Logto Email Service, Cloud only): branding is all there is to configure."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator
from typing_extensions import Annotated

from connectors.factories._base import FactoryModel, NonEmptyStr

# connector-kit's urlRegEx, tested with RegExp.test (a search). JS \w is ASCII.
URL_RE = re.compile(r"(https?://)?(?:www\.)?[\w#%+.:=@~-]{1,256}\.[\d()A-Za-z]{1,6}\b[\w#%&()+./:=?@~-]*", re.ASCII)


def _no_url(what: str):
    def check(value: str) -> str:
        if URL_RE.search(value):
            raise ValueError(f"URL is not allowed in {what}.")
        return value

    return AfterValidator(check)


def _logo_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL of the logo image")
    return value


class LogtoEmailConfig(FactoryModel):
    """The legacy endpoint/tokenEndpoint/resource/appId/appSecret keys are refused: Logto
    removed them from stored configs and uses the tenant's cloud connection instead."""

    FACTORY_ID: ClassVar[str] = "logto-email"

    senderName: Annotated[NonEmptyStr, _no_url("sender name")] | None = None
    companyInformation: Annotated[NonEmptyStr, _no_url("company information")] | None = None
    appLogo: Annotated[NonEmptyStr, AfterValidator(_logo_url)] | None = None
