#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes the reply a customer's mail program makes when they press Reply
on a mail (Thunderbird in Dutch): To the Reply-To, "Re: " Subject,
In-Reply-To the mail's Message-ID, References extended, the text on top
and the mail's text/plain part quoted below it, rating block included.

usage: reply.py MAIL FROM TEXT > reply.eml
"""
import email
import email.policy
import email.utils
import sys

mail_path, sender, text = sys.argv[1:4]
with open(mail_path, "rb") as f:
    mail = email.message_from_bytes(f.read().replace(b"\r\n", b"\n"),
                                    policy=email.policy.default)
body = mail.get_body(preferencelist=("plain",)).get_content()
quoted = "\n".join(("> " + line).rstrip() for line in body.rstrip("\n").split("\n"))
msgid = str(mail["Message-ID"]).strip()
refs = " ".join(x for x in (str(mail.get("References", "")).strip(), msgid) if x)
name, _ = email.utils.parseaddr(str(mail["From"]))
when = email.utils.parsedate_to_datetime(str(mail["Date"]))
sys.stdout.write(
    "From: Klant <%s>\n"
    "To: %s\n"
    "Subject: Re: %s\n"
    "Date: %s\n"
    "Message-ID: %s\n"
    "In-Reply-To: %s\n"
    "References: %s\n"
    "User-Agent: Mozilla Thunderbird\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Content-Language: nl\n"
    "\n"
    "%s\n"
    "\n"
    "Op %s schreef %s:\n"
    "%s\n"
    % (sender, mail.get("Reply-To", mail["From"]), mail["Subject"],
       email.utils.formatdate(localtime=False), email.utils.make_msgid(domain=sender.split("@")[1]),
       msgid, refs, text, when.strftime("%d-%m-%Y om %H:%M"), name or "support", quoted))
