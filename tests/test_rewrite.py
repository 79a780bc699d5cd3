import re
import time
from html import escape

import ada_url
import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_ext.rewrite import rewrite_css, rewrite_html, rewrite_refresh, rewrite_sitemap
from jupyter_ext.rewrite._attributes import ANY_ELEMENT_URLS
from jupyter_ext.rewrite._css import _css_unescape
from jupyter_ext.rewrite._urls import to_proxy

P = "/cobrowse/proxy/TOKEN/"
BASE = "https://example.com/dir/page.html"
E = P + "https/example.com"  # the proxied origin of BASE
SNIPPET = '<script src="/agent.js"></script>'


def html(page: str, inject: str = "") -> str:
    return rewrite_html(page, BASE, P, inject)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<a href="/a">', f'<a href="{E}/a">'),
        ('<img src="https://cdn.org/i.png">', f'<img src="{P}https/cdn.org/i.png">'),
        ('<form action="/post">', f'<form action="{E}/post">'),
        ('<button formaction="//x.org/go">', f'<button formaction="{P}https/x.org/go">'),
        ('<video poster="/p.jpg">', f'<video poster="{E}/p.jpg">'),
        ('<object data="/f.swf">', f'<object data="{E}/f.swf">'),
        ('<body background="/bg.gif">', f'<body background="{E}/bg.gif">'),
        ('<blockquote cite="/src">', f'<blockquote cite="{E}/src">'),
        ('<img longdesc="/d.txt">', f'<img longdesc="{E}/d.txt">'),
        ('<use xlink:href="/s.svg#i">', f'<use xlink:href="{E}/s.svg#i">'),
        (
            '<link rel=preload imagesrcset="/a.png 1x">',
            f'<link rel=preload imagesrcset="{E}/a.png 1x">',
        ),
        ('<a ping="/p1 https://t.org/p2">', f'<a ping="{E}/p1 {P}https/t.org/p2">'),
        ('<a ping=" /p1\n\t/p2 ">', f'<a ping=" {E}/p1\n\t{E}/p2 ">'),
        ('<html manifest="/app.appcache">', f'<html manifest="{E}/app.appcache">'),
        ('<link rel=modulepreload href="/m.js">', f'<link rel=modulepreload href="{E}/m.js">'),
        (
            '<link rel="icon" href="//c.org/f.ico">',
            f'<link rel="icon" href="{P}https/c.org/f.ico">',
        ),
        ('<link rel=manifest href="/m.json">', f'<link rel=manifest href="{E}/m.json">'),
        (
            "<link rel=preload as=font href=/f.woff2>",
            f"<link rel=preload as=font href={E}/f.woff2>",
        ),
        ('<svg><use href="/s.svg#i"/></svg>', f'<svg><use href="{E}/s.svg#i"/></svg>'),
        ('<image xlink:href="/i.png"/>', f'<image xlink:href="{E}/i.png"/>'),
        ('<feImage href="https://x.org/f.png"/>', f'<feImage href="{P}https/x.org/f.png"/>'),
        ('<embed src="/e.swf">', f'<embed src="{E}/e.swf">'),
        ('<track src="/t.vtt">', f'<track src="{E}/t.vtt">'),
        ('<source src="/v.webm" srcset="/v.png">', f'<source src="{E}/v.webm" srcset="{E}/v.png">'),
        ('<input type=image src="/i.png">', f'<input type=image src="{E}/i.png">'),
        ('<iframe src="https://f.org/"></iframe>', f'<iframe src="{P}https/f.org/"></iframe>'),
        ('<area href="/map">', f'<area href="{E}/map">'),
        (
            '<q cite="/q"><del cite=/d><ins cite=/i>',
            f'<q cite="{E}/q"><del cite={E}/d><ins cite={E}/i>',
        ),
        ('<td background="/bg.gif">', f'<td background="{E}/bg.gif">'),
        ('<object codebase="/cb/" data="d.swf">', f'<object codebase="{E}/cb/" data="d.swf">'),
        ('<rect fill="url(/p.svg#g)" stroke=red>', f'<rect fill="url({E}/p.svg#g)" stroke=red>'),
        (
            '<g clip-path="url(#c)" mask="url(/m.svg#m)">',
            f'<g clip-path="url(#c)" mask="url({E}/m.svg#m)">',
        ),
        ('<a href="wss://live.org/s">', f'<a href="{P}wss/live.org/s">'),
        ('<meta property="og:image" content="https://x.org/i.png">', None),
        ('<div data-src="/a" data-srcset="/b 2x" data-style="url(/c)">', None),
    ],
)
def test_url_attributes(page: str, expected: str | None) -> None:
    assert html(page) == (page if expected is None else expected)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<a href="/x" target="_top">', f'<a href="{E}/x" target="_self">'),
        ("<a target=_parent>", "<a target=_self>"),
        ("<A TARGET='_TOP'>", "<A TARGET='_self'>"),
        ('<a target=" _top ">', '<a target="_self">'),
        ('<a target="_&#116;op">', '<a target="_self">'),
        ('<area target="_top"><form target="_parent"><base target=_top>', None),
        ('<button formtarget="_top"><input formtarget=_parent>', None),
        ('<a target="_blank">', '<a target="_blank">'),
        ('<a target="_self">', '<a target="_self">'),
        ('<a target="named">', '<a target="named">'),
        ('<div target="_top"><button target="_top">', '<div target="_top"><button target="_top">'),
        ('<a data-target="_top">', '<a data-target="_top">'),
    ],
)
def test_targets_stay_in_the_iframe(page: str, expected: str | None) -> None:
    if expected is None:
        expected = page.replace("_top", "_self").replace("_parent", "_self")
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # only the part the rewrite changed is re-escaped; the tail stays as written
        (
            '<a href="&#47;&#47;x.org/caf&eacute;?a&amp;b">',
            f'<a href="{P}https/x.org/caf&eacute;?a&amp;b">',
        ),
        ('<a href="&#x2F;&#x2F;x.org/&#8212;">', f'<a href="{P}https/x.org/&#8212;">'),
        ("<a href=&#47;\xe9>", f"<a href={E}/\xe9>"),
    ],
)
def test_reference_fallback_keeps_the_tail(page: str, expected: str) -> None:
    out = html(page)
    assert out == expected
    out.encode("latin-1")  # the proxy's codec for ASCII-compatible pages


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<a href="/a">x</a>', f'<a href="{E}/a">x</a>'),
        ("<a href='/a'>x</a>", f"<a href='{E}/a'>x</a>"),
        ("<a href=/a>x</a>", f"<a href={E}/a>x</a>"),
        ("<a href=/a/>x</a>", f"<a href={E}/a/>x</a>"),
        ('<a href = "/a" >', f'<a href = "{E}/a" >'),
        ("<a\nhref\n=\n/a\n>", f"<a\nhref\n=\n{E}/a\n>"),
        ('<A HREF="/a">x</A>', f'<A HREF="{E}/a">x</A>'),
        ('<IMG Src="/a" SrcSet="/b 2x">', f'<IMG Src="{E}/a" SrcSet="{E}/b 2x">'),
        ('<a title="/x" href="/a" class=c>', f'<a title="/x" href="{E}/a" class=c>'),
        ('<a href="/a"/>', f'<a href="{E}/a"/>'),
        ('<a/href="/a">', f'<a/href="{E}/a">'),
        ('<a href="/a"href="/b">', f'<a href="{E}/a"href="{E}/b">'),
        ('<a href="rel/a" src="#x">', '<a href="rel/a" src="#x">'),
        ('<a href="javascript:go()">', '<a href="javascript:go()">'),
        ('<a href="mailto:x@y.z">', '<a href="mailto:x@y.z">'),
        ('<img src="data:image/gif;base64,R0lG">', '<img src="data:image/gif;base64,R0lG">'),
        ("<a href>", "<a href>"),
        ('<a href="">', '<a href="">'),
        (
            '<div data-src="/a" data-href="https://x.org/">',
            '<div data-src="/a" data-href="https://x.org/">',
        ),
        ('<embed data="/not-object">', '<embed data="/not-object">'),
        ("</a href='/x'>", "</a href='/x'>"),
    ],
)
def test_quoting_case_and_untouched(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<a href="/a?x=1&amp;y=2">', f'<a href="{E}/a?x=1&amp;y=2">'),
        ('<a href="/a?x=1&copy=2">', f'<a href="{E}/a?x=1&copy=2">'),
        ('<a href="https://x.org/?a=&lt;b&gt;">', f'<a href="{P}https/x.org/?a=&lt;b&gt;">'),
        ('<a href="&#47;&#47;evil.org/x">', f'<a href="{P}https/evil.org/x">'),
        ('<a href="https&#58;//x.org/a&amp;b">', f'<a href="{P}https/x.org/a&amp;b">'),
        ("<a href=&#x2F;a>", f"<a href={E}/a>"),
        ('<a href="&#x6A;avascript:x">', '<a href="&#x6A;avascript:x">'),
        (
            '<p style="background:url(&quot;/bg.png&quot;)">',
            f'<p style="background:url(&quot;{E}/bg.png&quot;)">',
        ),
    ],
)
def test_character_references(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<img srcset="/a.png">', f'<img srcset="{E}/a.png">'),
        (
            '<img srcset="/a.png 1x, https://c.org/b.png 2x">',
            f'<img srcset="{E}/a.png 1x, {P}https/c.org/b.png 2x">',
        ),
        (
            '<img srcset="/a,b.png 100w,/c.png 200w">',
            f'<img srcset="{E}/a,b.png 100w,{E}/c.png 200w">',
        ),
        ('<img srcset="/a.png,/b.png 2x">', f'<img srcset="{E}/a.png,/b.png 2x">'),  # one URL
        ('<img srcset="/a.png, /b.png 2x">', f'<img srcset="{E}/a.png, {E}/b.png 2x">'),
        (
            '<img srcset=" rel.png 1x ,\n/b.png 2x ">',
            f'<img srcset=" rel.png 1x ,\n{E}/b.png 2x ">',
        ),
        (
            '<img srcset="/a.png (foo, bar) 1x, /b.png">',
            f'<img srcset="{E}/a.png (foo, bar) 1x, {E}/b.png">',
        ),
        (
            '<source srcset="data:image/png;base64,AA 1x">',
            '<source srcset="data:image/png;base64,AA 1x">',
        ),
        ('<img srcset=",,, /a.png">', f'<img srcset=",,, {E}/a.png">'),
    ],
)
def test_srcset(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            '<base href="https://cdn.org/assets/"><img src="/i.png"><img src="r.png">',
            f'<base href="{P}https/cdn.org/assets/"><img src="{P}https/cdn.org/i.png">'
            '<img src="r.png">',
        ),
        (
            '<base href="//cdn.org/"><a href="//x.org/">',
            f'<base href="{P}https/cdn.org/"><a href="{P}https/x.org/">',
        ),
        (
            '<base href="http://plain.org/"><a href="//x.org/">',
            f'<base href="{P}http/plain.org/"><a href="{P}http/x.org/">',
        ),
        (
            '<img src="/before"><BASE HREF="https://cdn.org/"><img src="/after">',
            f'<img src="{E}/before"><BASE HREF="{P}https/cdn.org/">'
            f'<img src="{P}https/cdn.org/after">',
        ),
        (
            '<base href="sub/"><img src="/i.png">',
            f'<base href="sub/"><img src="{E}/i.png">',
        ),
        (
            '<base href="https://a.org/"><base href="https://b.org/"><img src="/i">',
            f'<base href="{P}https/a.org/"><base href="{P}https/b.org/">'
            f'<img src="{P}https/a.org/i">',
        ),
        (
            '<base href="javascript:x"><img src="/i">',
            f'<base href="javascript:x"><img src="{E}/i">',
        ),
        ('<base target="_top"><img src="/i">', f'<base target="_self"><img src="{E}/i">'),
    ],
)
def test_base(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            '<meta http-equiv="refresh" content="5; url=/next">',
            f'<meta http-equiv="refresh" content="5; url={E}/next">',
        ),
        (
            "<META CONTENT=\"0;URL='https://x.org/'\" HTTP-EQUIV=Refresh>",
            f"<META CONTENT=\"0;URL='{P}https/x.org/'\" HTTP-EQUIV=Refresh>",
        ),
        ('<meta name="x" content="/not-a-url">', '<meta name="x" content="/not-a-url">'),
        (
            '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">',
            '<meta http-equiv="x-cobrowse-disabled-Content-Security-Policy" '
            "content=\"default-src 'self'\">",
        ),
        (
            "<meta content=\"img-src 'none'\" HTTP-EQUIV=content-security-policy>",
            "<meta content=\"img-src 'none'\" "
            "HTTP-EQUIV=x-cobrowse-disabled-content-security-policy>",
        ),
        (
            '<meta http-equiv="Content-Security-Policy-Report-Only" content="x">',
            '<meta http-equiv="Content-Security-Policy-Report-Only" content="x">',
        ),
    ],
)
def test_meta(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            '<script src="/a.js" integrity="sha384-abc" crossorigin>',
            f'<script src="{E}/a.js" crossorigin>',
        ),
        ('<link INTEGRITY=sha256-x href="/s.css">', f'<link href="{E}/s.css">'),
        ("<link href='/s.css'integrity='x'>", f"<link href='{E}/s.css'>"),
        ('<link integrity href="/s.css">', f'<link href="{E}/s.css">'),
        ('<div data-integrity="keep">', '<div data-integrity="keep">'),
    ],
)
def test_integrity_removed(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ('<p style="background: url(/bg.png)">', f'<p style="background: url({E}/bg.png)">'),
        ("<p style='background:url(\"/bg.png\")'>", f"<p style='background:url(\"{E}/bg.png\")'>"),
        ("<p STYLE=background:url(/bg.png)>", f"<p STYLE=background:url({E}/bg.png)>"),
        (
            "<style>a{background:url('/a.png')}</style>",
            f"<style>a{{background:url('{E}/a.png')}}</style>",
        ),
        (
            '<STYLE type="text/css">@import "/x.css";</STYLE><p style="color:red">',
            f'<STYLE type="text/css">@import "{E}/x.css";</STYLE><p style="color:red">',
        ),
        (
            '<style>a::after{content:"<img src=/no>"}</style><img src="/yes">',
            f'<style>a::after{{content:"<img src=/no>"}}</style><img src="{E}/yes">',
        ),
        ("<style>a{b:url(/a)}", f"<style>a{{b:url({E}/a)}}"),
    ],
)
def test_styles(page: str, expected: str) -> None:
    assert html(page) == expected


@pytest.mark.parametrize(
    "page",
    [
        '<script>document.write("<img src=/x>")</script>',
        '<script type="text/x-template"><a href="/m">; if (a</b) {}</script>',
        "<script>var s = '</scrip' + 't><a href=/x>';</script>",
        "<script>unterminated <a href=/x>",
        '<textarea><a href="/x"></textarea>',
        '<title><a href="/x"></title>',
        '<noscript><img src="/x"></noscript>',
        '<xmp><a href="/x"></xmp>',
        '<iframe><a href="/x"></iframe>',
        '<noembed><a href="/x"></noembed>',
        '<plaintext><a href="/x"></plaintext><a href="/y">',
        '<!-- <a href="/x"> -->',
        '<!-- <a href="/x"> --!>',
        '<!-- unterminated <a href="/x">',
        '<![CDATA[ <a href="/x"> ]]>',
        '<!DOCTYPE html SYSTEM "about:legacy-compat">',
        '<?xml-stylesheet href="/s.xsl"?>',
    ],
)
def test_raw_text_and_comments_untouched(page: str) -> None:
    assert html(page) == page


def test_raw_text_end_tag_needs_delimiter() -> None:
    page = '<script>x = "</scripty>"; y = "<a href=/x>"</script ><a href="/y">'
    assert html(page) == page.replace('"/y"', f'"{E}/y"')


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<html><head><title>t</title></head>", "<html><head>S<title>t</title></head>"),
        (
            '<!DOCTYPE html><HTML lang=en><HEAD profile="x">',
            '<!DOCTYPE html><HTML lang=en><HEAD profile="x">S',
        ),
        ("<html><body>x</body></html>", "<html>S<body>x</body></html>"),
        ("<!doctype html>\n<!-- c -->\n<p>x", "<!doctype html>\n<!-- c -->\nS<p>x"),
        ("<p>x", "S<p>x"),
        ("just text", "Sjust text"),
        ("", "S"),
        ("\ufeff<p>x", "\ufeffS<p>x"),
        ("\xef\xbb\xbf<!doctype html><p>", "\xef\xbb\xbf<!doctype html>S<p>"),
        ("<header><head>", "<header><head>S"),
        ("<script>'<head>'</script><head>", "<script>'<head>'</script><head>S"),
        ("<!-- <head> --><html>", "<!-- <head> --><html>S"),
        ("<head><head>", "<head>S<head>"),
        ("<html><html><head", "<html>S<html><head"),
        ("<!-- unterminated", "S<!-- unterminated"),
    ],
)
def test_head_injection(page: str, expected: str) -> None:
    assert html(page, "S") == expected


@pytest.mark.parametrize(
    "page",
    [
        "<",
        "<<<<>>>",
        "<a",
        '<a href="/x',
        "<a href='",
        "<a href=",
        "<a =x>",
        "</",
        "</ x>",
        "</>",
        "<!",
        "<!--",
        "<?",
        "<a\x00 src\x00=/x>",
        "<style>",
        "<script",
        "<img srcset='/a (', ",
        "<meta http-equiv=refresh content='0;url=\"/x",
        "\x00\xff\xfe<\x80 href=\x9f>",
        "<a href=&#99999999999;>",
        "<a href='&'>",
    ],
)
def test_malformed_never_raises(page: str) -> None:
    assert SNIPPET in rewrite_html(page, BASE, P, SNIPPET)


def test_bytes_round_trip() -> None:
    raw = (
        b"<!DOCTYPE html>\r\n<html><HEAD><meta charset=windows-1252>\r\n"
        b"<title>Caf\xe9 \x93quoted\x94 \xff\xfe\x00</title>\r\n"
        b"<p class='x'  id=y>\xe9t\xe9 "
        b"<a   href='/caf\xe9?q=\xe0&amp;r=1' TITLE=\"\x80\">\xa0</a>\n"
        b'<img src="https://cdn.org/\xe9.png"><b>unclosed <i>tags\n'
        b"<div style=\"color:red ; background:url( '/bg\xe9.png' )\">< stray</div>\n"
        b"<script>if (a < b && c > d) { s = '<a href=/no>'; }</script>\n"
        b"<!-- comment \xf0\x9f <a href=/no> --></body>"
    )
    text = raw.decode("latin-1")
    out = rewrite_html(text, BASE, P).encode("latin-1")
    prefix = P.encode()
    expected = (
        raw.replace(b"href='/caf", b"href='" + prefix + b"https/example.com/caf")
        .replace(b'src="https://cdn.org/', b'src="' + prefix + b"https/cdn.org/")
        .replace(b"url( '/bg", b"url( '" + prefix + b"https/example.com/bg")
    )
    assert out == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            '<iframe srcdoc="<img src=&quot;/a.png&quot;>"></iframe>',
            f'<iframe srcdoc="<img src=&quot;{E}/a.png&quot;>"></iframe>',
        ),
        (
            "<iframe srcdoc='<a href=\"https://x.org/\">x</a>'></iframe>",
            f"<iframe srcdoc='<a href=\"{P}https/x.org/\">x</a>'></iframe>",
        ),
        (
            '<iframe srcdoc="<a href=/r>&amp;</a>"></iframe>',
            f'<iframe srcdoc="<a href={E}/r>&amp;</a>"></iframe>',
        ),
        (
            '<iframe srcdoc="<style>p{background:url(/b.png)}</style>"></iframe>',
            f'<iframe srcdoc="<style>p{{background:url({E}/b.png)}}</style>"></iframe>',
        ),
        (
            '<base href="https://cdn.org/x/"><iframe srcdoc="<img src=i.png><img src=/j.png>">',
            f'<base href="{P}https/cdn.org/x/"><iframe srcdoc="<img src=i.png>'
            f'<img src={P}https/cdn.org/j.png>">',
        ),
        ('<iframe srcdoc="<p>no URLs &amp; &quot;quotes&quot;</p>">', None),
        ('<div srcdoc="<img src=/a.png>">', None),
        ("<iframe srcdoc>", None),
    ],
)
def test_srcdoc_documents(page: str, expected: str | None) -> None:
    assert html(page) == (page if expected is None else expected)


def test_srcdoc_documents_get_their_own_snippet() -> None:
    frame = '<script src="/a.js" data-x="y&z"></script>'
    page = "<head></head><iframe srcdoc=\"<p>&amp;</p><iframe srcdoc='<img src=/i.png>'>\">"
    out = rewrite_html(page, BASE, P, SNIPPET, frame)
    assert out.startswith(f"<head>{SNIPPET}</head>")
    outer = html5lib.parse(out, namespaceHTMLElements=False).find(".//iframe").get("srcdoc")
    assert outer.startswith(frame + "<p>&</p>")
    inner = html5lib.parse(outer, namespaceHTMLElements=False).find(".//iframe").get("srcdoc")
    assert inner == f"{frame}<img src={E}/i.png>"


FRAME = (
    '<script src="/cobrowse/proxy/TOKEN/_/agent.js" data-cobrowse-cookies="a=&quot;b&quot;">'
    "</script>"
)


def _srcdoc_text(page: str, codec: str = "latin-1") -> tuple[str, str]:
    """(text, image URLs) of the first srcdoc document of a page as html5lib sees it; ``page`` is
    as the proxy handles it: the bytes decoded as latin-1 (or UTF-16 for such pages)."""
    frame = html5lib.parse(page.encode(codec), namespaceHTMLElements=False).find(".//iframe")
    inner = html5lib.parse(frame.get("srcdoc").replace(FRAME, "", 1), namespaceHTMLElements=False)
    return "".join(inner.itertext()), " ".join(i.get("src") for i in inner.iter("img"))


@pytest.mark.parametrize(
    ("page", "codec", "image"),
    [
        ('<meta charset=utf-8><iframe srcdoc="<p>caf&eacute;&nbsp;x &#x4e2d;</p>">', "latin-1", ""),
        ('<meta charset=utf-8><iframe srcdoc="<p>caf\xc3\xa9 &amp;lt;</p>">', "latin-1", ""),
        ('<meta charset=shift_jis><iframe srcdoc="<p>&eacute;ta \x82\xa0</p>">', "latin-1", ""),
        ('<iframe srcdoc="<p>&eacute;ta 中</p>">', "utf-16", ""),
        ('<iframe srcdoc="<p>&notit; &copy2; &copy=</p>">', "latin-1", ""),
        (
            "<iframe srcdoc='<p title=\"&amp;quot;\">&quot;x<img src=/a.png>'>",
            "latin-1",
            f"{E}/a.png",
        ),
        (
            "<iframe srcdoc=&lt;p&gt;u&lt;img&#32;src=&quot;//c.org/i.png&quot;&gt;>",
            "latin-1",
            f"{P}https/c.org/i.png",
        ),
    ],
)
def test_srcdoc_documents_mean_what_they_meant(page: str, codec: str, image: str) -> None:
    """Written out again with the agent's tag, a srcdoc document parses (html5lib) to the same
    text, its images proxied, whatever the page's encoding and the references it used."""
    out = rewrite_html(page, BASE, P, SNIPPET, FRAME)
    assert FRAME in html5lib.parse(out.encode(codec)).find(".//{*}iframe").get("srcdoc")
    assert _srcdoc_text(out, codec) == (_srcdoc_text(page, codec)[0], image)


def test_only_the_first_srcdoc_counts_and_a_page_has_an_allowance() -> None:
    out = rewrite_html('<iframe srcdoc="a" srcdoc="b">', BASE, P, SNIPPET, FRAME)
    assert out.endswith('a" srcdoc="b">')
    frames = '<iframe srcdoc="<img src=/i.png>"></iframe>' * 40
    out = rewrite_html(frames, BASE, P, SNIPPET, FRAME)
    assert out.count("_/agent.js") == 32
    assert out.endswith('<iframe srcdoc="<img src=/i.png>"></iframe>' * 8)


RULES = f'{{"https://": "{P}https/", "http://": "{P}https/", "/": "{E}/", "{P}": "{P}"}}'


def _scope(host: str) -> str:
    """The scope the proxy adds for modules from another site: root-relative imports stay there."""
    return f'"{P}https/{host}/": {{"/": "{P}https/{host}/", "{P}": "{P}"}}'


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "<head><script type=module>import '/a.js'</script>",
            f'<head>{SNIPPET}<script type="importmap">{{"imports": {RULES}}}</script>'
            "<script type=module>import '/a.js'</script>",
        ),
        (
            '<script type="importmap">{"imports": {"vue": "https://u.org/vue.js", "x": "./x.js"},'
            ' "scopes": {"/s/": {"y": "//c.org/y.js"}}}</script>',
            f'{SNIPPET}<script type="importmap">{{"imports": {{"vue": "{P}https/u.org/vue.js", '
            f'"x": "./x.js", {RULES[1:]}, "scopes": {{"{E}/s/": {{"y": "{P}https/c.org/y.js"}}, '
            f"{_scope('c.org')}, {_scope('u.org')}}}}}</script>",
        ),
        (
            '<script type=importmap>{"imports": {"/": "/mine/"}}</script>',
            f'{SNIPPET}<script type=importmap>{{"imports": {{"/": "{E}/mine/", '
            f'"https://": "{P}https/", "http://": "{P}https/", "{P}": "{P}"}}}}</script>',
        ),
        ('<script type=importmap>{"imports": {"e\\u00e9": "/x.js"}}</script>', None),
        (
            "<script type=importmap>[1]</script><script type=module></script>",
            f'{SNIPPET}<script type="importmap">{{"imports": {RULES}}}</script>'
            "<script type=importmap>[1]</script><script type=module></script>",
        ),
        ("<script>import('/a.js')</script>", None),
        (
            '<script type=module src="https://cdn.org/m.js"></script>',
            f'{SNIPPET}<script type="importmap">{{"imports": {RULES}, "scopes": '
            f'{{{_scope("cdn.org")}}}}}</script><script type=module src="{P}https/cdn.org/m.js">'
            "</script>",
        ),
    ],
)
def test_pages_with_modules_get_an_import_map(page: str, expected: str | None) -> None:
    """Module imports (static and dynamic, absolute and root-relative) go through the proxy by an
    import map: added when a page has module scripts, merged into the page's own map if it has
    one (whose addresses are proxied like any others)."""
    assert html(page, SNIPPET) == (expected or f"{SNIPPET}{page}")


def test_a_srcdoc_document_with_modules_gets_its_map_inside_the_attribute() -> None:
    page = '<iframe srcdoc="<script type=module>import &quot;/m.js&quot;</script>"></iframe>'
    for frame in ("", FRAME):
        out = rewrite_html(page, BASE, P, SNIPPET, frame)
        inner = html5lib.parse(out, namespaceHTMLElements=False).find(".//iframe").get("srcdoc")
        assert inner == f'{frame}<script type="importmap">{{"imports": {RULES}}}</script>' + (
            '<script type=module>import "/m.js"</script>'
        )


def _nested_srcdoc(levels: int) -> str:
    page = '<img src="/deep.png">'
    for _ in range(levels):
        page = f'<iframe srcdoc="{escape(page)}"></iframe>'
    return page


def _innermost_src(page: str) -> str:
    while (
        frame := html5lib.parse(page, namespaceHTMLElements=False).find(".//iframe")
    ) is not None:
        page = frame.get("srcdoc")
    img = html5lib.parse(page, namespaceHTMLElements=False).find(".//img")
    return str(img.get("src"))


def test_nested_srcdoc_documents_are_rewritten_to_a_depth() -> None:
    assert _innermost_src(html(_nested_srcdoc(4))) == f"{E}/deep.png"
    assert _innermost_src(html(_nested_srcdoc(5))) == "/deep.png"  # left to the agent
    html(_nested_srcdoc(200))  # no recursion without end


PAGE = """<!DOCTYPE html>
<html><head>
<base href="https://www.example.org/docs/">
<link rel=stylesheet href="/css/site.css" integrity="sha384-x">
<link rel="icon" href="https://static.example.net/favicon.ico">
<script src='//cdn.example.com/lib.js'></script>
<style>body { background: url("/img/bg.png") }</style>
</head><body background="/img/body.png">
<a href="guide.html">relative</a> <a HREF=/root>root</a> <a href="#top">fragment</a>
<a href="https://other.example/x?a=1&amp;b=2" ping="/ping https://t.example/p">abs</a>
<img src="/a.png" srcset="/a-2x.png 2x, https://cdn.example.com/a-3x.png 3x">
<form action="/search"><button formaction="https://other.example/post">go</button></form>
<video poster="//media.example/p.jpg"><source src="/v.webm"></video>
<object data="/movie.swf"></object><blockquote cite="https://quotes.example/q"></blockquote>
<svg><a xlink:href="/svg-link"><text>t</text></a></svg>
<a href="mailto:me@example.org">mail</a> <img src="data:image/gif;base64,R0lGODlh">
</body></html>"""

URL_ATTRIBUTES = (
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "cite",
    "{http://www.w3.org/1999/xlink}href",
)


def _urls(page: str) -> list[tuple[str, str, str]]:
    """(tag, attribute, URL) for every URL html5lib finds in URL-bearing attributes."""
    found = []
    for el in html5lib.parse(page, namespaceHTMLElements=False).iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name in URL_ATTRIBUTES:
                found.append((el.tag, name, value))
            elif name == "ping":
                found += [(el.tag, name, url) for url in value.split()]
            elif name == "srcset":
                found += [(el.tag, name, c.split()[0]) for c in value.split(", ")]
    return found


def test_html5lib_sees_every_url_proxied() -> None:
    rewritten = rewrite_html(PAGE, BASE, P, SNIPPET)
    before, after = _urls(PAGE), _urls(rewritten)
    assert after[0] == ("script", "src", "/agent.js")
    assert len(before) == len(after) - 1 == 23
    for (tag, name, old), (tag2, name2, new) in zip(before, after[1:], strict=True):
        assert (tag, name) == (tag2, name2)
        if old.startswith(("/", "http:", "https:")):
            assert new.startswith(P), (tag, name, old, new)
        else:
            assert new == old
    tree = html5lib.parse(rewritten, namespaceHTMLElements=False)
    assert tree.find("head")[0].get("src") == "/agent.js"
    assert all(el.get("integrity") is None for el in tree.iter() if isinstance(el.tag, str))


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a{b:url(/x.png)}", f"a{{b:url({E}/x.png)}}"),
        ("a{b:url( /x.png )}", f"a{{b:url( {E}/x.png )}}"),
        ('a{b:url("/x.png")}', f'a{{b:url("{E}/x.png")}}'),
        ("a{b:url( '/x.png' )}", f"a{{b:url( '{E}/x.png' )}}"),
        ("a{b:URL(https://c.org/x)}", f"a{{b:URL({P}https/c.org/x)}}"),
        ("a{b:url(//c.org/x)}", f"a{{b:url({P}https/c.org/x)}}"),
        ("a{b:url(x.png)}", "a{b:url(x.png)}"),
        ("a{b:url(../x.png)}", "a{b:url(../x.png)}"),
        ("a{b:url(data:image/png;base64,AA)}", "a{b:url(data:image/png;base64,AA)}"),
        ("a{b:url()}", "a{b:url()}"),
        ('@import "/base.css";', f'@import "{E}/base.css";'),
        ("@IMPORT '/base.css' screen;", f"@IMPORT '{E}/base.css' screen;"),
        ("@import url(/base.css);", f"@import url({E}/base.css);"),
        ("@import url('/base.css') layer(x);", f"@import url('{E}/base.css') layer(x);"),
        (
            'a{b:image-set("/a.png" 1x, url(/b.png) 2x)}',
            f'a{{b:image-set("{E}/a.png" 1x, url({E}/b.png) 2x)}}',
        ),
        (
            "a{b:-webkit-image-set('/a.png' 1x, 'b.png' 2x)}",
            f"a{{b:-webkit-image-set('{E}/a.png' 1x, 'b.png' 2x)}}",
        ),
        (
            'a{b:image-set("/a.avif" type("image/avif"), "/a.jpg" type("image/jpeg"))}',
            f'a{{b:image-set("{E}/a.avif" type("image/avif"), "{E}/a.jpg" type("image/jpeg"))}}',
        ),
        ('a{content:"/not-a-url"; font-family:"/x"}', 'a{content:"/not-a-url"; font-family:"/x"}'),
        ('a{content:"url(/x)"}', 'a{content:"url(/x)"}'),
        ("/* url(/x) @import '/y'; */ a{}", "/* url(/x) @import '/y'; */ a{}"),
        ("/* unterminated url(/x)", "/* unterminated url(/x)"),
        ("a{b:myurl(/x)}", "a{b:myurl(/x)}"),
        ("a{b:calc((1px) + 2px);c:url(/x)}", f"a{{b:calc((1px) + 2px);c:url({E}/x)}}"),
        (
            '@font-face{src:url(/f.woff2) format("woff2"), local("/x")}',
            f'@font-face{{src:url({E}/f.woff2) format("woff2"), local("/x")}}',
        ),
        ("a{b:url(/x", "a{b:url(/x"),
        ('a{b:url("/x', 'a{b:url("/x'),
        ("))) (((", "))) ((("),
        (
            "@namespace svg url(http://www.w3.org/2000/svg); a{b:url(/x)}",
            f"@namespace svg url(http://www.w3.org/2000/svg); a{{b:url({E}/x)}}",
        ),
        ('@NAMESPACE url("http://x.org/ns");', '@NAMESPACE url("http://x.org/ns");'),
        ("@namespace x /* ; */ url(http://a/); c{d:url(/z)}", None),
    ],
)
def test_rewrite_css(css: str, expected: str | None) -> None:
    if expected is None:
        expected = css.replace("url(/z)", f"url({E}/z)")
    assert rewrite_css(css, BASE, P) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("5; url=/next", f"5; url={E}/next"),
        ("0;URL='https://x.org/a'", f"0;URL='{P}https/x.org/a'"),
        ('0; url="/a" ', f'0; url="{E}/a" '),
        ("3,url=/a", f"3,url={E}/a"),
        ("1 https://x.org/", f"1 {P}https/x.org/"),
        ("0; url = /a", f"0; url = {E}/a"),
        ("0.5;url=page2.html", "0.5;url=page2.html"),
        ("10", "10"),
        ("", ""),
        ("0; url=javascript:alert(1)", "0; url=javascript:alert(1)"),
        ("0; url='/unterminated", f"0; url='{E}/unterminated"),
    ],
)
def test_rewrite_refresh(content: str, expected: str) -> None:
    assert rewrite_refresh(content, BASE, P) == expected


_markup = st.text(st.sampled_from(list("<>/!-=\"' \n\tahrefsrctyl:(),;&#*@[]?\\\x00\xe9")))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), _markup))
def test_never_raises(text: str) -> None:
    rewrite_html(text, BASE, P, SNIPPET)
    rewrite_css(text, BASE, P)
    rewrite_refresh(text, BASE, P)


_names = st.sampled_from(["div", "p", "span", "SECTION", "b", "i", "ul", "li", "h1"])
_attr_names = st.sampled_from(["class", "id", "title", "data-href", "data-src", "lang", "ALT"])
_values = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@st.composite
def _attribute(draw: st.DrawFn) -> str:
    name, value = draw(_attr_names), draw(_values)
    quote = draw(st.sampled_from(['"', "'", ""]))
    if quote:
        value = value.replace(quote, "")
    else:
        value = "".join(c for c in value if c not in "\t\n\f\r >\"'=<`") or "v"
    space = draw(st.sampled_from([" ", "  ", "\n", "\t"]))
    return f"{space}{name}={quote}{value}{quote}"


@st.composite
def _page(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["tag", "end", "text", "comment"]))
        if kind == "tag":
            attrs = "".join(draw(st.lists(_attribute(), max_size=3)))
            parts.append(f"<{draw(_names)}{attrs}>")
        elif kind == "end":
            parts.append(f"</{draw(_names)}>")
        elif kind == "text":
            parts.append(draw(_values).replace("<", "&lt;"))
        else:
            parts.append(f"<!--{draw(_values).replace('-', '')}-->")
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_page())
def test_page_without_urls_is_unchanged(page: str) -> None:
    assert rewrite_html(page, BASE, P) == page
    out = rewrite_html(page, BASE, P, SNIPPET)
    assert out.count(SNIPPET) == 1 + page.count(SNIPPET)
    assert out.replace(SNIPPET, "", 1) == page


@pytest.mark.parametrize(
    "page",
    [
        "url(" + " " * 50_000 + "x",
        "<a href='a" + " " * 50_000 + "b'>",
        "<![CDATA[>" * 20_000,
        "<a " + "x= " * 20_000,
        "<img srcset='" + "a ," * 20_000 + "'>",
        "<p style='" + "url(" * 20_000 + "'>",
        "<a href='" + "&x" * 20_000 + "'>",
    ],
)
def test_adversarial_inputs_stay_linear(page: str) -> None:
    start = time.perf_counter()
    rewrite_html(page, BASE, P, SNIPPET)
    rewrite_css(page, BASE, P)
    assert time.perf_counter() - start < 5


# Spellings a browser reads as another site or as a path above the site's root (it takes `\` for
# `/` in http(s) URLs, `http:x` as absolute under an https page, `%2e%2e` as `..`).
ESCAPES = [
    "\\\\evil.example\\x.png",
    "/\\evil.example/x.png",
    "\\/evil.example/x.png",
    "https:\\\\evil.example/x.png",
    "https:/\\evil.example/x.png",
    "http:evil.example/x.png",
    "&#92;&#92;evil.example/x.png",
    "/&#92;evil.example/x.png",
    "../../../../../api/kernels",
    "%2e%2e/%2e%2e/%2E%2E/api/kernels",
    "..\\..\\..\\..\\api\\kernels",
    "a/&#46;&#46;/&#46;&#46;/&#46;&#46;/api/kernels",
    "///evil.example/x.png",
]


@pytest.mark.parametrize("attr", [*ANY_ELEMENT_URLS, "srcset", "data"])
def test_every_url_attribute_loads_what_it_meant_upstream(attr: str) -> None:
    """Resolved by the browser against the proxied page (Jupyter on http or https), the rewritten
    value is the proxied form of what the value meant on the upstream page: nothing reaches
    evil.example or Jupyter's own paths."""
    tag = "object" if attr == "data" else "a"
    for value in ESCAPES:
        page = f'<{tag} {attr}="{value}">'
        decoded = html5lib.parse(page, namespaceHTMLElements=False).find(f".//{tag}").get(attr)
        meant = to_proxy(ada_url.join_url(BASE, decoded), P)
        out = html5lib.parse(html(page), namespaceHTMLElements=False).find(f".//{tag}").get(attr)
        for jupyter in ("http://jupyter.test", "https://jupyter.test"):
            loaded = ada_url.join_url(jupyter + P + "https/example.com/dir/page.html", out)
            assert loaded == ada_url.join_url(jupyter, meant), page


@pytest.mark.parametrize("value", [v for v in ESCAPES if "&" not in v])
def test_refresh_css_and_srcset_load_what_they_meant_upstream(value: str) -> None:
    here = "http://jupyter.test" + P + "https/example.com/dir/page.html"
    meant = ada_url.join_url("http://jupyter.test", to_proxy(ada_url.join_url(BASE, value), P))
    refresh = rewrite_refresh(f"0; url={value}", BASE, P).removeprefix("0; url=")
    assert ada_url.join_url(here, refresh) == meant
    srcset = re.fullmatch(r'<img srcset="(\S*) 2x">', html(f'<img srcset="{value} 2x">'))
    assert srcset is not None
    assert ada_url.join_url(here, srcset[1]) == meant
    escaped = value.replace("\\", "\\\\")  # CSS escapes `\`: write it as the escape `\\`
    hex_escaped = "".join(f"\\{ord(c):x} " for c in value)  # `\2f ` for `/` and so on
    for url in (escaped, hex_escaped):
        for css, found in (
            (f"a{{b:url({url})}}", r"a\{b:url\((.*)\)\}"),
            (f'a{{b:url("{url}")}}', r'a\{b:url\("(.*)"\)\}'),
            (f"@import '{url}';", r"@import '(.*)';"),
            (f'a{{b:image-set("{url}" 1x)}}', r'a\{b:image-set\("(.*)" 1x\)\}'),
        ):
            out = re.fullmatch(found, rewrite_css(css, BASE, P))
            assert out is not None, css
            assert ada_url.join_url(here, _css_unescape(out[1])) == meant, css


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<set attributeName="href" to="https://evil.example/a.png">',
         '<set attributeName="href" to="/p/https/evil.example/a.png">'),
        ("<animate attributename='xlink:href' from='/a.png' by='//evil.example/b'>",
         "<animate attributename='xlink:href' from='/p/https/site.test/a.png' "
         "by='/p/https/evil.example/b'>"),
        ('<animate attributeName="href" values="https://a.example/1; /2 ;x">',
         '<animate attributeName="href" values="/p/https/a.example/1; /p/https/site.test/2 ;x">'),
        # Other animated attributes and other elements' `to`/`values` are not URLs.
        ('<animate attributeName="x" values="https://a.example/1">', None),
        ('<feColorMatrix values="https://a.example/1">', None),
        ('<set to="https://a.example/1">', None),
    ],
)  # fmt: skip
def test_svg_animations_of_href_load_through_the_proxy(markup: str, expected: str | None) -> None:
    """SMIL can animate an element's href: the values it sets are URLs the browser loads."""
    page = f"<svg><image>{markup}</image></svg>"
    out = rewrite_html(page, "https://site.test/dir/page.html", "/p/")
    assert out == (page if expected is None else page.replace(markup, expected))


BASE_SVG = "https://site.test/dir/page.html"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # In SVG a <style> is not raw text: the parser decodes its references before CSS does.
        ("<svg><style>a{fill:url(&#104;ttps://evil.example/x)}</style></svg>",
         "<svg><style>a{fill:url(/p/https/evil.example/x)}</style></svg>"),
        ("<svg><style>@import '&#x2f;&#x2f;evil.example/a.css';</style></svg>",
         "<svg><style>@import '/p/https/evil.example/a.css';</style></svg>"),
        # ...and an SVG <title> holds markup, whose URLs load.
        ('<svg><title><img src="https://evil.example/i.png"></title></svg>',
         '<svg><title><img src="/p/https/evil.example/i.png"></title></svg>'),
        # Out of SVG again, a <style> is raw text: references stay as the browser reads them.
        ("<svg></svg><style>a{b:url(&#104;ttps://x.example/)}</style>", None),
        ("<svg><p>x</p><style>a{b:url(&#104;ttps://x.example/)}</style></svg>", None),
    ],
)  # fmt: skip
def test_svg_content_is_rewritten_as_the_parser_reads_it(page: str, expected: str | None) -> None:
    assert rewrite_html(page, BASE_SVG, "/p/") == (page if expected is None else expected)


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url><loc> https://docs.example/guide/?a=1&amp;b=2 </loc><lastmod>2026-12-03</lastmod>
    <xhtml:link rel="alternate" hreflang="de" href="https://docs.example/de/guide/"/></url>
</urlset>"""


def test_sitemaps_list_the_pages_as_the_page_sees_its_links() -> None:
    """A page that reads the sitemap to decide which links it handles itself compares them with
    its own (proxied, absolute) links: the sitemap's addresses take the same form."""
    prefix = "http://127.0.0.1:8888/cobrowse/proxy/T/"
    out = rewrite_sitemap(SITEMAP, "https://docs.example/sitemap.xml", prefix)
    assert f"<loc> {prefix}https/docs.example/guide/?a=1&amp;b=2 </loc>" in out
    assert f'href="{prefix}https/docs.example/de/guide/"' in out
    assert out.replace(prefix + "https/", "https://") == SITEMAP  # nothing else changes
    feed = '<?xml version="1.0"?><rss><channel><link>https://x.example/</link></channel></rss>'
    assert rewrite_sitemap(feed, "https://x.example/rss", prefix) == feed
