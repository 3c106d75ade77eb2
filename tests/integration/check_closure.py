#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks a closure mail as delivered after mailmood-milter, with Python's
own MIME parser (an independent reader, not ours).

usage: check_closure.py ORIGINAL DELIVERED STORE BASE_URL TICKET CTL CONF
(STORE: a SQLite path or a postgresql:// DSN, opened with mmdb.py; CTL
CONF: mailmoodctl and the config with the key, which alone can read a
token)

- the delivered mail parses (email, policy=default), has the original's
  part count, and its headers equal the original's except Content-Type /
  Content-Transfer-Encoding of a single-part mail;
- every displayable text part holds one link per level (4, thermometer)
  of the form BASE_URL/r/TOKEN/LEVEL, with one TOKEN throughout, and the
  original text before the block;
- the TOKEN's survey (mailmoodctl show --json TOKEN) exists in the store
  with TICKET, requester and status 0 (sent);
- every non-text part decodes to the same bytes as in the original.
Prints "survey ID" on success; problems go to stderr, exit 1.
"""
import email
import email.policy
import json
import re
import subprocess
import sys

import mmdb

orig_path, got_path, db, base_url, ticket, ctl, conf = sys.argv[1:8]
problems = []


def load(path):
    raw = open(path, "rb").read().replace(b"\r\n", b"\n")
    return email.message_from_bytes(raw, policy=email.policy.default)


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


orig, got = load(orig_path), load(got_path)
po, pg = leaves(orig), leaves(got)
if len(po) != len(pg):
    problems.append("part count %d != %d" % (len(pg), len(po)))

skip = {"content-type", "content-transfer-encoding"} if not orig.is_multipart() else set()
ho = [(k.lower(), str(v)) for k, v in orig.items() if k.lower() not in skip]
hg = [(k.lower(), str(v)) for k, v in got.items()
      if k.lower() not in skip and k.lower() != "received"]
if ho != hg:
    problems.append("headers differ: %r vs %r" % (hg, ho))

link_re = re.compile(re.escape(base_url) + r"/r/([A-Za-z0-9_-]{39})/([0-9]+)")
tokens = set()
texts = 0
for a, b in zip(po, pg):
    if a.get_content_type() in ("text/plain", "text/html") and \
            a.get_content_disposition() != "attachment":
        texts += 1
        t_orig, t_got = a.get_content(), b.get_content()
        found = link_re.findall(t_got)
        levels = sorted(int(l) for _, l in found)
        if levels != [1, 2, 3, 4]:
            problems.append("%s part: levels %r, want [1,2,3,4]"
                            % (a.get_content_type(), levels))
        tokens.update(t for t, _ in found)
        head = t_orig.replace("\r\n", "\n").rstrip()
        if a.get_content_type() == "text/plain" and \
                not t_got.replace("\r\n", "\n").startswith(head):
            problems.append("text part: original text not kept before the block")
    else:
        if a.get_payload(decode=True) != b.get_payload(decode=True):
            problems.append("part %s changed" % a.get_content_type())
if texts == 0:
    problems.append("no text part")
if len(tokens) != 1:
    problems.append("tokens: %r (want exactly one)" % sorted(tokens))
else:
    tok = tokens.pop()
    shown = subprocess.run([ctl, "-c", conf, "show", "--json", tok],
                           capture_output=True, text=True)
    sid = json.loads(shown.stdout)["id"] if shown.returncode == 0 else 0
    row = mmdb.connect(db).execute(
        "select ticket, requester, status from surveys where id = ?",
        (sid,)).fetchone()
    if row is None:
        problems.append("survey %d of the link is not in the store" % sid)
    elif row[0] != ticket or row[2] != 0:
        problems.append("survey %d: %r" % (sid, row))
    else:
        print("survey %d" % sid)
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
