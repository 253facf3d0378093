/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output helpers: a growable buffer, JSON strings escaped byte for byte the
 * way Go's encoding/json writes them (so `state` and `list` print exactly what
 * runc prints), Go's strconv.Quote for text logs, and Go's RFC3339Nano times.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
	free(big);
}

void buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* Decode one UTF-8 sequence; returns its length and the rune, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *r)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*r = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*r = v;
	return n;
}

void buf_json_str(struct buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_add(b, "\"", 1);
	while (*s) {
		unsigned char c = *s;
		if (c < 0x80) {
			char esc[7];
			switch (c) {
			case '"':
				buf_add(b, "\\\"", 2);
				break;
			case '\\':
				buf_add(b, "\\\\", 2);
				break;
			case '\n':
				buf_add(b, "\\n", 2);
				break;
			case '\r':
				buf_add(b, "\\r", 2);
				break;
			case '\t':
				buf_add(b, "\\t", 2);
				break;
			default:
				if (c < 0x20 || c == '<' || c == '>' || c == '&') {
					memcpy(esc, "\\u00", 4);
					esc[4] = hex[c >> 4];
					esc[5] = hex[c & 15];
					buf_add(b, esc, 6);
				} else {
					buf_add(b, (const char *)s, 1);
				}
			}
			s++;
			continue;
		}
		uint32_t r;
		size_t n = utf8_decode(s, &r);
		if (!n) {
			buf_add(b, "\\ufffd", 6);
			s++;
		} else if (r == 0x2028 || r == 0x2029) {
			buf_add(b, r == 0x2028 ? "\\u2028" : "\\u2029", 6);
			s += n;
		} else {
			buf_add(b, (const char *)s, n);
			s += n;
		}
	}
	buf_add(b, "\"", 1);
}

void buf_go_quote(struct buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_add(b, "\"", 1);
	while (*s) {
		unsigned char c = *s;
		const char *e = NULL;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\a': e = "\\a"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\v': e = "\\v"; break;
		default: break;
		}
		if (e) {
			buf_puts(b, e);
			s++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			buf_add(b, x, 4);
			s++;
			continue;
		}
		uint32_t r;
		size_t n = utf8_decode(s, &r);
		if (!n) {
			char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			buf_add(b, x, 4);
			s++;
			continue;
		}
		buf_add(b, (const char *)s, n);
		s += n;
	}
	buf_add(b, "\"", 1);
}

char *cli_go_time(const char *t)
{
	char *out = strdup(t ? t : "");
	if (!out)
		return NULL;
	char *dot = strchr(out, '.');
	if (!dot)
		return out;
	char *end = dot + 1;
	while (*end >= '0' && *end <= '9')
		end++;
	char *last = end;
	while (last > dot + 1 && last[-1] == '0')
		last--;
	if (last == dot + 1)
		last = dot; /* all zeros: Go drops the fraction */
	memmove(last, end, strlen(end) + 1);
	return out;
}

/* ---- tables ---- */

void table_row(struct table *t, const char *const *cells)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, cap * t->ncols * sizeof(char *));
		if (!nc) {
			t->oom = true;
			return;
		}
		t->cells = nc;
		t->cap = cap;
	}
	for (size_t k = 0; k < t->ncols; k++) {
		char *c = strdup(cells[k] ? cells[k] : "");
		if (!c) {
			for (size_t j = 0; j < k; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			t->oom = true;
			return;
		}
		t->cells[t->nrows * t->ncols + k] = c;
	}
	t->nrows++;
}

/* Go's text/tabwriter with padding 3 and spaces: every column as wide as its widest cell, the last unpadded. */
void table_print(FILE *f, const struct table *t)
{
	size_t w[16] = { 0 };
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t k = 0; k < t->ncols && k < 16; k++) {
			size_t l = strlen(t->cells[i * t->ncols + k]);
			if (l > w[k])
				w[k] = l;
		}
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t k = 0; k + 1 < t->ncols; k++)
			fprintf(f, "%-*s", (int)(w[k] + 3), t->cells[i * t->ncols + k]);
		fprintf(f, "%s\n", t->cells[i * t->ncols + t->ncols - 1]);
	}
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

int cli_print_listing(struct cli *cli, bool json, struct json_object *arr, struct table *t)
{
	int rc = 0;
	if (json) {
		const char *js = arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
									JSON_C_TO_STRING_NOSLASHESCAPE)
				     : NULL;
		if (js)
			printf("%s\n", js);
		else
			rc = 1;
	} else if (t->oom) {
		rc = 1;
	} else {
		table_print(stdout, t);
	}
	if (rc)
		cli_error(cli, "out of memory");
	table_free(t);
	json_object_put(arr);
	return rc;
}
