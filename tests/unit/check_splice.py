#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks one splice-tool run with an independent MIME parser.

usage: check_splice.py ORIGINAL REWRITTEN EXIT_CODE

EXIT_CODE 2 (unchanged): the output is the original, byte for byte.
EXIT_CODE 0 (changed): Python's email package (policy=default) parses the
rewritten mail; it has as many parts as the original; every displayable
text part (text/plain, text/html, not an attachment, not inside a
message/rfc822) decodes to text that holds the block and every link, and
is its original text with one insertion; every other part is the same as in
the original (headers and decoded bytes); lines the splice wrote stay within
998 octets (76 for quoted-printable and base64).
Prints the problems to stderr and exits 1 when there are any.
"""
import email
import email.parser
import email.policy
import html
import sys

# Keep in sync with splice-tool.c.
LINKS = ["https://fb.example/r/TOKEN/%d" % i for i in range(1, 5)]
NEEDLES = LINKS + ["\u00e9", "\U0001F600", "mailmood-block-end"]
CTES = ("", "7bit", "8bit", "binary", "quoted-printable", "base64")
MARKERS = ("[mailmood]", "<!--mailmood-->")


def leaves(msg, out):
    """Parts in document order, not entering message/rfc822."""
    out.append(msg)
    if msg.get_content_maintype() == "multipart" and msg.is_multipart():
        for sub in msg.get_payload():
            leaves(sub, out)
    return out


def displayable(part):
    if part.get_content_type() not in ("text/plain", "text/html"):
        return False
    disp = part.get("Content-Disposition")
    if disp is not None:
        if part.get_content_disposition() == "attachment":
            return False
        if part.get_param("filename", header="content-disposition"):
            return False
    return str(part.get("Content-Transfer-Encoding", "")).strip().lower() in CTES


def text_of(part):
    raw = part.get_payload(decode=True) or b""
    cs = part.get_content_charset() or "us-ascii"
    try:
        return raw.decode(cs, errors="replace")
    except LookupError:
        return raw.decode("latin-1")


def norm(text):
    return text.replace("\r\n", "\n")


def main():
    orig_path, new_path, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
    orig = open(orig_path, "rb").read()
    new = open(new_path, "rb").read()
    errors = []
    if code == 2:
        if orig != new:
            errors.append("unchanged run changed bytes")
    elif code != 0:
        errors.append("splice-tool exit code %d" % code)
    else:
        parser = email.parser.BytesParser(policy=email.policy.default)
        a = leaves(parser.parsebytes(orig), [])
        b = leaves(parser.parsebytes(new), [])
        if len(a) != len(b):
            errors.append("parts: %d before, %d after" % (len(a), len(b)))
        seen_block = 0
        for i, (pa, pb) in enumerate(zip(a, b)):
            where = "part %d (%s)" % (i, pa.get_content_type())
            if pa.get_content_type() != pb.get_content_type():
                errors.append("%s: type became %s" % (where, pb.get_content_type()))
                continue
            if pa.is_multipart():
                continue
            if displayable(pa):
                got = text_of(pb)
                if pb.get_content_subtype() == "html":
                    got = html.unescape(got)
                missing = [n for n in NEEDLES if n not in got]
                if missing:
                    errors.append("%s: block missing %r" % (where, missing))
                else:
                    seen_block += 1
                # The new text is the old one with one insertion (or the
                # marker replaced): common prefix + suffix cover it all.
                old = norm(text_of(pa))
                cur = norm(text_of(pb))
                cut = next((len(m) for m in MARKERS if m in old), 0)
                pre = 0
                while pre < min(len(old), len(cur)) and old[pre] == cur[pre]:
                    pre += 1
                suf = 0
                while (suf < min(len(old), len(cur)) - pre
                       and old[-1 - suf] == cur[-1 - suf]):
                    suf += 1
                if pre + suf < len(old) - cut:
                    errors.append("%s: original text changed near %r"
                                  % (where, old[pre:pre + 40]))
                cte = str(pb.get("Content-Transfer-Encoding", "")).strip().lower()
                limit = 76 if cte in ("quoted-printable", "base64") else 998
                raw = pb.get_payload(decode=False)
                if isinstance(raw, str):
                    long = [l for l in raw.split("\n")
                            if len(l.rstrip("\r").encode("utf-8", "surrogateescape")) > limit]
                    if long:
                        errors.append("%s: %d lines over %d octets" % (where, len(long), limit))
            else:
                if pa.get_payload(decode=True) != pb.get_payload(decode=True):
                    errors.append("%s: decoded bytes differ" % where)
                if pa.as_bytes() != pb.as_bytes():
                    errors.append("%s: part differs" % where)
        if not seen_block:
            errors.append("no part holds the block")
    for e in errors:
        print("%s: %s" % (orig_path, e), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
