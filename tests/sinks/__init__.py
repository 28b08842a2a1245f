"""Local receivers for real sends: an AUTH-requiring SMTP server, an HTTP recorder, moto SES.

Every sink listens on 127.0.0.1 only, on a free port, and records what arrived so a test can
check exactly what a real connector sent.
"""

from tests.sinks.http import HttpSink, RecordedRequest
from tests.sinks.ses import MotoSes, SesMessage
from tests.sinks.smtp import ReceivedMail, SmtpSink

__all__ = ["HttpSink", "MotoSes", "ReceivedMail", "RecordedRequest", "SesMessage", "SmtpSink"]
