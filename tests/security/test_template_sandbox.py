"""Templates from a pull request: no code, no file outside the set, bounded work; problems name file and line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectors.templates.environment import MAX_SET_OPS, bounded_render, environment
from tests.security.hostile import BASE, leaked, project, run_cli

PWNED = "logto-email-template-pwned"

# template source -> what the problem says
HOSTILE: dict[str, str] = {
    "[[ ''.__class__.__mro__ ]]": "refused by the template sandbox",
    "[[ cycler.__init__.__globals__.os.system('touch /tmp/" + PWNED + "') ]]": "refused by the template sandbox",
    "[[ joiner.__init__.__globals__ ]]": "refused by the template sandbox",
    "[[ config ]]": "'config' is undefined",
    "[[ open('/etc/passwd').read() ]]": "'open' is undefined",
    "[[ range(10**9)|list ]]": "exceeds 10000",
    "[[ 'x'*10**9 ]]": "repeating a value",
    "[[ 10**10**10 ]]": "too large",
    "[[ '{0.__class__}'.format(1) ]]": "refused by the template sandbox",
    "[[ '{x.__class__}'.format_map({'x': 1}) ]]": "refused by the template sandbox",
    "[[ ''|attr('__class__') ]]": "refused by the template sandbox",
    "[[ '%*d' % (1000000000, 1) ]]": "%-format",
    "[[ 'x'|center(1000000000) ]]": "exceeds 10000",
    "[[ lipsum(1000000) ]]": "exceeds 10000",
    "[% set ns = namespace(s='x') %]": "'namespace' is undefined",
    "[[ ('x'*99999)|replace('x', 'y'*99999) ]]": "replace()",
    "[[ range(9999)|join('y'*99999) ]]": "join()",
    "[% macro f(n) %][[ f(n) ]][[ f(n) ]][% endmacro %][[ f(1) ]]": "RecursionError",
    "[% macro f(s, n) %][[ f(s ~ s, n - 1) if n else s|length ]][% endmacro %][[ f('x', 40) ]]": "grows beyond",
    "[% for i in range(9999) %][% for j in range(9999) %][% endfor %][% endfor %]": "loop iterations",
    "[% include 'SignIn.html' %][% include 'SignIn.html' %]": "include/import/extends",
    "[% extends 'SignIn.html' %]": "include/import/extends",
    "[% include '../outside.txt' %]": "not found",
    "[% include '/etc/passwd' %]": "not found",
    "[% import '/etc/passwd' as x %]": "not found",
    "[% include 'default/../../../../etc/passwd' %]": "not found",
    "[% include 'link.txt' %]": "leaves the template directory",
    "[[ {}.update ]]": "refused by the template sandbox",
    "[[ 1/0 ]]": "ZeroDivisionError",
}


def _project(tmp_path: Path, signin_html: str) -> Path:
    proj = tmp_path / "proj"
    tpl = proj / "tpl"
    tpl.mkdir(parents=True, exist_ok=True)
    (tmp_path / "outside.txt").write_text("root:x:0:0:outside-file-content\n")
    (proj / "outside.txt").write_text("root:x:0:0:outside-file-content\n")
    link = tpl / "link.txt"
    if not link.is_symlink():
        link.symlink_to(tmp_path / "outside.txt")
    (tpl / "SignIn.html").write_text(signin_html + "\n<p>{{code}}</p>\n")
    project(proj, BASE + "      templates: {directory: tpl}\n")
    return proj


@pytest.mark.parametrize("source", sorted(HOSTILE))
def test_hostile_template_is_a_problem_naming_file_and_line(tmp_path: Path, source: str) -> None:
    environment.cache_clear()
    proj = _project(tmp_path, source)
    start = time.process_time()
    code, out = run_cli("validate", "-s", "x", "-C", str(proj))
    assert time.process_time() - start < 2.0
    assert code == 1, out
    assert HOSTILE[source] in out, out
    assert "SignIn.html" in out and "Traceback" not in out
    assert "outside-file-content" not in out and not leaked(out)
    assert not (Path("/tmp") / PWNED).exists()


def test_render_writes_nothing_for_a_hostile_template(tmp_path: Path) -> None:
    environment.cache_clear()
    proj = _project(tmp_path, "[% include 'link.txt' %]")
    code, out = run_cli("render", "-s", "x", "-C", str(proj), "--out", str(tmp_path / "out"))
    assert code == 1 and not (tmp_path / "out").exists()


def test_symlink_inside_the_set_still_works(tmp_path: Path) -> None:
    environment.cache_clear()
    proj = _project(tmp_path, "[% include 'part.html' %]")
    (proj / "tpl" / "real.html").write_text("<b>inner part</b>")
    (proj / "tpl" / "part.html").symlink_to(proj / "tpl" / "real.html")
    code, out = run_cli("render", "-s", "x", "-C", str(proj), "--out", str(tmp_path / "out"))
    assert code == 0, out
    assert "inner part" in (tmp_path / "out" / "acme" / "en" / "SignIn.html").read_text()


def test_output_size_is_bounded() -> None:
    env = environment(None)
    template = env.from_string("[% for i in range(10) %][[ 'x' * 99999 ]][% endfor %]")
    with pytest.raises(Exception, match="KiB"):
        bounded_render(template, {})


def test_logto_placeholders_that_logto_would_not_fill_are_problems(tmp_path: Path) -> None:
    environment.cache_clear()
    proj = _project(tmp_path, "<p>{{password}} {{ code }}</p>")
    code, out = run_cli("validate", "-s", "x", "-C", str(proj))
    assert code == 1 and "{{password}}" in out


def test_work_is_bounded_over_the_whole_set(tmp_path: Path) -> None:
    """A loop just under the per-email cap, in a file every email uses, cannot multiply by every email."""
    environment.cache_clear()
    proj = _project(tmp_path, "[% extends 'default/SignIn.html' %]")
    (proj / "tpl" / "SignIn.html").unlink()
    (proj / "tpl" / "code.html").write_text("[% for i in range(1500) %][% endfor %]<b>{{code}}</b>\n")
    (proj / "tpl" / "code.txt").write_text("[% for i in range(1500) %][% endfor %]{{code}}\n")
    project(proj, BASE.replace("locales: [en]", "locales: [en, de, fr, es]") + "      templates: {directory: tpl}\n")
    start = time.process_time()
    code, out = run_cli("validate", "-s", "x", "-C", str(proj))
    assert time.process_time() - start < 2.0
    assert code == 1 and f"more than {MAX_SET_OPS} loop iterations" in out and "code." in out, out


def test_no_object_in_the_context_reaches_a_file(tmp_path: Path) -> None:
    """Paths, files, modules and classes are unreachable, and the translator keeps its catalog private."""
    from connectors.templates.catalog import load_catalogs
    from connectors.templates.render import _Translator

    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("outside-file-content")
    translator = _Translator(load_catalogs(None)[0]["en"], {}, False)
    context = {"t": translator, "p": secret_file, "f": secret_file.open(), "brand": {"x": 1}}
    env = environment(None)
    for source in ("[[ p.read_text() ]]", "[[ p.parent ]]", "[[ f.read() ]]", "[[ t.catalog.sources[0].read_text() ]]",
                   "[[ t._catalog ]]", "[[ brand.__class__ ]]", "[[ (p|attr('read_text'))() ]]"):
        with pytest.raises(Exception) as caught:  # refused (SecurityError) or undefined (UndefinedError)
            bounded_render(env.from_string(source), context)
        assert "outside-file-content" not in str(caught.value)
    context["f"].close()
