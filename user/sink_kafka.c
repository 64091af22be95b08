// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Kafka sink: kafka://BROKER[,BROKER...]/TOPIC through a librdkafka
 * producer (docs/sinks-kafka.md).
 *
 * Delivery rests on librdkafka: an idempotent producer with acks=all and an
 * infinite message timeout retries every accepted line until a broker has
 * it, without duplicates and in order, whatever the brokers do. So send()
 * returns 0 once librdkafka has accepted a line, -EAGAIN when its bounded
 * queue is full (a dead cluster: the runner keeps or spools the line), and
 * another -errno only when the producer is unusable (a fatal error), which
 * makes the runner call disconnect() and connect(): we then build a new
 * producer and resend first what the old one handed back unsent.
 *
 * At stop, take_unsent() waits close_timeout_ms for acknowledgements, then
 * purges the producer and hands every line not acknowledged back to the
 * runner, which spools it for the next run (at-least-once: a line purged in
 * flight may have been written).
 *
 * Every librdkafka callback (delivery reports, errors) is served from
 * rd_kafka_poll() in send(), flush() and stats(), i.e. on the runner
 * thread, so the counters need no locking. The log callback runs on librdkafka's threads
 * and only calls log_msg(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include "host_info.h"
#include "log.h"
#include "sink.h"

/* How long destroy() waits for outstanding deliveries by default (ms);
 * option close_timeout_ms. */
#define SINK_KAFKA_CLOSE_MS 5000
/* How long the first connect() waits for cluster metadata (ms), only to say
 * early in the log that no broker answers or the topic is missing. */
#define SINK_KAFKA_PROBE_MS 500
/* Serve delivery reports from send() every this many lines. */
#define SINK_KAFKA_POLL_EVERY 64
/* Repeat the same kind of error in the log at most this often (s). */
#define SINK_KAFKA_LOG_EVERY 30

/* A line the producer handed back unsent (fatal error, purge, missing
 * topic), kept in the order it was first accepted. */
struct sink_kafka_line {
	struct sink_kafka_line *next;
	unsigned long long seq; /* order of first acceptance by send() */
	size_t len;
	char data[];
};

struct sink_kafka {
	char *uri;
	char *topic;
	char key[256];
	size_t key_len;
	rd_kafka_conf_t *conf; /* template: each producer gets a copy */
	rd_kafka_t *rk;        /* NULL between disconnect() and connect() */
	rd_kafka_topic_t *rkt;
	bool probed;           /* the first connect() looked at the metadata */
	bool fatal;            /* rk raised a fatal error: needs replacing */
	bool all_down;         /* librdkafka says no broker is up */
	bool topic_missing;    /* the cluster says the topic does not exist */
	int close_ms;          /* destroy() waits this long for deliveries */
	struct sink_kafka_line *retry, *retry_last;
	size_t retry_len;
	unsigned long long seq; /* last sequence number given to a line */
	unsigned long long produced;  /* lines accepted by send() */
	unsigned long long delivered; /* acknowledged by the brokers (acks=all) */
	unsigned long long delivery_failed; /* permanently refused; lost */
	unsigned long long resent;    /* handed back and produced again */
	unsigned long long fatal_errors;
	rd_kafka_resp_err_t last_log_err;
	time_t last_log_time;
	unsigned long long log_suppressed;
	char fatal_reason[256];
};

/* Settings we choose but the user may override with kafka.* options. */
static const char *const sink_kafka_defaults[][2] = {
	{ "client.id", "idtrace" },
	/* Batch for up to 50 ms: SIEM latency does not care, brokers do. */
	{ "linger.ms", "50" },
	/* Bound the client queue, so a dead cluster turns into -EAGAIN and
	 * the runner's own queue and spool take over, instead of unbounded
	 * memory in librdkafka. */
	{ "queue.buffering.max.messages", "100000" },
	{ "queue.buffering.max.kbytes", "65536" },
	/* Brokers close idle connections; that is not worth an error line. */
	{ "log.connection.close", "false" },
	{ "socket.keepalive.enable", "true" },
};

/* Settings that make the delivery guarantee: set last, never overridden.
 * bootstrap.servers is set from the URI. */
static const char *const sink_kafka_forced[][2] = {
	{ "enable.idempotence", "true" }, /* retries without duplicates or reordering */
	{ "acks", "all" },                /* idempotence requires it; survives a broker loss */
	{ "message.timeout.ms", "0" },    /* never give up on an accepted line */
};

/* Keys a kafka.* option may not set, and why. */
static const char *const sink_kafka_refused[][2] = {
	{ "bootstrap.servers", "the brokers come from the URI: kafka://B1:9092,B2:9092/TOPIC" },
	{ "metadata.broker.list", "the brokers come from the URI: kafka://B1:9092,B2:9092/TOPIC" },
	{ "enable.idempotence", "idtrace forces it to true (no duplicates, no reordering)" },
	{ "acks", "idtrace forces acks=all (needed by idempotence, survives a broker loss)" },
	{ "request.required.acks", "idtrace forces acks=all" },
	{ "message.timeout.ms", "idtrace forces 0 (infinite): an accepted event is never dropped" },
	{ "delivery.timeout.ms", "idtrace forces 0 (infinite): an accepted event is never dropped" },
	{ "retries", "idtrace leaves retries unlimited" },
	{ "message.send.max.retries", "idtrace leaves retries unlimited" },
	{ "transactional.id", "the sink is not transactional" },
	{ "queuing.strategy", "events must stay in order (fifo)" },
	{ "produce.offset.report", "not used" },
};

/* Log at most one line per error kind per SINK_KAFKA_LOG_EVERY seconds;
 * returns true when this one may be logged. */
static bool sink_kafka_log_ok(struct sink_kafka *st, rd_kafka_resp_err_t err)
{
	time_t now = time(NULL);

	if (err == st->last_log_err && now - st->last_log_time < SINK_KAFKA_LOG_EVERY) {
		st->log_suppressed++;
		return false;
	}
	if (st->log_suppressed)
		log_warn("kafka %s: %llu similar messages suppressed", st->uri, st->log_suppressed);
	st->last_log_err = err;
	st->last_log_time = now;
	st->log_suppressed = 0;
	return true;
}

/* Put a handed-back line into the retry list, in sequence order: lines
 * produced again from the list can come back after ones still in it. */
static void sink_kafka_keep(struct sink_kafka *st, const rd_kafka_message_t *m)
{
	struct sink_kafka_line *l = malloc(sizeof(*l) + m->len), **pos;

	if (!l) {
		st->delivery_failed++;
		log_err("kafka %s: out of memory keeping an unsent event: lost", st->uri);
		return;
	}
	l->seq = (uintptr_t)m->_private;
	l->len = m->len;
	memcpy(l->data, m->payload, m->len);
	if (!st->retry_last || st->retry_last->seq < l->seq) {
		pos = st->retry_last ? &st->retry_last->next : &st->retry;
	} else {
		for (pos = &st->retry; *pos && (*pos)->seq < l->seq; pos = &(*pos)->next)
			;
	}
	l->next = *pos;
	*pos = l;
	if (!l->next)
		st->retry_last = l;
	st->retry_len++;
}

/* Delivery report, one per message, served by rd_kafka_poll(). */
static void sink_kafka_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sink_kafka *st = opaque;

	switch (m->err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		st->delivered++;
		st->all_down = false;
		return;
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
		/* Not refused by Kafka: this producer gave up on it. Keep it for
		 * the next producer (connect()). A purged in-flight message may
		 * also have been written: at least once beats losing it. */
		sink_kafka_keep(st, m);
		return;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		/* The topic does not exist (yet): librdkafka fails what it
		 * queued after topic.metadata.propagation.max.ms. Keep it; it
		 * goes out once the topic is there (send() says -ENOENT until
		 * then, so the runner spools and reconnects). */
		if (!st->retry && sink_kafka_log_ok(st, m->err))
			log_err("kafka %s: topic '%s' does not exist; events are kept until it "
				"does", st->uri, st->topic);
		st->topic_missing = true;
		sink_kafka_keep(st, m);
		return;
	default:
		st->delivery_failed++;
		if (sink_kafka_log_ok(st, m->err))
			log_err("kafka %s: event not delivered to %s [%d]: %s (%llu lost so far)",
				st->uri, st->topic, (int)m->partition, rd_kafka_err2str(m->err),
				st->delivery_failed);
	}
}

static void sink_kafka_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct sink_kafka *st = opaque;
	char buf[256];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, buf, sizeof(buf));
		snprintf(st->fatal_reason, sizeof(st->fatal_reason), "%s", buf);
		if (!st->fatal)
			st->fatal_errors++;
		st->fatal = true;
		log_err("kafka %s: fatal producer error: %s; starting a new producer", st->uri,
			buf);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (!st->all_down)
			log_warn("kafka %s: no broker reachable (%s); events are queued and "
				 "librdkafka keeps reconnecting", st->uri, reason);
		st->all_down = true;
		return;
	}
	/* Connection failures and the like are logged by librdkafka itself
	 * (sink_kafka_on_log); anything else is worth one line. */
	if (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__RESOLVE &&
	    sink_kafka_log_ok(st, err))
		log_warn("kafka %s: %s", st->uri, reason);
}

/* librdkafka's own log lines (its threads): through ours. */
static void sink_kafka_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	enum log_level l = level <= 4 ? LOG_WARN : level <= 5 ? LOG_INFO : LOG_DEBUG;

	log_msg(l, "kafka: %s: %s", fac, buf);
}

/* Set key=val on conf; an error names the option as the user wrote it. */
static int sink_kafka_conf_set(rd_kafka_conf_t *conf, const char *uri, const char *shown,
			       const char *key, const char *val, char *err, size_t n)
{
	char why[512];

	if (rd_kafka_conf_set(conf, key, val, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, n, "sink '%s': kafka option '%s': %s", uri, shown, why);
	return -EINVAL;
}

/* One user-given librdkafka setting (prefix already stripped). */
static int sink_kafka_pass(rd_kafka_conf_t *conf, const char *uri, const char *shown,
			   const char *key, const json_t *v, char *err, size_t n)
{
	char num[32];
	const char *val;

	for (size_t i = 0; i < sizeof(sink_kafka_refused) / sizeof(sink_kafka_refused[0]); i++) {
		if (!strcmp(key, sink_kafka_refused[i][0])) {
			snprintf(err, n, "sink '%s': kafka option '%s' cannot be set: %s", uri, shown,
				 sink_kafka_refused[i][1]);
			return -EINVAL;
		}
	}
	if (json_is_string(v)) {
		val = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		val = num;
	} else if (json_is_boolean(v)) {
		val = json_is_true(v) ? "true" : "false";
	} else {
		snprintf(err, n, "sink '%s': kafka option '%s' must be a string, an integer or a "
			 "boolean", uri, shown);
		return -EINVAL;
	}
	return sink_kafka_conf_set(conf, uri, shown, key, val, err, n);
}

/* The "kafka" object of a config entry, then every "kafka.*" option. */
static int sink_kafka_pass_all(rd_kafka_conf_t *conf, const struct sink_spec *spec, char *err,
			       size_t n)
{
	const json_t *obj = json_object_get(spec->options, "kafka");
	const char *key;
	json_t *v;
	int rc;

	if (obj && !json_is_object(obj)) {
		snprintf(err, n, "sink '%s': option 'kafka' must be an object of librdkafka "
			 "settings ({\"security.protocol\": \"SASL_SSL\", ...})", spec->uri);
		return -EINVAL;
	}
	if (obj) {
		json_object_foreach((json_t *)obj, key, v) {
			const char *k = strncmp(key, "kafka.", 6) ? key : key + 6;

			rc = sink_kafka_pass(conf, spec->uri, key, k, v, err, n);
			if (rc)
				return rc;
		}
	}
	json_object_foreach(spec->options, key, v) {
		if (strncmp(key, "kafka.", 6))
			continue;
		rc = sink_kafka_pass(conf, spec->uri, key, key + 6, v, err, n);
		if (rc)
			return rc;
	}
	return 0;
}

/* The message key: one host, one key, one partition, so its events keep
 * their order. */
static int sink_kafka_key(struct sink_kafka *st, const struct sink_spec *spec, char *err,
			  size_t n)
{
	const char *which = sink_opt_str(spec, "key", "hostname");
	struct host_info hi;

	host_info_init(&hi); /* hostname is filled even when boot_id is not */
	if (!strcmp(which, "hostname") && !hi.hostname[0])
		which = "boot_id";
	if (!strcmp(which, "hostname")) {
		snprintf(st->key, sizeof(st->key), "%s", hi.hostname);
	} else if (!strcmp(which, "boot_id")) {
		if (!hi.boot_id[0]) {
			snprintf(err, n, "sink '%s': key=boot_id but /proc/sys/kernel/random/boot_id "
				 "is unreadable (use key=hostname)", spec->uri);
			return -ENOENT;
		}
		snprintf(st->key, sizeof(st->key), "%s", hi.boot_id);
	} else {
		snprintf(err, n, "sink '%s': key='%s' is not hostname or boot_id", spec->uri, which);
		return -EINVAL;
	}
	st->key_len = strlen(st->key);
	return 0;
}

static void sink_kafka_free_lines(struct sink_kafka *st)
{
	while (st->retry) {
		struct sink_kafka_line *l = st->retry;

		st->retry = l->next;
		free(l);
	}
	st->retry_last = NULL;
	st->retry_len = 0;
}

/* A producer from the template; 0 or -errno with err set. */
static int sink_kafka_start(struct sink_kafka *st, char *err, size_t n)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_dup(st->conf);
	char why[512];

	if (!conf) {
		snprintf(err, n, "sink '%s': out of memory", st->uri);
		return -ENOMEM;
	}
	st->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!st->rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, n, "sink '%s': %s", st->uri, why);
		return -EINVAL;
	}
	st->rkt = rd_kafka_topic_new(st->rk, st->topic, NULL);
	if (!st->rkt) {
		snprintf(err, n, "sink '%s': topic '%s': %s", st->uri, st->topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_destroy(st->rk);
		st->rk = NULL;
		return -EINVAL;
	}
	st->fatal = false;
	return 0;
}

/* Drop the producer after waiting up to wait_ms for deliveries: what it
 * still holds comes back through the delivery reports into the retry list.
 * Returns how many messages did not even come back (should be 0). */
static size_t sink_kafka_stop(struct sink_kafka *st, int wait_ms)
{
	size_t left = 0;

	if (!st->rk)
		return 0;
	if (wait_ms)
		rd_kafka_flush(st->rk, wait_ms);
	rd_kafka_purge(st->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	/* Serve the purge's delivery reports; bounded, they are local. */
	for (int i = 0; i < 100 && rd_kafka_outq_len(st->rk) > 0; i++)
		rd_kafka_poll(st->rk, 10);
	left = rd_kafka_outq_len(st->rk);
	rd_kafka_topic_destroy(st->rkt);
	rd_kafka_destroy(st->rk);
	st->rkt = NULL;
	st->rk = NULL;
	return left;
}

/* At stop: wait close_timeout_ms for deliveries, purge the rest (queued and
 * in flight) and hand back, in order, every line not acknowledged, with
 * those an earlier producer handed back. */
static size_t sink_kafka_take_unsent(void *arg,
				     void (*cb)(const char *line, size_t len, const char *type,
						void *cbarg),
				     void *cbarg)
{
	struct sink_kafka *st = arg;
	size_t left, n = 0;

	left = sink_kafka_stop(st, st->close_ms);
	if (left) {
		st->delivery_failed += left;
		log_err("kafka %s: %zu events neither delivered nor handed back by librdkafka at "
			"exit: lost", st->uri, left);
	}
	while (st->retry) {
		struct sink_kafka_line *l = st->retry;

		st->retry = l->next;
		cb(l->data, l->len, NULL, cbarg);
		free(l);
		n++;
	}
	st->retry_last = NULL;
	st->retry_len = 0;
	if (n)
		log_warn("kafka %s: %zu events not acknowledged within %d ms at exit; handed back "
			 "to be kept for the next run", st->uri, n, st->close_ms);
	return n;
}

static void sink_kafka_destroy(void *arg)
{
	struct sink_kafka *st = arg;
	size_t left;

	if (!st)
		return;
	left = sink_kafka_stop(st, st->close_ms);
	if (left + st->retry_len)
		log_err("kafka %s: %zu events not delivered at exit (waited %d ms for the brokers)",
			st->uri, left + st->retry_len, st->close_ms);
	sink_kafka_free_lines(st);
	if (st->conf)
		rd_kafka_conf_destroy(st->conf);
	free(st->uri);
	free(st->topic);
	free(st);
}

static void *sink_kafka_create(const struct sink_spec *spec, char *err, size_t n)
{
	struct sink_kafka *st = calloc(1, sizeof(*st));
	long long close_ms;
	size_t i;

	if (!st) {
		snprintf(err, n, "sink '%s': out of memory", spec->uri);
		return NULL;
	}
	st->uri = strdup(spec->uri);
	st->topic = spec->path ? strdup(spec->path) : NULL;
	st->conf = rd_kafka_conf_new();
	if (!st->uri || !st->conf || (spec->path && !st->topic)) {
		snprintf(err, n, "sink '%s': out of memory", spec->uri);
		goto fail;
	}
	if (!spec->host || !*spec->host || !st->topic || !*st->topic) {
		snprintf(err, n, "sink '%s': write kafka://BROKER[,BROKER...]/TOPIC", spec->uri);
		goto fail;
	}
	if (sink_kafka_key(st, spec, err, n))
		goto fail;
	if (sink_opt_int(spec, "close_timeout_ms", SINK_KAFKA_CLOSE_MS, 0, 600000, &close_ms, err,
			 n))
		goto fail;
	st->close_ms = (int)close_ms;
	for (i = 0; i < sizeof(sink_kafka_defaults) / sizeof(sink_kafka_defaults[0]); i++)
		if (sink_kafka_conf_set(st->conf, spec->uri, sink_kafka_defaults[i][0],
					sink_kafka_defaults[i][0], sink_kafka_defaults[i][1], err, n))
			goto fail;
	if (sink_kafka_pass_all(st->conf, spec, err, n))
		goto fail;
	if (sink_kafka_conf_set(st->conf, spec->uri, "bootstrap.servers", "bootstrap.servers",
				spec->host, err, n))
		goto fail;
	for (i = 0; i < sizeof(sink_kafka_forced) / sizeof(sink_kafka_forced[0]); i++)
		if (sink_kafka_conf_set(st->conf, spec->uri, sink_kafka_forced[i][0],
					sink_kafka_forced[i][0], sink_kafka_forced[i][1], err, n))
			goto fail;
	rd_kafka_conf_set_opaque(st->conf, st);
	rd_kafka_conf_set_dr_msg_cb(st->conf, sink_kafka_on_delivery);
	rd_kafka_conf_set_error_cb(st->conf, sink_kafka_on_error);
	rd_kafka_conf_set_log_cb(st->conf, sink_kafka_on_log);
	/* The producer itself: this checks what only rd_kafka_new() checks
	 * (combinations, TLS files, SASL mechanism) without touching the
	 * network; the brokers are contacted in the background. */
	if (sink_kafka_start(st, err, n))
		goto fail;
	return st;
fail:
	sink_kafka_destroy(st);
	return NULL;
}

/* Say early in the log when no broker answers or the topic is missing;
 * never a failure, librdkafka reconnects on its own. */
static void sink_kafka_probe(struct sink_kafka *st)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;

	e = rd_kafka_metadata(st->rk, 0, st->rkt, &md, SINK_KAFKA_PROBE_MS);
	if (e) {
		log_warn("kafka %s: no broker reachable yet (%s); events are queued and "
			 "librdkafka keeps trying", st->uri, rd_kafka_err2str(e));
		return;
	}
	if (md->topic_cnt == 1 && md->topics[0].err) {
		log_warn("kafka %s: topic '%s': %s (events wait until it exists)", st->uri,
			 st->topic, rd_kafka_err2str(md->topics[0].err));
		st->topic_missing = true;
	}
	rd_kafka_metadata_destroy(md);
}

#define SINK_KAFKA_REACH_MS 5000

/* Start-up check: some broker must answer with the cluster's metadata. */
static int sink_kafka_reach(void *arg, char *err, size_t n)
{
	struct sink_kafka *st = arg;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;

	if (!st->rk)
		return -ENOTCONN;
	e = rd_kafka_metadata(st->rk, 0, st->rkt, &md, SINK_KAFKA_REACH_MS);
	if (e) {
		snprintf(err, n, "no Kafka broker answered within %d ms (%s)", SINK_KAFKA_REACH_MS,
			 rd_kafka_err2str(e));
		return -EHOSTUNREACH;
	}
	rd_kafka_metadata_destroy(md);
	return 0;
}

static int sink_kafka_connect(void *arg, char *err, size_t n)
{
	struct sink_kafka *st = arg;
	int rc;

	if (!st->rk) {
		rc = sink_kafka_start(st, err, n);
		if (rc)
			return rc;
	}
	/* Ask for the topic again when it was missing: librdkafka itself
	 * looks only every topic.metadata.refresh.interval.ms. */
	if (!st->probed || st->topic_missing) {
		st->probed = true;
		st->topic_missing = false;
		sink_kafka_probe(st);
	}
	return 0;
}

/* Hand one line to librdkafka with its sequence number; 0 or -errno
 * (-EAGAIN: queue full). */
static int sink_kafka_produce(struct sink_kafka *st, const char *line, size_t len,
			      unsigned long long seq)
{
	rd_kafka_resp_err_t e;

	if (!st->rk)
		return -ENOTCONN;
	if (st->fatal)
		return -EIO;
	e = rd_kafka_producev(st->rk, RD_KAFKA_V_RKT(st->rkt),
			      RD_KAFKA_V_VALUE((void *)line, len),
			      RD_KAFKA_V_KEY(st->key, st->key_len),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
	switch (e) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		return 0;
	case RD_KAFKA_RESP_ERR__QUEUE_FULL:
		/* Free room for next time: serve the delivery reports. */
		rd_kafka_poll(st->rk, 0);
		return -EAGAIN;
	case RD_KAFKA_RESP_ERR__FATAL:
		rd_kafka_poll(st->rk, 0); /* sets st->fatal, logs the reason */
		st->fatal = true;
		return -EIO;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		if (sink_kafka_log_ok(st, e))
			log_err("kafka %s: a %zu-byte event is over message.max.bytes "
				"(raise kafka.message.max.bytes and the topic's max.message.bytes)",
				st->uri, len);
		return -EMSGSIZE;
	default:
		if (e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
			st->topic_missing = true;
			return -ENOENT; /* logged by the delivery report or probe */
		}
		if (sink_kafka_log_ok(st, e))
			log_err("kafka %s: cannot produce to '%s': %s", st->uri, st->topic,
				rd_kafka_err2str(e));
		return -EIO;
	}
}

/* Produce what an earlier producer handed back, oldest first. */
static int sink_kafka_resend(struct sink_kafka *st)
{
	int rc;

	while (st->retry) {
		struct sink_kafka_line *l = st->retry;

		rc = sink_kafka_produce(st, l->data, l->len, l->seq);
		if (rc == -EMSGSIZE) /* a changed message.max.bytes: never fits */
			st->delivery_failed++;
		else if (rc)
			return rc;
		else
			st->resent++;
		st->retry = l->next;
		st->retry_len--;
		free(l);
	}
	st->retry_last = NULL;
	return 0;
}

static int sink_kafka_send(void *arg, const char *line, size_t len, const char *type)
{
	struct sink_kafka *st = arg;
	int rc;

	if (st->retry) {
		rc = sink_kafka_resend(st);
		if (rc)
			return rc;
	}
	rc = sink_kafka_produce(st, line, len, st->seq + 1);
	if (rc)
		return rc;
	st->seq++;
	if (++st->produced % SINK_KAFKA_POLL_EVERY == 0)
		rd_kafka_poll(st->rk, 0);
	return 0;
}

/* Serve callbacks only: librdkafka sends on its own, linger.ms at most
 * after a line was accepted, and an accepted line is as good as sent. */
static int sink_kafka_flush(void *arg)
{
	struct sink_kafka *st = arg;

	if (!st->rk)
		return -ENOTCONN;
	rd_kafka_poll(st->rk, 0);
	if (st->fatal)
		return -EIO;
	return st->retry ? sink_kafka_resend(st) : 0;
}

/* Only a producer with a fatal error is replaced; otherwise librdkafka
 * owns the connections and reconnects by itself. */
static void sink_kafka_disconnect(void *arg)
{
	struct sink_kafka *st = arg;

	if (!st->rk || !st->fatal)
		return;
	sink_kafka_stop(st, 0);
	log_info("kafka %s: producer stopped after a fatal error (%s); %zu events kept to resend",
		 st->uri, st->fatal_reason, st->retry_len);
}

static void sink_kafka_stats(void *arg, json_t *obj)
{
	struct sink_kafka *st = arg;

	/* Serve the delivery reports (runner thread, about once a second):
	 * an idle runner does not flush, and "delivered" would lag. */
	if (st->rk)
		rd_kafka_poll(st->rk, 0);

	json_object_set_new(obj, "produced", json_integer((json_int_t)st->produced));
	json_object_set_new(obj, "delivered", json_integer((json_int_t)st->delivered));
	json_object_set_new(obj, "delivery_failed", json_integer((json_int_t)st->delivery_failed));
	json_object_set_new(obj, "queue_len",
			    json_integer(st->rk ? rd_kafka_outq_len(st->rk) : 0));
	json_object_set_new(obj, "resend_len", json_integer((json_int_t)st->retry_len));
	json_object_set_new(obj, "resent", json_integer((json_int_t)st->resent));
	json_object_set_new(obj, "fatal_errors", json_integer((json_int_t)st->fatal_errors));
	json_object_set_new(obj, "all_brokers_down", json_boolean(st->all_down));
}

/* What sink_kafka_create reads: the message key, the close timeout, and
 * librdkafka's own settings (a "kafka" object, or "kafka.NAME"). */
static const char *const sink_kafka_options[] = { "key", "close_timeout_ms", "kafka", "kafka.",
						   NULL };

const struct sink_ops sink_kafka_ops = {
	.scheme = "kafka",
	.options = sink_kafka_options,
	.create = sink_kafka_create,
	.connect = sink_kafka_connect,
	.reach = sink_kafka_reach,
	.send = sink_kafka_send,
	.flush = sink_kafka_flush,
	.disconnect = sink_kafka_disconnect,
	.stats = sink_kafka_stats,
	.destroy = sink_kafka_destroy,
	.take_unsent = sink_kafka_take_unsent,
};
