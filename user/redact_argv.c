// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Secrets an argv element holds by its place in the argv: the rules tied to
 * a program named before it (mysql -pPW, sshpass -p PW, smbclient -U
 * user%PW), to its operands (openssl passwd PW, vault login TOKEN,
 * htpasswd -b FILE USER PW) or to verbs (aws configure set KEY VALUE,
 * kubectl create secret --from-literal, nmcli's password, Oracle's
 * USER/PW@DB logons). redact.c walks an argv (or a shell string's words)
 * and asks redact_argv_secret for each element.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "redact.h"
#include "redact_rules.h"

/* Programs whose short option takes a password, and how it does. */
enum {
	PW_ALWAYS = 1,		/* the next element, whatever it looks like ("-p 1234") */
	PW_ATTACHED = 2,	/* in the option's own element ("-pPW") */
	PW_UNTIL_ARG = 4,	/* up to the first operand (sshpass: the command it runs) */
	PW_IF_PAIR = 8,		/* with PW_ALWAYS: only a value with '=' (curl -b a=b, not a file) */
	PW_PCT = 16,		/* only what follows '%' (Samba's -U USER%PASSWORD), also attached */
};

struct prog_rule {
	const char *name;	/* an element's base name */
	bool prefix;		/* or name and then [a-z0-9_-]: mysqldump, mariadb-dump, 7za */
	char opt;		/* the option letter */
	unsigned char how;	/* PW_* */
};

static const struct prog_rule prog_rules[] = {
	{ "mysql", true, 'p', PW_ATTACHED },	/* "-p" alone prompts */
	{ "mariadb", true, 'p', PW_ATTACHED },
	{ "7z", true, 'p', PW_ATTACHED },
	{ "rar", false, 'p', PW_ATTACHED },
	{ "unrar", false, 'p', PW_ATTACHED },
	{ "sshpass", false, 'p', PW_ALWAYS | PW_ATTACHED | PW_UNTIL_ARG },
	{ "login", false, 'p', PW_ALWAYS | PW_ATTACHED },	/* docker/podman/oc/az login */
	{ "mongo", true, 'p', PW_ALWAYS | PW_ATTACHED },	/* mongosh, mongodump */
	{ "ldap", true, 'w', PW_ALWAYS | PW_ATTACHED },	/* ldapsearch -w BINDPW */
	{ "ldappasswd", false, 's', PW_ALWAYS | PW_ATTACHED },
	{ "ldappasswd", false, 'a', PW_ALWAYS | PW_ATTACHED },
	{ "redis-cli", false, 'a', PW_ALWAYS },
	{ "valkey-cli", false, 'a', PW_ALWAYS },
	{ "sqlcmd", false, 'P', PW_ALWAYS | PW_ATTACHED },
	{ "bcp", false, 'P', PW_ALWAYS | PW_ATTACHED },
	{ "zip", false, 'P', PW_ALWAYS },
	{ "unzip", false, 'P', PW_ALWAYS },
	{ "useradd", false, 'p', PW_ALWAYS },	/* a crypt(3) hash */
	{ "usermod", false, 'p', PW_ALWAYS },
	{ "openssl", false, 'k', PW_ALWAYS },	/* enc -k PASSWORD */
	{ "openssl", false, 'K', PW_ALWAYS },	/* enc -K HEXKEY: hex escapes the entropy rule */
	{ "curl", false, 'b', PW_ALWAYS | PW_IF_PAIR },	/* -b COOKIES, or -b FILE */
	{ "mosquitto_", true, 'P', PW_ALWAYS },		/* mosquitto_pub, _sub, _rr */
	{ "smbclient", false, 'U', PW_PCT },
	{ "rpcclient", false, 'U', PW_PCT },
	{ "smbcacls", false, 'U', PW_PCT },
	{ "smbget", false, 'U', PW_PCT },
	{ "net", false, 'U', PW_PCT },			/* Samba's net ads join -U admin%PW */
	{ "ssh-keygen", false, 'N', PW_ALWAYS },	/* the new passphrase */
	{ "ssh-keygen", false, 'P', PW_ALWAYS },	/* the old one */
};

#define N_PROG_RULES (sizeof(prog_rules) / sizeof(prog_rules[0]))
_Static_assert(N_PROG_RULES <= 32, "redact_argv.progs is a 32-bit mask");

/* Programs whose password is an operand: the index-th operand (an element without a
 * leading '-') after the verb, or after the program when verb is NULL; 0: every one. */
struct operand_rule {
	const char *prog;	/* an element's base name */
	const char *verb;	/* a later element, or NULL */
	unsigned char index;
};

static const struct operand_rule operand_rules[] = {
	{ "openssl", "passwd", 0 },	/* openssl passwd -6 [-salt S] PW */
	{ "vault", "login", 1 },	/* vault login TOKEN */
	{ "rabbitmqctl", "add_user", 2 },
	{ "rabbitmqctl", "change_password", 2 },
	{ "rabbitmqctl", "authenticate_user", 2 },
	{ "wpa_passphrase", NULL, 2 },	/* wpa_passphrase SSID PASSPHRASE */
};

#define N_OPERAND_RULES (sizeof(operand_rules) / sizeof(operand_rules[0]))
_Static_assert(N_OPERAND_RULES <= 32, "redact_argv.operand_progs is a 32-bit mask");

#define OPND_RULE_MASK 0xffu	/* redact_argv.operand: the rule's index + 1 */
#define OPND_COUNT_SHIFT 8	/* and above it the operands seen */
#define OPND_COUNT_MAX 255u


enum {
	SEEN_CONFIG = 1,	/* config, configure, set: "config set KEY VALUE" */
	SEEN_SECRET = 2,	/* secret, secrets, kv, user-secrets, put-parameter */
	SEEN_WRITE = 4,		/* create, set, put, patch, add, put-parameter */
	SEEN_STORE = SEEN_SECRET | SEEN_WRITE,	/* writing to a secret store */
	SEEN_NMCLI = 8,		/* nmcli: "password PW", "wifi-sec.psk PW" */
	SEEN_ORACLE = 16,	/* sqlplus, sqlldr, rman, expdp, ...: USER/PW@DB logons */
};

/* Programs whose bare "-p" is a flag, or takes a value that is no secret: mkdir -p DIR,
 * cp -p SRC DST, install -p, ls -p, journalctl -p PRIORITY, diff -p A B, git -p log,
 * wget -p URL, mktemp -p DIR, unzip -p ZIP (its password is -P), ... What follows their
 * "-p" is not hidden as a password, from the program's name up to its first operand, so
 * a later program's "-p PW" in the same argv (sudo mkdir -p d; ssh h mkdir -p d && cqlsh
 * -p PW) is judged as before. None of them runs another program from its own options. */
static const char *const p_flag_progs[] = {
	"mkdir", "cp", "install", "ls", "journalctl", "diff", "git", "wget",
	"mktemp", "lsblk", "rsync", "tar", "unzip", "pstree", "less", NULL,
};

enum {
	P_FLAG_NAMED = 1,	/* the element just taken named one of p_flag_progs */
	P_FLAG_ON = 2,		/* its options, up to its first operand */
};

enum {
	HT_ON = 1,		/* htpasswd was named */
	HT_B = 2,		/* -b: the password is an operand */
	HT_N = 4,		/* -n: no file operand */
	HT_POS_SHIFT = 4,	/* operands seen, above the flags */
	HT_POS_MAX = 15,
};

static bool elem_is(const char *p, size_t n, const char *lit)
{
	return p && n == strlen(lit) && !memcmp(p, lit, n);
}

static bool is_short_opt(const char *p, size_t n, char opt)
{
	return p && n == 2 && p[0] == '-' && p[1] == opt;
}

/* The element's base name when it can name a program: no leading '-', no '='. */
static bool prog_name(const char *s, size_t n, const char **name, size_t *len)
{
	const char *slash;

	if (!n || s[0] == '-' || memchr(s, '=', n))
		return false;
	slash = memrchr(s, '/', n);
	*name = slash ? slash + 1 : s;
	*len = n - (size_t)(*name - s);
	return *len > 0;
}

static bool prog_rule_names(const struct prog_rule *r, const char *name, size_t len)
{
	size_t k = strlen(r->name), i;

	if (len < k || memcmp(name, r->name, k) || (len > k && !r->prefix))
		return false;
	for (i = k; i < len; i++)
		if (!is_lower(name[i]) && !is_digit(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

/* Where s's password starts under the programs in force (0: all of it), or NO_MARK. */
static size_t prog_secret(const struct redact_argv *st, const char *prev, size_t pn,
			  const char *s, size_t n)
{
	size_t i, from = NO_MARK;

	for (i = 0; i < N_PROG_RULES; i++) {
		const struct prog_rule *r = &prog_rules[i];

		if (!(st->progs & 1u << i))
			continue;
		if (r->how & PW_PCT) {
			const char *v = NULL, *pct = NULL;

			if (is_short_opt(prev, pn, r->opt))
				v = s;
			else if (n > 2 && s[0] == '-' && s[1] == r->opt)
				v = s + 2;
			if (v)
				pct = memchr(v, '%', n - (size_t)(v - s));
			if (pct && (size_t)(pct - s) + 1 < from)
				from = (size_t)(pct - s) + 1;
			continue;
		}
		if ((r->how & PW_ALWAYS) && is_short_opt(prev, pn, r->opt) && n &&
		    !(s[0] == '-' && n > 1) && (!(r->how & PW_IF_PAIR) || memchr(s, '=', n)))
			return 0;
		if ((r->how & PW_ATTACHED) && n > 2 && s[0] == '-' && s[1] == r->opt)
			from = 2;
	}
	return from;
}

/* A config key (aws_secret_access_key, user.password, //registry/:_authToken,
 * npmAuthToken, Db:Password): key characters with a separator or a camelCase hump, whose
 * last part ('.', ':' or '/'-separated) is a secret KEY (so credential.helper is not). */
static bool config_secret_key(const char *p, size_t n)
{
	size_t i, last = 0;
	bool parts = false;

	if (!p || !n || p[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		if (!is_key_char(p[i]) && p[i] != ':' && p[i] != '/' && p[i] != '@')
			return false;
		parts = parts || p[i] == '.' || p[i] == '_' || p[i] == ':' || p[i] == '/' ||
			(i && is_upper(p[i]) && is_lower(p[i - 1]));
		if (p[i] == '.' || p[i] == ':' || p[i] == '/')
			last = i + 1;
	}
	return parts && last < n && redact_secret_key(p + last, n - last);
}

/* Writing to a secret store (kubectl create secret, vault kv put, gh secret set, fly
 * secrets set, az keyvault secret set, aws ssm put-parameter): every value is a secret. */
static size_t store_secret(const char *prev, size_t pn, const char *s, size_t n)
{
	const char *eq;
	size_t k;

	if (elem_is(prev, pn, "--body") || elem_is(prev, pn, "-b") || elem_is(prev, pn, "--value"))
		return 0;
	if (n > 7 && !memcmp(s, "--body=", 7))
		return 7;
	if (n > 2 && s[0] == '-' && s[1] == 'b' && s[2] != '-')
		return 2;	/* gh secret set N -bVALUE */
	if (n > 8 && !memcmp(s, "--value=", 8))
		return 8;
	if (n >= 15 && !memcmp(s, "--from-literal=", 15)) {
		eq = memchr(s + 15, '=', n - 15);
		return eq ? (size_t)(eq - s) + 1 : 15;
	}
	if (!n || s[0] == '-')
		return NO_MARK;
	for (k = 0; k < n && is_key_char(s[k]); k++)
		;
	return k && k < n && s[k] == '=' ? k + 1 : NO_MARK;
}

/* htpasswd -b FILE USER PW, -nb USER PW: the operand that is the password. */
static bool htpasswd_secret(unsigned int ht, const char *prev, size_t pn, const char *s,
			    size_t n)
{
	unsigned int pos = ht >> HT_POS_SHIFT;

	if ((ht & (HT_ON | HT_B)) != (HT_ON | HT_B) || is_short_opt(prev, pn, 'C') ||
	    is_short_opt(prev, pn, 'r'))
		return false;
	if (!pos && n > 1 && s[0] == '-')
		return false;
	return pos + 1 == (ht & HT_N ? 2u : 3u);
}

static void htpasswd_take(struct redact_argv *st, const char *prev, size_t pn, const char *s,
			  size_t n)
{
	unsigned int pos = st->htpasswd >> HT_POS_SHIFT;
	size_t i;

	if (!(st->htpasswd & HT_ON) || is_short_opt(prev, pn, 'C') || is_short_opt(prev, pn, 'r'))
		return;
	if (!pos && n > 1 && s[0] == '-') {
		for (i = 1; i < n; i++)
			st->htpasswd |= s[i] == 'b' ? HT_B : s[i] == 'n' ? HT_N : 0;
		return;
	}
	if (pos < HT_POS_MAX)
		st->htpasswd += 1u << HT_POS_SHIFT;
}

/* The element s is a password by its place among the operands (operand_rules). */
static bool operand_secret(unsigned int op, const char *s, size_t n)
{
	unsigned int rule = op & OPND_RULE_MASK, pos = (op >> OPND_COUNT_SHIFT) + 1;

	if (!rule || (n && s[0] == '-'))
		return false;
	return !operand_rules[rule - 1].index || pos == operand_rules[rule - 1].index;
}

static void operand_take(struct redact_argv *st, const char *s, size_t n)
{
	const char *name;
	size_t len, i;

	if ((st->operand & OPND_RULE_MASK) && !(n && s[0] == '-') &&
	    st->operand >> OPND_COUNT_SHIFT < OPND_COUNT_MAX)
		st->operand += 1u << OPND_COUNT_SHIFT;
	for (i = 0; i < N_OPERAND_RULES; i++) {
		const struct operand_rule *r = &operand_rules[i];

		if ((st->operand_progs & 1u << i) && r->verb && elem_is(s, n, r->verb))
			st->operand = (unsigned int)i + 1;
		if (prog_name(s, n, &name, &len) && elem_is(name, len, r->prog)) {
			st->operand_progs |= 1u << i;
			if (!r->verb)
				st->operand = (unsigned int)i + 1;
		}
	}
}

/* nmcli's "password PW", "wifi-sec.psk PW", "802-1x.password PW". */
static bool nmcli_secret(const char *prev, size_t pn)
{
	return elem_is(prev, pn, "password") || elem_is(prev, pn, "psk") ||
	       (pn > 4 && !memcmp(prev + pn - 4, ".psk", 4)) || config_secret_key(prev, pn);
}

/* Oracle's logon USER/PASSWORD[@CONNECT], alone or as userid=... (sqlldr, exp, expdp):
 * where its password starts (*to: where it ends, at '@' or the element's end), or
 * NO_MARK. "/ as sysdba" and "@script.sql" have no user, so no password; other KEY=VALUE
 * (control=dir/x.ctl) name files. */
static size_t oracle_logon(const char *s, size_t n, size_t *to)
{
	const char *eq = n && s[0] != '-' ? memchr(s, '=', n) : NULL;
	size_t u = eq ? (size_t)(eq - s) + 1 : 0, a = u, p;

	if (!n || s[0] == '-' || (eq && !name_eq(s, (size_t)(eq - s), "userid")))
		return NO_MARK;
	while (u < n && (is_alnum(s[u]) || s[u] == '_' || s[u] == '$' || s[u] == '#'))
		u++;
	if (u == a || u + 1 >= n || s[u] != '/' || s[u + 1] == '@')
		return NO_MARK;
	for (p = u + 1, *to = p; *to < n && s[*to] != '@'; (*to)++)
		;
	return p;
}

static bool oracle_prog(const char *name, size_t len)
{
	static const char *const progs[] = { "sqlplus", "sqlldr", "expdp", "impdp", "exp", "imp",
					     "rman", "dgmgrl", NULL };
	size_t i;

	for (i = 0; progs[i]; i++)
		if (elem_is(name, len, progs[i]))
			return true;
	return false;
}

/* st takes in the element s: the programs it names, its verbs, htpasswd's count. */
static void argv_take(struct redact_argv *st, const char *prev, size_t pn, const char *s,
		      size_t n)
{
	static const char *const config[] = { "config", "configure", "set", NULL };
	static const char *const secret[] = { "secret", "secrets", "kv", "user-secrets",
					      "put-parameter", NULL };
	static const char *const write[] = { "create", "set", "put", "patch", "add",
					     "put-parameter", NULL };
	const char *name;
	size_t len, i;

	if (st->p_flag == P_FLAG_NAMED)
		st->p_flag = P_FLAG_ON;
	else if (n && s[0] != '-' && !is_short_opt(prev, pn, 'p'))
		st->p_flag = 0;	/* the program's first operand (not its -p's value) */
	for (i = 0; n && s[0] != '-' && i < N_PROG_RULES; i++)
		if ((prog_rules[i].how & PW_UNTIL_ARG) && !is_short_opt(prev, pn, prog_rules[i].opt))
			st->progs &= ~(1u << i);
	htpasswd_take(st, prev, pn, s, n);
	operand_take(st, s, n);
	if (!prog_name(s, n, &name, &len))
		return;
	if (elem_is(name, len, "nmcli"))
		st->seen |= SEEN_NMCLI;
	if (oracle_prog(name, len))
		st->seen |= SEEN_ORACLE;
	for (i = 0; i < N_PROG_RULES; i++)
		if (prog_rule_names(&prog_rules[i], name, len))
			st->progs |= 1u << i;
	if (elem_is(name, len, "htpasswd"))
		st->htpasswd = HT_ON;
	/* a name given as a -p's value is not the program's */
	for (i = 0; p_flag_progs[i] && !is_short_opt(prev, pn, 'p'); i++)
		if (elem_is(name, len, p_flag_progs[i]))
			st->p_flag = P_FLAG_NAMED;
	for (i = 0; config[i]; i++)
		st->seen |= elem_is(s, n, config[i]) ? SEEN_CONFIG : 0;
	for (i = 0; secret[i]; i++)
		st->seen |= elem_is(s, n, secret[i]) ? SEEN_SECRET : 0;
	for (i = 0; write[i]; i++)
		st->seen |= elem_is(s, n, write[i]) ? SEEN_WRITE : 0;
}

bool redact_argv_p_is_flag(const struct redact_argv *st)
{
	return st->p_flag == P_FLAG_ON;
}

size_t redact_argv_secret(struct redact_argv *st, const char *prev, size_t pn, const char *s,
			  size_t n, size_t *to)
{
	size_t from = prog_secret(st, prev, pn, s, n), f, t = n;

	*to = n;
	if ((st->seen & SEEN_ORACLE) && (f = oracle_logon(s, n, &t)) != NO_MARK) {
		*to = from == NO_MARK ? t : n;	/* else the hull of both */
		from = f < from ? f : from;
	}

	/* config set KEY VALUE; not an option after the key (gh secret set KEY
	 * --body VALUE: the value follows the option) */
	if ((st->seen & SEEN_CONFIG) && config_secret_key(prev, pn) && !(n > 1 && s[0] == '-'))
		from = 0;
	if ((st->seen & SEEN_STORE) == SEEN_STORE && (f = store_secret(prev, pn, s, n)) < from)
		from = f;
	if (htpasswd_secret(st->htpasswd, prev, pn, s, n) || operand_secret(st->operand, s, n) ||
	    ((st->seen & SEEN_NMCLI) && nmcli_secret(prev, pn)))
		from = 0;
	argv_take(st, prev, pn, s, n);
	return from;
}
