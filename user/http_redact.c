// SPDX-License-Identifier: GPL-2.0
/* Request fields made safe to emit: path segments, User-Agent, traceparent. */
#include <stdlib.h>
#include <string.h>

#include "http_redact.h"
#include "http_req.h"
#include "redact.h"

#define TRACEPARENT_LEN 55

static bool seg_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* Slack's incoming webhook: /services/T<team>/B<hook>/<secret>; segment k (0 = the
 * empty one before the first '/') is the secret when the ones before match. */
struct slack_state {
	bool services, team, hook;
};

static bool slack_secret(struct slack_state *st, size_t k, const char *s, size_t n)
{
	if (k == 1)
		st->services = seg_is(s, n, "services");
	else if (k == 2)
		st->team = st->services && n > 1 && s[0] == 'T';
	else if (k == 3)
		st->hook = st->team && n > 1 && s[0] == 'B';
	else if (k == 4)
		return st->hook && n > 0;
	return false;
}

bool http_redact_path(const char *path, size_t len, char *dst, size_t cap, bool *params_removed)
{
	const size_t rl = strlen(REDACTED);
	struct slack_state slack = { 0 };
	char *buf = malloc(len + rl + 1);
	size_t i = 0, o = 0, k = 0;
	bool cut;

	*params_removed = false;
	if (!buf) {
		http_req_copy_str(dst, cap, REDACTED, rl);
		return true;
	}
	while (i <= len) {
		const char *seg = path + i, *slash = memchr(seg, '/', len - i);
		size_t end = slash ? (size_t)(slash - path) : len, n = end - i;
		const char *semi = memchr(seg, ';', n);

		if (semi) {
			*params_removed = true;
			n = (size_t)(semi - seg);
		}
		if (slack_secret(&slack, k, seg, n) || redact_url_segment_secret(seg, n)) {
			/* a secret grows at most once: slack's (any length), else >= rl bytes */
			memcpy(buf + o, REDACTED, rl);
			o += rl;
		} else {
			memcpy(buf + o, seg, n);
			o += n;
		}
		if (!slash)
			break;
		buf[o++] = '/';
		i = end + 1;
		k++;
	}
	cut = http_req_copy_str(dst, cap, buf, o);
	free(buf);
	return cut;
}

/* The last User-Agent redacted and what it gave, per thread: a client sends
 * the same one with every request, and running the redaction rules over it
 * was 6% of the daemon's CPU in the TLS bench (perf). */
#define UA_MEMO_MAX 512

static __thread struct {
	size_t len;
	char in[UA_MEMO_MAX];
	char *out; /* NULL: nothing kept */
} ua_memo;

bool http_redact_user_agent(const char *ua, size_t len, char *dst, size_t cap)
{
	char *r;
	bool cut;

	if (ua_memo.out && len == ua_memo.len && !memcmp(ua, ua_memo.in, len))
		return http_req_copy_str(dst, cap, ua_memo.out, strlen(ua_memo.out));
	r = redact_arg(NULL, 0, ua, len);
	if (!r) {
		if (cap)
			dst[0] = '\0';
		return true;
	}
	cut = http_req_copy_str(dst, cap, r, strlen(r));
	free(ua_memo.out);
	ua_memo.out = NULL;
	if (len <= UA_MEMO_MAX) {
		memcpy(ua_memo.in, ua, len);
		ua_memo.len = len;
		ua_memo.out = r;
	} else {
		free(r);
	}
	return cut;
}

static bool lower_hex(const char *s, size_t n, bool *all_zero)
{
	size_t i;

	*all_zero = true;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
		*all_zero = *all_zero && s[i] == '0';
	}
	return true;
}

bool http_redact_traceparent_ok(const char *s, size_t len)
{
	bool zero;

	if (!s || len != TRACEPARENT_LEN || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return false;
	if (!lower_hex(s, 2, &zero) || (s[0] == 'f' && s[1] == 'f'))
		return false;
	if (!lower_hex(s + 3, 32, &zero) || zero)
		return false;
	if (!lower_hex(s + 36, 16, &zero) || zero)
		return false;
	return lower_hex(s + 53, 2, &zero);
}
