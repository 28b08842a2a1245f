"""Property-based: hostile stack files, values and templates never crash, hang, run code or echo a secret.

Fixed seed (`derandomize`), no example database, a bounded number of examples: the same cases
run on every machine, in well under a minute.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from connectors import validators
from connectors.errors import ConfigError
from connectors.stack import load_stack
from connectors.templates.environment import MAX_OUTPUT, bounded_render, environment
from tests.security.hostile import BASE, SES, SECRETS

# deadline=None: the tests bound CPU time themselves (a wall-clock deadline measures the machine)
PROPERTY = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HOSTILE_TOKENS = [
    "!!python/object/apply:os.system ['id']", "!Ref x", "!!binary QQ==", "&a [*a, *a]", "*nope", "<<: *a",
    '"\\x00"', '"\\ud800"', '"\\r\\nBcc: x@evil.example"', "9" * 90, ".nan", "-.inf", "1e999", "[" * 40, "{",
    "\t", "\ufeff", "\x00", "\x07", "https://user:pw@x.example.com:99999/", "a@example.com\n", ".a@x.com",
    "a@-x.com", "''", '""', "{secure: ''}", "~", "[]", "{}", "yes", "'true'", "0x1F", "0o17", "-1", "99999",
    "/etc", "../../..", "http://logto.public.example.com", "? [a]\n: b", "---", "...", "%YAML 1.1",
    "x" * 9000, "é" * 50, "\u2028", "\udfff",
]


def _mutate(base: str, edits: list[tuple[int, int, str]]) -> str:
    lines = base.split("\n")
    for where, op, token in edits:
        i = where % len(lines)
        if op == 0:  # replace the value of a line
            key, sep, _ = lines[i].partition(":")
            lines[i] = f"{key}{sep or ':'} {token}"
        elif op == 1:  # insert a line at this indentation
            indent = len(lines[i]) - len(lines[i].lstrip())
            lines.insert(i, " " * indent + token)
        elif op == 2:  # drop a line
            del lines[i]
        elif op == 3:  # duplicate a line (duplicate keys)
            lines.insert(i, lines[i])
        else:  # splice text into the middle of a line
            cut = len(lines[i]) // 2
            lines[i] = lines[i][:cut] + token + lines[i][cut:]
        if not lines:
            lines = [""]
    return "\n".join(lines)


_edit = st.tuples(st.integers(0, 200), st.integers(0, 4),
                  st.one_of(st.sampled_from(HOSTILE_TOKENS), st.text(max_size=30)))
_WHOLE_FILE = ("is ", "holds more", "the stack file", "not valid YAML (", "no stack file")


def _assert_clean(exc: ConfigError) -> None:
    text = str(exc)
    assert not any(s in text for s in SECRETS), text
    assert "Traceback" not in text
    assert exc.source
    for problem in exc.problems:  # every rejection says where
        assert problem.path or problem.message.startswith(_WHOLE_FILE), problem


@PROPERTY
@given(base=st.sampled_from([BASE, SES]), edits=st.lists(_edit, min_size=1, max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]), crlf=st.booleans())
def test_loader_never_crashes_hangs_or_echoes(base: str, edits: list, encoding: str, crlf: bool) -> None:
    text = _mutate(base, edits)
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Pulumi.x.yaml").write_bytes(data)
        start = time.process_time()
        try:
            load_stack(tmp, "x")
        except ConfigError as exc:
            _assert_clean(exc)
        assert time.process_time() - start < 2.0


_MESSAGE_WORDS = ""  # each rule's own messages (their examples), filled below
for _rule in (validators.email_address, validators.mailbox, validators.http_url, validators.host_name,
              validators.header_text, validators.dns_name, validators.dns_label, validators.logto_endpoint):
    for _bad in ("\x00", "a b", "x@", "http://u:p@h.example.com:99999", "http://public.example.com?q"):
        try:
            _rule(_bad)
        except ValueError as _exc:
            _MESSAGE_WORDS += " " + str(_exc)


@PROPERTY
@given(value=st.one_of(st.text(max_size=80), st.sampled_from(HOSTILE_TOKENS),
                       st.builds(lambda a, b: a + b, st.sampled_from(["a@example.com", "https://example.com/x", "smtp.example.com", "Acme"]),
                                 st.text(max_size=5))))
def test_value_rules_accept_only_clean_values(value: str) -> None:
    for rule in (validators.email_address, validators.mailbox, validators.http_url, validators.host_name,
                 validators.header_text, validators.dns_name, validators.dns_label, validators.logto_endpoint):
        try:
            accepted = rule(value)
        except ValueError as exc:
            # the message never quotes the value (short values may match the message's own words)
            assert len(value) < 8 or value in _MESSAGE_WORDS or value not in str(exc), (rule.__name__, value)
            continue
        assert accepted == value
        assert not validators.control_characters(value), (rule.__name__, value)
        if rule is not validators.header_text and rule is not validators.mailbox:
            assert not any(c.isspace() for c in value), (rule.__name__, value)



_EMAIL_PARTS = ["a", "Z", "0", "9", "_", "+", "-", ".", "@", "xn--", "ab--", "é", "A", "-x", "x-", "..", "a" * 63, "a" * 64]
_TLDS = ["com", "c", "co-m", "c0m", "1", "x-", "-x", "COM", *("arpa", "invalid", "local", "localhost", "onion", "test")]


@PROPERTY
@given(value=st.one_of(
    st.from_regex(validators._PLAIN_EMAIL_RE, fullmatch=True),
    st.builds(lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
              st.lists(st.sampled_from(_EMAIL_PARTS), min_size=1, max_size=4).map("".join),
              st.lists(st.lists(st.sampled_from(_EMAIL_PARTS), min_size=1, max_size=5).map("".join), min_size=1, max_size=5),
              st.sampled_from(_TLDS)),
))
@example(value='a@-x.com')
@example(value='a@x-.com')
@example(value='a@ab--c.com')
@example(value='a@xn--ls8h.com')
@example(value='a..b@x.com')
@example(value='.a@x.com')
@example(value='a.@x.com')
@example(value='a@x.1')
@example(value='a@x')
@example(value='a@x..com')
@example(value='a@x.com.')
@example(value='a@x.-com')
@example(value='a@x.com-')
@example(value='a@x.local')
@example(value='a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com')
@example(value='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.com')
@example(value='a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com')
def test_plain_email_is_a_subset_of_email_validator(value: str) -> None:
    """The fast path of `email_address` accepts only what email_validator accepts (with the
    options the rule passes it); everything else is decided, and explained, by the library."""
    from email_validator import EmailNotValidError, validate_email

    if validators.plain_email(value):
        try:
            validate_email(value, check_deliverability=False, test_environment=True)
        except EmailNotValidError as exc:
            raise AssertionError(f"plain_email accepts {value!r}, email_validator refuses it: {exc}") from None


def test_plain_email_leaves_special_use_names_to_email_validator() -> None:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    for name in SPECIAL_USE_DOMAIN_NAMES:
        assert not validators.plain_email(f"a@x.{name}"), name
    assert validators.plain_email("no-reply@mail.example.com")

PIECES = [
    "[[ ", " ]]", "[% ", " %]", "''", "'x'", "__class__", "__mro__", "__globals__", "__init__", ".", "|attr('__class__')",
    "cycler", "joiner", "self", "config", "range(", "10**9", "9999", ")", "(", "*", "**", "%", "~", "|list", "|join(",
    "|center(", "|replace('x', 'yy')", "|format(", "'{0.__class__}'.format(1)", "lipsum(", "namespace(", "open('/etc/passwd')",
    "[% for i in range(999) %]", "[% endfor %]", "[% macro m(n) %][[ m(n) ]][% endmacro %]", "[[ m(1) ]]",
    "[% include 'code.html' %]", "[% include '../x' %]", "[% extends 'layout.html' %]", "[% import '/etc/passwd' as p %]",
    "{{code}}", "[% set x = 'a' * 50000 %][[ x ~ x ~ x ~ x ]]", "loop.cycle(1,2)", "[% if 1 %]", "[% endif %]",
]


@PROPERTY
@given(pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=12))
def test_template_sandbox_bounds_everything(pieces: list[str]) -> None:
    env = environment(None)
    source = "".join(pieces)
    start = time.process_time()
    try:
        out = bounded_render(env.from_string(source), {})
    except Exception as exc:  # noqa: BLE001 - any refusal is fine; what matters is below
        assert not isinstance(exc, (MemoryError, SystemExit, KeyboardInterrupt))
        assert "root:" not in str(exc)
    else:
        assert len(out) <= MAX_OUTPUT
        assert "root:" not in out and "<module" not in out and "<function" not in out
    assert time.process_time() - start < 2.0
    assert not Path("/tmp/logto-email-template-pwned").exists()
