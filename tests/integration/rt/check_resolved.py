#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks RT's resolve mail as it reached smtp-sink after mailmood-milter,
against the copy RT recorded of what it sent (rt.pl sent), with Python's
own MIME parser.

usage: check_resolved.py DELIVERED SENT-DIR BASE_URL

- the delivered mail is the one RT recorded (Message-ID, Subject) and is
  multipart/alternative with one text/plain and one text/html part;
- each part holds one link per thermometer level (BASE_URL/r/TOKEN/1..4),
  one TOKEN throughout;
- each part starts with RT's text exactly as RT recorded it: the block
  comes after it, nothing of RT's is changed.
Prints the TOKEN (its survey: mailmoodctl show --json TOKEN); problems go to stderr, exit 1.
"""
import email
import email.policy
import re
import sys

got_path, sent, base_url = sys.argv[1:4]
problems = []


def read(name):
    with open("%s/%s" % (sent, name), encoding="utf-8") as f:
        return f.read()


with open(got_path, "rb") as f:
    got = email.message_from_bytes(f.read().replace(b"\r\n", b"\n"),
                                   policy=email.policy.default)
if str(got["Message-ID"]).strip() != read("message-id").strip():
    problems.append("Message-ID %s is not RT's %s" % (got["Message-ID"], read("message-id").strip()))
if str(got["Subject"]) != read("subject").strip():
    problems.append("Subject %r is not RT's %r" % (str(got["Subject"]), read("subject").strip()))
if got.get_content_type() != "multipart/alternative":
    problems.append("Content-Type %s" % got.get_content_type())
parts = {}
for p in got.walk():
    if not p.is_multipart():
        parts.setdefault(p.get_content_type(), []).append(p)
if sorted(parts) != ["text/html", "text/plain"] or any(len(v) != 1 for v in parts.values()):
    problems.append("parts: %r" % {k: len(v) for k, v in parts.items()})

link_re = re.compile(re.escape(base_url) + r"/r/([A-Za-z0-9_-]{39})/([0-9]+)")
tokens = set()
for ctype in ("text/plain", "text/html"):
    if ctype not in parts:
        continue
    text = parts[ctype][0].get_content().replace("\r\n", "\n")
    found = link_re.findall(text)
    levels = sorted(int(lv) for _, lv in found)
    if levels != [1, 2, 3, 4]:
        problems.append("%s: links to levels %r, want [1, 2, 3, 4]" % (ctype, levels))
    tokens.update(t for t, _ in found)
    rt_text = read(ctype.replace("/", "-")).replace("\r\n", "\n").rstrip("\n")
    if not text.startswith(rt_text):
        problems.append("%s: does not start with RT's text %r:\n%s" % (ctype, rt_text, text))
    elif link_re.search(text[:len(rt_text)]):
        problems.append("%s: links inside RT's text" % ctype)
if len(tokens) != 1:
    problems.append("tokens: %r (want exactly one)" % sorted(tokens))
else:
    print(tokens.pop())
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
