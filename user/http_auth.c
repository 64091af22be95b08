// SPDX-License-Identifier: GPL-2.0
/* Authorization header values: scheme, credential span, non-secret facts, credential kind. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "http_auth.h"
#include "http_req.h"
#include "jwt.h"

#define SIGV4_SCHEME "AWS4-HMAC-SHA256"
#define SCHEME_GUESS_MAX 24	/* an unknown scheme longer than this is more likely a credential */
/* GitHub's documented Basic form for a token: TOKEN:x-oauth-basic (the password is fixed) */
#define OAUTH_BASIC_PASSWORD "x-oauth-basic"

struct prefix_kind {
	const char *prefix;
	const char *kind;
	const char *extra;	/* allowed besides [A-Za-z0-9] after the prefix */
	size_t min_body;	/* bytes needed after the prefix */
};

static const struct prefix_kind prefix_kinds[] = {
	{ "github_pat_", "github_fine_grained_pat", "_", 16 },
	{ "ghp_", "github_pat", "_", 16 },
	{ "gho_", "github_oauth", "_", 16 },
	{ "ghu_", "github_user_to_server", "_", 16 },
	{ "ghs_", "github_server_to_server", "_", 16 },
	{ "ghr_", "github_refresh", "_", 16 },
	{ "glpat-", "gitlab_pat", "-_.", 16 },
};

/* Other schemes seen in the wild; they cannot be mistaken for a credential. */
static const char *const known_schemes[] = {
	"Bearer", "Basic", SIGV4_SCHEME, "Digest", "Negotiate", "NTLM", "token", "OAuth", "DPoP",
	"HOBA", "Mutual", "SCRAM-SHA-1", "SCRAM-SHA-256", "AWS4-ECDSA-P256-SHA256",
};

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_ws(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && is_ws((*s)[*len - 1]))
		(*len)--;
}

static bool word_is(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len == n && !strncasecmp(s, lit, n);
}

static bool starts_with(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && !memcmp(s, lit, n);
}

static bool all_of(const char *s, size_t len, const char *extra)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_alnum(s[i]) && !(s[i] && strchr(extra, s[i])))
			return false;
	return true;
}

static bool is_jwt(const char *s, size_t len)
{
	const char *dot1, *dot2;

	if (!starts_with(s, len, "eyJ") || !all_of(s, len, "-_."))
		return false;
	dot1 = memchr(s, '.', len);
	if (!dot1)
		return false;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - s));
	if (!dot2 || dot2 == dot1 + 1)	/* the payload segment is never empty */
		return false;
	return !memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - s));
}

static bool is_slack(const char *s, size_t len)
{
	if (len < 5 + 8 || !starts_with(s, len, "xox") || !is_alnum(s[3]) || s[4] != '-')
		return false;
	return all_of(s + 5, len - 5, "-");
}

/* Kind of a bare credential (no scheme). */
static const char *classify_bare(const char *s, size_t len)
{
	size_t i;

	if (is_jwt(s, len))
		return "jwt";
	for (i = 0; i < sizeof(prefix_kinds) / sizeof(prefix_kinds[0]); i++) {
		const struct prefix_kind *k = &prefix_kinds[i];
		size_t n = strlen(k->prefix);

		if (starts_with(s, len, k->prefix))
			return len >= n + k->min_body && all_of(s + n, len - n, k->extra) ? k->kind
											: "opaque";
	}
	if (is_slack(s, len))
		return "slack";
	return "opaque";
}

static size_t word_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && !is_ws(s[i]); i++)
		;
	return i;
}

const char *http_auth_classify(const char *token, size_t len)
{
	size_t wlen;

	if (!token)
		return "opaque";
	trim(&token, &len);
	wlen = word_len(token, len);
	if (wlen == len)
		return classify_bare(token, len);
	if (word_is(token, wlen, "Basic"))
		return "basic";
	if (word_is(token, wlen, SIGV4_SCHEME))
		return "aws_sigv4";
	token += wlen;
	len -= wlen;
	trim(&token, &len);
	return classify_bare(token, len);
}

const char *http_auth_kind(const struct http_auth *auth)
{
	if (!strcmp(auth->scheme, "Basic"))
		return "basic";
	if (!strcmp(auth->scheme, SIGV4_SCHEME))
		return "aws_sigv4";
	if (!auth->token)
		return auth->cut_kind ? auth->cut_kind : "opaque";
	return classify_bare(auth->token, auth->token_len);
}

const char *http_auth_classify_cut(const char *s, size_t len)
{
	const char *kind;

	if (!s)
		return NULL;
	if (jwt_header_looks_like(s, len))
		return "jwt";
	kind = classify_bare(s, len);
	return strcmp(kind, "opaque") ? kind : NULL;
}

static const char *known_scheme(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(known_schemes) / sizeof(known_schemes[0]); i++)
		if (word_is(s, len, known_schemes[i]))
			return known_schemes[i];
	return NULL;
}

/* An unknown first word is taken as a scheme only when it cannot be a credential: short,
 * letters and '-' / '_' only, and no known token prefix. */
static bool scheme_like(const char *s, size_t len)
{
	size_t i;

	if (!len || len > SCHEME_GUESS_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return !strcmp(classify_bare(s, len), "opaque");
}

static void set_token(struct http_auth *out, const char *s, size_t len)
{
	out->token = len ? s : NULL;
	out->token_len = len;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

struct basic_scan {
	char user[sizeof(((struct http_auth *)0)->basic_user) + 1]; /* one more to see a cut */
	size_t user_len;	/* bytes before ':' (may exceed what user holds) */
	size_t pass_len;	/* bytes after ':' */
	bool colon;
	bool pass_not_oauth;	/* the password differs from OAUTH_BASIC_PASSWORD */
};

static void basic_byte(struct basic_scan *b, unsigned char c)
{
	if (b->colon) {
		/* compared as it streams by: the password is never stored */
		if (b->pass_len >= strlen(OAUTH_BASIC_PASSWORD) ||
		    c != (unsigned char)OAUTH_BASIC_PASSWORD[b->pass_len])
			b->pass_not_oauth = true;
		b->pass_len++;
		return;
	}
	if (c == ':') {
		b->colon = true;
		return;
	}
	if (b->user_len < sizeof(b->user))
		b->user[b->user_len] = (char)c;
	b->user_len++;
}

/* Decode base64 "user:password" a byte at a time, keeping at most the start of the user name; the
 * password is counted, never stored. Returns false on a byte outside the alphabet. */
static bool basic_decode(const char *in, size_t len, struct basic_scan *b)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len && in[i] != '='; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return false;
		acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			basic_byte(b, (unsigned char)(acc >> bits));
		}
	}
	for (; i < len; i++)
		if (in[i] != '=')
			return false;
	return true;
}

static void parse_basic(const char *s, size_t len, struct http_auth *out)
{
	struct basic_scan b = { 0 };
	size_t kept;

	set_token(out, s, len);
	if (!basic_decode(s, len, &b) || !b.colon || !b.user_len)
		goto out;
	kept = b.user_len < sizeof(b.user) ? b.user_len : sizeof(b.user);
	if (!b.pass_len)
		goto out;	/* "key:" style: the user name is the credential (and fingerprinted) */
	if (b.pass_len && !b.pass_not_oauth)
		goto out;	/* "TOKEN:x-oauth-basic": GitHub's form, the user is the token */
	if (strcmp(classify_bare(b.user, kept), "opaque"))
		goto out;
	http_req_copy_str(out->basic_user, sizeof(out->basic_user), b.user, kept);
out:
	explicit_bzero(&b, sizeof(b));
}

const char *http_auth_login_secret(const char *user, size_t ulen, const char *pass, size_t plen,
				   const char **secret, size_t *n)
{
	const char *kind;

	if (!strcmp(classify_bare(user, ulen), "opaque") && plen &&
	    !(plen == strlen(OAUTH_BASIC_PASSWORD) && !memcmp(pass, OAUTH_BASIC_PASSWORD, plen))) {
		*secret = pass;
		*n = plen;
	} else {
		*secret = user;
		*n = ulen;
	}
	kind = classify_bare(*secret, *n);
	/* a JWT's claims are decoded from a Bearer span, not from here */
	return strcmp(kind, "opaque") && strcmp(kind, "jwt") ? kind : "basic";
}

bool http_auth_basic_secret(const char *b64, size_t len, unsigned char *buf, size_t cap,
			    const unsigned char **secret, size_t *n, const char **kind)
{
	const char *user = (const char *)buf, *colon, *s;
	const char *k;
	size_t dlen = 0;

	if (b64_decode(b64, len, false, buf, cap, &dlen) || !(colon = memchr(buf, ':', dlen)))
		return false;
	k = http_auth_login_secret(user, (size_t)(colon - user), colon + 1,
				   (size_t)(user + dlen - colon - 1), &s, n);
	*secret = (const unsigned char *)s;
	if (kind)
		*kind = k;
	return *n > 0;
}

/* Credential=AKID/date/region/service/aws4_request */
static void parse_credential(const char *s, size_t len, struct http_auth *out)
{
	size_t part = 0;

	while (part < 4) {
		const char *slash = memchr(s, '/', len);
		size_t n = slash ? (size_t)(slash - s) : len;

		if (part == 0)
			http_req_copy_str(out->aws_access_key_id, sizeof(out->aws_access_key_id), s,
					  n);
		else if (part == 2)
			http_req_copy_str(out->aws_region, sizeof(out->aws_region), s, n);
		else if (part == 3)
			http_req_copy_str(out->aws_service, sizeof(out->aws_service), s, n);
		if (!slash)
			return;
		s += n + 1;
		len -= n + 1;
		part++;
	}
}

static void parse_sigv4(const char *s, size_t len, struct http_auth *out)
{
	while (len) {
		const char *comma = memchr(s, ',', len);
		const char *p = s;
		size_t n = comma ? (size_t)(comma - s) : len, plen = n;

		trim(&p, &plen);
		if (plen > 11 && !strncasecmp(p, "Credential=", 11))
			parse_credential(p + 11, plen - 11, out);
		else if (plen > 10 && !strncasecmp(p, "Signature=", 10))
			set_token(out, p + 10, plen - 10);
		if (!comma)
			return;
		s += n + 1;
		len -= n + 1;
	}
}

void http_auth_parse(const char *value, size_t len, struct http_auth *out)
{
	const char *rest, *known;
	size_t wlen, rlen;

	memset(out, 0, sizeof(*out));
	if (!value)
		return;
	trim(&value, &len);
	wlen = word_len(value, len);
	rest = value + wlen;
	rlen = len - wlen;
	trim(&rest, &rlen);
	known = known_scheme(value, wlen);
	if (!known && (!rlen || !scheme_like(value, wlen))) {
		set_token(out, value, len);	/* no scheme: the whole value is the credential */
		return;
	}
	if (known && (!strcmp(known, "Bearer") || !strcmp(known, "Basic") ||
		      !strcmp(known, SIGV4_SCHEME)))
		strcpy(out->scheme, known);
	else
		http_req_copy_str(out->scheme, sizeof(out->scheme), value, wlen);
	if (!strcmp(out->scheme, "Basic"))
		parse_basic(rest, rlen, out);
	else if (!strcmp(out->scheme, SIGV4_SCHEME))
		parse_sigv4(rest, rlen, out);
	else
		set_token(out, rest, rlen);
}
