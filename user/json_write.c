// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "json_write.h"

#define WRITE_DEPTH_MAX 64 /* far deeper than any event; deeper goes to jansson */

struct writer {
	char *p, *end;
	int fail;
	const struct json_frags *frags;
};

static void put(struct writer *w, const char *s, size_t n)
{
	if (w->fail || (size_t)(w->end - w->p) < n) {
		w->fail = 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

static void put_int(struct writer *w, json_int_t v)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	put(w, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* Bytes that a JSON string escapes: control characters, quote, backslash. */
static const unsigned char escaped[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
};

/* Does the 8-byte word x hold a byte that escaped[] names? The bit tricks
 * test all eight at once (a byte below 0x20, or equal to '"' or '\\'):
 * most of an event's text is plain, and this runs over all of it. */
static bool word_has_escaped(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	const uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

/* As jansson escapes without JSON_ESCAPE_SLASH or JSON_ENSURE_ASCII: quote,
 * backslash and control characters only; the six short forms, else \u00XX. */
static void put_string(struct writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0, i = 0;

	put(w, "\"", 1);
	while (i < n) {
		unsigned char c;
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		size_t elen = 2;
		uint64_t x;

		for (; i + 8 <= n; i += 8) {
			memcpy(&x, s + i, 8);
			if (word_has_escaped(x))
				break;
		}
		if (i >= n)
			break;
		c = (unsigned char)s[i++];
		if (!escaped[c])
			continue;
		put(w, s + run, i - 1 - run);
		run = i;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		put(w, esc, elen);
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

static void put_value(struct writer *w, const json_t *v, int depth)
{
	const char *kept;
	size_t i, n;

	if (depth > WRITE_DEPTH_MAX) {
		w->fail = 1;
		return;
	}
	if ((json_is_object(v) || json_is_array(v)) &&
	    (kept = json_frags_find(w->frags, v, &n))) {
		put(w, kept, n);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		json_t *obj = (json_t *)v;
		int first = 1;

		put(w, "{", 1);
		for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
			if (!first)
				put(w, ",", 1);
			first = 0;
			/* the key's own length: a key may hold NUL (json_object_setn) */
			put_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
			put(w, ":", 1);
			put_value(w, json_object_iter_value(it), depth + 1);
		}
		put(w, "}", 1);
		break;
	}
	case JSON_ARRAY:
		put(w, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i)
				put(w, ",", 1);
			put_value(w, json_array_get(v, i), depth + 1);
		}
		put(w, "]", 1);
		break;
	case JSON_STRING:
		put_string(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(w, json_integer_value(v));
		break;
	case JSON_REAL: {
		/* none in our events; jansson's own formatting, to stay identical */
		char tmp[64];
		size_t len = json_dumpb(v, tmp, sizeof(tmp), JSON_COMPACT | JSON_ENCODE_ANY);

		if (!len || len > sizeof(tmp))
			w->fail = 1;
		else
			put(w, tmp, len);
		break;
	}
	case JSON_TRUE:
		put(w, "true", 4);
		break;
	case JSON_FALSE:
		put(w, "false", 5);
		break;
	case JSON_NULL:
		put(w, "null", 4);
		break;
	}
}

size_t json_write_compact(const json_t *v, char *buf, size_t cap)
{
	return json_write_compact_frags(v, buf, cap, NULL);
}

size_t json_write_compact_frags(const json_t *v, char *buf, size_t cap,
				const struct json_frags *frags)
{
	struct writer w = { .p = buf, .end = buf + cap, .frags = frags };

	if (!v)
		return 0;
	put_value(&w, v, 0);
	return w.fail ? 0 : (size_t)(w.p - buf);
}
