/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * argv redaction for process events. Each element is judged with the one before it;
 * whatever looks like a secret is replaced by REDACTED and the rest is kept byte for byte
 * (non-UTF-8 included: the JSON layer handles encoding). Rules, in the order applied:
 *
 * Whole element -> "[REDACTED]":
 * - a PEM private key ("-----BEGIN ... PRIVATE KEY-----" anywhere in it);
 * - the value after a secret option: -/-- and a name whose words (split at '-', '_', '.'
 *   and camelCase; case ignored) hold a secret word: one ending in password, passwd,
 *   pass, passphrase, passcode, token, secret(s), credential(s), creds, apikey, accesskey,
 *   privatekey, secretkey, accountkey (--db-pass, --vault-token, -storepass,
 *   --keyStorePassword; not bypass, compass), "key" after api, access, private, secret,
 *   account, master, encryption, shared, license or session (--private-key), or as the
 *   last word auth, authorization, bearer, otp, pin, cookie(s), pw (--basic-auth,
 *   --oauth2-bearer). Not secret: flags, whose first word is no, ask, prompt, with, use,
 *   show, generate, skip, ... or max, min, num (--ask-vault-pass, --with-token,
 *   --max-tokens), or that hold stdin, skip, unsafe or insecure (--password-stdin); and
 *   names whose last word says the value tells where the secret is or what it is like:
 *   file, path, dir, fd, env, name, id, type, ttl, url, helper, jar, user, ... (--token-file
 *   PATH is kept: a path to a token is not the token; reads of watched credential files
 *   are events of their own). The value is redacted even when it starts with '-' (`mysql
 *   --password --user x` loses "--user": over-redacting beats leaking). An empty value
 *   stays empty.
 * - the value after exactly "-p" (sshpass, docker login), unless it reads as what -p
 *   means elsewhere: digits or a port mapping (only 0-9 . : - [ ]: ssh -p 22,
 *   docker -p 8080:80), a path (has '/', or starts with '.' or '~': mkdir -p /tmp/x), or
 *   another option (starts with '-'). A bare word after -p IS redacted (mkdir -p build
 *   loses "build"). Attached "-pSECRET" is redacted only by the argv rules below.
 * - inside one element (a shell string: "sh -c 'mysql --password X -h db'", make recipes):
 *   the word after a word that is such an option, by the same rules, "-u"/"--user" too
 *   (after its ':'), and the argv rules below with the words before it in its command (a
 *   word ending in ';', '&', '|' or ')' ends a command); a word ends at whitespace, or at
 *   its closing quote when it opens with one; a value marked in it runs on to the close
 *   of a quote opened inside it (-p'a b') or of a command substitution ($(...), `...`),
 *   and a line continuation (backslash, newline) is blank between words. A KEY=VALUE
 *   value may be $'...' or $"..." quoted. A quoted word with spaces is a shell string of
 *   its own, judged the same way (bash -c "docker exec db sh -c 'mysql -pX'").
 * Argv rules (redact_argv_next: by the elements before, wherever they are, so also
 * "docker exec db mysql -pX" and "kubectl exec pod -- mysql -pX"):
 * - after an element whose base name is a program below, its password option: attached
 *   "-pPW" -> "-p[REDACTED]" after mysql*, mariadb* (mysqldump, mariadb-dump, ...), 7z*,
 *   rar, unrar, sshpass, mongo*, ldap* (-w), sqlcmd and bcp (-P), ldappasswd (-s, -a),
 *   and after "login" (docker/podman/oc/az login -p); the next element whatever it looks
 *   like (digits too) after sshpass -p, login -p, mongo* -p, ldap* -w, sqlcmd/bcp -P,
 *   redis-cli/valkey-cli -a, zip/unzip -P, useradd/usermod -p, openssl -k and -K,
 *   mosquitto_* -P, ssh-keygen -N and -P, and curl -b when the value has '=' (cookies,
 *   not a cookie file); what
 *   follows '%' after Samba's -U (smbclient, rpcclient, smbcacls, smbget, net: USER%PW).
 *   sshpass's rule ends at the first operand (the command it runs: ssh -p 22 stays).
 *   Elsewhere -p1 (patch), -pxf (tar), -pretty (ip) stay.
 * - a password operand (an element without a leading '-'): every one after "openssl
 *   passwd" (a -salt value too), the first after "vault login", the second after
 *   "rabbitmqctl add_user|change_password|authenticate_user" and after wpa_passphrase;
 *   after nmcli, the element after "password", "psk", "*.psk" or a config KEY.
 * - Oracle logons after sqlplus, sqlldr, expdp, impdp, exp, imp, rman, dgmgrl: the
 *   PASSWORD of an element USER/PASSWORD[@CONNECT] or userid=USER/PASSWORD[@CONNECT]
 *   (scott/[REDACTED]@db; "/ as sysdba" has none).
 * - after "config", "configure" or "set" (aws configure set, git config, npm/yarn config
 *   set, kubectl config set, dotnet user-secrets set): the element after a KEY that has
 *   parts ('.', '_', ':', '/', camelCase) and whose last '.'/':'/'/' part is a secret KEY
 *   by the KEY=VALUE rule (aws_secret_access_key, user.password, //host/:_authToken,
 *   npmAuthToken; not credential.helper, auth/access_token_file).
 * - writing to a secret store (an element "secret", "secrets", "kv", "user-secrets" or
 *   "put-parameter" and one "create", "set", "put", "patch", "add"): the value of every
 *   bare KEY=VALUE (vault kv put p user=[REDACTED]), of --from-literal=KEY=VALUE, and after
 *   --body/-b/-bVALUE (gh secret set) and --value (az keyvault secret set, aws ssm
 *   put-parameter).
 * - htpasswd -b: its last operand (FILE USER PW; with -n, USER PW).
 * Part of the element -> "[REDACTED]" (overlapping or touching parts merge into one):
 * - after "-u", "--user", "-U" or "--proxy-user" (curl), and in the compact "-uUSER:PW",
 *   "-UUSER:PW", "--user=USER:PW", "--proxy-user=USER:PW": "user:pass" ->
 *   "user:[REDACTED]"; a value without ':' or with only digits after it (docker -u
 *   1000:1000, uid:gid) is kept.
 * - HTTP header values: "Authorization: Bearer x" -> "Authorization: [REDACTED]" for
 *   Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, Api-Key, ApiKey,
 *   Private-Token, Job-Token, Deploy-Token, X-Auth-Token, X-Access-Token, X-Vault-Token,
 *   X-Amz-Security-Token, X-Goog-Api-Key, X-CSRF-Token, Ocp-Apim-Subscription-Key,
 *   at the start of the element or after a space, a quote (so also inside "sh -c"
 *   strings) or '=' (git -c http.extraHeader=Authorization: ...); the value ends at the
 *   quote that opened the header, else at the end of the element. After -H / --header,
 *   or in "-H..." / "--header=..." elements, any header whose name matches the KEY=VALUE
 *   keywords below (or contains COOKIE) is redacted too. A bare "Auth: ..." commit
 *   message is not a header.
 * - KEY=VALUE where KEY ([A-Za-z0-9_.-], leading dashes skipped, so also --key=value and
 *   -Dkey=value) contains, case-insensitively with '-' and '.' as '_': PASSWORD, PASSWD,
 *   SECRET, TOKEN, API_KEY, APIKEY, ACCESS_KEY, PRIVATE_KEY, CREDENTIAL, AUTH (but not as
 *   part of AUTHOR: GIT_AUTHOR_NAME is kept), or is PASS / ends in _PASS or _PWD
 *   (MYSQL_PWD), or is PWD with a value that is not a path (ODBC's Uid=sa;Pwd=...; the
 *   shell's PWD=/home/x stays), or is a secret option name after dashes (--pass=x). Keys
 *   ending in FILE, PATH or DIR name where a secret lives, not the secret, and are kept
 *   (--password-file=/run/pw). At the start of the element the value runs to its end;
 *   pairs later in the element (after space, ',', ';', '&', '?', ':', quotes: conninfo
 *   strings, helm --set, shell strings, .npmrc's //registry/:_authToken=) end at the next
 *   such delimiter or at their closing quote. A form body encoded once more
 *   (payload=a%3D1%26password%3DPW) has pairs with '=' as "%3D" after "%26": their
 *   values end at "%26" too (a plain pair's value keeps its "%26": password=p%26ss).
 * - JSON / dict literals: "KEY": "VALUE" or 'KEY': VALUE with KEY as in the KEY=VALUE rule
 *   (curl -d '{"password":"x"}' -> '{"password":"[REDACTED]"}'); a quoted value ends at
 *   its unescaped closing quote, a bare one at ',', '}', ']' or whitespace.
 * - URL query parameters: after '?' or '&', names in the KEY=VALUE rule or exactly (case
 *   ignored) token, access_token, refresh_token, id_token, key, api_key, apikey, sig,
 *   signature, x-amz-signature, x-amz-credential, x-amz-security-token, password,
 *   secret, client_secret, code; the value ends at '&', '#', whitespace or a quote.
 *   Inside a URL's query ("scheme://...?" up to '#') every value goes, whatever its key
 *   (escapes and brackets included: pass%77ord=, filter[token]=), and so does a
 *   parameter without '=' (?SECRET). A URL password is cut whole whatever its escapes.
 * - URL userinfo "scheme://user:pass@host" -> "scheme://user:[REDACTED]@host" (the last
 *   '@' before the path ends the userinfo). A user name alone (git@, or a token used as
 *   the user name) is kept by this rule; the token rules below still apply to it.
 * - URL fragments: everything after the first '#' of "scheme://..." up to whitespace or a
 *   quote (OAuth's implicit flow puts access_token there; a client never sends it).
 * - URL path parameters: the value of ";name=value" in "scheme://..." before '?' or '#',
 *   up to '/', ';', '?', '#' (";jsessionid=...").
 * - Slack webhook secrets: the segment after "/services/T.../B.../" in a URL.
 * - Known token formats, anywhere, starting at a non-alphanumeric boundary: gh[pousr]_ +
 *   16 or more alnum, github_pat_ + 20 or more [A-Za-z0-9_], glpat- + 20 or more
 *   [A-Za-z0-9_-], xox[bparse]- + 10 or more [A-Za-z0-9-], AKIA/ASIA + exactly 16 [A-Z0-9],
 *   sk- + a [A-Za-z0-9_-] run holding 20 or more consecutive alnum (sk-proj-..., not
 *   sk-some-kebab-name), JWTs (eyJ + 8 or more base64url, '.', base64url, '.', optional
 *   base64url, more '.'-parts for JWE), and other services' prefixed tokens (redact.c's
 *   prefixed_tokens: GitLab's glcbt-, glptt-, gldt-, glrt-, ...; npm_, dckr_pat_, Vault's
 *   hvs., pypi-, Stripe's sk_live_, Google's AIza and ya29., Shopify, DigitalOcean,
 *   Hugging Face, Grafana, Slack's xapp- and xoxe-, Linear, Postman, Databricks, SendGrid,
 *   Sentry, Pulumi, RubyGems, age). The whole token, prefix included, is replaced.
 * - High-entropy strings: a maximal run of [A-Za-z0-9+/_-], less leading '/' and '-'
 *   (URL "//", path root, option dashes) and trailing '/', of 32 or more bytes with
 *   Shannon entropy >= 4.0 bits/char mixing upper case, lower case and digits; its
 *   trailing '=' padding goes with it. '=' elsewhere splits runs, so KEY=VALUE is judged
 *   as two strings (X-Amz-Algorithm=AWS4-HMAC-SHA256 is not a secret). Kept: runs of hex
 *   digits only (git SHA-1s, SHA-256s: ids, not secrets, and at most 2 classes anyway),
 *   and paths: runs with '/' that have 3 or more '/' or 7 or more lowercase letters in a
 *   row (/home/user/Projects/App2/src/components would otherwise qualify). A base64
 *   secret with a '/' that happens to look like that (a few percent of AWS secret keys)
 *   is missed by this rule.
 */
#ifndef IDTRACE_REDACT_H
#define IDTRACE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACTED "[REDACTED]"

/* Redact one argv element (len bytes at arg, any bytes; arg may be NULL when len is 0)
 * given the element before it (prev, prev_len; NULL for argv[0]), without the rules that
 * need the rest of the argv (redact_argv_next). Returns a new NUL-terminated string the caller
 * frees: a copy, REDACTED, or the element with its secret parts replaced by REDACTED.
 * The output holds a NUL before its end only if the input did. NULL only on ENOMEM. */
char *redact_arg(const char *prev, size_t prev_len, const char *arg, size_t len);

/* What the elements of one argv seen so far say about the next: the element before it,
 * which programs were named (mysql's -pPW), which verbs came (config set, create secret),
 * htpasswd's flags and count. Zero it for each argv. Its fields are redact_argv.c's; prev
 * points into the caller's argv, which must outlive the walk. */
struct redact_argv {
	const char *prev;
	size_t prev_len;
	unsigned int progs;	/* bit i: prog_rules[i] is in force */
	unsigned int seen;	/* SEEN_* verbs */
	unsigned int htpasswd;	/* HT_* flags and positional count */
	unsigned int operand_progs;	/* bit i: operand_rules[i]'s program was named */
	unsigned int operand;	/* the operand rule in force (index + 1) and operands seen */
	unsigned int p_flag;	/* P_FLAG_*: a program whose bare "-p" takes no password */
	/* set by the caller: the next element was cut short (the argv's capture
	 * ended inside it), so a secret may end with it unterminated
	 * ("postgres://user:PARTIAL" with no '@') */
	bool cut;
};

/* redact_arg for the next element of an argv walked from argv[0] with st: also the rules
 * that need the program or the verbs before it (see above). Returns as redact_arg does. */
char *redact_argv_next(struct redact_argv *st, const char *arg, size_t len);

/* True when s[0..n) holds what redact_arg's value-free rules would hide: a known token
 * format, a JWT, or a high-entropy run of min_run bytes or more (0: redact_arg's 32). For
 * text that is not an argv element (HTTP request fields, http_redact.c). True on ENOMEM. */
bool redact_has_secret(const char *s, size_t n, size_t min_run);

/* True when a URL path segment s[0..n) looks like a secret: redact_has_secret, an
 * alnum run of 20+ bytes that looks random rather than like words (about 1 in 12
 * random 24-byte strings still passes for a name), or a Telegram bot token glued to
 * "bot". For request paths and URLs in arguments alike. */
bool redact_url_segment_secret(const char *s, size_t n);

/* Shannon entropy of s[0..n) in bits per byte (0 for n == 0). */
double redact_entropy_bits(const char *s, size_t n);

#endif
