/* mailmood landing page: confirms the chosen level with a POST, but only
 * once a person can see the page: not while it is prerendered or loaded
 * in the background (visibilityState), not inside a frame (a scanner's or
 * another site's). Otherwise, and without JavaScript, the button does it.
 * Served from 'self' so the Content-Security-Policy needs no inline code. */
(function () {
	'use strict';
	var form = document.getElementById('mm-form');
	var status = document.getElementById('mm-status');
	if (!form || !status || !window.fetch || !window.URLSearchParams)
		return;
	if (window.top !== window.self)
		return;
	var sent = false;

	function say(key) {
		status.textContent = status.getAttribute('data-' + key) || '';
		status.className = 'status status-' + key;
	}

	function confirmLevel() {
		if (sent || document.visibilityState !== 'visible')
			return;
		sent = true;
		document.removeEventListener('visibilitychange', confirmLevel);
		var data = new URLSearchParams();
		data.set('level', form.getAttribute('data-level'));
		data.set('csrf', form.elements.csrf.value);
		data.set('via', 'js');
		fetch(form.action, {
			method: 'POST',
			body: data,
			credentials: 'omit',
			headers: { 'Accept': 'application/json' }
		}).then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.json();
		}).then(function (j) {
			say(j.recorded ? 'recorded' : 'confirm');
			if (j.recorded)
				document.body.classList.add('recorded');
		}).catch(function () {
			say('confirm');
		});
	}

	if (document.visibilityState === 'visible')
		confirmLevel();
	else
		document.addEventListener('visibilitychange', confirmLevel);
})();
