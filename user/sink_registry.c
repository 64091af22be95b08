// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which implementation serves which URI scheme. Kept apart from the URI
 * parser so a unit test of one sink links without all the others. */
#include <string.h>
#include "sink.h"
#include "sink_spec.h"

const struct sink_ops *sink_ops_for(const char *scheme)
{
	static const struct {
		const char *scheme;
		const struct sink_ops *ops;
	} table[] = {
		{ "stdout", &sink_stdout_ops },	    { "file", &sink_file_ops },
		{ "syslog+udp", &sink_syslog_ops }, { "syslog+tcp", &sink_syslog_ops },
		{ "syslog+tls", &sink_syslog_ops }, { "unix", &sink_syslog_ops },
		{ "kafka", &sink_kafka_ops },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].scheme, scheme))
			return table[i].ops;
	return NULL;
}
