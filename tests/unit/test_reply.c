/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the reply module: grade reading on a table of en/nl cases
 * over the scales, stripping, HTML to text and MIME extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reply.h"
#include "scale.h"

struct grade_case {
	const char *scale;
	const char *text; /* reply as received: stripped first */
	int found;
	int value;
	const char *comment;
};

static const struct grade_case grade_cases[] = {
    /* grade10, plain numbers */
    {"grade10", "8", 1, 8, ""},
    {"grade10", "8, but it took three days", 1, 8, "but it took three days"},
    {"grade10", "8/10", 1, 8, ""},
    {"grade10", "8/10 snel geholpen", 1, 8, "snel geholpen"},
    {"grade10", "8 uit 10", 1, 8, ""},
    {"grade10", "8 out of 10, thanks", 1, 8, "thanks"},
    {"grade10", "een 8", 1, 8, ""},
    {"grade10", "Een 8, prima geholpen", 1, 8, "prima geholpen"},
    {"grade10", "acht", 1, 8, ""},
    {"grade10", "Acht, maar het duurde lang", 1, 8, "maar het duurde lang"},
    {"grade10", "10!", 1, 10, ""},
    {"grade10", "cijfer 7", 1, 7, ""},
    {"grade10", "Cijfer: 6 - duurde te lang", 1, 6, "duurde te lang"},
    {"grade10", "Ik geef jullie een 9", 1, 9, "Ik geef jullie een 9"},
    {"grade10", "I'd give it a 7 to be honest", 1, 7,
     "I'd give it a 7 to be honest"},
    {"grade10", "7,5", 1, 8, ""},
    {"grade10", "6.4 meh", 1, 6, "meh"},
    {"grade10", "Tien!", 1, 10, ""},
    {"grade10", "nine.", 1, 9, ""},
    {"grade10", "Rating: 4", 1, 4, ""},
    {"grade10", "3 - monteur kwam niet opdagen", 1, 3,
     "monteur kwam niet opdagen"},
    {"grade10", "Dank!\n\n9", 1, 9, "Dank!"},
    {"grade10", "Snel en vriendelijk geholpen: 9", 1, 9,
     "Snel en vriendelijk geholpen: 9"},
    {"grade10", "8 maar het duurde 3 dagen", 1, 8, "maar het duurde 3 dagen"},
    {"grade10", "5 sterren", 1, 5, ""},
    {"grade10", "  9  ", 1, 9, ""},
    /* the sign-off with the name beside it goes */
    {"grade10", "Hoi,\n\n7, netjes opgelost.\n\nGroet, Jan", 1, 7,
     "Hoi,\n\nnetjes opgelost."},
    /* more ways to write a grade */
    {"grade10",
     "Out of 10 I would say 4, because the first fix did not "
     "work.",
     1, 4, "Out of 10 I would say 4, because the first fix did not work."},
    {"grade10", "cijfer: 8", 1, 8, ""},
    {"grade10", "een 6-", 1, 6, ""},
    {"grade10", "8+ voor de monteur", 1, 8, "voor de monteur"},
    {"grade10", "My rating is 9", 1, 9, "My rating is 9"},
    {"grade10", "I rate it 6", 1, 6, "I rate it 6"},
    {"grade10", "8 (out of 10), fine", 1, 8, "fine"},
    {"grade10", "Een achtje! Netjes.", 1, 8, "Netjes."},
    {"grade10", "Een dikke 8", 1, 8, ""},
    {"grade10", "negen van de tien", 1, 9, ""},
    {"grade10", "Grade = 9", 1, 9, ""},
    {"grade10", "Left the office at 5 and it still worked, so 9.", 1, 9,
     "Left the office at 5 and it still worked, so 9."},
    {"grade10", "About the ticket: 6 out of 10. Slow.", 1, 6,
     "About the ticket: 6 out of 10. Slow."},
    {"grade10", "Sorry for the delay. 8 for the quick fix!", 1, 8,
     "Sorry for the delay. 8 for the quick fix!"},
    {"grade10", "Helaas, slecht. Het werkt niet.", 1, 3,
     "Helaas, slecht. Het werkt niet."},
    {"grade10", "Had a good chat with the engineer", 0, 0,
     "Had a good chat with the engineer"},
    {"grade10", "Very good! Thanks Mark", 1, 10, "Thanks Mark"},
    {"grade10", "Good morning, the issue is back", 0, 0,
     "Good morning, the issue is back"},
    {"grade10", "2 out of 3 laptops work", 0, 0, "2 out of 3 laptops work"},
    {"grade10", "Solid work - 8", 1, 8, "Solid work - 8"},
    {"grade10", "Between 3 - 8", 0, 0, "Between 3 - 8"},
    /* a greeting without a comma is no wrapped sentence */
    {"grade10", "Hoi Piet\n8, snel geholpen", 1, 8, "Hoi Piet\nsnel geholpen"},
    {"grade10", "Upgraded to Windows 10, works", 0, 0,
     "Upgraded to Windows 10, works"},
    /* grade10: not grades */
    {"grade10", "11", 0, 0, "11"},
    {"grade10", "0", 0, 0, "0"},
    {"grade10", "INC-1234 is opgelost", 0, 0, "INC-1234 is opgelost"},
    {"grade10", "om 10:30 was het klaar", 0, 0, "om 10:30 was het klaar"},
    {"grade10", "3 dagen gewacht", 0, 0, "3 dagen gewacht"},
    {"grade10", "It took 2 weeks", 0, 0, "It took 2 weeks"},
    {"grade10", "Bel me op 06-12345678", 0, 0, "Bel me op 06-12345678"},
    {"grade10", "Sinds 12-03-2024 kapot", 0, 0, "Sinds 12-03-2024 kapot"},
    {"grade10", "#123 still open", 0, 0, "#123 still open"},
    {"grade10", "ticket 7 is dicht", 0, 0, "ticket 7 is dicht"},
    {"grade10", "Thanks, all good now", 0, 0, "Thanks, all good now"},
    {"grade10", "One more thing: the printer", 0, 0,
     "One more thing: the printer"},
    {"grade10", "the 2nd time this month", 0, 0, "the 2nd time this month"},
    {"grade10", "8/5", 0, 0, "8/5"},
    {"grade10", "10.30 uur gebeld", 0, 0, "10.30 uur gebeld"},
    {"grade10", "Ten days later it broke again", 0, 0,
     "Ten days later it broke again"},
    {"grade10", "", 0, 0, ""},
    {"grade10", "€5 korting?", 0, 0, "€5 korting?"},
    /* never from the quote */
    {"grade10", "Bedankt\n> Geef ons een cijfer: 1-10\n> 9", 0, 0, "Bedankt"},
    /* nps */
    {"nps", "0", 1, 0, ""},
    {"nps", "10 - top", 1, 10, "top"},
    {"nps", "9/10", 1, 9, ""},
    {"nps", "I would say 6 out of 10", 1, 6, "I would say 6 out of 10"},
    /* csat5 */
    {"csat5", "4", 1, 4, ""},
    /* 1..5 are csat5's own; above that a grade out of ten */
    {"csat5", "6", 1, 3, ""},
    {"csat5", "8/10", 1, 4, ""},
    {"csat5", "2/10", 1, 1, ""},
    {"csat5", "een 9", 1, 5, ""},
    {"csat5", "12", 0, 0, "12"},
    {"csat5", "Zeer tevreden!", 1, 5, ""},
    {"csat5", "Tevreden, dank", 1, 4, "dank"},
    {"csat5", "\xF0\x9F\x98\x83", 1, 5, ""},
    {"csat5", "4/5 fast", 1, 4, "fast"},
    /* thermometer */
    {"thermometer", "Groen", 1, 3, ""},
    {"thermometer", "groen, snel geholpen", 1, 3, "snel geholpen"},
    {"thermometer", "Rood. Niemand belde terug.", 1, 1, "Niemand belde terug."},
    {"thermometer", "oranje", 1, 2, ""},
    {"thermometer", "Gold!", 1, 4, ""},
    {"thermometer", "amber - slow", 1, 2, "slow"},
    {"thermometer", "red", 1, 1, ""},
    {"thermometer", "goud", 1, 4, ""},
    {"thermometer", "Kan beter", 1, 2, ""},
    /* a bare number is a grade out of ten: 1-5 red, 6 amber, 7-8 green,
     * 9-10 gold; "3/4" stays the explicit level */
    {"thermometer", "4", 1, 1, ""},
    {"thermometer", "6", 1, 2, ""},
    {"thermometer", "Een 8, netjes", 1, 3, "netjes"},
    {"thermometer", "acht", 1, 3, ""},
    {"thermometer", "9/10", 1, 4, ""},
    {"thermometer", "7,5", 1, 3, ""},
    {"thermometer", "4 uit 4", 1, 4, ""},
    {"thermometer", "11", 0, 0, "11"},
    {"thermometer", "Om 10 uur kwam de monteur", 0, 0,
     "Om 10 uur kwam de monteur"},
    {"thermometer", "3/4", 1, 3, ""},
    {"thermometer", "The green button did not work", 0, 0,
     "The green button did not work"},
    {"thermometer", "\xF0\x9F\x91\x8D", 1, 3, ""},
    {"thermometer", "Dank je \xF0\x9F\x98\x80", 1, 4,
     "Dank je \xF0\x9F\x98\x80"},
    {"thermometer", ":(", 1, 1, ""},
    {"thermometer", "Good morning, the issue is back", 0, 0,
     "Good morning, the issue is back"},
    {"thermometer", "rating: gold", 1, 4, ""},
    /* binary */
    {"binary", "\xF0\x9F\x91\x8E", 1, 1, ""},
    {"binary", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD top", 1, 2, "top"},
    {"binary", "Goed", 1, 2, ""},
    {"binary", "Niet goed, nog steeds kapot", 1, 1, "nog steeds kapot"},
    {"binary", "bad", 1, 1, ""},
    {"binary", "2", 1, 1, ""},
    {"binary", "6", 1, 1, ""},
    {"binary", "7/10", 1, 2, ""},
    {"binary", "een 9", 1, 2, ""},
    {"binary", "\xF0\x9F\x98\x90", 0, 0, "\xF0\x9F\x98\x90"},
    /* grade10 has no emoji */
    {"grade10", "\xF0\x9F\x91\x8D", 0, 0, "\xF0\x9F\x91\x8D"},
    /* through the stripper: quote and signature never count */
    {"grade10",
     "7\n\nOn Mon, 4 Mar 2024 at 10:00, Desk <desk@example.com> "
     "wrote:\n> Rate us 1-10\n",
     1, 7, ""},
    {"grade10",
     "Opgelost!\n\nOp ma 4 mrt 2024 om 10:00 schreef Servicedesk "
     "<desk@example.com>:\n> Geef een 10",
     0, 0, "Opgelost!"},
    /* a word grade on a numeric scale: the middle of its band */
    {"grade10",
     "Prima!\n\nOp ma 4 mrt 2024 om 10:00 schreef Servicedesk "
     "<desk@example.com>:\n> Geef een 10",
     1, 8, ""},
    {"grade10", "9 top\n\n-- \nJan Jansen\n06-12345678", 1, 9, "top"},
    {"grade10", "6\n\nVerzonden vanaf mijn iPhone", 1, 6, ""},
};

static void test_grade_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(grade_cases) / sizeof(grade_cases[0]);
	     i++) {
		const struct grade_case *c = &grade_cases[i];
		const struct scale *sc = scale_by_name(c->scale);
		struct reply_grade g;
		char *text;

		assert_non_null(sc);
		text = reply_strip_quotes(c->text, strlen(c->text));
		assert_non_null(text);
		assert_int_equal(reply_read_grade(sc, text, &g), 0);
		if (g.found != c->found || (c->found && g.value != c->value) ||
		    strcmp(g.comment, c->comment) != 0)
			print_error("case %zu [%s] \"%s\": got found=%d "
				    "value=%d comment=\"%s\"\n",
				    i, c->scale, c->text, g.found, g.value,
				    g.comment);
		assert_int_equal(g.found, c->found);
		if (c->found)
			assert_int_equal(g.value, c->value);
		assert_string_equal(g.comment, c->comment);
		reply_grade_free(&g);
		free(text);
	}
}

/* Whole replies as the clients send them (after MIME decoding): the
 * writer's text, a signature or footer, the client's attribution line and
 * the quoted closure mail with mailmood's rating block. */
#define CLOSURE_EN                                                             \
	"> Hello,\n"                                                           \
	">\n"                                                                  \
	"> Your ticket INC-20481 (VPN drops every hour) has been resolved.\n"  \
	">\n"                                                                  \
	"> Kind regards,\n"                                                    \
	"> Thomas\n"                                                           \
	"> Service Desk\n"                                                     \
	">\n"                                                                  \
	"> --------------------------------------------------------------\n"   \
	"> How did we do with INC-20481? One click is enough:\n"               \
	">\n"                                                                  \
	">   Poor: "                                                           \
	"https://feedback.example.com/r/AAAAAAAAAAAAAAAAAAAAAAAAAAA/1\n"       \
	">   Good: "                                                           \
	"https://feedback.example.com/r/AAAAAAAAAAAAAAAAAAAAAAAAAAA/3\n"       \
	">\n"                                                                  \
	"> Or reply to feedback@example.com with a grade and what we could\n"  \
	"> do better.\n"                                                       \
	"> Ref: AAAAAAAAAAAAAAAAAAAAAAAAAAA\n"                                 \
	"> --------------------------------------------------------------\n"
#define CLOSURE_NL                                                             \
	"> Beste klant,\n"                                                     \
	">\n"                                                                  \
	"> Uw melding INC-20481 (printer 3e verdieping) is opgelost.\n"        \
	">\n"                                                                  \
	"> Met vriendelijke groet,\n"                                          \
	"> Servicedesk\n"                                                      \
	">\n"                                                                  \
	"> Of antwoord aan feedback@example.com met een cijfer en wat we\n"    \
	"> beter kunnen doen.\n"                                               \
	"> Ref: AAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
/* An Outlook desktop reply: the quoted mail is not marked with '>'. */
#define CLOSURE_PLAIN                                                          \
	"Hello,\n\nYour ticket INC-20481 has been resolved.\n\n"               \
	"Kind regards,\nThomas\nService Desk\n\n"                              \
	"Or reply to feedback@example.com with a grade and what we could\n"    \
	"do better.\nRef: AAAAAAAAAAAAAAAAAAAAAAAAAAA\n"

static const struct grade_case mail_cases[] = {
    /* iPhone: the first line glued to the quote header, starting with
     * On/Op/Le like the attribution; no reply may be lost */
    {"grade10",
     "On balance a 7 - fixed, but I had to chase twice.\n"
     "> On 12 May 2025, at 10:02, Service Desk <desk@example.com> wrote:\n"
     ">\n" CLOSURE_EN,
     1, 7, "On balance a 7 - fixed, but I had to chase twice."},
    {"grade10",
     "Op tijd geholpen, een 8\n\nVerstuurd vanaf mijn iPhone\n\n"
     "> Op 12 mei 2025 om 10:02 heeft Servicedesk <desk@example.com> het "
     "volgende geschreven:\n>\n" CLOSURE_NL,
     1, 8, "Op tijd geholpen, een 8"},
    {"thermometer",
     "Op zich prima. Groen!\n"
     "> Op 12 mei 2025 om 10:02 heeft Servicedesk <desk@example.com> het "
     "volgende geschreven:\n>\n" CLOSURE_NL,
     1, 3, "Op zich prima. Groen!"},
    {"grade10",
     "Le technicien est venu le jour m\xc3\xaame, 9/10\n"
     "> Le 12 mai 2025 \xc3\xa0 10:02, Service Desk <desk@example.com> a "
     "\xc3\xa9"
     "crit :\n>\n" CLOSURE_EN,
     1, 9, "Le technicien est venu le jour m\xc3\xaame, 9/10"},
    /* the same words wrapped over lines are no attribution either */
    {"grade10",
     "On the whole it went well and I would\n"
     "say 8. I wrote:\n"
     "the laptop boots again, and the VPN holds.\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 8,
     "On the whole it went well and I would\nsay 8. I wrote:\n"
     "the laptop boots again, and the VPN holds."},
    /* a wrapped attribution is still joined and cut */
    {"grade10",
     "9, snel en vriendelijk\n\n"
     "Op ma 12 mei 2025 om 10:02 schreef Servicedesk <\n"
     "desk@example.com>:\n\n" CLOSURE_NL,
     1, 9, "snel en vriendelijk"},
    /* "Sent ..." in the reply is not the mobile footer; the footers in
     * several languages still go */
    {"grade10",
     "Sent on time and it works, 9/10\n\nSent from my iPhone\n\n"
     "On 12 May 2025, at 10:02, Service Desk <desk@example.com> wrote:\n"
     "\n" CLOSURE_EN,
     1, 9, "Sent on time and it works, 9/10"},
    {"grade10",
     "8, der Techniker war p\xc3\xbcnktlich.\n\nVon meinem iPhone "
     "gesendet\n\n"
     "Am 12.05.2025 um 10:02 schrieb Service Desk <desk@example.com>:\n"
     "\n" CLOSURE_EN,
     1, 8, "der Techniker war p\xc3\xbcnktlich."},
    {"grade10",
     "7, mutta kest\xc3\xa4\xc3\xa4 kauan.\n\nL\xc3\xa4hetetty "
     "iPhonesta\n\n"
     "Mikko <mikko@example.fi> kirjoitti 12.5.2025 klo 10.02:\n\n" CLOSURE_EN,
     1, 7, "mutta kest\xc3\xa4\xc3\xa4 kauan."},
    {"grade10",
     "9\n\n\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5"
     "\xd0\xbd\xd0\xbe \xd1\x81 iPhone\n\n" CLOSURE_EN,
     1, 9, ""},
    {"grade10",
     "8 - vielen Dank\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
     "________________________________\n"
     "Von: Service Desk <desk@example.com>\n"
     "Gesendet: Montag, 12. Mai 2025 10:02\n"
     "An: Jan <jan@example.de>\n"
     "Betreff: [INC-20481] resolved\n\n" CLOSURE_PLAIN,
     1, 8, "vielen Dank"},
    /* a dash line inside the text cuts nothing */
    {"grade10",
     "Status per floor after your fix:\n\n"
     "Floor     Status\n"
     "-------   ----------\n"
     "1         works\n"
     "2         paper jam\n"
     "----------\n"
     "Could you look at the 2nd floor? Otherwise an 8.\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 8,
     "Status per floor after your fix:\n\nFloor     Status\n"
     "-------   ----------\n1         works\n2         paper jam\n"
     "----------\nCould you look at the 2nd floor? Otherwise an 8."},
    /* ... but "-- " and a dash line above a signature do */
    {"grade10",
     "6 - the engineer came a day late.\n\n"
     "-----------------\n"
     "Jan de Vries\n"
     "Facility manager | Acme B.V.\n"
     "+31 20 123 4567 | www.acme.example\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 6, "the engineer came a day late."},
    {"grade10", "Top, 10!\n\n-- \nJan de Vries\nAcme B.V.\n\n" CLOSURE_EN, 1,
     10, "Top, 10!"},
    /* grades as people write them, in a real mail */
    {"grade10",
     "Out of 10 I would say 4, because the first fix did not work.\n\n"
     "From: Service Desk <desk@example.com>\n"
     "Sent: Monday, May 12, 2025 10:02 AM\n"
     "To: John Doe <john@example.com>\n"
     "Subject: [INC-20481] resolved\n\n" CLOSURE_PLAIN,
     1, 4, "Out of 10 I would say 4, because the first fix did not work."},
    {"grade10",
     "Cijfer: 8\n\nDe monteur was er om 10:30, netjes.\n\n"
     "Met vriendelijke groet,\n\nJan Jansen\nJansen Bouw B.V.\n"
     "T 020-1234567\n\n"
     "Van: Servicedesk <desk@example.com>\n"
     "Verzonden: maandag 12 mei 2025 10:02\n"
     "Aan: Jan Jansen <jan@example.nl>\n"
     "Onderwerp: [INC-20481] opgelost\n\n" CLOSURE_PLAIN,
     1, 8, "De monteur was er om 10:30, netjes."},
    {"grade10",
     "Een 6-, het duurde twee weken.\n\nGroeten,\nPiet\n\n"
     "Op 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 6, "het duurde twee weken."},
    {"grade10",
     "8+ voor de monteur\n\nMvg,\nKees\n\n"
     "Op 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 8, "voor de monteur"},
    {"thermometer",
     "7,5 - snel, maar ik moest twee keer bellen.\n\nGroetjes,\nAnnemiek\n\n"
     "Op 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 3, "snel, maar ik moest twee keer bellen."},
    {"grade10",
     "I'd give it a 7. Ticket INC-20481 was opened on 02-05-2025 and we\n"
     "waited 10 days; call me on 06-12345678 at 9:30 if needed.\n\n"
     "Best regards,\nJohn\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 7,
     "I'd give it a 7. Ticket INC-20481 was opened on 02-05-2025 and we\n"
     "waited 10 days; call me on 06-12345678 at 9:30 if needed."},
    {"nps",
     "7 out of 10 - would recommend with a caveat.\n\nCheers,\nMike\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 7, "would recommend with a caveat."},
    /* a word grade on a numeric scale: the middle of its band */
    {"grade10",
     "Slecht. Het probleem is nog steeds niet opgelost!\n\n"
     "Op ma 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 3, "Het probleem is nog steeds niet opgelost!"},
    {"grade10",
     "Could be better: the first engineer had the wrong part.\n\n"
     "Kind regards,\nJohn Doe\nAcme\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 6, "the first engineer had the wrong part."},
    {"nps",
     "Uitstekend!\n\nVriendelijke groeten,\nMarieke\n\n"
     "Op 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 10, ""},
    {"csat5",
     "Good, the printer works again.\n\nThanks,\nAnna\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 4, "the printer works again."},
    /* sign-offs go with the names under them; thanks in a sentence stays */
    {"grade10",
     "Thanks for the quick help, only the engineer was late\n\n"
     "Kind regards,\nJohn Doe\nAcme\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     0, 0, "Thanks for the quick help, only the engineer was late"},
    {"grade10",
     "9\n\nThanks!\nAnna\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 9, ""},
    {"grade10",
     "Het werkt weer, een 8.\nBedankt,\nde monteur was erg vriendelijk\n\n"
     "Op 12 mei 2025 om 10:02 schreef Servicedesk <desk@example.com>:\n"
     "\n" CLOSURE_NL,
     1, 8, "Het werkt weer, een 8.\nBedankt,\nde monteur was erg vriendelijk"},
    {"grade10",
     "8\n\nMet vriendelijke groet / Kind regards,\n\nJoost Kuipers\n"
     "Kuipers Bouw B.V. | Projectleider\nM 06 12 34 56 78 | "
     "www.kuipers-bouw.example\n\n"
     "Dit bericht is uitsluitend bestemd voor de geadresseerde. Mocht u "
     "dit bericht onbedoeld hebben ontvangen, verzoeken wij u het te "
     "verwijderen.\n\n"
     "Van: Servicedesk <desk@example.com>\n"
     "Verzonden: maandag 12 mei 2025 10:02\n"
     "Aan: Joost Kuipers <joost@example.nl>\n"
     "Onderwerp: [INC-20481] opgelost\n\n" CLOSURE_PLAIN,
     1, 8, ""},
    /* a postscript under the signature is the writer's too */
    {"grade10",
     "8, fixed.\n\nKind regards,\nJohn Doe\nAcme\n\nP.S. The scanner on "
     "floor 2 still jams.\n\n"
     "On Mon, 12 May 2025 at 10:02, Service Desk <desk@example.com> "
     "wrote:\n" CLOSURE_EN,
     1, 8, "fixed.\n\nP.S. The scanner on floor 2 still jams."},
    /* quote headers in other shapes and languages */
    {"grade10",
     "9, thanks\n\n"
     "11:00 AM, November 17, 2021, \"Service Desk\" <desk@example.com>:\n"
     "\n" CLOSURE_PLAIN,
     1, 9, "thanks"},
    {"grade10",
     "8, el t\xc3\xa9"
     "cnico fue muy amable\n\n"
     "El lun, 12 may 2025 a las 10:02, Service Desk (<desk@example.com>) "
     "escribi\xc3\xb3:\n\n" CLOSURE_EN,
     1, 8,
     "el t\xc3\xa9"
     "cnico fue muy amable"},
    {"grade10",
     "7, funziona\n\n"
     "Il giorno lun 12 mag 2025 alle ore 10:02 Service Desk "
     "<desk@example.com> ha scritto:\n\n" CLOSURE_EN,
     1, 7, "funziona"},
    {"grade10",
     "9, tack!\n\n"
     "Den m\xc3\xa5n 12 maj 2025 kl 10:02 skrev Service Desk "
     "<desk@example.com>:\n\n" CLOSURE_EN,
     1, 9, "tack!"},
    {"grade10",
     "8, takk\n\n"
     "man. 12. mai 2025 kl. 10:02 skrev Service Desk "
     "<desk@example.com>:\n\n" CLOSURE_EN,
     1, 8, "takk"},
    {"grade10",
     "6\n\n\xd0\xbf\xd0\xbd, 12 \xd0\xbc\xd0\xb0\xd1\x8f 2025 \xd0\xb3. "
     "\xd0\xb2 10:02, Service Desk <desk@example.com>:\n\n" CLOSURE_EN,
     1, 6, ""},
    {"grade10",
     "5\n\n12 \xd0\xbc\xd0\xb0\xd1\x8f 2025 \xd0\xb3., \xd0\xb2 10:02, "
     "Service Desk <desk@example.com> \xd0\xbd\xd0\xb0\xd0\xbf\xd0\xb8\xd1"
     "\x81\xd0\xb0\xd0\xbb:\n\n" CLOSURE_EN,
     1, 5, ""},
    {"grade10",
     "7, merci\n\n"
     "De : Service Desk <desk@example.com>\n"
     "Envoy\xc3\xa9 : lundi 12 mai 2025 10:02\n"
     "\xc3\x80 : Jean <jean@example.fr>\n"
     "Objet : [INC-20481] r\xc3\xa9solu\n\n" CLOSURE_PLAIN,
     1, 7, "merci"},
    {"grade10",
     "8\n\n"
     "De: Service Desk <desk@example.com>\n"
     "Enviado: lunes, 12 de mayo de 2025 10:02\n"
     "Para: Juan <juan@example.es>\n"
     "Asunto: [INC-20481] resuelto\n\n" CLOSURE_PLAIN,
     1, 8, ""},
    {"grade10",
     "8\n\n"
     "Da: Service Desk <desk@example.com>\n"
     "Inviato: luned\xc3\xac 12 maggio 2025 10:02\n"
     "A: Luca <luca@example.it>\n"
     "Oggetto: [INC-20481] risolto\n\n" CLOSURE_PLAIN,
     1, 8, ""},
    {"grade10",
     "9\n\n"
     "Fr\xc3\xa5n: Service Desk <desk@example.com>\n"
     "Skickat: den 12 maj 2025 10:02\n"
     "Till: Sven <sven@example.se>\n"
     "\xc3\x84mne: [INC-20481] l\xc3\xb6st\n\n" CLOSURE_PLAIN,
     1, 9, ""},
    {"grade10",
     "9\n\n"
     "Fra: Service Desk <desk@example.com>\n"
     "Sendt: 12. mai 2025 10:02\n"
     "Til: Ola <ola@example.no>\n"
     "Emne: [INC-20481] l\xc3\xb8st\n\n" CLOSURE_PLAIN,
     1, 9, ""},
    {"grade10",
     "4\n\n"
     "L\xc3\xa4hett\xc3\xa4j\xc3\xa4: Service Desk <desk@example.com>\n"
     "L\xc3\xa4hetetty: maanantai 12. toukokuuta 2025 10.02\n"
     "Vastaanottaja: Mikko <mikko@example.fi>\n"
     "Aihe: [INC-20481] ratkaistu\n\n" CLOSURE_PLAIN,
     1, 4, ""},
    {"grade10",
     "3\n\n"
     "\xd0\x9e\xd1\x82: Service Desk <desk@example.com>\n"
     "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0"
     "\xbd\xd0\xbe: 12 \xd0\xbc\xd0\xb0\xd1\x8f 2025 \xd0\xb3. 10:02\n"
     "\xd0\x9a\xd0\xbe\xd0\xbc\xd1\x83: Olga <olga@example.ru>\n"
     "\xd0\xa2\xd0\xb5\xd0\xbc\xd0\xb0: [INC-20481]\n\n" CLOSURE_PLAIN,
     1, 3, ""},
    {"grade10",
     "10 - super\n\nSent from my Galaxy\n\n"
     "-------- Original message --------\n"
     "From: Service Desk <desk@example.com>\n"
     "Date: 12/05/2025 10:02 (GMT+01:00)\n"
     "To: jan@example.com\n"
     "Subject: [INC-20481] resolved\n\n" CLOSURE_PLAIN,
     1, 10, "super"},
    {"grade10",
     "7\n\n-------- Originalnachricht --------\n"
     "Von: Service Desk <desk@example.com>\n"
     "Datum: 12.05.25 10:02 (GMT+01:00)\n\n" CLOSURE_PLAIN,
     1, 7, ""},
};

static void test_mail_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]);
	     i++) {
		const struct grade_case *c = &mail_cases[i];
		const struct scale *sc = scale_by_name(c->scale);
		struct reply_grade g;
		char *text;

		assert_non_null(sc);
		text = reply_strip_quotes(c->text, strlen(c->text));
		assert_non_null(text);
		assert_int_equal(reply_read_grade(sc, text, &g), 0);
		if (g.found != c->found || (c->found && g.value != c->value) ||
		    strcmp(g.comment, c->comment) != 0) {
			print_error("mail %zu [%s]: got found=%d value=%d "
				    "comment=\"%s\"\n",
				    i, c->scale, g.found, g.value, g.comment);
			bad++;
		}
		reply_grade_free(&g);
		free(text);
	}
	assert_int_equal(bad, 0);
}

struct strip_case {
	const char *in;
	const char *out;
};

static const struct strip_case strip_cases[] = {
    {"8\n\nOn Mon, Mar 4, 2024 at 10:00 AM Servicedesk <desk@example.com> "
     "wrote:\n> Your ticket INC-1234 is closed.\n",
     "8"},
    /* wrapped attribution */
    {"Top\n\nOn Mon, Mar 4, 2024 at 10:00 AM Servicedesk <\n"
     "desk@example.com> wrote:\n\n> closed\n",
     "Top"},
    {"Prima geholpen\n\nOp 4 mrt. 2024 om 10:00 heeft Servicedesk "
     "<desk@example.com> het volgende geschreven:\n\n> Gesloten\n",
     "Prima geholpen"},
    {"Prima\nOp ma 4 mrt 2024 om 10:00 schreef Servicedesk "
     "<desk@example.com>:\n> Gesloten\n",
     "Prima"},
    {"Goed\n\n-----Oorspronkelijk bericht-----\nVan: Servicedesk\n"
     "Verzonden: maandag 4 maart 2024 10:00\nAan: Jan\nOnderwerp: "
     "[INC-1234] gesloten\n\nUw melding is gesloten.\n",
     "Goed"},
    {"Fine\r\n\r\n-----Original Message-----\r\nFrom: Desk\r\nSent: "
     "Monday\r\nTo: Jan\r\nSubject: closed\r\n\r\nClosed.\r\n",
     "Fine"},
    /* Outlook header block without a rule line */
    {"Top service\n\nVan: Servicedesk <desk@example.com>\nVerzonden: "
     "maandag 4 maart 2024 10:00\nAan: Jan <jan@example.nl>\nOnderwerp: "
     "gesloten\n\nTekst van de desk\n",
     "Top service"},
    {"9\n\nVerzonden vanaf mijn iPhone\n", "9"},
    {"9\n\nVerstuurd vanaf mijn Samsung Galaxy-smartphone.\n", "9"},
    {"9\n\nSent from my Android\n", "9"},
    {"Snel!\n\n-- \nJan Jansen\nAcme BV\n", "Snel!"},
    /* the rating block quoted without '>' */
    {"8\n\nHoe tevreden bent u?\n[rood] [oranje] [groen] [goud]\n"
     "Ref: AAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
     "8"},
    {"8\n\n-- rate this service --\nHow did we do?\n", "8"},
    /* bottom posting */
    {"On Mon, 4 Mar 2024 10:00, Desk wrote:\n> closed\n\nGreat, 10\n",
     "Great, 10"},
    /* interleaved answer stays, the quote before it too */
    {"> Was the problem solved?\n\nYes\n", "> Was the problem solved?\n\nYes"},
    {"\n\n  \nJust text\n\n\n", "Just text"},
    {"", ""},
    /* all history: nothing is the reply */
    {"> On Mon, 4 Mar 2024 at 10:00, Desk <d@example.com> wrote:\n>> hi\n", ""},
};

static void test_strip_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(strip_cases) / sizeof(strip_cases[0]);
	     i++) {
		char *out = reply_strip_quotes(strip_cases[i].in,
					       strlen(strip_cases[i].in));
		assert_non_null(out);
		if (strcmp(out, strip_cases[i].out))
			print_error("strip case %zu: got \"%s\"\n", i, out);
		assert_string_equal(out, strip_cases[i].out);
		free(out);
	}
}

static void test_strip_keep_signature(void **state)
{
	const char *in = "Hello\n\nSent from my iPhone\n\n-- \nJan\n\n"
			 "On Apr 3, 2012, at 4:19 PM, bob <b@example.com> "
			 "wrote:\n\n> Hi\n";
	char *out = reply_strip(in, strlen(in), REPLY_KEEP_SIGNATURE);

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, "Hello\n\nSent from my iPhone\n\n-- \nJan");
	free(out);
	out = reply_strip_quotes(in, strlen(in));
	assert_string_equal(out, "Hello");
	free(out);
}

static void test_strip_invalid_utf8(void **state)
{
	/* Latin-1 bytes must not switch stripping off. */
	const char in[] = "Tr\xe8s bien\n\nLe 4 mars 2024 \xe0 10:00, Desk "
			  "<d@example.com> a \xc3\xa9"
			  "crit :\n> ferm\xe9\n";
	char *out = reply_strip_quotes(in, sizeof(in) - 1);

	(void)state;
	assert_non_null(out);
	assert_string_equal(out, "Tr\xef\xbf\xbds bien");
	free(out);
}

static void test_html(void **state)
{
	const char *html =
	    "<html><head><style>p{color:red}</style><title>x</title>"
	    "</head><body><script>alert(1)</script><p>8 &amp; "
	    "snel&nbsp;geholpen</p><div>caf&eacute; &#233; &#x1F44D;</div>"
	    "<div class=\"gmail_quote\">On Mon, 4 Mar 2024 at 10:00 Desk "
	    "&lt;d@example.com&gt; wrote:<br><blockquote>Closed<br>"
	    "<blockquote>deeper</blockquote></blockquote></div></body>"
	    "</html>";
	char *t = reply_html_to_text(html, strlen(html)), *s;

	(void)state;
	assert_non_null(t);
	assert_string_equal(t, "8 & snel geholpen\ncaf\xc3\xa9 \xc3\xa9 "
			       "\xF0\x9F\x91\x8D\nOn Mon, 4 Mar 2024 at 10:00 "
			       "Desk <d@example.com> wrote:\n> Closed\n"
			       ">> deeper");
	s = reply_strip_quotes(t, strlen(t));
	assert_string_equal(s, "8 & snel geholpen\ncaf\xc3\xa9 \xc3\xa9 "
			       "\xF0\x9F\x91\x8D");
	free(s);
	free(t);
	/* Unterminated tags and entities do not crash or loop. */
	t = reply_html_to_text("<p>a &#x; &bogus <b", 19);
	assert_non_null(t);
	assert_string_equal(t, "a &#x; &bogus");
	free(t);
}

static void test_extract(void **state)
{
	const char *mail =
	    "From: Jan <jan@example.nl>\r\n"
	    "Subject: Re: [INC-1234] gesloten\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "8, pr=E9cies goed\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "\r\n"
	    "<p>html</p>\r\n"
	    "--b1--\r\n";
	const char *html_only =
	    "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "PHA+OSAmYW1wOyB0b3A8L3A+\r\n"; /* <p>9 &amp; top</p> */
	const char *hostile =
	    "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n\r\n"
	    "--\"\r\n\r\nx\r\n";
	const char *missing =
	    "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"nowhere\"\r\n\r\n"
	    "text\r\n";
	char *t;

	(void)state;
	assert_int_equal(reply_extract_text(mail, strlen(mail), &t), 0);
	assert_non_null(t);
	char *s = reply_strip_quotes(t, strlen(t));
	assert_string_equal(s, "8, pr\xc3\xa9"
			       "cies goed");
	free(s);
	free(t);
	assert_int_equal(reply_extract_text(html_only, strlen(html_only), &t),
			 0);
	assert_string_equal(t, "9 & top");
	free(t);
	assert_int_equal(reply_extract_text(hostile, strlen(hostile), &t), -1);
	assert_null(t);
	assert_int_equal(reply_extract_text(missing, strlen(missing), &t), -1);
	assert_null(t);
	assert_int_equal(reply_extract_text("", 0, &t), -1);
}

static void test_bad_args(void **state)
{
	struct reply_grade g;

	(void)state;
	assert_int_equal(reply_read_grade(NULL, "8", &g), -1);
	assert_int_equal(reply_read_grade(scale_get(SCALE_GRADE10), NULL, &g),
			 -1);
	reply_grade_free(NULL);
}

/* Edge inputs (truncated emoji, a suffix without its number): strip and
 * grade on every scale without crashing. */
static void test_data_dir_inputs(void **state)
{
	static const char *const inputs[] = {
	    "On 1\n\n\n\n\n\n<\n> wrote:",
	    "\xF0\x9F\x91", /* truncated emoji */
	    ":",
	    "8/",
	    "8 uit",
	    "7,",
	    "<",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *t = reply_strip_quotes(inputs[i], strlen(inputs[i]));
		struct reply_grade g;

		assert_non_null(t);
		for (int s = 0; s < SCALE_COUNT; s++) {
			assert_int_equal(reply_read_grade(scale_get(s), t, &g),
					 0);
			assert_non_null(g.comment);
			reply_grade_free(&g);
		}
		free(t);
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p) {
		p[n] = '\0';
		*len = (size_t)n;
	}
	return p;
}

static const char *data_dir(char *buf, size_t n)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, n, "%s/tests/data/replies", top ? top : ".");
	return buf;
}

/* Our own replies in tests/data/replies, end to end. */
static void test_data_replies(void **state)
{
	static const struct {
		const char *file, *scale;
		int value;
		const char *comment;
	} cases[] = {
	    {"nl-grade10-gmail.txt", "grade10", 8,
	     "maar het duurde drie dagen"},
	    {"nl-thermometer-outlook.txt", "thermometer", 3, "netjes opgelost"},
	    {"en-grade10-wrapped.txt", "grade10", 7, "took 2 weeks"},
	};
	char dir[4096], path[4200];

	(void)state;
	data_dir(dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		struct reply_grade g;
		char *in, *t;

		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		in = slurp(path, &len);
		assert_non_null(in);
		t = reply_strip_quotes(in, len);
		assert_non_null(t);
		assert_int_equal(
		    reply_read_grade(scale_by_name(cases[i].scale), t, &g), 0);
		assert_int_equal(g.found, 1);
		assert_int_equal(g.value, cases[i].value);
		assert_string_equal(g.comment, cases[i].comment);
		reply_grade_free(&g);
		free(t);
		free(in);
	}
}

/* Inputs the fuzzer found (a crash in the boundary check, a hang on a NUL
 * byte in HTML): the whole path must finish on them. */
static void test_fuzz_regressions(void **state)
{
	static const char *const files[] = {"crash-memmem-boundary",
					    "timeout-html-nul"};
	char dir[4096], path[4200];

	(void)state;
	data_dir(dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *in, *t = NULL, *h, *s;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		in = slurp(path, &len);
		assert_non_null(in);
		if (reply_extract_text(in, len, &t) == 0)
			free(t);
		h = reply_html_to_text(in, len);
		assert_non_null(h);
		s = reply_strip_quotes(in, len);
		assert_non_null(s);
		free(h);
		free(s);
		free(in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grade_table),
	    cmocka_unit_test(test_mail_table),
	    cmocka_unit_test(test_strip_table),
	    cmocka_unit_test(test_strip_keep_signature),
	    cmocka_unit_test(test_strip_invalid_utf8),
	    cmocka_unit_test(test_html),
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_data_dir_inputs),
	    cmocka_unit_test(test_data_replies),
	    cmocka_unit_test(test_fuzz_regressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
