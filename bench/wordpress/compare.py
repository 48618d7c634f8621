#!/usr/bin/env python3
"""Compares one response from the gateway with the same request's response from nginx.

Used by bench/wordpress.sh. Arguments: [--static] gateway_headers gateway_body nginx_headers
nginx_body (files written by `curl -D <headers> -o <body>`). Prints "status <code>, <n> bytes" on a
match, else each difference (one per line, the first differing body line with context), and exits
0 or 1. Lines starting with "info: " follow either way: differences in headers that are not
compared (below), for the summary.

Compared: the status code, every response header except the ones below (names case-insensitive,
values exact, repeated headers as a sorted list), and the body byte for byte after the
normalisations below. Both sides serve the same WordPress (one database, the same host name
http://wp.test in every URL), so the body needs few normalisations:

- headers left out: framing and per-connection ones (Date, Server, Connection, Keep-Alive,
  Transfer-Encoding, Content-Length: nginx streams FastCGI output chunked, the gateway sends a
  Content-Length when the output came at once; both are valid framing of the same bytes) and the
  gateway's own X-Request-Id; the same list as NginxParityTest's;
- Content-Type of static text files: the gateway adds ";charset=UTF-8" (README, "Differences
  from nginx"), so that suffix is dropped from the gateway's value when nginx's has no charset;
- --static (a file the server answers itself, not PHP): as NginxParityTest (ParityDifferences:
  "static file validators are each server's own"), only Content-Type and Last-Modified of the
  headers are compared; the others are reported as info.
- the clock: the two requests of a pair are made one after the other and may straddle a second, so
  Unix times within an hour of now (10 digits, e.g. WordPress's wp-settings-time-<uid> cookie and
  its userSettings.time in wp-admin pages) become <unix-time>, and Set-Cookie "expires=<HTTP-date>"
  becomes "expires=<date>".
Date is compared for its presence only (RFC 9110 6.6.1: an origin server with a clock sends it).
"""
import re
import sys
import time

UNIX_TIME = re.compile(rb"(?<![0-9])[0-9]{10}(?![0-9])")
COOKIE_EXPIRES = re.compile(r"(?i)(expires=)[A-Za-z]{3}, [0-9]{2}[ -][A-Za-z]{3}[ -][0-9]{4} [0-9:]{8} GMT")
NOW = time.time()


def unclock(data):
    """Unix times near now replaced (bytes in, bytes out)."""
    return UNIX_TIME.sub(lambda m: b"<unix-time>" if abs(int(m.group(0)) - NOW) <= 3600 else m.group(0), data)

# as ParityDifferences.RESPONSE_HEADERS_NOT_COMPARED (NginxParityTest)
IGNORED = {"date", "server", "connection", "keep-alive", "transfer-encoding", "content-length",
           "x-request-id"}
STATIC_COMPARED = {"content-type", "last-modified"}


def read_head(path):
    """Status code, {name: sorted values} of the last header block in the file (IGNORED left out),
    and the set of all header names."""
    with open(path, "rb") as f:
        raw = f.read().decode("iso-8859-1")
    blocks = [b for b in raw.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        return None, {}, set()
    lines = blocks[-1].split("\n")
    parts = lines[0].split(" ", 2)
    status = parts[1] if len(parts) > 1 else "?"
    headers = {}
    names = set()
    for line in lines[1:]:
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        name = name.strip().lower()
        names.add(name)
        if name in IGNORED:
            continue
        value = unclock(value.strip().encode("iso-8859-1")).decode("iso-8859-1")
        if name == "set-cookie":
            value = COOKIE_EXPIRES.sub(r"\1<date>", value)
        headers.setdefault(name, []).append(value)
    return status, {k: sorted(v) for k, v in headers.items()}, names


def main():
    args = sys.argv[1:]
    static = args[:1] == ["--static"]
    if static:
        args = args[1:]
    gw_h, gw_b, nx_h, nx_b = args
    gw_status, gw_headers, gw_names = read_head(gw_h)
    nx_status, nx_headers, nx_names = read_head(nx_h)
    with open(gw_b, "rb") as f:
        gw_body = unclock(f.read())
    with open(nx_b, "rb") as f:
        nx_body = unclock(f.read())

    gw_ct = gw_headers.get("content-type", [""])[0]
    nx_ct = nx_headers.get("content-type", [""])[0]
    if (nx_ct.startswith("text/") and "charset" not in nx_ct.lower()
            and gw_ct.lower() == nx_ct.lower() + ";charset=utf-8"):
        gw_headers["content-type"] = [nx_ct]

    info = []
    if ("date" in gw_names) != ("date" in nx_names):
        info.append("Date header: gateway %s, nginx %s" % (
            "sent" if "date" in gw_names else "missing", "sent" if "date" in nx_names else "missing"))
    if static:
        for name in sorted(set(gw_headers) | set(nx_headers)):
            if name not in STATIC_COMPARED and gw_headers.get(name) != nx_headers.get(name):
                info.append("static file header %s: gateway %s, nginx %s"
                            % (name, gw_headers.get(name), nx_headers.get(name)))
                gw_headers.pop(name, None)
                nx_headers.pop(name, None)

    diffs = []
    if gw_status != nx_status:
        diffs.append("status: gateway %s, nginx %s" % (gw_status, nx_status))
    for name in sorted(set(gw_headers) | set(nx_headers)):
        a, b = gw_headers.get(name), nx_headers.get(name)
        if a != b:
            diffs.append("header %s: gateway %s, nginx %s" % (name, a, b))
    if gw_body != nx_body:
        a_lines = gw_body.split(b"\n")
        b_lines = nx_body.split(b"\n")
        i = next((i for i, (x, y) in enumerate(zip(a_lines, b_lines)) if x != y),
                 min(len(a_lines), len(b_lines)))
        def show(lines):
            return lines[i][:300].decode("utf-8", "replace") if i < len(lines) else "<end of body>"
        diffs.append("body: %d vs %d bytes, first difference at line %d:\n    gateway: %s\n    nginx:   %s"
                     % (len(gw_body), len(nx_body), i + 1, show(a_lines), show(b_lines)))
    same = not diffs
    if same:
        diffs.append("status %s, %d bytes" % (gw_status, len(gw_body)))
    print("\n".join(diffs + ["info: " + line for line in info]))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
