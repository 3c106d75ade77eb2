/* SPDX-License-Identifier: BSD-2-Clause */
/* Composes the campaign mail (campaign_mail.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert_mail.h"
#include "campaign_mail.h"
#include "codec.h"

struct campaign_words {
	const char *hello, *intro_a, *intro_b, *intro, *low, *high, *reply,
	    *unsub, *why;
};

static const struct campaign_words words_en = {
    "Hello,",
    "You were helped by ",
    " recently. One question, on a scale from 0 (not at all likely) to 10 "
    "(extremely likely):",
    "You were helped by our service desk recently. One question, on a "
    "scale from 0 (not at all likely) to 10 (extremely likely):",
    "0 = not at all likely",
    "10 = extremely likely",
    "Or reply to this mail with a number from 0 to 10 and, if you like, "
    "what we could do better.",
    "No more of these questions: ",
    "Click a number; the page that opens asks what we could do better.",
};

static const struct campaign_words words_nl = {
    "Beste,",
    "U bent onlangs geholpen door ",
    ". Eén vraag, op een schaal van 0 (zeer onwaarschijnlijk) tot 10 (zeer "
    "waarschijnlijk):",
    "U bent onlangs geholpen door onze servicedesk. Eén vraag, op een "
    "schaal van 0 (zeer onwaarschijnlijk) tot 10 (zeer waarschijnlijk):",
    "0 = zeer onwaarschijnlijk",
    "10 = zeer waarschijnlijk",
    "Of beantwoord deze mail met een cijfer van 0 tot 10 en, als u wilt, "
    "wat we beter kunnen doen.",
    "Geen vragen als deze meer: ",
    "Klik op een cijfer; op de pagina die opent kunt u zeggen wat we "
    "beter kunnen doen.",
};

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A URL we built ourselves goes into a header only when it has no byte
 * that could end the header or the angle brackets. */
static int url_ok(const char *u)
{
	if (!u || !*u)
		return 0;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>' ||
		    *p == '"')
			return 0;
	return 1;
}

/* Score colours: red detractors, amber passives, green promoters. */
static const char *level_color(int i)
{
	return i <= 6 ? "#c0392b" : i <= 8 ? "#b9770e" : "#1e8449";
}

static void render_text(struct buf *t, const struct campaign_mail *m,
			const struct campaign_words *w)
{
	buf_printf(t, "%s\n\n", w->hello);
	if (m->team) {
		struct buf team;
		buf_init(&team);
		alert_clean_header(&team, m->team, 80);
		buf_printf(t, "%s%s%s", w->intro_a, team.data ? team.data : "",
			   w->intro_b);
		buf_free(&team);
	} else {
		buf_puts(t, w->intro);
	}
	buf_puts(t, "\n\n");
	alert_clean_body(t, m->question);
	buf_printf(t, "\n\n%s\n", w->why);
	for (int i = 0; i <= 10; i++)
		buf_printf(t, "  %2d  %s/%d\n", i, m->rate_base, i);
	buf_printf(t, "\n%s, %s\n\n", w->low, w->high);
	if (m->reply_to)
		buf_printf(t, "%s\n\n", w->reply);
	buf_printf(t, "-- \n%s%s\n", w->unsub, m->unsub_url);
}

/* Eleven cells in one table row: small enough to fit a phone's width
 * in mail programs that ignore CSS. */
static void render_html(struct buf *h, const struct campaign_mail *m,
			const struct campaign_words *w)
{
	buf_printf(h,
		   "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta "
		   "charset=\"utf-8\"><meta name=\"viewport\" "
		   "content=\"width=device-width\"></head>\n<body "
		   "style=\"font-family:sans-serif;color:#222\">\n<p>",
		   strcmp(m->lang, "nl") ? "en" : "nl");
	buf_put_html(h, w->hello, strlen(w->hello));
	buf_puts(h, "</p>\n<p>");
	if (m->team) {
		struct buf team, line;
		buf_init(&team);
		buf_init(&line);
		alert_clean_header(&team, m->team, 80);
		buf_printf(&line, "%s%s%s", w->intro_a,
			   team.data ? team.data : "", w->intro_b);
		buf_put_html(h, line.data ? line.data : "", line.len);
		buf_free(&team);
		buf_free(&line);
	} else {
		buf_put_html(h, w->intro, strlen(w->intro));
	}
	buf_puts(h, "</p>\n<p style=\"font-size:1.15em\"><strong>");
	{
		struct buf q;
		buf_init(&q);
		alert_clean_body(&q, m->question);
		buf_put_html(h, q.data ? q.data : "", q.len);
		buf_free(&q);
	}
	buf_puts(h, "</strong></p>\n<table role=\"presentation\" "
		    "cellspacing=\"2\" cellpadding=\"0\"><tr>\n");
	for (int i = 0; i <= 10; i++) {
		buf_printf(h,
			   "<td><a href=\"%s/%d\" style=\"display:block;"
			   "min-width:1.6em;padding:.5em .2em;text-align:"
			   "center;color:#fff;background:%s;text-decoration:"
			   "none;font-weight:bold;border-radius:3px\">%d</a>"
			   "</td>\n",
			   m->rate_base, i, level_color(i), i);
	}
	buf_puts(h, "</tr></table>\n<p style=\"font-size:.85em\">");
	buf_put_html(h, w->low, strlen(w->low));
	buf_puts(h, " &middot; ");
	buf_put_html(h, w->high, strlen(w->high));
	buf_puts(h, "</p>\n");
	if (m->reply_to) {
		buf_puts(h, "<p>");
		buf_put_html(h, w->reply, strlen(w->reply));
		buf_puts(h, "</p>\n");
	}
	buf_puts(h, "<p style=\"font-size:.8em;color:#666\">");
	buf_put_html(h, w->unsub, strlen(w->unsub));
	buf_printf(h, "<a href=\"%s\">", m->unsub_url);
	buf_put_html(h, m->unsub_url, strlen(m->unsub_url));
	buf_puts(h, "</a></p>\n</body></html>\n");
}

int campaign_mail_compose(struct buf *out, const struct campaign_mail *m)
{
	const struct campaign_words *w =
	    m->lang && !strcmp(m->lang, "nl") ? &words_nl : &words_en;
	struct buf txt, html;
	char boundary[96];
	time_t t = (time_t)m->date;
	struct tm tm;
	int ret = -1;

	if (!alert_addr_ok(m->from) || !alert_addr_ok(m->to) ||
	    (m->reply_to && !alert_addr_ok(m->reply_to)) ||
	    !url_ok(m->rate_base) || !url_ok(m->unsub_url) ||
	    !url_ok(m->message_id) || !strchr(m->message_id, '@'))
		return -1;
	buf_init(&txt);
	buf_init(&html);
	render_text(&txt, m, w);
	render_html(&html, m, w);
	if (txt.failed || html.failed)
		goto out;
	buf_printf(out, "From: <%s>\r\nTo: <%s>\r\n", m->from, m->to);
	if (m->reply_to)
		buf_printf(out, "Reply-To: <%s>\r\n", m->reply_to);
	alert_header(out, "Subject", m->subject);
	gmtime_r(&t, &tm);
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		   wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_printf(out, "Message-ID: <%s>\r\n", m->message_id);
	/* RFC 8058: the https URL takes a POST with
	 * List-Unsubscribe=One-Click and unsubscribes without a page. */
	buf_printf(out,
		   "List-Unsubscribe: <%s>\r\n"
		   "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
		   m->unsub_url);
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Auto-Submitted: auto-generated\r\n"
		      "X-Auto-Response-Suppress: OOF, AutoReply\r\n"
		      "Precedence: bulk\r\n");
	snprintf(boundary, sizeof(boundary), "=_mailmood_c_%.60s",
		 m->message_id);
	for (char *c = boundary; *c; c++)
		if (*c == '@')
			*c = '.';
	buf_printf(out,
		   "Content-Type: multipart/alternative;\r\n"
		   " boundary=\"%s\"\r\n\r\n"
		   "This is a multi-part message in MIME format.\r\n"
		   "--%s\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary, boundary);
	codec_qp_encode(out, txt.data ? txt.data : "", txt.len);
	buf_printf(out,
		   "\r\n--%s\r\n"
		   "Content-Type: text/html; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary);
	codec_qp_encode(out, html.data ? html.data : "", html.len);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	ret = out->failed ? -1 : 0;
out:
	buf_free(&txt);
	buf_free(&html);
	return ret;
}
