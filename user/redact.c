// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ci_env.h"
#include "redact.h"
#include "redact_rules.h"

#define ENTROPY_MIN_RUN 32
#define ENTROPY_MIN_BITS 4.0
#define PATH_MIN_SLASHES 3
#define PATH_MIN_WORD 7

/* The element being redacted and which of its bytes go. */
struct ctx {
	const char *s;
	size_t n;
	unsigned char *mark;
	size_t pair_next; /* where an option's value is itself a pair (--env=KEY=V), or 0 */
	/* the element is a shell's command string (after -c): a pair at its
	 * start ends with its shell word, not with the element */
	bool shell;
	bool cut; /* the element was cut short: see redact_argv.cut */
};

enum prev_kind { PREV_NONE, PREV_SECRET, PREV_P, PREV_USER, PREV_HEADER };

static bool is_b64url(char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_quote(char c)
{
	return c == '"' || c == '\'';
}

static bool name_has_suffix(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && name_eq(s + n - k, k, lit);
}

static bool name_has_prefix(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && name_eq(s, k, lit);
}

/* Offset of lit in s[from..n) with name_eq folding, or n. */
static size_t name_find(const char *s, size_t n, size_t from, const char *lit)
{
	size_t k = strlen(lit), i;

	for (i = from; i + k <= n; i++)
		if (name_eq(s + i, k, lit))
			return i;
	return n;
}

static bool in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (name_eq(s, n, *list))
			return true;
	return false;
}

/* The words of an option name: split at '-', '_', '.', and before an upper-case letter
 * that follows a lower-case one or a digit ("keyStorePassword": key, store, password). */
#define NAME_MAX_WORDS 16

struct name_words {
	size_t count;		/* words in at[] and len[] */
	bool more;		/* the name has more than NAME_MAX_WORDS words */
	size_t at[NAME_MAX_WORDS], len[NAME_MAX_WORDS];
};

static bool is_name_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

static void name_split(const char *s, size_t n, struct name_words *w)
{
	size_t i = 0, a;

	w->count = 0;
	w->more = false;
	while (i < n) {
		while (i < n && is_name_sep(s[i]))
			i++;
		if (i == n)
			break;
		if (w->count == NAME_MAX_WORDS) {
			w->more = true;
			break;
		}
		for (a = i++; i < n && !is_name_sep(s[i]); i++)
			if (is_upper(s[i]) && (is_lower(s[i - 1]) || is_digit(s[i - 1])))
				break;
		w->at[w->count] = a;
		w->len[w->count++] = i - a;
	}
}

/* "key" after one of these is a secret key: --api-key, --private-key (hex keys escape
 * the entropy rule), --account-key and AccountKey= (Azure storage). */
static const char *const key_kinds[] = {
	"api", "access", "private", "secret", "account", "master", "encryption", "shared",
	"license", "session", "storage", "deploy", "hmac", "app", "ssh", "stripe", "mailgun",
	"sendgrid", "twilio", NULL,
};

/* Word k of the name is a secret word. Words ending in password, pass, token, secret,
 * ... count (dbpassword, storepass, authtoken) unless they are English words that only
 * end that way (bypass, compass); some words count only as the last word, where they
 * name what the value is (--basic-auth X) rather than what it is about (--auth-type). */
static bool name_secret_word(const char *s, const struct name_words *w, size_t k, bool last)
{
	static const char *const ends[] = {
		"password", "passwords", "passwd", "pass", "passphrase", "passcode", "passin",
		"passout", "token", "secret", "secrets", "credential", "credentials", "creds",
		"apikey", "accesskey", "privatekey", "secretkey", "accountkey", NULL,
	};
	static const char *const not_words[] = {
		"bypass", "compass", "encompass", "surpass", "overpass", "underpass", "trespass",
		"passthrough", NULL,
	};
	static const char *const last_only[] = {
		"auth", "authorization", "bearer", "otp", "pin", "cookie", "cookies", "pw", "pwd",
		NULL,
	};
	/* "key" after one of these: --api-key, --private-key (hex keys escape the entropy
	 * rule), --account-key (Azure storage) */
	const char *p = s + w->at[k];
	size_t n = w->len[k];
	const char *const *e;

	if (in_list(p, n, not_words))
		return false;
	/* pass-through (gcc's -plugin-opt=-pass-through=-lgcc) */
	if (name_eq(p, n, "pass") && k + 1 < w->count &&
	    name_eq(s + w->at[k + 1], w->len[k + 1], "through"))
		return false;
	for (e = ends; *e; e++)
		if (name_has_suffix(p, n, *e))
			return true;
	if (last && in_list(p, n, last_only))
		return true;
	return k > 0 && name_eq(p, n, "key") &&
	       in_list(s + w->at[k - 1], w->len[k - 1], key_kinds);
}

/*
 * An option name (dashes stripped) that takes a secret value: one of its words is a
 * secret word (name_secret_word), except
 * - flags, which take no value: a first word that asks, prompts, shows, generates, skips,
 *   ... (--ask-vault-pass, --with-token, --show-secrets, --no-password) or a word saying
 *   the value comes another way or is unchecked (--password-stdin, --skip-token-check,
 *   --insecure-...), and counts (--max-tokens, --num-tokens);
 * - a last word that says the value names where the secret is or what it is like, not
 *   the secret: --token-file, --password-env, --secret-name, --secret-id (AWS: the
 *   secret's name), --token-ttl, --auth-type, --token-url, --cookie-jar,
 *   --credential-helper. A path to a token file is not the
 *   token (the file's read is reported as a credential event of its own).
 */
static bool secret_option(const char *s, size_t n)
{
	static const char *const flag_first[] = {
		"no", "ask", "prompt", "with", "without", "use", "skip", "show", "hide", "generate",
		"random", "require", "allow", "disable", "enable", "save", "load", "print",
		"reveal", "list", "max", "min", "num", "total", "pad", "eos", "bos", "unk", NULL,
	};
	static const char *const flag_any[] = { "stdin", "skip", "unsafe", "insecure", NULL };
	static const char *const meta_last[] = {
		"file", "files", "path", "paths", "dir", "directory", "fd", "env", "var", "name",
		"names", "type", "ttl", "length", "len", "prompt", "command", "cmd", "helper",
		"url", "uri", "endpoint", "host", "server", "method", "mode", "policy", "expiry",
		"expires", "expiration", "lifetime", "version", "arn", "ref", "scope", "scopes",
		"audience", "header", "format", "provider", "source", "location", "jar", "store",
		"manager", "backend", "label", "kind", "field", "prefix", "template", "count",
		"limit", "budget", "size", "timeout", "interval", "user", "username", "id",
		NULL,
	};
	struct name_words w;
	size_t k, last;

	if (n < 2)
		return false;
	name_split(s, n, &w);
	if (!w.count || in_list(s + w.at[0], w.len[0], flag_first))
		return false;
	last = w.count - 1;
	for (k = 0; k < w.count; k++)
		if (in_list(s + w.at[k], w.len[k], flag_any))
			return false;
	if (!w.more && in_list(s + w.at[last], w.len[last], meta_last))
		return false;
	for (k = 0; k < w.count; k++)
		if (name_secret_word(s, &w, k, k == last && !w.more))
			return true;
	return false;
}

/* The words of a KEY (camelCase split too) name a secret as an option's would: a
 * passphrase (GPG_PASSPHRASE), SSHPASS (sshpass's variable), a key of one of the
 * key_kinds (privateKey, AccountKey, MASTER_KEY, JWT_SIGNING_KEY, SharedAccessKey). */
static bool key_words_secret(const char *s, size_t n)
{
	static const char *const whole[] = { "sshpass", "accesskey", "privatekey", "accountkey",
					     "secretkey", "masterkey", "encryptionkey",
					     "signingkey", "storagekey", NULL };
	struct name_words w;

	name_split(s, n, &w);
	for (size_t k = 0; k < w.count; k++) {
		const char *p = s + w.at[k];

		if (name_has_suffix(p, w.len[k], "passphrase") || in_list(p, w.len[k], whole))
			return true;
		/* a signing key given as a value is the key (JWT_SIGNING_KEY=...); the
		 * option --signing-key names a key file */
		if (k > 0 && name_eq(p, w.len[k], "key") &&
		    (in_list(s + w.at[k - 1], w.len[k - 1], key_kinds) ||
		     name_eq(s + w.at[k - 1], w.len[k - 1], "signing")))
			return true;
	}
	return false;
}

/* redact_rules.h */
bool redact_secret_key(const char *s, size_t n)
{
	static const char *const words[] = { "password", "passwd", "secret", "token",
					     "api_key", "apikey", "access_key", "private_key",
					     "credential", NULL };
	static const char *const where[] = { "file", "path", "dir", NULL };
	const char *const *p;
	size_t at;

	for (p = where; *p; p++)
		if (name_has_suffix(s, n, *p))
			return false;
	/* the CI token variables, also those no word above names: CI_JOB_JWT_V2,
	 * DRONE_NETRC_USERNAME (Drone's, Woodpecker's and Vela's netrc login is
	 * the token) */
	if (ci_env_is_token_var(s, n) || name_has_suffix(s, n, "_jwt") ||
	    name_find(s, n, 0, "netrc_username") < n || key_words_secret(s, n))
		return true;
	if (name_eq(s, n, "pass") || name_has_suffix(s, n, "_pass") ||
	    name_has_suffix(s, n, "_pwd") || name_has_suffix(s, n, "_pw"))
		return true;
	for (p = words; *p; p++)
		if (name_find(s, n, 0, *p) < n)
			return true;
	for (at = name_find(s, n, 0, "auth"); at < n; at = name_find(s, n, at + 1, "auth"))
		if (!name_has_prefix(s + at + 4, n - at - 4, "or"))
			return true;
	return false;
}

static bool secret_query_name(const char *s, size_t n)
{
	static const char *const names[] = {
		"token", "access_token", "refresh_token", "id_token", "key", "api_key", "apikey",
		"sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
		"password", "secret", "client_secret", "code", NULL,
	};

	return in_list(s, n, names);
}

static void mark(struct ctx *c, size_t from, size_t to)
{
	if (to > from)
		memset(c->mark + from, 1, to - from);
}

static enum prev_kind classify_prev(const char *p, size_t n)
{
	size_t dashes = 0;

	if (!p || n < 2 || p[0] != '-' || memchr(p, '=', n))
		return PREV_NONE;
	if (n == 2 && p[1] == 'p')
		return PREV_P;
	if ((n == 2 && (p[1] == 'u' || p[1] == 'U')) || (n == 6 && !memcmp(p, "--user", 6)) ||
	    (n == 12 && !memcmp(p, "--proxy-user", 12)))
		return PREV_USER;
	if ((n == 2 && p[1] == 'H') || (n == 8 && !memcmp(p, "--header", 8)))
		return PREV_HEADER;
	while (dashes < 2 && dashes < n && p[dashes] == '-')
		dashes++;
	return secret_option(p + dashes, n - dashes) ? PREV_SECRET : PREV_NONE;
}

/* What follows a bare "-p" when it is not a password. */
static bool p_value_benign(const char *s, size_t n)
{
	size_t i;

	if (!n || s[0] == '-' || s[0] == '.' || s[0] == '~' || memchr(s, '/', n))
		return true;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && (!s[i] || !strchr(".:-[]", s[i])))
			return false;
	return true;
}

/* -u / --user "user:pass" from `at`: the part after the first ':', unless it is a gid. */
static void redact_userpass(struct ctx *c, size_t at)
{
	const char *colon = memchr(c->s + at, ':', c->n - at);
	size_t from, i;

	/* a URL (redis-cli -u redis://user:PW@host:6379): its userinfo rule
	 * takes the password and keeps the host */
	if (!colon || (colon + 2 < c->s + c->n && colon[1] == '/' && colon[2] == '/'))
		return;
	/* a token as the user name (TOKEN:x-oauth-basic), judged alone: in "-uTOKEN" no
	 * boundary precedes it for the token rules */
	if (redact_has_secret(c->s + at, (size_t)(colon - c->s) - at, 0))
		mark(c, at, (size_t)(colon - c->s));
	from = (size_t)(colon - c->s) + 1;
	/* "KEY:", an empty password: the user name is the secret (an API key
	 * sent as Basic's user, curl -u "$KEY:"), as http.authorization takes
	 * it; digits alone are an id (uid:) */
	if (from == c->n) {
		for (i = at; i < from - 1 && is_digit(c->s[i]); i++)
			;
		if (i < from - 1)
			mark(c, at, from - 1);
		return;
	}
	for (i = from; i < c->n && is_digit(c->s[i]); i++)
		;
	if (i == c->n)
		return;
	mark(c, from, c->n);
}

/* The value of a user option in the element itself: curl's compact "-uUSER:PW" and
 * "-UUSER:PW", and "--user=USER:PW" / "--proxy-user=USER:PW"; where it starts, or 0. */
static size_t attached_user_value(const struct ctx *c)
{
	if (c->n > 2 && c->s[0] == '-' && (c->s[1] == 'u' || c->s[1] == 'U'))
		return 2;
	if (c->n > 7 && !memcmp(c->s, "--user=", 7))
		return 7;
	if (c->n > 13 && !memcmp(c->s, "--proxy-user=", 13))
		return 13;
	return 0;
}

/* Header "Name: value" whose name starts at `at`; returns where scanning resumes. */
static size_t header_at(struct ctx *c, size_t at, bool any_secret_name)
{
	static const char *const names[] = {
		"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
		"api-key", "apikey", "private-token", "job-token", "deploy-token", "x-auth-token",
		"x-access-token", "x-vault-token", "x-amz-security-token", "x-goog-api-key",
		"x-csrf-token", "ocp-apim-subscription-key", NULL,
	};
	const char *s = c->s;
	size_t e = at, v, end;
	char quote;

	while (e < c->n && (is_alnum(s[e]) || s[e] == '-' || s[e] == '_'))
		e++;
	if (e == at)
		return at + 1;
	if (!in_list(s + at, e - at, names) &&
	    !(any_secret_name &&
	      (redact_secret_key(s + at, e - at) || name_find(s + at, e - at, 0, "cookie") < e - at)))
		return e;
	v = e;
	while (v < c->n && (s[v] == ' ' || s[v] == '\t'))
		v++;
	if (v == c->n || s[v] != ':')
		return e;
	v++;
	while (v < c->n && (s[v] == ' ' || s[v] == '\t'))
		v++;
	quote = at > 0 && is_quote(s[at - 1]) ? s[at - 1] : 0;
	end = quote ? v : c->n;
	while (end < c->n && s[end] != quote)
		end++;
	mark(c, v, end);
	return end > e ? end : e;
}

static void redact_headers(struct ctx *c, bool after_header_opt)
{
	size_t i = 0;

	if (after_header_opt)
		i = header_at(c, 0, true);
	else if (c->n > 2 && !memcmp(c->s, "-H", 2))
		header_at(c, 2, true);
	else if (c->n > 9 && !memcmp(c->s, "--header=", 9))
		header_at(c, 9, true);
	/* A header name starts the element or follows a space, a quote ("sh -c" strings) or
	 * '=' (git -c http.extraHeader=...); after '/' it would be URL userinfo
	 * ("https://x-access-token:...@"). */
	while (i < c->n) {
		if (i > 0 && !is_space(c->s[i - 1]) && !is_quote(c->s[i - 1]) && c->s[i - 1] != '=')
			i++;
		else
			i = header_at(c, i, false);
	}
}

/* What may come before a KEY of KEY=VALUE. ':' for .npmrc lines (//registry/:_authToken=). */
static bool is_pair_delim(char c)
{
	return is_space(c) || is_quote(c) || c == '?' || c == '&' || c == ';' || c == ',' ||
	       c == ':';
}

/* End of the shell word that starts at v: its closing quote when it opens with one, else
 * the next whitespace. (A quote inside a word does not extend it: an apostrophe in "echo
 * it's" must not hide a later --password from the option rules.) */
static size_t word_end(const struct ctx *c, size_t v)
{
	char quote = is_quote(c->s[v]) ? c->s[v] : 0;
	size_t e = v + (quote != 0);

	while (e < c->n && (quote ? c->s[e] != quote : !is_space(c->s[e])))
		e++;
	return e;
}

/* Past z through the end of a command substitution opened in [a, z) and still open there
 * ("--password=$(printf X)", "--token=`echo X`": the shell word runs on to its close), or
 * the element's end when none closes it; else z. */
static size_t substitution_end(const struct ctx *c, size_t a, size_t z)
{
	size_t i, depth = 0;
	bool tick = false;

	for (i = a; i < z; i++) {
		if (c->s[i] == '`') {
			tick = !tick;
		} else if (c->s[i] == '$' && i + 1 < z && c->s[i + 1] == '(') {
			depth++;
			i++;
		} else if (c->s[i] == ')' && depth) {
			depth--;
		}
	}
	if (!depth && !tick)
		return z;
	for (i = z; i < c->n; i++) {
		if (tick && c->s[i] == '`')
			return i + 1;
		if (!tick && c->s[i] == '(')
			depth++;
		else if (!tick && c->s[i] == ')' && !--depth)
			return i + 1;
	}
	return c->n;
}

/* End of a value that is the word [a, z): past z through the closing quote when a quote opened
 * inside the word is still open at z (-p'a b', --password a'b c'), or the element's end
 * when none closes it. Only for what gets marked: over-marking beats leaking. */
static size_t value_extent(const struct ctx *c, size_t a, size_t z)
{
	const char *close;
	char open = 0;
	size_t i;

	for (i = a; i < z; i++)
		if (open ? c->s[i] == open : is_quote(c->s[i]))
			open = open ? 0 : c->s[i];
	if (!open)
		return substitution_end(c, a, z);
	close = memchr(c->s + z, open, c->n - z);
	return close ? (size_t)(close - c->s) + 1 : c->n;
}

static bool is_shell_op(char c)
{
	return c == ';' || c == '&' || c == '|' || c == ')';
}

/* The option rules between the words of one element: a shell string ("sh -c 'mysql
 * --password X'", make recipes, docker's shell form) holds option and value in one
 * element, where the rules between elements never see them. Each word is judged by the
 * word before it and, as argv elements are, by the words before it in its command (up to
 * a ';', '&&', '|': "mysql -pX; patch -p1"). */
static void redact_words(struct ctx *c)
{
	struct redact_argv st = { 0 };
	const char *pw = NULL;
	size_t pwn = 0, i = 0, e, a, z, ve, colon, k, from, to;
	enum prev_kind pk;
	bool op;

	while (i < c->n) {
		/* a line continuation ("--token \<newline> X") is blank between words */
		if (c->s[i] == '\\' && i + 1 < c->n && c->s[i + 1] == '\n' &&
		    (i == 0 || is_space(c->s[i - 1]))) {
			i += 2;
			continue;
		}
		if (is_space(c->s[i]) || (i > 0 && !is_space(c->s[i - 1]))) {
			i++;
			continue;
		}
		e = word_end(c, i);
		a = i + is_quote(c->s[i]);	/* the word's text: [a, z) */
		z = e;
		op = false;
		while (a == i && z > a && is_shell_op(c->s[z - 1])) {
			z--;
			op = true;
		}
		ve = a == i ? value_extent(c, a, z) : z;
		pk = classify_prev(pw, pwn);
		if (pk == PREV_SECRET || (pk == PREV_P && !p_value_benign(c->s + a, z - a) &&
					  !redact_argv_p_is_flag(&st)))
			mark(c, a, ve);
		if (pk == PREV_USER) {
			for (colon = a; colon < z && c->s[colon] != ':'; colon++)
				;
			for (k = colon + 1; k < z && is_digit(c->s[k]); k++)
				;
			if (colon < z && k < z)
				mark(c, colon + 1, ve);
		}
		from = redact_argv_secret(&st, pw, pwn, c->s + a, z - a, &to);
		if (from != NO_MARK)
			mark(c, a + from, to == z - a ? ve : a + to);
		pw = c->s + a;
		pwn = z - a;
		if (op) {
			memset(&st, 0, sizeof(st));
			pw = NULL;
			pwn = 0;
		}
		if (a > i && memchr(c->s + a, ' ', z - a)) {
			/* a quoted shell string inside this one (bash -c "docker exec db sh -c
			 * 'mysql -pX'"): its words too. It holds no quote like its own, so this
			 * nests at most once more. */
			struct ctx in = { .s = c->s + a, .n = z - a, .mark = c->mark + a };

			redact_words(&in);
		}
		i = e;
	}
}

/* End of a KEY=VALUE value starting at v (past any opening quote). */
static size_t value_end(const struct ctx *c, size_t v, char quote, bool to_end, bool query)
{
	size_t e = v;

	/* $'...' and $"...": the shell's quoted forms; $(...) and `...`: substitutions */
	if (!quote && v + 1 < c->n && c->s[v] == '$' && is_quote(c->s[v + 1])) {
		quote = c->s[v + 1];
		e = v + 2;
	} else if (!quote && v < c->n && (c->s[v] == '`' || (c->s[v] == '$' && v + 1 < c->n &&
							      c->s[v + 1] == '('))) {
		return substitution_end(c, v, v + 1 + (c->s[v] == '$'));
	}
	if (quote) {
		while (e < c->n && c->s[e] != quote)
			e++;
		return e;
	}
	if (to_end)
		return c->n;
	while (e < c->n && !is_space(c->s[e]) && !is_quote(c->s[e]) && c->s[e] != '&' &&
	       (query ? c->s[e] != '#' : c->s[e] != ';' && c->s[e] != ','))
		e++;
	return e;
}

/* Where the element's URL query is: its first '?', after a "scheme://", up to the first
 * '#' after it. Query strings are never emitted (they carry tokens under any name), so
 * every value there is redacted, whatever its key, and so is a parameter without '='. */
struct url_query {
	size_t q;	/* the first '?' in the element, or n */
	size_t hash;	/* the first '#' after q, or n */
	bool url;	/* a "://" ends before q */
};

static void url_query_find(const struct ctx *c, struct url_query *uq)
{
	const char *q = memchr(c->s, '?', c->n), *hash;

	uq->q = q ? (size_t)(q - c->s) : c->n;
	hash = q ? memchr(q, '#', c->n - uq->q) : NULL;
	uq->hash = hash ? (size_t)(hash - c->s) : c->n;
	uq->url = q && uq->q >= 3 && memmem(c->s, uq->q, "://", 3);
}

/* Is position i inside the query of a URL ("scheme://...?...")? */
static bool in_url_query(const struct url_query *uq, size_t i)
{
	return uq->url && uq->q < i && i <= uq->hash;
}

/* "%3D" / "%3d" (an encoded '=') at s[k]. */
static bool pct_eq(const struct ctx *c, size_t k)
{
	return k + 2 < c->n && c->s[k] == '%' && c->s[k + 1] == '3' &&
	       (c->s[k + 2] == 'D' || c->s[k + 2] == 'd');
}

/* "%26" (an encoded '&') ends just before s[i]. */
static bool pct_amp_before(const struct ctx *c, size_t i)
{
	return i >= 3 && c->s[i - 3] == '%' && c->s[i - 2] == '2' && c->s[i - 1] == '6';
}

/* End of the value at v of a pair whose '=' was encoded: a form body encoded once more
 * (payload=a%3D1%26password%3DPW) ends it at "%26" too. A plain pair's value does not end
 * at "%26": there it is an encoded '&' inside the value (password=p%26ss). */
static size_t pct_value_end(const struct ctx *c, size_t v)
{
	size_t e = v;

	while (e < c->n && !is_space(c->s[e]) && !is_quote(c->s[e]) && c->s[e] != '&' &&
	       !pct_amp_before(c, e + 3))
		e++;
	return e;
}

/* "Pwd=VALUE" (ODBC and SQL Server connection strings: Uid=sa;Pwd=...) with the key at
 * [j, k): a password, unless the value is a path: PWD=/home/x is the shell's working
 * directory. */
static bool pwd_secret(const struct ctx *c, size_t j, size_t k)
{
	size_t v = k + 1;

	if (!name_eq(c->s + j, k - j, "pwd") || k >= c->n || c->s[k] != '=')
		return false;
	v += v < c->n && is_quote(c->s[v]);
	return v < c->n && c->s[v] != '/' && c->s[v] != '~';
}

static bool all_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(s[i]))
			return false;
	return true;
}

/* After a KEY ending at k: blanks, then '=' or ':', then blanks (at least one blank
 * somewhere, or ':' then one: "KEY = V", "KEY =V", "KEY: V"). Where the value starts, or
 * 0 when this is not such a separator. */
static size_t spaced_separator(const struct ctx *c, size_t k)
{
	size_t e = k;

	while (e < c->n && (c->s[e] == ' ' || c->s[e] == '\t'))
		e++;
	if (e == c->n || (c->s[e] != '=' && c->s[e] != ':'))
		return 0;
	if (e == k && (c->s[e] == '=' || e + 1 == c->n || c->s[e + 1] != ' '))
		return 0; /* "KEY=V" is the plain pair; "KEY:V" (a URL, a scheme) is no pair */
	e++;
	while (e < c->n && (c->s[e] == ' ' || c->s[e] == '\t'))
		e++;
	return e < c->n ? e : 0;
}

/* KEY=VALUE at a pair start; returns where scanning resumes. */
static size_t pair_at(struct ctx *c, size_t i, const struct url_query *uq)
{
	const char *s = c->s;
	bool query = i > 0 && (s[i - 1] == '?' || s[i - 1] == '&');
	bool in_query = query && in_url_query(uq, i), enc = false;
	size_t j = i, k, v, e, sep;
	bool dashed;
	char quote = 0;

	while (j < c->n && s[j] == '-')
		j++;
	dashed = j > i;
	if (in_query) {
		/* any key ("pass%77ord", "filter[token]"); a parameter alone is a value */
		for (k = j; k < c->n && s[k] != '=' && s[k] != '&' && s[k] != '#' &&
			    !is_space(s[k]) && !is_quote(s[k]);
		     k++)
			;
		if (k == c->n || s[k] != '=') {
			mark(c, i, k);
			return k > i ? k : i + 1;
		}
	} else {
		for (k = j; k < c->n && is_key_char(s[k]); k++)
			;
		enc = k > j && pct_eq(c, k);
		if (!enc && k > j && (sep = spaced_separator(c, k)) && redact_secret_key(s + j, k - j) &&
		    (memchr(s + k, '=', sep - k) || all_lower(s + j, k - j))) {
			/* "aws_secret_access_key = X" (INI), "password: X" (YAML; a key in
			 * lower case: "Auth: fix login" is a commit message's subject) */
			v = sep;
			if (v < c->n && is_quote(s[v]))
				quote = s[v++];
			e = value_end(c, v, quote, i == 0 && !c->shell, false);
			mark(c, v, e);
			return e > v ? e : v;
		}
		if (!enc && (k == j || k == c->n || s[k] != '='))
			return k > i ? k : i + 1;
	}
	if (!redact_secret_key(s + j, k - j) && !(query && secret_query_name(s + j, k - j)) &&
	    !(dashed && secret_option(s + j, k - j)) && !in_query && !pwd_secret(c, j, k)) {
		/* an option's value may be a pair of its own: --env=API_KEY=X,
		 * -var=db_password=X, --set=auth.token=X */
		if (dashed && !enc)
			c->pair_next = k + 1;
		return k + 1;
	}
	v = k + (enc ? 3 : 1);
	if (enc) {
		e = pct_value_end(c, v);
	} else {
		if (v < c->n && is_quote(s[v]))
			quote = s[v++];
		e = value_end(c, v, quote, i == 0 && !c->shell, query);
	}
	mark(c, v, e);
	return e > v ? e : v;
}

static void redact_pairs(struct ctx *c)
{
	struct url_query uq;
	size_t i = 0;

	url_query_find(c, &uq);
	while (i < c->n) {
		/* a pair also starts after an escaped line break or tab inside a string
		 * ("printf '[default]\naws_secret_access_key=X\n'") */
		if (i == 0 || is_pair_delim(c->s[i - 1]) || pct_amp_before(c, i) || i == c->pair_next ||
		    (i >= 2 && c->s[i - 2] == '\\' &&
		     (c->s[i - 1] == 'n' || c->s[i - 1] == 't' || c->s[i - 1] == 'r')))
			i = pair_at(c, i, &uq);
		else
			i++;
	}
}

/* "KEY": "VALUE" (JSON, Python dict literals) with a secret KEY; returns where scanning
 * resumes. The value is a quoted string (backslash escapes honoured) or a bare token. */
static size_t json_pair_at(struct ctx *c, size_t i)
{
	const char *s = c->s;
	size_t k, v, e;
	char quote = s[i];

	for (k = i + 1; k < c->n && is_key_char(s[k]); k++)
		;
	if (k == i + 1 || k == c->n || s[k] != quote || !redact_secret_key(s + i + 1, k - i - 1))
		return k;
	v = k + 1;
	while (v < c->n && is_space(s[v]))
		v++;
	if (v == c->n || s[v] != ':')
		return k + 1;
	v++;
	while (v < c->n && is_space(s[v]))
		v++;
	if (v < c->n && is_quote(s[v])) {
		quote = s[v++];
		for (e = v; e < c->n && s[e] != quote; e++)
			e += s[e] == '\\' && e + 1 < c->n;
	} else {
		for (e = v; e < c->n && !is_space(s[e]) && s[e] && !strchr(",}]", s[e]); e++)
			;
	}
	mark(c, v, e);
	return e > k ? e : k + 1;
}

static void redact_json_pairs(struct ctx *c)
{
	size_t i = 0;

	while (i < c->n)
		i = is_quote(c->s[i]) ? json_pair_at(c, i) : i + 1;
}

/* scheme://user:pass@host -> the pass; the user name when it is the key (an empty
 * password, as curl -u KEY:) or looks like a token. */
static void redact_userinfo(struct ctx *c)
{
	const char *s = c->s, *hit;
	size_t from = 0;

	while (from + 3 <= c->n && (hit = memmem(s + from, c->n - from, "://", 3))) {
		size_t a = (size_t)(hit - s) + 3, e = a, at = 0, colon = 0;
		bool has_at = false, has_colon = false;

		for (; e < c->n && s[e] && !strchr("/?#<>\"'", s[e]) && !is_space(s[e]); e++) {
			if (s[e] == '@') {
				at = e;
				has_at = true;
			}
		}
		/* the user's ':' (before the '@'; without one, of an element cut
		 * inside its userinfo) */
		for (size_t k = a; k < (has_at ? at : e); k++) {
			if (s[k] == ':') {
				colon = k;
				has_colon = true;
				break;
			}
		}
		if (!has_at) {
			/* cut inside the userinfo: what follows a ':' may be a
			 * password's start (a port's digits go too) */
			if (c->cut && e == c->n && has_colon)
				mark(c, colon + 1, e);
		} else if (has_colon && colon + 1 < at) {
			mark(c, colon + 1, at);
		} else if (has_colon && colon > a) {
			mark(c, a, colon); /* "KEY:@": an empty password, the user name is the key */
		} else if (at > a && redact_url_segment_secret(s + a, at - a)) {
			mark(c, a, at); /* "https://TOKEN@host" (git's form): a token-like user */
		}
		from = e > a ? e : a;
	}
}

/* A path's ";name=value" matrix parameter at semi (";jsessionid=..."): its value, up to
 * the next '/', ';', '?', '#', whitespace or quote. Returns the last byte looked at. */
static size_t matrix_param(struct ctx *c, size_t semi)
{
	size_t e = semi + 1, eq = 0;

	for (; e < c->n && !is_space(c->s[e]) && !is_quote(c->s[e]) && !strchr("/;?#", c->s[e]);
	     e++)
		if (c->s[e] == '=' && !eq)
			eq = e;
	if (eq)
		mark(c, eq + 1, e);
	return e - 1;
}

#define PATH_MIN_RANDOM 20	/* shortest alnum run judged as random text in a path */
#define PATH_RANDOM_BITS 3.5	/* entropy it needs, bits per byte */
/* Names are words: CamelCase identifiers ("ApplicationGateway2023Q1") have most of their
 * bytes in lower-case runs of 3 or more, random text seldom. Percent such bytes may hold. */
#define PATH_WORDS_MAX_PCT 35

/* Random-looking alnum text: upper, lower and digits, high entropy, few words. */
static bool random_like(const char *s, size_t n)
{
	bool upper = false, lower = false, digit = false;
	size_t i, run = 0, in_words = 0;

	for (i = 0; i < n; i++) {
		upper = upper || is_upper(s[i]);
		lower = lower || is_lower(s[i]);
		digit = digit || is_digit(s[i]);
		run = is_lower(s[i]) ? run + 1 : 0;
		in_words += run == 3 ? 3 : run > 3;
	}
	return upper && lower && digit && in_words * 100 < PATH_WORDS_MAX_PCT * n &&
	       redact_entropy_bits(s, n) >= PATH_RANDOM_BITS;
}

/* An alnum run of PATH_MIN_RANDOM+ bytes that looks random: a webhook secret or an
 * API key too short for redact.c's 32-byte rule. Misses some (see the unit test). */
static bool has_random_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t a = i;

		while (i < n && is_alnum(s[i]))
			i++;
		if (i - a >= PATH_MIN_RANDOM && random_like(s + a, i - a))
			return true;
		if (i == a)
			i++;
	}
	return false;
}

/* Telegram's bot token: <digits>:<20+ of [A-Za-z0-9_-]>, glued to "bot" in its paths. */
static bool telegram_token(const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n && is_digit(s[i]))
		i++;
	if (!i || i == n || s[i] != ':')
		return false;
	for (j = i + 1; j < n && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-'); j++)
		;
	return j - i - 1 >= 20;	/* 35 in practice */
}

bool redact_url_segment_secret(const char *s, size_t n)
{
	if (redact_has_secret(s, n, 0) || has_random_run(s, n))
		return true;
	/* Telegram's /bot<token>/method: the token is glued to "bot" */
	return n > 3 && !memcmp(s, "bot", 3) &&
	       (telegram_token(s + 3, n - 3) || redact_has_secret(s + 3, n - 3, 0));
}


/* Slack's webhook URL path "/services/T.../B.../SECRET" inside u[0..n): the secret's
 * offsets in *a, *e. */
static bool slack_webhook(const char *u, size_t n, size_t *a, size_t *e)
{
	const char *hit = memmem(u, n, "/services/T", 11), *b, *end = u + n;

	if (!hit)
		return false;
	b = memchr(hit + 11, '/', (size_t)(end - hit - 11));
	if (!b || b + 2 >= end || b[1] != 'B' || !(b = memchr(b + 2, '/', (size_t)(end - b - 2))))
		return false;
	*a = (size_t)(b + 1 - u);
	for (*e = *a; *e < n && !strchr("/?#;", u[*e]); (*e)++)
		;
	return *e > *a;
}

/* The path of the URL whose authority starts at a and that ends at e: each
 * segment that looks like a secret (as in an HTTP request's path: a bot
 * token, a random key too short for the 32-byte rule). */
static void url_path_segments(struct ctx *c, size_t a, size_t e)
{
	const char *s = c->s;
	size_t i = a;

	while (i < e && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++; /* the authority */
	while (i < e && s[i] == '/') {
		size_t b = ++i;

		while (i < e && !strchr("/?#;", s[i]))
			i++;
		if (i > b && redact_url_segment_secret(s + b, i - b))
			mark(c, b, i);
		if (i < e && s[i] != '/')
			break; /* query, fragment or parameters: judged above */
	}
}

/* scheme://...;name=value -> the value: path parameters carry session ids as a query does.
 * scheme://...#fragment -> the fragment: OAuth's implicit flow carries access_token there,
 * and a fragment is never sent, so it names nothing the request needs. The URL ends at
 * whitespace or a quote. */
static void redact_url_parts(struct ctx *c)
{
	const char *s = c->s, *hit;
	size_t from = 0;

	while (from + 3 <= c->n && (hit = memmem(s + from, c->n - from, "://", 3))) {
		size_t e = (size_t)(hit - s) + 3, hash = 0, sa, se;

		bool query = false;

		for (; e < c->n && !is_space(s[e]) && !is_quote(s[e]); e++) {
			if (s[e] == '#' && !hash)
				hash = e;
			query = query || s[e] == '?';
			if (s[e] == ';' && !hash && !query)
				e = matrix_param(c, e);
		}
		if (hash)
			mark(c, hash + 1, e);
		if (slack_webhook(s + from, e - from, &sa, &se))
			mark(c, from + sa, from + se);
		url_path_segments(c, (size_t)(hit - s) + 3, e);
		from = e;
	}
}

static size_t run_len(const char *s, size_t n, size_t from, bool (*ok)(char))
{
	size_t e = from;

	while (e < n && ok(s[e]))
		e++;
	return e - from;
}

static bool is_gh_char(char c)
{
	return is_alnum(c);
}

static bool is_pat_char(char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_slack_char(char c)
{
	return is_alnum(c) || c == '-';
}

static bool is_akia_char(char c)
{
	return is_upper(c) || is_digit(c);
}

static bool has_prefix_at(const struct ctx *c, size_t i, const char *lit)
{
	size_t k = strlen(lit);

	return c->n - i >= k && !memcmp(c->s + i, lit, k);
}

/* sk-...: the [A-Za-z0-9_-] run after "sk-" holds >= 20 consecutive alnum. */
static bool sk_run_ok(const char *s, size_t n)
{
	size_t i, alnum = 0;

	for (i = 0; i < n; i++) {
		alnum = is_alnum(s[i]) ? alnum + 1 : 0;
		if (alnum >= 20)
			return true;
	}
	return false;
}

static bool is_hexdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_b64url_dot(char c)
{
	return is_b64url(c) || c == '.';
}

/* Prefixed token formats of other services: the prefix, then a run of
 * chars of at least min bytes (exactly min when exact). */
static const struct prefixed_token {
	const char *prefix;
	bool (*chars)(char);
	size_t min;
	bool exact;
} prefixed_tokens[] = {
	/* GitLab's other tokens: CI/CD job (glcbt-<id>_<20>), trigger, deploy,
	 * runner, feed, incoming mail, SCIM, agent, OAuth secret, feature flags */
	{ "glcbt-", is_b64url, 20, false },  { "glptt-", is_b64url, 20, false },
	{ "gldt-", is_b64url, 20, false },   { "glrt-", is_b64url, 20, false },
	{ "glrtr-", is_b64url, 20, false },  { "glft-", is_b64url, 20, false },
	{ "glimt-", is_b64url, 20, false },  { "glsoat-", is_b64url, 20, false },
	{ "glagent-", is_b64url, 20, false }, { "gloas-", is_b64url, 20, false },
	{ "glffct-", is_b64url, 20, false },
	{ "npm_", is_alnum, 36, false },      /* npm */
	{ "dckr_pat_", is_b64url, 20, false }, /* Docker Hub */
	{ "hvs.", is_b64url, 20, false },     /* HashiCorp Vault service, batch, recovery */
	{ "hvb.", is_b64url, 20, false },     { "hvr.", is_b64url, 20, false },
	{ "pypi-", is_b64url, 50, false },    /* PyPI */
	{ "sk_live_", is_alnum, 16, false },  /* Stripe secret and restricted keys */
	{ "sk_test_", is_alnum, 16, false },  { "rk_live_", is_alnum, 16, false },
	{ "rk_test_", is_alnum, 16, false },
	{ "AIza", is_b64url, 35, true },      /* Google API key */
	{ "ya29.", is_b64url, 30, false },    /* Google OAuth access token */
	{ "shpat_", is_alnum, 32, false },    /* Shopify */
	{ "shpss_", is_alnum, 32, false },    { "shpca_", is_alnum, 32, false },
	{ "shppa_", is_alnum, 32, false },
	{ "dop_v1_", is_alnum, 64, false },   /* DigitalOcean */
	{ "doo_v1_", is_alnum, 64, false },   { "dor_v1_", is_alnum, 64, false },
	{ "hf_", is_alnum, 30, false },       /* Hugging Face */
	{ "glsa_", is_b64url, 32, false },    /* Grafana service account, cloud */
	{ "glc_", is_b64url, 32, false },
	{ "xapp-", is_b64url, 20, false },    /* Slack app-level */
	{ "lin_api_", is_alnum, 40, false },  /* Linear */
	{ "PMAK-", is_b64url, 40, false },    /* Postman */
	{ "dapi", is_hexdigit, 32, false },   /* Databricks */
	{ "SG.", is_b64url_dot, 60, false },  /* SendGrid */
	{ "sntrys_", is_b64url, 40, false },  /* Sentry */
	{ "sntryu_", is_alnum, 64, false },
	{ "pul-", is_hexdigit, 40, false },   /* Pulumi */
	{ "rubygems_", is_hexdigit, 48, false },
	{ "AGE-SECRET-KEY-1", is_akia_char, 50, false }, /* age */
};

#define N_PREFIXED (sizeof(prefixed_tokens) / sizeof(prefixed_tokens[0]))

/* Token formats whose run may hold further boundaries ('_' or '-' inside it). When one
 * fails at i, every later start inside the same run sees a sub-run and fails too, so it
 * is not tried again before fail_until: this keeps the scan linear. */
enum run_token { RT_GITHUB_PAT, RT_GLPAT, RT_XOX, RT_SK, RT_PREFIXED, RT_COUNT = RT_PREFIXED + N_PREFIXED };

static size_t run_token(size_t *fail_until, enum run_token t, size_t i, size_t pre,
			size_t run, bool ok)
{
	if (ok)
		return pre + run;
	fail_until[t] = i + pre + run;
	return 0;
}

/* Length of a known-format token at i, or 0. */
static size_t token_at(const struct ctx *c, size_t i, size_t *fail_until)
{
	const char *s = c->s;
	size_t r;

	if (i >= fail_until[RT_GITHUB_PAT] && has_prefix_at(c, i, "github_pat_")) {
		r = run_len(s, c->n, i + 11, is_pat_char);
		return run_token(fail_until, RT_GITHUB_PAT, i, 11, r, r >= 20);
	}
	if (c->n - i >= 4 && s[i] == 'g' && s[i + 1] == 'h' && s[i + 2] &&
	    strchr("pousr", s[i + 2]) && s[i + 3] == '_') {
		r = run_len(s, c->n, i + 4, is_gh_char);
		return r >= 16 ? 4 + r : 0;
	}
	if (i >= fail_until[RT_GLPAT] && has_prefix_at(c, i, "glpat-")) {
		r = run_len(s, c->n, i + 6, is_b64url);
		return run_token(fail_until, RT_GLPAT, i, 6, r, r >= 20);
	}
	if (i >= fail_until[RT_XOX] && c->n - i >= 5 && !memcmp(s + i, "xox", 3) && s[i + 3] &&
	    strchr("bparse", s[i + 3]) && s[i + 4] == '-') {
		r = run_len(s, c->n, i + 5, is_slack_char);
		return run_token(fail_until, RT_XOX, i, 5, r, r >= 10);
	}
	if (has_prefix_at(c, i, "AKIA") || has_prefix_at(c, i, "ASIA")) {
		r = run_len(s, c->n, i + 4, is_akia_char);
		if (r != 16 || (i + 20 < c->n && is_alnum(s[i + 20])))
			return 0;
		return 20;
	}
	if (i >= fail_until[RT_SK] && has_prefix_at(c, i, "sk-")) {
		r = run_len(s, c->n, i + 3, is_b64url);
		return run_token(fail_until, RT_SK, i, 3, r, sk_run_ok(s + i + 3, r));
	}
	for (size_t k = 0; k < N_PREFIXED; k++) {
		const struct prefixed_token *t = &prefixed_tokens[k];
		size_t pre = strlen(t->prefix);

		if (i < fail_until[RT_PREFIXED + k] || !has_prefix_at(c, i, t->prefix))
			continue;
		r = run_len(s, c->n, i + pre, t->chars);
		return run_token(fail_until, RT_PREFIXED + k, i, pre, r,
				 t->exact ? r == t->min : r >= t->min);
	}
	return 0;
}

static void redact_tokens(struct ctx *c)
{
	size_t fail_until[RT_COUNT] = { 0 };
	size_t i = 0;

	while (i < c->n) {
		size_t t = 0;

		if (i == 0 || !is_alnum(c->s[i - 1]))
			t = token_at(c, i, fail_until);
		mark(c, i, i + t);
		i += t ? t : 1;
	}
}

/* JWT / JWE: eyJ<b64url>.<b64url>.[<b64url>][.<b64url>...]; returns its length or 0. */
static size_t jwt_at(const struct ctx *c, size_t i)
{
	const char *s = c->s;
	size_t e, r;

	if (!has_prefix_at(c, i, "eyJ"))
		return 0;
	r = run_len(s, c->n, i, is_b64url);
	if (r < 11 || i + r >= c->n || s[i + r] != '.')
		return 0;
	e = i + r + 1;
	r = run_len(s, c->n, e, is_b64url);
	if (!r || e + r >= c->n || s[e + r] != '.')
		return 0;
	e += r;
	while (e < c->n && s[e] == '.')
		e += 1 + run_len(s, c->n, e + 1, is_b64url);
	return e - i;
}

static void redact_jwts(struct ctx *c)
{
	size_t i = 0;

	while (i < c->n) {
		size_t t = 0;

		if (i == 0 || (!is_b64url(c->s[i - 1]) && c->s[i - 1] != '.'))
			t = jwt_at(c, i);
		mark(c, i, i + t);
		i += t ? t : 1;
	}
}

/* log2(x) for x >= 1, to ~1e-9, without libm. */
static double log2_u(size_t x)
{
	double m = (double)x, r = 0, bit = 1;
	int k;

	while (m >= 2) {
		m /= 2;
		r += 1;
	}
	for (k = 0; k < 40; k++) {
		m *= m;
		bit /= 2;
		if (m >= 2) {
			m /= 2;
			r += bit;
		}
	}
	return r;
}

/* '=' is left out: inside a run it joins KEY=VALUE ("X-Amz-Algorithm=AWS4-HMAC-SHA256");
 * base64 padding is taken back in by redact_entropy(). */
static bool is_entropy_char(char c)
{
	return is_b64url(c) || c == '+' || c == '/';
}

double redact_entropy_bits(const char *s, size_t n)
{
	size_t count[256] = { 0 }, i;
	double sum = 0;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++)
		if (count[i])
			sum += (double)count[i] * log2_u(count[i]);
	return log2_u(n) - sum / (double)n;
}

/* A run with '/' that reads as a path: many '/', or an English-length lowercase word. */
static bool looks_like_path(const char *s, size_t n)
{
	size_t i, slashes = 0, word = 0, longest = 0;

	for (i = 0; i < n; i++) {
		slashes += s[i] == '/';
		word = is_lower(s[i]) ? word + 1 : 0;
		longest = word > longest ? word : longest;
	}
	return slashes >= PATH_MIN_SLASHES || (slashes && longest >= PATH_MIN_WORD);
}

static bool high_entropy(const char *s, size_t n, size_t min_run)
{
	bool upper = false, lower = false, digit = false, hex = true;
	size_t i;

	if (n < min_run)
		return false;
	for (i = 0; i < n; i++) {
		upper = upper || is_upper(s[i]);
		lower = lower || is_lower(s[i]);
		digit = digit || is_digit(s[i]);
		hex = hex && (is_digit(s[i]) || strchr("abcdefABCDEF", s[i]));
	}
	if (hex || !(upper && lower && digit) || looks_like_path(s, n))
		return false;
	return redact_entropy_bits(s, n) >= ENTROPY_MIN_BITS;
}

/* Runs of is_entropy_char, less leading '/' and '-' (the "//" of a URL, a path's root,
 * an option's dashes) and trailing '/'; a qualifying run takes its '=' padding along. */
static void redact_entropy(struct ctx *c, size_t min_run)
{
	size_t i = 0;

	while (i < c->n) {
		size_t r = run_len(c->s, c->n, i, is_entropy_char), a = i, e = i + r;

		while (a < e && (c->s[a] == '/' || c->s[a] == '-'))
			a++;
		while (e > a && c->s[e - 1] == '/')
			e--;
		if (high_entropy(c->s + a, e - a, min_run)) {
			if (e == i + r)
				while (e < c->n && c->s[e] == '=')
					e++;
			mark(c, a, e);
		}
		i += r ? r : 1;
	}
}

static bool has_private_key(const char *s, size_t n)
{
	const char *begin = memmem(s, n, "-----BEGIN ", 11);

	return begin && memmem(begin, n - (size_t)(begin - s), "PRIVATE KEY-----", 16);
}

static char *dup_bytes(const char *s, size_t n)
{
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* The element with every marked run replaced by one REDACTED. */
static char *render(const struct ctx *c)
{
	const size_t rl = strlen(REDACTED);
	size_t i, size = 1, o = 0;
	char *out;

	for (i = 0; i < c->n; i++)
		size += !c->mark[i] ? 1 : (i == 0 || !c->mark[i - 1]) ? rl : 0;
	out = malloc(size);
	if (!out)
		return NULL;
	for (i = 0; i < c->n; i++) {
		if (!c->mark[i]) {
			out[o++] = c->s[i];
		} else if (i == 0 || !c->mark[i - 1]) {
			memcpy(out + o, REDACTED, rl);
			o += rl;
		}
	}
	out[o] = '\0';
	return out;
}

/* A shell's option whose value is a command string: -c, and -c among
 * bundled flags (bash -lc, sh -ec). */
static bool is_shell_command_opt(const char *p, size_t n)
{
	if (n < 2 || p[0] != '-' || p[1] == '-' || p[n - 1] != 'c')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_lower(p[i]))
			return false;
	return true;
}

/* redact_arg, and [ctx_from, ctx_to) too (ctx_from NO_MARK: nothing) by the argv's
 * context; p_flag: a bare "-p" in prev is its program's flag (redact_argv_p_is_flag). */
static char *redact_one(const char *prev, size_t prev_len, const char *arg, size_t len,
			size_t ctx_from, size_t ctx_to, bool p_flag, bool cut)
{
	enum prev_kind pk = classify_prev(prev, prev_len);
	struct ctx c = { .s = arg, .n = arg ? len : 0, .cut = cut };
	char *out;

	if (!c.n)
		return dup_bytes("", 0);
	c.shell = prev && is_shell_command_opt(prev, prev_len);
	if (has_private_key(c.s, c.n) || pk == PREV_SECRET || (ctx_from == 0 && ctx_to == c.n) ||
	    (pk == PREV_P && !p_flag && !p_value_benign(c.s, c.n)))
		return dup_bytes(REDACTED, strlen(REDACTED));
	c.mark = calloc(c.n, 1);
	if (!c.mark)
		return NULL;
	if (ctx_from != NO_MARK)
		mark(&c, ctx_from, ctx_to);
	if (pk == PREV_USER)
		redact_userpass(&c, 0);
	else if (attached_user_value(&c))
		redact_userpass(&c, attached_user_value(&c));
	redact_headers(&c, pk == PREV_HEADER);
	redact_words(&c);
	redact_pairs(&c);
	redact_json_pairs(&c);
	redact_userinfo(&c);
	redact_url_parts(&c);
	redact_tokens(&c);
	redact_jwts(&c);
	redact_entropy(&c, ENTROPY_MIN_RUN);
	out = render(&c);
	free(c.mark);
	return out;
}

char *redact_arg(const char *prev, size_t prev_len, const char *arg, size_t len)
{
	return redact_one(prev, prev_len, arg, len, NO_MARK, 0, false, false);
}

char *redact_argv_next(struct redact_argv *st, const char *arg, size_t len)
{
	size_t n = arg ? len : 0, to;
	bool p_flag = redact_argv_p_is_flag(st); /* before st takes arg */
	size_t from = redact_argv_secret(st, st->prev, st->prev_len, arg, n, &to);
	char *out = redact_one(st->prev, st->prev_len, arg, n, from, to, p_flag, st->cut);

	st->prev = arg;
	st->prev_len = n;
	return out;
}

bool redact_has_secret(const char *s, size_t n, size_t min_run)
{
	struct ctx c = { .s = s, .n = s ? n : 0 };
	bool found = false;
	size_t i;

	if (!c.n)
		return false;
	c.mark = calloc(c.n, 1);
	if (!c.mark)
		return true;	/* cannot judge: hiding beats leaking */
	redact_tokens(&c);
	redact_jwts(&c);
	redact_entropy(&c, min_run ? min_run : ENTROPY_MIN_RUN);
	for (i = 0; i < c.n && !found; i++)
		found = c.mark[i];
	free(c.mark);
	return found;
}
