# SPDX-License-Identifier: BSD-2-Clause
# The CSRF value of each survey's rating page (token_csrf(key, token,
# "rate")), scraped from its landing page over one keep-alive connection,
# for wrk's post.lua: one "TOKEN CSRF" line per survey. Used by
# tests/bench/http/run.sh and tests/bench/store/run.sh.
# usage: python3 csrf.py PORT TOKENS OUT USER-AGENT [PAGE]
#   TOKENS: "SURVEY_ID TOKEN" lines (mm-mksurvey mk); PAGE: the first
#   landing page is also written there (its size is nginx's file size)
import http.client
import re
import sys

port, toks, out, ua = sys.argv[1:5]
page = sys.argv[5] if len(sys.argv) > 5 else None
c = http.client.HTTPConnection("127.0.0.1", int(port))
rx = re.compile(rb'name="csrf" value="([^"]+)"')
with open(out, "w") as o:
    for n, line in enumerate(open(toks)):
        sid, tok = line.split()
        c.request("GET", "/r/%s/%d" % (tok, n % 4 + 1), headers={"User-Agent": ua})
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, tok)
        o.write("%s %s\n" % (tok, rx.search(body).group(1).decode()))
        if n == 0 and page:
            open(page, "wb").write(body)
