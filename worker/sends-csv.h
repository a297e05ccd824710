/* sends-csv.h - reading send counts from CSV (bounced sends import)
 *
 * The file says how many messages were sent per day, campaign and recipient
 * domain, so that bounce rates have a denominator.  Format (RFC 4180, with
 * LF or CRLF line ends and an optional UTF-8 byte order mark):
 *
 *   day,campaign,recipient_domain,count
 *   2026-11-20,spring-sale,gmail.com,12500
 *   2026-11-20,,example.org,40
 *
 * The header line is required; its four names may come in any order.  An
 * empty campaign means "no campaign" (NULL).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SENDS_CSV_ERROR (sends_csv_error_quark ())

typedef enum {
  SENDS_CSV_ERROR_HEADER,     /* the header line is missing or wrong */
  SENDS_CSV_ERROR_TOO_LARGE,  /* more rows than SENDS_CSV_MAX_ROWS */
} SendsCsvError;

GQuark sends_csv_error_quark (void);

/* The documented header, in its canonical order. */
#define SENDS_CSV_HEADER "day,campaign,recipient_domain,count"

/* Limits: a field longer than this is a bad row; a domain longer than 253
 * characters is not a domain (RFC 1035 section 2.3.4); problems past
 * SENDS_CSV_MAX_PROBLEMS are counted but not described. */
#define SENDS_CSV_MAX_FIELD_LENGTH 1024
#define SENDS_CSV_MAX_DOMAIN_LENGTH 253
#define SENDS_CSV_MAX_PROBLEMS 100
#define SENDS_CSV_MAX_ROWS 10000000

/**
 * SendsCsvRow:
 * @line: the line the row starts on (1 is the header).
 * @day: "YYYY-MM-DD", a valid date.
 * @campaign: (nullable): the campaign, NULL when the field is empty.
 * @recipient_domain: lower case, without a trailing dot.
 * @count: messages sent (0 or more).
 */
typedef struct {
  guint line;
  char *day;
  char *campaign;
  char *recipient_domain;
  gint64 count;
} SendsCsvRow;

/**
 * SendsCsvProblem:
 * @line: the line of the bad row.
 * @message: what is wrong, PostgreSQL style ("invalid day \"2026-13-01\"").
 */
typedef struct {
  guint line;
  char *message;
} SendsCsvProblem;

/**
 * SendsCsv:
 * @rows: SendsCsvRow*, the good rows in file order.
 * @problems: SendsCsvProblem*, the first SENDS_CSV_MAX_PROBLEMS bad rows.
 * @n_problems: how many bad rows there were in all.
 */
typedef struct {
  GPtrArray *rows;
  GPtrArray *problems;
  guint n_problems;
} SendsCsv;

/**
 * sends_csv_parse:
 * @data: the file's bytes.
 * @length: their number.
 *
 * Reads every row, keeping the good ones and describing the bad ones (a
 * bad row is one with the wrong number of fields, an invalid day, domain or
 * count, an unterminated quote, invalid UTF-8, or the same day, campaign and
 * domain as an earlier row).
 *
 *   g_autoptr(SendsCsv) csv = sends_csv_parse (buf, len, &error);
 *   if (csv && csv->n_problems == 0)
 *     store (csv->rows);
 *
 * Returns: (transfer full): the result, or NULL with @error_out set when
 *   the header is missing or wrong (SENDS_CSV_ERROR_HEADER) or the file has
 *   too many rows (SENDS_CSV_ERROR_TOO_LARGE).
 */
SendsCsv *sends_csv_parse (const char *data, gsize length, GError **error_out);

void sends_csv_free (SendsCsv *csv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendsCsv, sends_csv_free)

G_END_DECLS
