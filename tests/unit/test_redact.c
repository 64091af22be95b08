// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"

/* Low entropy on purpose (lower case + digits, 20 chars): the high-entropy rule never
 * fires on it, so each position proves its own rule. */
#define CANARY "q7canaryx9f3zv2mw4kp"
/* Random-looking: every rule, the high-entropy one included, must hide it. */
#define CANARY_HIGH "Kq8vT2mZ9xLr4NpW7bYc3HdJ6fGs5QaE"
#define CANARY_AKIA "AKIAQ7CANARYX9F3ZV2M"

/* Redact from exactly-sized heap copies (no NUL) so ASan sees any read past a length. */
static char *redact_n(const char *prev, size_t prev_len, const char *arg, size_t len)
{
	char *p = NULL, *a = malloc(len ? len : 1), *out;

	assert_non_null(a);
	memcpy(a, arg, len);
	if (prev) {
		p = malloc(prev_len ? prev_len : 1);
		assert_non_null(p);
		memcpy(p, prev, prev_len);
	}
	out = redact_arg(p, prev_len, a, len);
	assert_non_null(out);
	free(a);
	free(p);
	return out;
}

static void expect_after(const char *prev, const char *arg, const char *want)
{
	char *out = redact_n(prev, prev ? strlen(prev) : 0, arg, strlen(arg));

	assert_string_equal(out, want);
	free(out);
}

#define EXPECT(arg, want) expect_after(NULL, arg, want)
#define KEPT(arg) expect_after(NULL, arg, arg)
#define KEPT_AFTER(prev, arg) expect_after(prev, arg, arg)

static void test_secret_option_value(void **state)
{
	static const char *opts[] = {
		"--password", "--passwd", "--pass", "--token", "--secret", "--api-key", "--apikey",
		"--access-key", "--secret-key", "--client-secret", "--auth",
		/* single dash (Go flags, openssl), suffixes, '_' for '-', any case */
		"-password", "-token", "-pass", "-passin", "--db-password", "--github_token",
		"--vault-token", "--aws-secret-key", "--PASSWORD", "--Api-Key",
	};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		expect_after(opts[i], "hunter2", REDACTED);
		expect_after(opts[i], "-starts-with-dash", REDACTED);
	}
	/* An empty value has nothing to hide. */
	expect_after("--password", "", "");
}

static void test_not_secret_options(void **state)
{
	KEPT_AFTER("--no-password", "dbname");
	KEPT_AFTER("--password-stdin", "registry.example.com");
	KEPT_AFTER("--tokenizer", "bert");
	KEPT_AFTER("--passage", "x");
	KEPT_AFTER("--author", "Jane Doe");
	KEPT_AFTER("--password=x", "next");	/* the value was attached */
	KEPT_AFTER("password", "next");		/* not an option */
	KEPT_AFTER("-", "file");
	KEPT_AFTER("--", "file");
}

/* Any long option whose name holds a secret word, judged by its words (split at '-', '_',
 * '.' and camelCase), not by a list of whole names. */
static void test_secret_option_words(void **state)
{
	static const char *secret[] = {
		"--db-pass", "--admin-pass", "--vault-token", "--private-key-password",
		"--client-secret", "--auth-token", "--db-pw", "--basic-auth", "--http-auth",
		"--registry-password", "--session-token", "--refresh-token", "--hf-token",
		"--webhook-secret", "--passphrase", "--gpg-passphrase",
		"--private-key", "--account-key", "--encryption-key", "--master-key",
		"--src-creds", "--credentials", "--user-pin", "--otp", "--cookie",
		"--authorization", "--oauth2-bearer", "--keyStorePassword", "--dbPassword",
		"--OAuth2Token", "--access_key", "-storepass", "-keypass", "-srcstorepass",
		"-deststorepass", "-passin", "-passout", "--password-hash",
	};
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		char in[64], want[64];

		expect_after(secret[i], "hunter2", REDACTED);
		snprintf(in, sizeof(in), "%s=hunter2", secret[i]);
		snprintf(want, sizeof(want), "%s=" REDACTED, secret[i]);
		EXPECT(in, want);
	}
	EXPECT("--db-pass=hunter2", "--db-pass=" REDACTED);
	EXPECT("--vault-token=hunter2", "--vault-token=" REDACTED);
	EXPECT("--private-key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	       "--private-key=" REDACTED);
	EXPECT("deploy --db-pass hunter2 --env prod", "deploy --db-pass " REDACTED " --env prod");
}

/* Flags without a value, and options whose value names where a secret is or what it is
 * like, not the secret: the next element stays. */
static void test_secret_option_words_kept(void **state)
{
	static const char *kept[] = {
		/* flags */
		"--password-stdin", "--ask-pass", "--ask-become-pass", "--ask-vault-pass",
		"--with-token", "--no-auth", "--prompt-password", "--show-secrets",
		"--generate-password", "--skip-token-check", "--insecure-skip-tls-verify",
		"--discovery-token-unsafe-skip-ca-verification", "--use-token", "--save-password",
		/* where the secret is */
		"--token-file", "--password-file", "--secret-path", "--token-dir", "--pass-fd",
		"--password-env", "--secrets-dir", "--cookie-jar", "--credential-helper",
		"--load-cookies", "--password-command",
		/* what it is like */
		"--secret-name", "--token-ttl", "--token-type", "--auth-type", "--auth-mode",
		"--authorization-mode", "--password-length", "--token-url", "--token-audience",
		"--secret-version", "--secret-arn", "--api-key-header", "--auth-user",
		"--token-endpoint", "--secret-id", "--access-key-id",
		/* not a secret word */
		"--passive", "--keyboard", "--tokenizer", "--compass", "--bypass", "--passes",
		"--max-tokens", "--max-new-tokens", "--num-tokens", "--pad-token", "--key",
		"--client-key", "--signing-key", "--authenticate", "--author", "--passage",
		"--monkey", "--turkey",
	};
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		KEPT_AFTER(kept[i], "value");
	KEPT("--token-file=/run/secrets/token");
	/* the attached form goes by the KEY=VALUE rule, which judges by substrings */
	EXPECT("--secret-name=db", "--secret-name=" REDACTED);
	KEPT("docker login --password-stdin ghcr.io");
	KEPT("ansible-playbook --ask-vault-pass site.yml");
	KEPT("vllm serve m --max-num-batched-tokens 8192");
}

static void test_option_equals_forms(void **state)
{
	EXPECT("--password=hunter2", "--password=" REDACTED);
	EXPECT("--passwd=hunter2", "--passwd=" REDACTED);
	EXPECT("--pass=hunter2", "--pass=" REDACTED);
	EXPECT("--token=abc", "--token=" REDACTED);
	EXPECT("--api-key=abc", "--api-key=" REDACTED);
	EXPECT("--auth=abc", "--auth=" REDACTED);
	EXPECT("--client-secret=a=b c", "--client-secret=" REDACTED);
	EXPECT("-Dspring.datasource.password=pw", "-Dspring.datasource.password=" REDACTED);
	EXPECT("-Djavax.net.ssl.keyStorePassword=pw", "-Djavax.net.ssl.keyStorePassword=" REDACTED);
	EXPECT("--password=", "--password=");
	KEPT("--password-file=/run/secrets/pw");
	KEPT("--token-path=/var/run/token");
	KEPT("--author=Jane Doe <jane@example.com>");
	KEPT("--output=/tmp/out");
}

static void test_dash_p_ambiguous(void **state)
{
	expect_after("-p", "hunter2", REDACTED);	/* sshpass -p, docker login -p */
	expect_after("-p", "build", REDACTED);		/* over-redaction without the program */
	KEPT_AFTER("-p", "22");				/* ssh -p 22 */
	KEPT_AFTER("-p", "8080:80");			/* docker run -p */
	KEPT_AFTER("-p", "127.0.0.1:8080:80");
	KEPT_AFTER("-p", "8000-8010:8000-8010");
	KEPT_AFTER("-p", "[::1]:80:80");
	KEPT_AFTER("-p", "8080:80/udp");
	KEPT_AFTER("-p", "/tmp/x");			/* mkdir -p /tmp/x */
	KEPT_AFTER("-p", "a/b/c");
	KEPT_AFTER("-p", "./dir");
	KEPT_AFTER("-p", "~/dir");
	KEPT_AFTER("-p", "-e");				/* perl -p -e */
	KEPT_AFTER("-p", "");
	/* Attached -pSECRET stays: indistinguishable from patch -p1, tar -pxf. */
	KEPT("-phunter2");
	KEPT("-p1");
	KEPT_AFTER("-P", "hunter2");
}

/* Redact the '|'-separated argv with its context (redact_argv_next), each element from an
 * exactly-sized heap copy that lives until the end, and compare with want. */
static void expect_argv(const char *argv, const char *want)
{
	struct redact_argv st = { 0 };
	char *copies[32], *got = calloc(1, strlen(argv) * 11 + 1);
	const char *a = argv;
	size_t k = 0, i;

	assert_non_null(got);
	while (k < 32) {
		const char *bar = strchr(a, '|');
		size_t len = bar ? (size_t)(bar - a) : strlen(a);
		char *out;

		copies[k] = malloc(len ? len : 1);
		assert_non_null(copies[k]);
		memcpy(copies[k], a, len);
		out = redact_argv_next(&st, copies[k++], len);
		assert_non_null(out);
		strcat(got, out);
		free(out);
		if (!bar)
			break;
		strcat(got, "|");
		a = bar + 1;
	}
	for (i = 0; i < k; i++)
		free(copies[i]);
	assert_string_equal(got, want);
	free(got);
}

#define KEPT_ARGV(argv) expect_argv(argv, argv)

/* MySQL's family takes its password attached ("-pPW"; "-p" alone prompts): redacted once an
 * element names one of them, wherever it is (docker exec db mysql ...). Elsewhere -p1 (patch),
 * -pxf (tar), -pretty (ip) stay. */
static void test_argv_mysql_attached_p(void **state)
{
	expect_argv("mysql|-uroot|-pq7canary|db", "mysql|-uroot|-p" REDACTED "|db");
	expect_argv("/usr/bin/mysqldump|-pq7canary|--all-databases",
		    "/usr/bin/mysqldump|-p" REDACTED "|--all-databases");
	expect_argv("mariadb|-pq7canary", "mariadb|-p" REDACTED);
	expect_argv("mariadb-dump|-u|root|-pq7canary|app", "mariadb-dump|-u|root|-p" REDACTED "|app");
	expect_argv("mysqladmin|-uroot|-p1234|status", "mysqladmin|-uroot|-p" REDACTED "|status");
	expect_argv("docker|exec|-i|db|mysql|-uroot|-pq7canary",
		    "docker|exec|-i|db|mysql|-uroot|-p" REDACTED);
	expect_argv("kubectl|exec|pod|--|mysql|-pq7canary", "kubectl|exec|pod|--|mysql|-p" REDACTED);
	/* "-p" alone: the next element is judged as after any -p (documented over-redaction) */
	expect_argv("mysql|-p|mydb", "mysql|-p|" REDACTED);
	KEPT_ARGV("mysql|-P|3306|-h|db|-p");
	KEPT_ARGV("patch|-p1|-i|fix.diff");
	KEPT_ARGV("tar|-pxf|a.tar");
	KEPT_ARGV("ip|-pretty|addr");
	KEPT_ARGV("docker|run|-p|3306:3306|mysql:8|-pretty");
	KEPT_ARGV("apt-get|install|-y|mysql-client.deb|-pq");
	/* inside a shell string: by the words before it */
	EXPECT("mysql -uroot -pq7canary db", "mysql -uroot -p" REDACTED " db");
	EXPECT("mysqldump -u root -p'q7 canary' app > a.sql",
	       "mysqldump -u root -p" REDACTED " app > a.sql");
	EXPECT("mysql -pq7canary; patch -p1 < d", "mysql -p" REDACTED "; patch -p1 < d");
	KEPT("patch -p1 < x.diff && tar -pxf a.tar");
	/* an apostrophe before the option does not hide it */
	EXPECT("echo it's ok; mysql --password q7canary -e 'select 1'",
	       "echo it's ok; mysql --password " REDACTED " -e 'select 1'");
	EXPECT("echo it's ok; mysql -pq7canary -e 'select 1'",
	       "echo it's ok; mysql -p" REDACTED " -e 'select 1'");
	EXPECT("tool --password a'q7 canary' next", "tool --password " REDACTED " next");
	/* a shell string quoted inside a shell string */
	EXPECT("docker exec db sh -c 'mysql -uroot -pq7canary'",
	       "docker exec db sh -c 'mysql -uroot -p" REDACTED "'");
	EXPECT("ssh h \"sshpass -p 1234 ssh -p 22 x 'mysql -pq7canary'\"",
	       "ssh h \"sshpass -p " REDACTED " ssh -p 22 x 'mysql -p" REDACTED "'\"");
	EXPECT("su -c 'deploy --db-pass q7canary' app", "su -c 'deploy --db-pass " REDACTED "' app");
	KEPT("echo 'tar -pxf a.tar' \"patch -p1\"");
}

/* Programs whose bare -p is a flag or takes no secret: the element after it stays, up to
 * the program's first operand. A later program's "-p PW" in the same argv or shell string
 * is judged as before. */
static void test_argv_p_flag_programs(void **state)
{
	(void)state;
	KEPT_ARGV("mkdir|-p|build");
	KEPT_ARGV("/bin/mkdir|-v|-p|dist");
	KEPT_ARGV("cp|-p|notes|backup");
	KEPT_ARGV("cp|-r|-p|src|dst");
	KEPT_ARGV("install|-p|-m|0644|conf|etc");
	KEPT_ARGV("journalctl|-b|-p|err");
	KEPT_ARGV("git|-p|log");
	KEPT_ARGV("diff|-u|-p|old|new");
	KEPT_ARGV("wget|-q|-p|example");
	KEPT_ARGV("unzip|-p|bundle|member");
	KEPT_ARGV("sudo|-u|deploy|mkdir|-p|build");
	/* the flag program's first operand ends it */
	expect_argv("mkdir|-p|build|cqlsh|-p|q7canary", "mkdir|-p|build|cqlsh|-p|" REDACTED);
	expect_argv("ssh|h|mkdir|-p|d|&&|cqlsh|-p|q7canary",
		    "ssh|h|mkdir|-p|d|&&|cqlsh|-p|" REDACTED);
	/* an option's value is an operand too: over-redacted as before */
	expect_argv("journalctl|-u|nginx|-p|err", "journalctl|-u|nginx|-p|" REDACTED);
	/* other programs keep the rule; sshpass's and login's own rules are unchanged */
	expect_argv("cqlsh|-u|u|-p|q7canary", "cqlsh|-u|u|-p|" REDACTED);
	expect_argv("sshpass|-p|q7canary|mkdir|-p|build", "sshpass|-p|" REDACTED "|mkdir|-p|build");
	expect_argv("docker|login|-p|q7canary|mkdir", "docker|login|-p|" REDACTED "|mkdir");
	/* the name must be the program's: "mkdirs" or "-p mkdir" is not */
	expect_argv("mkdirs|-p|q7canary", "mkdirs|-p|" REDACTED);
	expect_argv("tool|-p|mkdir|-p|q7canary", "tool|-p|" REDACTED "|-p|" REDACTED);
	/* in a shell string, each command by its own words */
	KEPT("mkdir -p build && cp -p a build/");
	EXPECT("mkdir -p build; cqlsh -p q7canary", "mkdir -p build; cqlsh -p " REDACTED);
	EXPECT("git -p log | cqlsh -p q7canary", "git -p log | cqlsh -p " REDACTED);
}

/* sshpass -p PW, and -p after "login" (docker, podman, oc, az login): the value is the
 * password whatever it looks like, digits included. sshpass's rule ends at the command it
 * runs, so ssh's -p 22 stays. */
static void test_argv_dash_p_password(void **state)
{
	expect_argv("sshpass|-pq7canary|ssh|host", "sshpass|-p" REDACTED "|ssh|host");
	expect_argv("sshpass|-p|1234|ssh|-p|22|host", "sshpass|-p|" REDACTED "|ssh|-p|22|host");
	expect_argv("sshpass|-p|p4ss/w0rd|scp|f|h:", "sshpass|-p|" REDACTED "|scp|f|h:");
	expect_argv("sshpass|-e|ssh|-p|2222|h", "sshpass|-e|ssh|-p|2222|h");
	expect_argv("docker|login|-u|bot|-p|123456|ghcr.io",
		    "docker|login|-u|bot|-p|" REDACTED "|ghcr.io");
	expect_argv("podman|login|-pq7canary|quay.io", "podman|login|-p" REDACTED "|quay.io");
	expect_argv("oc|login|-u|dev|-p|1234|https://api:6443",
		    "oc|login|-u|dev|-p|" REDACTED "|https://api:6443");
	KEPT_ARGV("docker|login|-u|bot|--password-stdin|ghcr.io");
	EXPECT("sshpass -p 1234 ssh -p 22 host", "sshpass -p " REDACTED " ssh -p 22 host");
	EXPECT("docker login -u bot -p 123456 ghcr.io", "docker login -u bot -p " REDACTED " ghcr.io");
	KEPT("ssh -p 22 host");
}

/* Other programs whose short option takes a password. */
static void test_argv_program_options(void **state)
{
	expect_argv("ldapsearch|-x|-D|cn=admin|-w|q7canary|-b|dc=x",
		    "ldapsearch|-x|-D|cn=admin|-w|" REDACTED "|-b|dc=x");
	expect_argv("ldapmodify|-wq7canary", "ldapmodify|-w" REDACTED);
	expect_argv("redis-cli|-h|cache|-a|q7canary|ping", "redis-cli|-h|cache|-a|" REDACTED "|ping");
	expect_argv("sqlcmd|-S|db|-U|sa|-P|q7canary", "sqlcmd|-S|db|-U|sa|-P|" REDACTED);
	expect_argv("zip|-P|1234|a.zip|f", "zip|-P|" REDACTED "|a.zip|f");
	expect_argv("unzip|-P|q7canary|a.zip", "unzip|-P|" REDACTED "|a.zip");
	expect_argv("7z|a|-pq7canary|a.7z|f", "7z|a|-p" REDACTED "|a.7z|f");
	expect_argv("unrar|x|-pq7canary|a.rar", "unrar|x|-p" REDACTED "|a.rar");
	expect_argv("mongosh|-u|admin|-p|1234", "mongosh|-u|admin|-p|" REDACTED);
	expect_argv("useradd|-p|$6$salt$hash|bob", "useradd|-p|" REDACTED "|bob");
	expect_argv("openssl|enc|-aes-256-cbc|-k|q7canary|-in|f",
		    "openssl|enc|-aes-256-cbc|-k|" REDACTED "|-in|f");
	expect_argv("openssl|enc|-K|00112233445566778899aabbccddeeff|-iv|0011",
		    "openssl|enc|-K|" REDACTED "|-iv|0011");
	KEPT_ARGV("redis-cli|-h|cache|-p|6379|ping");
	KEPT_ARGV("ldapsearch|-b|dc=x|-H|ldap://h");
	KEPT_ARGV("zip|-r|a.zip|dir");
	KEPT_ARGV("7z|x|a.7z|-o/tmp");
	KEPT_ARGV("grep|-w|word|ldap.conf");
	KEPT_ARGV("openssl|s_client|-connect|h:443");
	EXPECT("ldapsearch -x -w q7canary -b dc=x", "ldapsearch -x -w " REDACTED " -b dc=x");
	/* curl -b takes cookies ("a=b") or a cookie file */
	expect_argv("curl|-b|session=q7canary|https://h", "curl|-b|" REDACTED "|https://h");
	KEPT_ARGV("curl|-b|cookies.txt|-c|cookies.txt|https://h");
	KEPT_ARGV("git|branch|-b|x=y");
	/* Samba's -U USER%PASSWORD */
	expect_argv("smbclient|-U|bob%q7canary|//h/s", "smbclient|-U|bob%" REDACTED "|//h/s");
	expect_argv("smbclient|//h/s|-Ubob%q7canary", "smbclient|//h/s|-Ubob%" REDACTED);
	expect_argv("net|ads|join|-U|admin%q7canary", "net|ads|join|-U|admin%" REDACTED);
	KEPT_ARGV("smbclient|-U|bob|//h/s");
	expect_argv("mosquitto_pub|-u|u|-P|q7canary|-t|x", "mosquitto_pub|-u|u|-P|" REDACTED "|-t|x");
	expect_argv("ssh-keygen|-p|-P|q7old|-N|q7new|-f|k",
		    "ssh-keygen|-p|-P|" REDACTED "|-N|" REDACTED "|-f|k");
	KEPT_ARGV("ssh-keygen|-t|ed25519|-N||-f|k");
}

/* Oracle's USER/PASSWORD[@CONNECT] logons: only the password goes. */
static void test_argv_oracle_logon(void **state)
{
	expect_argv("sqlplus|-s|scott/q7canary@//db:1521/orcl|@x.sql",
		    "sqlplus|-s|scott/" REDACTED "@//db:1521/orcl|@x.sql");
	expect_argv("sqlplus|scott/q7canary", "sqlplus|scott/" REDACTED);
	expect_argv("sqlldr|userid=scott/q7canary|control=x.ctl",
		    "sqlldr|userid=scott/" REDACTED "|control=x.ctl");
	expect_argv("rman|target|sys/q7canary@db|catalog|rman/q7canary@cat",
		    "rman|target|sys/" REDACTED "@db|catalog|rman/" REDACTED "@cat");
	expect_argv("expdp|system/q7canary@db|directory=d|dumpfile=x.dmp",
		    "expdp|system/" REDACTED "@db|directory=d|dumpfile=x.dmp");
	KEPT_ARGV("sqlplus|/|as|sysdba");
	KEPT_ARGV("sqlplus|/@db");
	KEPT_ARGV("sqlplus|@dir/script.sql");
	KEPT_ARGV("cat|scott/tiger");
	KEPT_ARGV("sqlldr|control=dir/x.ctl|log=logs/x.log");
	EXPECT("sqlplus -s scott/q7canary@db @x.sql", "sqlplus -s scott/" REDACTED "@db @x.sql");
}

/* Programs whose password is an operand: by its place after the program and verb. */
static void test_argv_password_operands(void **state)
{
	expect_argv("openssl|passwd|-6|q7canary", "openssl|passwd|-6|" REDACTED);
	expect_argv("openssl|passwd|-1|-salt|xyz|q7canary",
		    "openssl|passwd|-1|-salt|" REDACTED "|" REDACTED);
	expect_argv("vault|login|q7canary", "vault|login|" REDACTED);
	expect_argv("vault|login|-no-print|q7canary", "vault|login|-no-print|" REDACTED);
	expect_argv("rabbitmqctl|add_user|bob|q7canary", "rabbitmqctl|add_user|bob|" REDACTED);
	expect_argv("rabbitmqctl|change_password|bob|q7canary",
		    "rabbitmqctl|change_password|bob|" REDACTED);
	expect_argv("wpa_passphrase|home|q7canary", "wpa_passphrase|home|" REDACTED);
	expect_argv("nmcli|dev|wifi|connect|home|password|q7canary",
		    "nmcli|dev|wifi|connect|home|password|" REDACTED);
	expect_argv("nmcli|con|modify|home|wifi-sec.psk|q7canary",
		    "nmcli|con|modify|home|wifi-sec.psk|" REDACTED);
	KEPT_ARGV("openssl|x509|-in|c.pem|-noout");
	KEPT_ARGV("vault|login|-method=oidc");
	KEPT_ARGV("rabbitmqctl|list_users");
	KEPT_ARGV("rabbitmqctl|add_vhost|v");
	KEPT_ARGV("nmcli|dev|wifi|list");
	KEPT_ARGV("echo|password|x");
	EXPECT("vault login q7canary && vault kv get x", "vault login " REDACTED " && vault kv get x");
}

/* config set KEY VALUE: the value of a key whose last part names a secret. */
static void test_argv_config_set(void **state)
{
	expect_argv("aws|configure|set|aws_secret_access_key|q7canary",
		    "aws|configure|set|aws_secret_access_key|" REDACTED);
	expect_argv("aws|configure|set|aws_session_token|q7canary|--profile|p",
		    "aws|configure|set|aws_session_token|" REDACTED "|--profile|p");
	expect_argv("aws|configure|set|profile.prod.aws_secret_access_key|q7canary",
		    "aws|configure|set|profile.prod.aws_secret_access_key|" REDACTED);
	expect_argv("git|config|--global|user.password|q7canary",
		    "git|config|--global|user.password|" REDACTED);
	expect_argv("npm|config|set|//registry.npmjs.org/:_authToken|q7canary",
		    "npm|config|set|//registry.npmjs.org/:_authToken|" REDACTED);
	expect_argv("kubectl|config|set|users.ci.token|q7canary",
		    "kubectl|config|set|users.ci.token|" REDACTED);
	expect_argv("yarn|config|set|npmAuthToken|q7canary",
		    "yarn|config|set|npmAuthToken|" REDACTED);
	expect_argv("dotnet|user-secrets|set|Db:Password|q7canary",
		    "dotnet|user-secrets|set|Db:Password|" REDACTED);
	KEPT_ARGV("aws|configure|set|region|us-east-1");
	KEPT_ARGV("git|config|credential.helper|store");
	KEPT_ARGV("git|config|--global|user.name|Jane");
	KEPT_ARGV("gcloud|config|set|auth/access_token_file|/run/t");
	KEPT_ARGV("kubectl|get|token|x");
	KEPT_ARGV("echo|user.password|x");
	EXPECT("aws configure set aws_secret_access_key q7canary",
	       "aws configure set aws_secret_access_key " REDACTED);
	KEPT("set -e; echo $API_TOKEN_NAME x");
}

/* htpasswd -b takes the password as its last positional argument (-n: no file). */
static void test_argv_htpasswd(void **state)
{
	expect_argv("htpasswd|-b|/etc/h|bob|q7canary", "htpasswd|-b|/etc/h|bob|" REDACTED);
	expect_argv("htpasswd|-bc|f|bob|q7canary", "htpasswd|-bc|f|bob|" REDACTED);
	expect_argv("htpasswd|-nb|bob|q7canary", "htpasswd|-nb|bob|" REDACTED);
	expect_argv("htpasswd|-nbB|bob|q7canary", "htpasswd|-nbB|bob|" REDACTED);
	expect_argv("htpasswd|-b|-B|-C|10|f|bob|q7canary", "htpasswd|-b|-B|-C|10|f|bob|" REDACTED);
	KEPT_ARGV("htpasswd|-c|f|bob");
	KEPT_ARGV("htpasswd|-D|f|bob");
	KEPT_ARGV("htpasswd|-v|f|bob");
	EXPECT("htpasswd -nb bob q7canary > x", "htpasswd -nb bob " REDACTED " > x");
}

/* Writing to a secret store: every KEY=VALUE value, kubectl's --from-literal, gh's --body,
 * az keyvault's and aws ssm's --value. */
static void test_argv_secret_store(void **state)
{
	expect_argv("kubectl|create|secret|generic|n|--from-literal=key=q7canary|--from-literal|"
		    "k2=q7canary|--from-file=ca=./ca.crt",
		    "kubectl|create|secret|generic|n|--from-literal=key=" REDACTED "|--from-literal|"
		    "k2=" REDACTED "|--from-file=ca=./ca.crt");
	expect_argv("vault|kv|put|secret/app|user=bob|api=q7canary",
		    "vault|kv|put|secret/app|user=" REDACTED "|api=" REDACTED);
	expect_argv("vault|kv|put|secret/app|password=q7canary",
		    "vault|kv|put|secret/app|password=" REDACTED);
	expect_argv("gh|secret|set|DEPLOY_KEY|--body|q7canary|--repo|o/r",
		    "gh|secret|set|DEPLOY_KEY|--body|" REDACTED "|--repo|o/r");
	expect_argv("gh|secret|set|X|-b|q7canary", "gh|secret|set|X|-b|" REDACTED);
	expect_argv("gh|secret|set|X|--body=q7canary", "gh|secret|set|X|--body=" REDACTED);
	expect_argv("gh|secret|set|X|-bq7canary", "gh|secret|set|X|-b" REDACTED);
	expect_argv("fly|secrets|set|A=q7canary|B=1|-a|app",
		    "fly|secrets|set|A=" REDACTED "|B=" REDACTED "|-a|app");
	expect_argv("az|keyvault|secret|set|--vault-name|v|--name|n|--value|q7canary",
		    "az|keyvault|secret|set|--vault-name|v|--name|n|--value|" REDACTED);
	expect_argv("aws|ssm|put-parameter|--name|/x|--value|q7canary|--type|SecureString",
		    "aws|ssm|put-parameter|--name|/x|--value|" REDACTED "|--type|SecureString");
	KEPT_ARGV("kubectl|get|secret|n|-o|jsonpath={.data.password}");
	KEPT_ARGV("kubectl|create|configmap|c|--from-literal=level=debug");
	KEPT_ARGV("vault|kv|get|-field=user|secret/app");
	KEPT_ARGV("gh|variable|set|X|--body|v");
	EXPECT("kubectl create secret generic n --from-literal=k=q7canary",
	       "kubectl create secret generic n --from-literal=k=" REDACTED);
}

static void test_headers(void **state)
{
	expect_after("-H", "Authorization: Bearer abc.def", "Authorization: " REDACTED);
	expect_after("-H", "Authorization: Basic dXNlcjpwYXNz", "Authorization: " REDACTED);
	expect_after("-H", "Proxy-Authorization: Basic x", "Proxy-Authorization: " REDACTED);
	expect_after("-H", "Cookie: a=b; c=d", "Cookie: " REDACTED);
	expect_after("-H", "X-Api-Key: k123", "X-Api-Key: " REDACTED);
	expect_after("-H", "Private-Token: t", "Private-Token: " REDACTED);
	expect_after("--header", "authorization:bearer x", "authorization:" REDACTED);
	expect_after("-H", "X-Custom-Token: abc", "X-Custom-Token: " REDACTED);
	expect_after("-H", "X-Session-Cookie: abc", "X-Session-Cookie: " REDACTED);
	/* Known names need no -H. */
	EXPECT("Authorization: Bearer abc", "Authorization: " REDACTED);
	EXPECT("X-Api-Key : k", "X-Api-Key : " REDACTED);
	/* Attached forms. */
	EXPECT("-HAuthorization: Bearer abc", "-HAuthorization: " REDACTED);
	EXPECT("-HX-My-Token: abc", "-HX-My-Token: " REDACTED);
	EXPECT("--header=Cookie: sid=1", "--header=Cookie: " REDACTED);
	/* Inside a shell string: up to the quote that opened it. */
	EXPECT("curl -H 'Authorization: Bearer T' https://x",
	       "curl -H 'Authorization: " REDACTED "' https://x");
	EXPECT("curl -H \"Cookie: a=b\" -H 'Accept: */*'",
	       "curl -H \"Cookie: " REDACTED "\" -H 'Accept: */*'");
	/* Not secret. */
	KEPT_AFTER("-H", "Accept: application/json");
	KEPT_AFTER("-H", "Authorization:"); /* curl: remove the header */
	KEPT("X-Custom-Token: abc");	    /* unknown name without -H */
	KEPT("Auth: fix login");
	KEPT("cookies: are tasty");
	KEPT("cookie monster");
}

/* A shell string holds option and value in one element (sh -c, make recipes). */
static void test_shell_string_options(void **state)
{
	EXPECT("mysql --password " CANARY " -h db", "mysql --password " REDACTED " -h db");
	EXPECT("deploy --api-token '" CANARY "' --env prod",
	       "deploy --api-token '" REDACTED "' --env prod");
	EXPECT("docker login -u bot -p \"" CANARY "\" ghcr.io",
	       "docker login -u bot -p \"" REDACTED "\" ghcr.io");
	EXPECT("sshpass -p " CANARY " ssh host", "sshpass -p " REDACTED " ssh host");
	EXPECT("curl -u alice:" CANARY " https://x", "curl -u alice:" REDACTED " https://x");
	EXPECT("tool --secret", "tool --secret");
	/* what -p and -u mean elsewhere */
	KEPT("ssh -p 2222 host && mkdir -p /tmp/x");
	KEPT("docker run -u 1000:1000 -p 8080:80 img");
	KEPT("git log --no-password-prompt x");
}

static void test_curl_user(void **state)
{
	expect_after("-u", "user:pass", "user:" REDACTED);
	expect_after("--user", "alice:p4ss:w0rd", "alice:" REDACTED);
	expect_after("-u", ":secret", ":" REDACTED);
	expect_after("-u", "bob:12ab", "bob:" REDACTED);
	KEPT_AFTER("-u", "user");	/* curl prompts for the password */
	KEPT_AFTER("-u", "1000:1000"); /* docker -u uid:gid */
	KEPT_AFTER("--user", "app:0");
	/* an empty password: the user name is the key (curl -u "$API_KEY:") */
	expect_after("-u", "user:", REDACTED ":");
	expect_after("-u", "09fb8c1d2e3f4a5b6c7d8e9f0a1b2c3d:", REDACTED ":");
	EXPECT("-u09fb8c1d2e3f4a5b6c7d8e9f0a1b2c3d:", "-u" REDACTED ":");
	EXPECT("--user=ko0a1B2c3D4e5F6g7H8i9J0k1L2m:", "--user=" REDACTED ":");
	KEPT_AFTER("-u", "1000:");	/* uid, no group */
	/* redis-cli -u URL: the URL's password only, its host kept */
	expect_after("-u", "redis://default:q7canaryPw@r.example:6379",
		     "redis://default:" REDACTED "@r.example:6379");
	/* curl's proxy credentials, and its OAuth 2 bearer token */
	expect_after("-U", "proxy:pr0xy-pw", "proxy:" REDACTED);
	expect_after("--proxy-user", "proxy:pr0xy-pw", "proxy:" REDACTED);
	expect_after("--oauth2-bearer", "q7opaque", REDACTED);
	EXPECT("--oauth2-bearer=q7opaque", "--oauth2-bearer=" REDACTED);
	/* the compact forms carry the value in the option's own element */
	EXPECT("-ualice:s3cr3t-pw", "-ualice:" REDACTED);
	EXPECT("-Uproxy:s3cr3t-pw", "-Uproxy:" REDACTED);
	EXPECT("--user=alice:s3cr3t-pw", "--user=alice:" REDACTED);
	EXPECT("--proxy-user=proxy:s3cr3t-pw", "--proxy-user=proxy:" REDACTED);
	/* the token is the user name (a random one also trips the entropy rule, which takes
	 * the "u" along: "-[REDACTED]:[REDACTED]") */
	EXPECT("-ughp_abcdefghijklmnopqrst:x-oauth-basic", "-u" REDACTED ":" REDACTED);
	EXPECT("-ughp_0123456789abcdefghijABCDEFGHIJ012345:x-oauth-basic",
	       "-" REDACTED ":" REDACTED);
	expect_after("-u", "ghp_0123456789abcdefghijABCDEFGHIJ012345:x-oauth-basic",
		     REDACTED ":" REDACTED);
	KEPT("-u1000:1000");	/* docker -u uid:gid, attached */
	KEPT("-uroot");
	KEPT("-U");
	KEPT_AFTER("-U", "pip");	/* pip install -U pip: no ':' */
}

/* A secret key's value in a file's text given as an argument: after an escaped line
 * break (printf's format), and with blanks around '=' (INI) or after ':' (YAML). */
static void test_pairs_in_file_text(void **state)
{
	(void)state;
	EXPECT("printf '[default]\\naws_secret_access_key=q7canary\\n' > f",
	       "printf '[default]\\naws_secret_access_key=" REDACTED "' > f");
	EXPECT("printf 'a=1\\tpassword=q7canary'", "printf 'a=1\\tpassword=" REDACTED "'");
	EXPECT("aws_secret_access_key = q7canary", "aws_secret_access_key = " REDACTED);
	EXPECT("echo 'aws_secret_access_key = q7canary' >> f",
	       "echo 'aws_secret_access_key = " REDACTED "' >> f");
	EXPECT("echo password: q7canary", "echo password: " REDACTED);
	EXPECT("echo \"api_token:  q7canary\" | kubectl apply -f -",
	       "echo \"api_token:  " REDACTED "\" | kubectl apply -f -");
	EXPECT("echo db_password =q7canary", "echo db_password =" REDACTED);
	/* not a secret's key, or not a separator */
	KEPT("printf 'a\\nname=value\\n'");
	KEPT("region = us-east-1");
	KEPT("echo user: alice");
	KEPT("token:abc");	/* no blank: a scheme or a host:port, not YAML */
	/* free text that reads as a secret's key and value loses the value; a capitalised
	 * key before ':' is a subject line, not YAML */
	EXPECT("see the password: section", "see the password: " REDACTED);
	KEPT("git commit -m 'Token: refresh on expiry'");
	EXPECT("Password = q7canary", "Password = " REDACTED);
}

static void test_env_assignments(void **state)
{
	EXPECT("DB_PASSWORD=hunter2", "DB_PASSWORD=" REDACTED);
	EXPECT("MYSQL_ROOT_PASSWD=x", "MYSQL_ROOT_PASSWD=" REDACTED);
	EXPECT("AWS_SECRET_ACCESS_KEY=x", "AWS_SECRET_ACCESS_KEY=" REDACTED);
	EXPECT("GITHUB_TOKEN=x", "GITHUB_TOKEN=" REDACTED);
	EXPECT("OPENAI_API_KEY=x", "OPENAI_API_KEY=" REDACTED);
	EXPECT("STRIPE_APIKEY=x", "STRIPE_APIKEY=" REDACTED);
	EXPECT("AWS_ACCESS_KEY_ID=x", "AWS_ACCESS_KEY_ID=" REDACTED);
	EXPECT("SSH_PRIVATE_KEY=x", "SSH_PRIVATE_KEY=" REDACTED);
	EXPECT("GOOGLE_CREDENTIALS={\"a\":1}", "GOOGLE_CREDENTIALS=" REDACTED);
	EXPECT("NPM_AUTH=x", "NPM_AUTH=" REDACTED);
	EXPECT("OAUTH_CLIENT=x", "OAUTH_CLIENT=" REDACTED);
	EXPECT("db_password=x y z", "db_password=" REDACTED);
	EXPECT("DB_PASS=x", "DB_PASS=" REDACTED);
	EXPECT("PASS=x", "PASS=" REDACTED);
	EXPECT("TOKEN='a b' rest", "TOKEN='" REDACTED "' rest");
	/* the CI token variables whose names no secret word names (docs/ci-providers.md) */
	EXPECT("CI_JOB_JWT=8c98fcf6ae", "CI_JOB_JWT=" REDACTED);
	EXPECT("CI_JOB_JWT_V1=8c98fcf6ae", "CI_JOB_JWT_V1=" REDACTED);
	EXPECT("CI_JOB_JWT_V2=8c98fcf6ae", "CI_JOB_JWT_V2=" REDACTED);
	EXPECT("DRONE_NETRC_USERNAME=8c98fcf6ae", "DRONE_NETRC_USERNAME=" REDACTED);
	EXPECT("CI_NETRC_USERNAME=8c98fcf6ae", "CI_NETRC_USERNAME=" REDACTED);
	EXPECT("VELA_NETRC_USERNAME=8c98fcf6ae", "VELA_NETRC_USERNAME=" REDACTED);
	EXPECT("docker run -e CI_JOB_JWT_V2=8c98fcf6ae img",
	       "docker run -e CI_JOB_JWT_V2=" REDACTED " img");
	EXPECT("MY_SERVICE_JWT=x", "MY_SERVICE_JWT=" REDACTED);
	KEPT("DRONE_NETRC_MACHINE=github.com");
	KEPT("CI_JOB_NAME=build");
	/* shell strings that start with an assignment: the value runs to the element's end */
	EXPECT("DB_PASSWORD=q7canary ./run", "DB_PASSWORD=" REDACTED);
	EXPECT("FOO=1 API_TOKEN=q7canary cmd", "FOO=1 API_TOKEN=" REDACTED " cmd");
	/* MySQL's password variable, and ODBC / SQL Server connection strings */
	EXPECT("MYSQL_PWD=q7canary", "MYSQL_PWD=" REDACTED);
	EXPECT("export MYSQL_PWD=q7canary; mysql", "export MYSQL_PWD=" REDACTED "; mysql");
	EXPECT("Server=db;Uid=sa;Pwd=q7canary;", "Server=db;Uid=sa;Pwd=" REDACTED ";");
	EXPECT("DRIVER={x};UID=sa;PWD=q7canary", "DRIVER={x};UID=sa;PWD=" REDACTED);
	KEPT("PWD=/home/x");	/* the shell's working directory */
	KEPT("PWD='/home/x'");
	KEPT("PWD=~/x");
	KEPT("OLDPWD=/tmp");
	/* a key after ':' (.npmrc lines: //registry/:_authToken=...) */
	EXPECT("//registry.npmjs.org/:_authToken=q7canary",
	       "//registry.npmjs.org/:_authToken=" REDACTED);
	EXPECT("echo //npm.pkg.github.com/:_authToken=q7canary > .npmrc",
	       "echo //npm.pkg.github.com/:_authToken=" REDACTED " > .npmrc");
	KEPT("https://h:8080/x");
	KEPT("a:b=c");
	KEPT("GIT_AUTHOR_NAME=Jane");
	KEPT("GIT_AUTHOR_EMAIL=jane@example.com");
	KEPT("PATH=/usr/bin:/bin");
	KEPT("HOME=/root");
	KEPT("TOKEN_FILE=/var/run/token");
	KEPT("GOOGLE_APPLICATION_CREDENTIALS_PATH=/k.json");
	KEPT("PASSPORT=x");
	KEPT("COMPASS=x");
	KEPT("A=B");
	KEPT("=value");
}

/* KEY=VALUE names whose words say secret as an option's would: passphrases, keys of
 * the secret kinds in any case style, sshpass's variable; a key that names no secret
 * kind is kept. */
/* Shell strings: a secret given by a command substitution, the shell's $'...' quoting or
 * on the next line of a continuation is cut whole. */
static void test_shell_value_forms(void **state)
{
	static const char *in[] = {
		"/bin/true --password=$(printf QfakePp4Vb8Nc6) next",
		"/bin/true --token=`echo QfakeTk5Wz9Lq3` next",
		"/bin/true --password=$'QfakePq7Xy2Mn4' next",
		"/bin/true --token \\\n QfakeTn6Rb3Vc8 next",
		"/bin/true --password $(cat <(echo QfakePz1Kd9Hw5)) next",
	};
	static const char *const canaries[] = { "QfakePp4Vb8Nc6", "QfakeTk5Wz9Lq3", "QfakePq7Xy2Mn4",
						"QfakeTn6Rb3Vc8", "QfakePz1Kd9Hw5" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *r = redact_arg("-c", 2, in[i], strlen(in[i]));

		assert_non_null(r);
		assert_null(strstr(r, canaries[i]));
		assert_non_null(strstr(r, "next"));
		free(r);
	}
	KEPT("echo $(date) `hostname` $'a\\tb'");
	/* a pair that starts a shell string ends with its word: the command stays */
	expect_after("-c", "X_TOKEN=QfakeXt1 /bin/true hidden-cmd-1",
		     "X_TOKEN=" REDACTED " /bin/true hidden-cmd-1");
	expect_after("-c", "X_TOKEN=QfakeXt2; /bin/true hidden-cmd-2",
		     "X_TOKEN=" REDACTED "; /bin/true hidden-cmd-2");
	expect_after("-lc", "API_TOKEN='Qfake Xt3' curl https://api.example.com/x",
		     "API_TOKEN='" REDACTED "' curl https://api.example.com/x");
	/* an element that is no shell string keeps its value whole (env 'PASSWORD=a b') */
	expect_after("env", "PASSWORD=correct horse battery", "PASSWORD=" REDACTED);
	(void)state;
}

static void test_pairs_key_words(void **state)
{
	static const char *secret[] = {
		"passphrase", "GPG_PASSPHRASE", "SSH_PASSPHRASE", "privateKey", "accessKey",
		"ACCOUNT_KEY", "AccountKey", "SharedAccessKey", "MASTER_KEY", "ENCRYPTION_KEY",
		"signing_key", "JWT_SIGNING_KEY", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT_KEY",
		"SSHPASS", "DEPLOY_KEY", "SSH_KEY", "STRIPE_KEY", "MAILGUN_KEY", "SENDGRID_KEY",
		"HMAC_KEY", "APP_KEY", "ADMIN_PW", "DB_PW",
	};
	char in[128], want[128];

	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		snprintf(in, sizeof(in), "%s=q7canaryV", secret[i]);
		snprintf(want, sizeof(want), "%s=" REDACTED, secret[i]);
		EXPECT(in, want);
	}
	EXPECT("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=q7canaryV",
	       "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" REDACTED);
	KEPT("CACHE_KEY=linux-node");
	KEPT("PRIMARY_KEY=id");
	KEPT("SORT_KEY=name");
	KEPT("KEYBOARD=us");
	(void)state;
}

static void test_option_value_pairs(void **state)
{
	/* an option's value that is itself a secret pair, joined with '=' */
	EXPECT("--env=API_KEY=k1i8c3diof", "--env=API_KEY=" REDACTED);
	EXPECT("--build-arg=NPM_TOKEN=k1i8c3diof", "--build-arg=NPM_TOKEN=" REDACTED);
	EXPECT("-var=db_password=khi5h0unsy", "-var=db_password=" REDACTED);
	EXPECT("--set=db.password=khi5h0unsy", "--set=db.password=" REDACTED);
	EXPECT("--set-string=auth.token=khi5h0unsy", "--set-string=auth.token=" REDACTED);
	EXPECT("--from-literal=password=khi5h0unsy", "--from-literal=password=" REDACTED);
	EXPECT("sh -c 'docker build --build-arg=NPM_TOKEN=k1i8c3diof .'",
	       "sh -c 'docker build --build-arg=NPM_TOKEN=" REDACTED " .'");
	KEPT("--env=HOME=/root");
	KEPT("--set=image.tag=v1.2");
	KEPT("--define=x=y");
	KEPT("-plugin-opt=-pass-through=-lgcc"); /* every gcc link */
	KEPT("--passthrough=1");
	/* --pwd is a password where it names an option's value */
	expect_after("--pwd", "keparta1yc", REDACTED);
	(void)state;
}

static void test_embedded_pairs(void **state)
{
	EXPECT("host=db password=s3cret dbname=app", "host=db password=" REDACTED " dbname=app");
	EXPECT("Server=x;Password=pw;Database=d", "Server=x;Password=" REDACTED ";Database=d");
	EXPECT("a=1,db.password=x,b=2", "a=1,db.password=" REDACTED ",b=2");
	EXPECT("export API_TOKEN='a b c'; ./deploy", "export API_TOKEN='" REDACTED "'; ./deploy");
	EXPECT("FOO=1 DB_PASSWORD=x ./run", "FOO=1 DB_PASSWORD=" REDACTED " ./run");
	EXPECT("mysql --password=pw -h db", "mysql --password=" REDACTED " -h db");
}

static void test_json_pairs(void **state)
{
	EXPECT("{\"user\":\"bob\",\"password\":\"hunter2\"}",
	       "{\"user\":\"bob\",\"password\":\"" REDACTED "\"}");
	EXPECT("{\"api_key\": \"a\\\"b\", \"n\": 1}",
	       "{\"api_key\": \"" REDACTED "\", \"n\": 1}");
	EXPECT("{'client_secret': 'x', 'id': 2}", "{'client_secret': '" REDACTED "', 'id': 2}");
	EXPECT("{\"pin\":1,\"token\":123456}", "{\"pin\":1,\"token\":" REDACTED "}");
	KEPT("{\"author\":\"Jane\",\"tokens_file\":\"/x\"}");
	KEPT("{\"password\"}");
	KEPT("\"password\":");
	KEPT("\"");
}

static void test_url_userinfo(void **state)
{
	EXPECT("https://user:pass@host/x", "https://user:" REDACTED "@host/x");
	EXPECT("postgres://app:s3cr3t@db:5432/app", "postgres://app:" REDACTED "@db:5432/app");
	EXPECT("redis://:pw@cache:6379", "redis://:" REDACTED "@cache:6379");
	EXPECT("https://u:p@ss@host/", "https://u:" REDACTED "@host/");
	EXPECT("https://x-access-token:abc@github.com/o/r.git",
	       "https://x-access-token:" REDACTED "@github.com/o/r.git");
	EXPECT("git clone https://bob:pw@example.com/r mirror",
	       "git clone https://bob:" REDACTED "@example.com/r mirror");
	EXPECT("a=https://u:1@h b=ftp://v:2@k",
	       "a=https://u:" REDACTED "@h b=ftp://v:" REDACTED "@k");
	KEPT("ssh://git@github.com/o/r.git");
	KEPT("https://host:8443/path@x");
	/* an empty password: the user name is the key (curl 'https://KEY:@api/') */
	EXPECT("https://u:@host/", "https://" REDACTED ":@host/");
	EXPECT("curl https://k1i8c3diof:@api.example.com/",
	       "curl https://" REDACTED ":@api.example.com/");
	KEPT("https://:@host/");
	/* a user name alone is kept unless it looks like a token (git's https://TOKEN@) */
	EXPECT("git clone https://kQ7x9Zp2Lm4Rt8Vw1Yb3Nc6@github.com/o/r",
	       "git clone https://" REDACTED "@github.com/o/r");
	KEPT("https://deploy@git.example.com/o/r.git");
	KEPT("https://x-access-token@github.com/o/r");
	KEPT("https://example.com/a:b@c");
	KEPT("://");
	KEPT("x://");
}

static void test_url_query(void **state)
{
	static const char *names[] = { "token", "access_token", "key", "api_key", "sig",
				       "signature", "X-Amz-Signature", "X-Amz-Credential",
				       "password", "secret", "code", "client_secret", "KEY" };
	char in[128], want[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(in, sizeof(in), "https://h/x?page=2&%s=abc&sort=asc#top", names[i]);
		snprintf(want, sizeof(want),
			 "https://h/x?page=" REDACTED "&%s=" REDACTED "&sort=" REDACTED "#" REDACTED,
			 names[i]);
		EXPECT(in, want);
		snprintf(in, sizeof(in), "https://h/x?%s=abc", names[i]);
		snprintf(want, sizeof(want), "https://h/x?%s=" REDACTED, names[i]);
		EXPECT(in, want);
	}
	EXPECT("https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	       "&X-Amz-Credential=AKID%2F20240101&X-Amz-Signature=abcdef",
	       "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=" REDACTED
	       "&X-Amz-Credential=" REDACTED "&X-Amz-Signature=" REDACTED);
	/* a URL's query string is never emitted, whatever its keys */
	EXPECT("https://h/x?page=2&sort=asc", "https://h/x?page=" REDACTED "&sort=" REDACTED);
	EXPECT("https://h/x?q=idtcanary42", "https://h/x?q=" REDACTED);
	/* outside a URL's query, only secret names */
	EXPECT("https://h/x#a=1", "https://h/x#" REDACTED); /* a fragment never is */
	KEPT("a=1&b=2");
	KEPT("code=1"); /* "code" is only secret in a query */
}

/* Percent-encoding: a URL's userinfo is cut whole whatever its escapes; a query's keys
 * may hold escapes and its parameters may lack '=' (all are values); a form body encoded
 * once more (a=b%26password%3DPW) hides its pairs behind %3D and %26. */
static void test_url_percent_encoded(void **state)
{
	EXPECT("https://user:p%40ss@host/x", "https://user:" REDACTED "@host/x");
	EXPECT("https://u%40corp:p%3Ass%2F%3F@host/", "https://u%40corp:" REDACTED "@host/");
	EXPECT("https://h/x?pass%77ord=q7canary&b=1", "https://h/x?pass%77ord=" REDACTED "&b=" REDACTED);
	EXPECT("https://h/x?filter[token]=q7canary", "https://h/x?filter[token]=" REDACTED);
	EXPECT("https://h/x?q7canary", "https://h/x?" REDACTED);
	EXPECT("https://h/x?a=1&q7canary&b#f", "https://h/x?a=" REDACTED "&" REDACTED "&" REDACTED
	       "#" REDACTED);
	EXPECT("curl 'https://h/x?q7canary' -o f", "curl 'https://h/x?" REDACTED "' -o f");
	/* form bodies (curl -d, --data-urlencode) */
	EXPECT("user=a&password=q7canary", "user=a&password=" REDACTED);
	expect_after("--data-urlencode", "password=q7canary", "password=" REDACTED);
	/* a plain pair's value holds its escapes: "%26" does not end it */
	expect_after("-d", "password=p%26ss%3Dq7canary&x=1", "password=" REDACTED);
	EXPECT("user=a&password=p%26ss%3Dq7canary&x=1", "user=a&password=" REDACTED "&x=1");
	EXPECT("payload=user%3Da%26password%3Dq7canary%26x%3D1",
	       "payload=user%3Da%26password%3D" REDACTED "%26x%3D1");
	EXPECT("password%3Dq7canary", "password%3D" REDACTED);
	EXPECT("api_key%3dq7canary", "api_key%3d" REDACTED);
	EXPECT("state=x%26token%3Dq7canary", "state=x%26token%3D" REDACTED);
	KEPT("a%3Db%26c%3Dd");
	KEPT("https://h/x?");
	KEPT("a?b&c");		/* no URL */
	KEPT("100%3D");
}

/* A header as a value (git -c http.extraHeader=...). */
static void test_header_after_equals(void **state)
{
	EXPECT("http.extraHeader=Authorization: Bearer q7canary",
	       "http.extraHeader=Authorization: " REDACTED);
	EXPECT("http.https://github.com/.extraheader=AUTHORIZATION: basic eHg6eHg=",
	       "http.https://github.com/.extraheader=AUTHORIZATION: " REDACTED);
	KEPT("http.extraHeader=Accept: text/html");
	KEPT("x=Auth: fix");
}

static void test_url_fragment(void **state)
{
	/* OAuth's implicit flow returns the token in the fragment */
	EXPECT("https://h/cb#access_token=q7opaque&token_type=bearer", "https://h/cb#" REDACTED);
	EXPECT("https://h/p#q7opaque", "https://h/p#" REDACTED);
	EXPECT("see https://h/p#frag and more", "see https://h/p#" REDACTED " and more");
	EXPECT("'https://h/p#frag' x", "'https://h/p#" REDACTED "' x");
	EXPECT("https://a/#x https://b/#y", "https://a/#" REDACTED " https://b/#" REDACTED);
	KEPT("https://h/p#");
	KEPT("https://h/p");
	/* path parameters: the value goes, as a query's does */
	EXPECT("https://h/app;jsessionid=q7opaque/x", "https://h/app;jsessionid=" REDACTED "/x");
	EXPECT("https://h/a;v=1;s=2?q=3#f",
	       "https://h/a;v=" REDACTED ";s=" REDACTED "?q=" REDACTED "#" REDACTED);
	KEPT("https://h/a;b/c");
	EXPECT("https://hooks.slack.com/services/T0ABC/B0DEF/q7opaque",
	       "https://hooks.slack.com/services/T0ABC/B0DEF/" REDACTED);
	KEPT("https://h/services/data/v58.0");
	/* path segments judged as an HTTP request's path is (http_redact.c) */
	EXPECT("https://127.0.0.1:8443/k/aB3dE5fG7hJ9kL1mN3pQ5rS7/x",
	       "https://127.0.0.1:8443/k/" REDACTED "/x");
	/* (the entropy rule takes the method along) */
	EXPECT("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
	       "https://api.telegram.org/" REDACTED);
	KEPT("https://api.github.com/repos/acme/widgets/pulls/123");
	KEPT("https://h/v1/objects/3f2a9c1e-7b4d-4c1a-9e2f-1a2b3c4d5e6f");
	KEPT("https://h/commits/8a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e6f7a8b9c");
	KEPT("https://h/subscriptions/ApplicationGateway2023Q1/resourceGroups");
	KEPT("https://aB3dE5fG7hJ9kL1mN3pQ5rS7.example.com/"); /* a host is not a path */
	KEPT("a;b=c");	/* no URL */
	KEPT("issue #123");	/* no URL */
	KEPT("color=#fff");
}

/* Other services' prefixed tokens (redact.c's prefixed_tokens): redacted
 * whole, also inside a larger argument; too short a run is kept. */
static void test_other_prefixed_tokens(void **state)
{
	static const char *tokens[] = {
		"glcbt-64_GRFAGxq7b3e9QUrispXy",
		"glptt-0123456789abcdefABCDEF",
		"gldt-Ab3De6Gh9Jk2Mn5Pq8St",
		"glrt-t1_Ab3De6Gh9Jk2Mn5Pq8St",
		"npm_Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi",
		"dckr_pat_Ab3De6Gh9Jk2Mn5Pq8St1Vw",
		"hvs.CAESIAb3De6Gh9Jk2Mn5Pq8St1Vw4Yz7",
		"pypi-AgEIcHlwaS5vcmcCJGQ4ZjM0MDAwLWFhYmItNDk2Zi05MmFkLTY4NzE5NTY1",
		"sk_live_Ab3De6Gh9Jk2Mn5Pq8St",
		"rk_test_Ab3De6Gh9Jk2Mn5Pq8St",
		"AIzaSyAb3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0E",
		"ya29.a0Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef",
		"shpat_0123456789abcdef0123456789abcdef",
		"dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"hf_Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef",
		"xapp-1-A0123456789-0123456789-abcdef",
		"xoxe-1-Ab3De6Gh9Jk2Mn5Pq8",
		"dapi0123456789abcdef0123456789abcdef",
		"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",
		"AGE-SECRET-KEY-1QQPQ8W6YJ9KZ0M3L5N7P2R4T6V8X0Z2C4E6G8J0L2N4P6R8T0V2X",
	};
	static const char *within[] = { "https://gitlab-ci-token:%s@gitlab.example/g/p",
					"echo %s | docker login", "x=%s;" };
	char in[200], *r;

	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		EXPECT(tokens[i], REDACTED);
		for (size_t k = 0; k < sizeof(within) / sizeof(within[0]); k++) {
			snprintf(in, sizeof(in), within[k], tokens[i]);
			r = redact_arg(NULL, 0, in, strlen(in));
			assert_non_null(r);
			assert_null(strstr(r, tokens[i]));
			free(r);
		}
	}
	KEPT("glcbt-short");
	KEPT("npm_install");
	KEPT("hvs.short");
	KEPT("AIzaShort");
	KEPT("dapi-docs");
	KEPT("SG.hello");
	KEPT("xglcbt-64_GRFAGxq7b3e9QUrispXy");
	(void)state;
}

static void test_token_prefixes(void **state)
{
	static const char *tokens[] = {
		"ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI",
		"gho_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI",
		"ghu_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI",
		"ghs_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI",
		"ghr_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI",
		"github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789",
		"glpat-abcdefghij0123456789",
		"xoxb-1234567890-abcdefghij",
		"xoxp-1234567890-abcdefghij",
		"xoxa-1234567890-abcdefghij",
		"xoxr-1234567890-abcdefghij",
		"xoxs-1234567890-abcdefghij",
		"AKIAIOSFODNN7EXAMPLE",
		"ASIAIOSFODNN7EXAMPLE",
		"sk-abcdefghij0123456789",
		"sk-proj-abcdefghij0123456789ABCDEF",
	};
	char in[160], want[160];
	size_t i;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		EXPECT(tokens[i], REDACTED);
		snprintf(in, sizeof(in), "token is %s, ok", tokens[i]);
		EXPECT(in, "token is " REDACTED ", ok");
		snprintf(in, sizeof(in), "x:%s@host", tokens[i]);
		snprintf(want, sizeof(want), "x:%s@host", REDACTED);
		EXPECT(in, want);
	}
	EXPECT("https://ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI@github.com/o/r",
	       "https://" REDACTED "@github.com/o/r");
	/* Too short, wrong shape, or no boundary. */
	KEPT("ghp_short");
	KEPT("ghx_aB3dE6gH9jK2mN5pQ8sT1vW4");
	KEPT("xghp_ab3de6gh9jk2mn5pq8st1vw4");
	KEPT("glpat-short");
	KEPT("xoxb-123");
	KEPT("AKIAIOSFODNN7EXAMPLEX");
	KEPT("AKIAIOSFODNN7EXAMPL");
	KEPT("AKIAiosfodnn7example");
	KEPT("XAKIAIOSFODNN7EXAMPLE");
	KEPT("sk-some-kebab-case-name-here");
	KEPT("task-abcdefghij0123456789");
	KEPT("sk-");
}

static void test_jwt(void **state)
{
	EXPECT("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnLV9f", REDACTED);
	EXPECT("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig more",
	       "Bearer " REDACTED " more");
	/* alg none: empty signature, the trailing dot goes too. */
	EXPECT("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", REDACTED);
	/* JWE: five parts. */
	EXPECT("eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn", REDACTED);
	EXPECT("--id-token-hint=eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.s",
	       "--id-token-hint=" REDACTED);
	KEPT("eyJhbGciOiJIUzI1NiJ9");	 /* one part only */
	KEPT("eyJhbGciOiJIUzI1NiJ9.abc"); /* two parts */
	KEPT("eyJ.a.b");
	KEPT("keyJabcdefghijkl.abc.def"); /* no boundary */
}

static void test_pem(void **state)
{
	EXPECT("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", REDACTED);
	EXPECT("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n", REDACTED);
	EXPECT("--key=-----BEGIN EC PRIVATE KEY-----", REDACTED);
	EXPECT("x -----BEGIN ENCRYPTED PRIVATE KEY----- y", REDACTED);
	KEPT("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
	KEPT("-----BEGIN PUBLIC KEY-----");
	KEPT("PRIVATE KEY----- -----BEGIN"); /* wrong order */
}

static void test_high_entropy(void **state)
{
	EXPECT(CANARY_HIGH, REDACTED);
	EXPECT("value " CANARY_HIGH " end", "value " REDACTED " end");
	EXPECT("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", REDACTED);	/* AWS secret */
	EXPECT("c2VjcmV0LXN0cmluZy13aXRoLWVub3VnaC1lbnRyb3B5Cg==", REDACTED); /* base64 */
	KEPT("Kq8vT2mZ9xLr4NpW7bYc3HdJ6fGs5Qa");	/* 31 chars */
	KEPT("q7canaryx9f3zv2mw4kpq7canaryx9f3zv2mw4kp");	/* no upper case */
	KEPT("AAAAAAAAaaaaaaaa1111111111111111AAAA");	/* low entropy */
	KEPT("ThisIsNotRandomAtAllReallyNotAtAll1");	/* entropy < 4 */
	KEPT("da39a3ee5e6b4b0d3255bfef95601890afd80709"); /* SHA-1 */
	KEPT("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
	KEPT("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); /* SHA-256 */
	KEPT("/home/user/Projects/MyApp2/src/components/Header.tsx");
	KEPT("org/springframework/boot/SpringApplication3");
	KEPT("/opt/Data2024/Reports/QuarterlyFinance/Summary");
}

static void test_non_secrets_left_alone(void **state)
{
	static const char *argvs[][6] = {
		{ "ls", "-la", NULL },
		{ "mkdir", "-p", "/tmp/x", NULL },
		{ "ssh", "-p", "22", "host", NULL },
		{ "git", "commit", "-m", "fix token parsing", NULL },
		{ "git", "checkout", "9fceb02d0ae598e95dc970b74767f19372d61af8", NULL },
		{ "cat", "/etc/ssl/private/README", NULL },
		{ "kubectl", "delete", "pod", "123e4567-e89b-12d3-a456-426614174000", NULL },
		{ "docker", "run", "-p", "8080:80", "nginx:1.25", NULL },
		{ "git", "log", "--author=Jane", "-n", "3", NULL },
		{ "curl", "-H", "Accept: application/json", "https://api.example.com/v1/items/",
		  NULL },
	};
	size_t v, i;

	for (v = 0; v < sizeof(argvs) / sizeof(argvs[0]); v++)
		for (i = 0; argvs[v][i]; i++)
			expect_after(i ? argvs[v][i - 1] : NULL, argvs[v][i], argvs[v][i]);
}

static void test_non_utf8_passthrough(void **state)
{
	char *out;

	KEPT("caf\xe9 \xff\xfe --x");
	EXPECT("DB_PASSWORD=\xff\xfe", "DB_PASSWORD=" REDACTED);
	EXPECT("\xc3\xa9 https://u:p\xff@h", "\xc3\xa9 https://u:" REDACTED "@h");
	expect_after("--pass\xff", "x", "x");
	/* Embedded NUL: kept, and the output is still terminated after it. */
	out = redact_n(NULL, 0, "a\0b", 3);
	assert_memory_equal(out, "a\0b", 4);
	free(out);
	out = redact_n(NULL, 0, "TOKEN=x\0y", 9);
	assert_string_equal(out, "TOKEN=" REDACTED);
	free(out);
}

static void test_null_and_empty(void **state)
{
	char *out = redact_arg(NULL, 0, NULL, 0);

	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	out = redact_arg(NULL, 5, "abc", 3); /* NULL prev ignores its length */
	assert_string_equal(out, "abc");
	free(out);
	KEPT("");
	expect_after("", "x", "x");
}

/* Inputs built to make a careless scanner quadratic: each must finish quickly. */
static void test_huge_inputs(void **state)
{
	static const char *units[] = {
		"Cookie:", "a=", "&key=", "://", "eyJ", "sk-", "ghp_", "'", "x:y@", "-----BEGIN ",
		"Authorization: '", "/", "A1b", "github_pat_", "glpat-", "xoxb-", "AKIA", "eyJa.",
		"x=' ", "https://u:p@", "--password=", " TOKEN=\"", "?sig=", "\"token\":\"",
		"\"a\":", "\"", "%26password%3D", "https://h/?a&", "mysql -px ", "htpasswd -b ",
		"set a.token ", "-p'", "kubectl create secret --from-literal=a=", "a=Cookie: ",
	};
	const size_t len = 256 * 1024;
	char *buf = malloc(len);
	size_t u, i;

	assert_non_null(buf);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t k = strlen(units[u]);
		char *out;

		for (i = 0; i < len; i++)
			buf[i] = units[u][i % k];
		out = redact_n("-H", 2, buf, len);
		assert_true(strlen(out) <= len * 11);
		free(out);
	}
	free(buf);
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random elements from rule-shaped pieces around a canary: never crash, never leak a
 * canary that sits in a value position. */
static void test_random_elements(void **state)
{
	static const char *pieces[] = {
		"--password", "=", ":", "@", "://", "?", "&", "token", "Authorization", " ",
		"'", "\"", "-p", "eyJ", ".", "ghp_", "AKIA", "\xff", "\0", "a", "Z", "9", "/",
		"-----BEGIN ", "PRIVATE KEY-----",
	};
	uint32_t seed = 0xdecafbad;
	char buf[512];
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		size_t n = 0, k = rng(&seed) % 32;
		char *out;

		while (k--) {
			const char *pc = pieces[rng(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = *pc ? strlen(pc) : 1;

			if (n + pl > sizeof(buf))
				break;
			memcpy(buf + n, pc, pl);
			n += pl;
		}
		out = redact_n(iter % 3 ? "-H" : "--password", iter % 3 ? 2 : 10, buf, n);
		free(out);
	}
}

#define CANARY_VECTORS(C)                                                                  \
	{                                                                                  \
		{ "mysql", "--password", C, NULL },                                        \
		{ "mysql", "--password=" C, NULL },                                        \
		{ "app", "-token", C, NULL },                                              \
		{ "app", "--db-password", C, NULL },                                       \
		{ "app", "--client-secret=" C, NULL },                                     \
		{ "sshpass", "-p", C, "ssh", "host", NULL },                               \
		{ "curl", "-H", "Authorization: Bearer " C, NULL },                        \
		{ "curl", "-H", "Cookie: session=" C, NULL },                              \
		{ "curl", "-HX-Api-Key: " C, NULL },                                       \
		{ "wget", "--header=Private-Token: " C, NULL },                            \
		{ "curl", "-d", "{\"user\":\"a\",\"password\":\"" C "\"}", NULL },         \
		{ "curl", "-u", "alice:" C, NULL },                                        \
		{ "curl", "--user", "alice:" C, NULL },                                    \
		{ "curl", "-ualice:" C, NULL },                                            \
		{ "curl", "-Uproxy:" C, NULL },                                            \
		{ "curl", "-U", "proxy:" C, NULL },                                        \
		{ "curl", "--proxy-user", "proxy:" C, NULL },                              \
		{ "curl", "--oauth2-bearer", C, NULL },                                    \
		{ "curl", "https://h/cb#access_token=" C, NULL },                          \
		{ "env", "DB_PASSWORD=" C, "./run", NULL },                                \
		{ "psql", "host=db password=" C " dbname=app", NULL },                     \
		{ "helm", "--set", "a=1,auth.password=" C ",b=2", NULL },                  \
		{ "sh", "-c", "export API_TOKEN='" C "'; ./deploy", NULL },                \
		{ "sh", "-c", "curl -H 'Authorization: token " C "' https://api", NULL },  \
		{ "git", "clone", "https://bob:" C "@example.com/r.git", NULL },           \
		{ "curl", "https://h/x?page=1&access_token=" C "&x=y", NULL },             \
		{ "curl", "https://h/x?X-Amz-Signature=" C, NULL },                        \
		{ "java", "-Djavax.net.ssl.trustStorePassword=" C, "-jar", "a.jar", NULL }, \
		{ "gh", "auth", "ghp_" C "abcd", NULL },                                   \
		{ "x", "github_pat_" C "_abc", NULL },                                     \
		{ "x", "glpat-" C, NULL },                                                 \
		{ "x", "xoxb-" C, NULL },                                                  \
		{ "x", "sk-proj-" C, NULL },                                               \
		{ "x", "eyJhbGciOiJIUzI1NiJ9." C ".c2ln", NULL },                          \
		{ "x", "-----BEGIN PRIVATE KEY-----\n" C "\n-----END PRIVATE KEY-----",    \
		  NULL },                                                                  \
		{ "mysql", "-uroot", "-p" C, "db", NULL },                                 \
		{ "docker", "exec", "db", "mysqldump", "-p" C, NULL },                     \
		{ "sh", "-c", "mariadb -u root -p'" C "' app", NULL },                     \
		{ "sshpass", "-p" C, "ssh", "host", NULL },                                \
		{ "docker", "login", "-u", "bot", "-p", C, NULL },                         \
		{ "app", "--db-pass", C, NULL },                                           \
		{ "app", "--admin-pass", C, NULL },                                        \
		{ "app", "--private-key-password", C, NULL },                              \
		{ "keytool", "-storepass", C, NULL },                                      \
		{ "aws", "configure", "set", "aws_secret_access_key", C, NULL },           \
		{ "htpasswd", "-b", "f", "bob", C, NULL },                                 \
		{ "htpasswd", "-nb", "bob", C, NULL },                                     \
		{ "vault", "kv", "put", "secret/app", "api=" C, NULL },                    \
		{ "kubectl", "create", "secret", "generic", "--from-literal=k=" C, NULL },  \
		{ "ldapsearch", "-w", C, NULL },                                           \
		{ "redis-cli", "-a", C, NULL },                                            \
	}

#define MAX_ARGS 7

static void check_canary(const char *const (*argvs)[MAX_ARGS], size_t count, const char *canary)
{
	size_t v, i;

	for (v = 0; v < count; v++) {
		struct redact_argv st = { 0 };
		bool seen = false;

		for (i = 0; argvs[v][i]; i++) {
			char *out = redact_argv_next(&st, argvs[v][i], strlen(argvs[v][i]));

			seen = seen || strstr(argvs[v][i], canary);
			if (memmem(out, strlen(out), canary, strlen(canary)))
				fail_msg("canary leaked in vector %zu arg %zu: %s", v, i, out);
			free(out);
		}
		assert_true(seen);
	}
}

static void test_canary(void **state)
{
	static const char *const low[][MAX_ARGS] = CANARY_VECTORS(CANARY);
	static const char *const high[][MAX_ARGS] = CANARY_VECTORS(CANARY_HIGH);
	static const char *const akia[][MAX_ARGS] = {
		{ "echo", CANARY_AKIA, NULL },
		{ "aws", "configure", "set", "aws_access_key_id", CANARY_AKIA, NULL },
		{ "env", "KEY_ID=" CANARY_AKIA, NULL },
		{ "sh", "-c", "echo '" CANARY_AKIA "' > creds", NULL },
	};

	/* The low canary alone is no secret: each vector above needs its own rule. */
	KEPT(CANARY);
	KEPT_AFTER("echo", CANARY);
	check_canary(low, sizeof(low) / sizeof(low[0]), CANARY);
	check_canary(high, sizeof(high) / sizeof(high[0]), CANARY_HIGH);
	check_canary(akia, sizeof(akia) / sizeof(akia[0]), CANARY_AKIA);
	EXPECT(CANARY_HIGH, REDACTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_option_value),
		cmocka_unit_test(test_not_secret_options),
		cmocka_unit_test(test_secret_option_words),
		cmocka_unit_test(test_secret_option_words_kept),
		cmocka_unit_test(test_option_equals_forms),
		cmocka_unit_test(test_dash_p_ambiguous),
		cmocka_unit_test(test_argv_mysql_attached_p),
		cmocka_unit_test(test_argv_p_flag_programs),
		cmocka_unit_test(test_argv_dash_p_password),
		cmocka_unit_test(test_argv_program_options),
		cmocka_unit_test(test_argv_password_operands),
		cmocka_unit_test(test_argv_oracle_logon),
		cmocka_unit_test(test_argv_config_set),
		cmocka_unit_test(test_argv_htpasswd),
		cmocka_unit_test(test_argv_secret_store),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_shell_string_options),
		cmocka_unit_test(test_curl_user),
		cmocka_unit_test(test_env_assignments),
		cmocka_unit_test(test_pairs_in_file_text),
		cmocka_unit_test(test_pairs_key_words),
		cmocka_unit_test(test_shell_value_forms),
		cmocka_unit_test(test_option_value_pairs),
		cmocka_unit_test(test_embedded_pairs),
		cmocka_unit_test(test_json_pairs),
		cmocka_unit_test(test_url_userinfo),
		cmocka_unit_test(test_url_query),
		cmocka_unit_test(test_url_percent_encoded),
		cmocka_unit_test(test_header_after_equals),
		cmocka_unit_test(test_url_fragment),
		cmocka_unit_test(test_token_prefixes),
		cmocka_unit_test(test_other_prefixed_tokens),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_high_entropy),
		cmocka_unit_test(test_non_secrets_left_alone),
		cmocka_unit_test(test_non_utf8_passthrough),
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_huge_inputs),
		cmocka_unit_test(test_random_elements),
		cmocka_unit_test(test_canary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
