/* SPDX-License-Identifier: BSD-2-Clause */
/* Records a rating: history, alert cancel and queue, kudos (rating.h). */
#include <string.h>

#include "outbox.h"
#include "rating.h"

int rating_alert_at(const struct conf *c, const struct conf_team *team,
		    const struct scale *sc)
{
	/* A team's alert_at is a level of the team's scale; on a survey made
	 * on another scale (a rule's own scale) it means nothing. */
	if (team && conf_team_scale(c, team) == sc)
		return team->alert_at;
	return sc->alert_default;
}

enum store_rc rating_record(struct store *st, const struct rating_input *in,
			    struct rating_output *out)
{
	struct rating r;
	enum store_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.survey_id = in->survey_id;
	r.at = in->now;
	r.level = in->level;
	r.source = in->source;
	r.current = 1;
	r.why = (char *)in->why;
	r.better = (char *)in->better;
	if ((rc = store_rating_add(st, &r)) != STORE_OK)
		return rc;
	out->rating_id = r.id;
	rc = store_outbox_cancel(st, in->survey_id, OUTBOX_ALERT);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	if (in->level <= in->alert_at) {
		struct outbox_item o;

		memset(&o, 0, sizeof(o));
		o.kind = OUTBOX_ALERT;
		o.survey_id = in->survey_id;
		o.rating_id = r.id;
		o.due = in->now + in->alert_delay;
		o.state = OUTBOX_PENDING;
		if ((rc = store_outbox_enqueue(st, &o)) != STORE_OK)
			return rc;
		out->alert_id = o.id;
	}
	if (in->conf)
		return outbox_queue_kudos(st, in->conf, in->team, in->scale,
					  in->survey_id, r.id, in->level,
					  in->now);
	return STORE_OK;
}
