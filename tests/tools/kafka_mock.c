// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A Kafka cluster for tests, without Kafka: librdkafka's in-process mock
 * cluster (rdkafka_mock.h) behind real TCP listeners on 127.0.0.1.
 *
 *   kafka_mock [--brokers N] [--topic T [--partitions P] [--replication R]]...
 *
 * Prints "bootstrap=127.0.0.1:PORT,127.0.0.1:PORT,..." as its first line on
 * stdout, then reads commands on stdin, one per line, and answers each with
 * one line, "ok" or "error: WHY":
 *
 *   down N                 broker N (1-based id) drops its connections and
 *                          refuses new ones; its partitions keep it as leader
 *   up N                   broker N accepts connections again
 *   leader T P N           make broker N the leader of partition P of topic T
 *                          (what a real cluster does when a leader dies)
 *   rtt N MS               delay every answer of broker N by MS milliseconds
 *   quit                   exit
 *
 * Exits 0 on "quit", end of input, SIGTERM or SIGINT; 1 on a start-up error. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define KAFKA_MOCK_MAX_TOPICS 16

struct kafka_mock_topic {
	const char *name;
	int partitions;
	int replication;
};

static volatile sig_atomic_t kafka_mock_stop;

static void kafka_mock_on_signal(int sig)
{
	kafka_mock_stop = 1;
}

static void kafka_mock_usage(void)
{
	fprintf(stderr, "usage: kafka_mock [--brokers N] "
			"[--topic T [--partitions P] [--replication R]]...\n"
			"stdin: down N | up N | leader TOPIC PARTITION N | rtt N MS | quit\n");
}

static int kafka_mock_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* One stdin command; prints the answer. Returns 1 for "quit". */
static int kafka_mock_command(rd_kafka_mock_cluster_t *mc, int nbrokers, char *line)
{
	char *argv[5], *save = NULL, *tok;
	int argc = 0, id, a, b;
	rd_kafka_resp_err_t err;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 5;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (!argc)
		return 0;
	if (!strcmp(argv[0], "quit"))
		return 1;
	if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2) {
		if (kafka_mock_int(argv[1], 1, nbrokers, &id)) {
			printf("error: broker id '%s' is not in 1..%d\n", argv[1], nbrokers);
			return 0;
		}
		err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
					: rd_kafka_mock_broker_set_up(mc, id);
	} else if (!strcmp(argv[0], "leader") && argc == 4) {
		if (kafka_mock_int(argv[2], 0, 1 << 20, &a) ||
		    kafka_mock_int(argv[3], 1, nbrokers, &id)) {
			printf("error: write leader TOPIC PARTITION BROKER\n");
			return 0;
		}
		err = rd_kafka_mock_partition_set_leader(mc, argv[1], a, id);
	} else if (!strcmp(argv[0], "rtt") && argc == 3) {
		if (kafka_mock_int(argv[1], 1, nbrokers, &id) ||
		    kafka_mock_int(argv[2], 0, 600000, &b)) {
			printf("error: write rtt BROKER MS\n");
			return 0;
		}
		err = rd_kafka_mock_broker_set_rtt(mc, id, b);
	} else {
		printf("error: unknown command '%s' (down N, up N, leader T P N, rtt N MS, quit)\n",
		       argv[0]);
		return 0;
	}
	if (err)
		printf("error: %s\n", rd_kafka_err2str(err));
	else
		printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct kafka_mock_topic topics[KAFKA_MOCK_MAX_TOPICS];
	int ntopics = 0, nbrokers = 3, rc = 1;
	rd_kafka_mock_cluster_t *mc = NULL;
	struct sigaction sa = { .sa_handler = kafka_mock_on_signal };
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512], line[512];

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int *dst = NULL, min = 1;

		if (!val) {
			kafka_mock_usage();
			return 1;
		}
		i++;
		if (!strcmp(opt, "--brokers")) {
			dst = &nbrokers;
		} else if (!strcmp(opt, "--topic")) {
			if (ntopics == KAFKA_MOCK_MAX_TOPICS) {
				fprintf(stderr, "kafka_mock: at most %d topics\n", KAFKA_MOCK_MAX_TOPICS);
				return 1;
			}
			topics[ntopics++] = (struct kafka_mock_topic){ val, 3, 3 };
			continue;
		} else if (ntopics && !strcmp(opt, "--partitions")) {
			dst = &topics[ntopics - 1].partitions;
		} else if (ntopics && !strcmp(opt, "--replication")) {
			dst = &topics[ntopics - 1].replication;
		} else {
			kafka_mock_usage();
			return 1;
		}
		if (kafka_mock_int(val, min, 1000, dst)) {
			fprintf(stderr, "kafka_mock: %s '%s' is not a number in 1..1000\n", opt, val);
			return 1;
		}
	}
	for (int i = 0; i < ntopics; i++) {
		if (topics[i].replication > nbrokers) {
			fprintf(stderr, "kafka_mock: topic %s: replication %d > %d brokers\n",
				topics[i].name, topics[i].replication, nbrokers);
			return 1;
		}
	}

	/* No SA_RESTART: a signal interrupts the blocking read of stdin. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The cluster must be owned by a client handle; this one never
	 * connects anywhere (no bootstrap.servers). */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "client.id", "kafka_mock", NULL, 0);
	rd_kafka_conf_set(conf, "log_level", "4", NULL, 0); /* no CONFWARN */
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka_mock: rd_kafka_new: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (!mc) {
		fprintf(stderr, "kafka_mock: could not start a mock cluster of %d brokers\n",
			nbrokers);
		goto out;
	}
	for (int i = 0; i < ntopics; i++) {
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
			mc, topics[i].name, topics[i].partitions, topics[i].replication);

		if (err) {
			fprintf(stderr, "kafka_mock: topic %s: %s\n", topics[i].name,
				rd_kafka_err2str(err));
			goto out;
		}
	}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!kafka_mock_stop && fgets(line, sizeof(line), stdin)) {
		if (kafka_mock_command(mc, nbrokers, line))
			break;
		fflush(stdout);
	}
	rc = 0;
out:
	if (mc)
		rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return rc;
}
