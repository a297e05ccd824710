/* report-json.h - a BounceReport as JSON (the contract of bounced(1),
 * "OUTPUT"), and as a human table */
#pragma once

#include <glib.h>
#include "bounce.h"

G_BEGIN_DECLS

/* Appends @s as a JSON string literal (or null for NULL) to @out. */
void report_json_string (GString *out, const char *s);

/* Appends X- extension fields (BounceField*) as a JSON object: a field named
 * once has its value (a string, or null), a field named more than once
 * (names compared case-insensitively) an array of its values in order,
 * under the spelling it first had. */
void report_json_fields (GString *out, const GPtrArray *fields);

/**
 * report_json_append:
 * @out: where the object is appended, without a trailing newline.
 * @source: the input as the user named it.
 * @sha256: hex digest of the raw bytes, or NULL when they could not be read.
 * @report: the report.
 */
void report_json_append (GString *out, const char *source, const char *sha256,
                         const BounceReport *report);

/* Appends the rows of @report to a human table (one row per recipient). */
void report_json_append_table_rows (GString *out, const char *source,
                                    const BounceReport *report);

/* Terminal columns taken by the UTF-8 string @s (wide characters count
 * two, combining ones none). */
guint report_json_display_width (const char *s);

/* The header line of the human table. */
void report_json_append_table_header (GString *out);

G_END_DECLS
