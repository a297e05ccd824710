/* fuzz-dsn-fields.c - libFuzzer target for dsn_fields_parse() alone
 *
 * The fields of a message/delivery-status body (RFC 3464 2.1) straight from
 * the input, without MIME around them: the parse target reaches this reader
 * only through a well-formed report, so most of its inputs never get here.
 * Small limits, so that the limit paths are reached with short inputs.
 * Invariants: -1 exactly when the error is set (BOUNCE_PARSE_ERROR_TOO_LARGE);
 * never more recipients than the limit; every recipient has an address;
 * every string NULL or non-empty UTF-8; times ISO 8601 in UTC; no value
 * longer than the field limit allows.
 *
 * Build and run like fuzz-parse (see there), with
 *   build-fuzz/tests/fuzz/fuzz-dsn-fields -dict=tests/fuzz/fuzz-parse.dict ...
 */
#include "bounce-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_RECIPIENTS    16u
#define FUZZ_MAX_FIELD_LENGTH  256u

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_string (const char *s)
{
  if (s != NULL && (*s == '\0' || !g_utf8_validate (s, -1, NULL)))
    abort ();
  /* A value is cut at the field limit (a few bytes more for the type
   * prefix and comments dropped or a decoded address are fine, never a
   * whole unbounded line). */
  if (s != NULL && strlen (s) > 4 * FUZZ_MAX_FIELD_LENGTH + 64)
    abort ();
}

/* The report's own words for a recipient are joined up to their own
 * limit, not the field's. */
static void
check_notice (const char *s)
{
  if (s != NULL && (*s == '\0' || !g_utf8_validate (s, -1, NULL)
                    || strlen (s) > BOUNCE_NOTICE_MAX_BYTES))
    abort ();
}

static void
check_time (const char *s)
{
  check_string (s);
  if (s != NULL && (strlen (s) != 25 || strcmp (s + 19, "+00:00") != 0 || s[10] != 'T'))
    abort ();
}

static void
check_fields (const GPtrArray *fields)
{
  for (guint i = 0; i < fields->len; i++)
    {
      const BounceField *f = g_ptr_array_index (fields, i);
      check_string (f->name);
      check_string (f->value);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  BounceSettings settings;
  BounceReport *report = bounce_report_new ();
  GError *error = NULL;
  /* The reader expects the text of a decoded part: NUL-terminated. */
  char *text = g_strndup ((const char *) data, size);
  int n;

  bounce_settings_init (&settings);
  settings.max_recipients = FUZZ_MAX_RECIPIENTS;
  settings.max_field_length = FUZZ_MAX_FIELD_LENGTH;
  report->max_recipients = FUZZ_MAX_RECIPIENTS;

  n = dsn_fields_parse (report, text, strlen (text), &settings, &error);
  if ((n < 0) != (error != NULL))
    abort ();
  if (error != NULL && !g_error_matches (error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE))
    abort ();
  if (n >= 0 && (guint) n != report->recipients->len)
    abort ();
  if (report->recipients->len > FUZZ_MAX_RECIPIENTS)
    abort ();
  check_string (report->reporting_mta);
  check_string (report->dsn_gateway);
  check_string (report->received_from_mta);
  check_string (report->original_envelope_id);
  check_time (report->arrival_date);
  check_string (report->arrival_date_text);
  check_fields (report->extensions);
  for (guint i = 0; n >= 0 && i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      if (r->recipient == NULL)
        abort ();
      check_string (r->recipient);
      check_string (r->original_recipient);
      check_string (r->action);
      check_string (r->status);
      check_string (r->diagnostic_type);
      check_string (r->diagnostic);
      check_string (r->remote_mta);
      check_string (r->final_log_id);
      check_notice (r->notice);
      check_time (r->last_attempt);
      check_time (r->will_retry_until);
      check_string (r->last_attempt_text);
      check_string (r->will_retry_until_text);
      if (r->status != NULL && !dsn_status_is_valid (r->status, -1))
        abort ();
      check_fields (r->extensions);
    }
  g_clear_error (&error);
  g_free (text);
  bounce_report_free (report);
  return 0;
}
