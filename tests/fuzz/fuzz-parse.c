/* fuzz-parse.c - libFuzzer target for bounce_report_parse()
 *
 * Feeds arbitrary bytes to the parser with small limits, so that the fuzzer
 * reaches the limit paths (MIME depth and parts, recipients, field length) with short
 * inputs instead of spending its time on huge ones.  Every report that comes
 * back must hold the invariants of bounce.h; a broken one aborts, which
 * libFuzzer records as a crash.
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true -Dallocator=glibc \
 *          -Db_sanitize=address,undefined -Db_lundef=false
 * Run:   mkdir -p build-fuzz/corpus-work
 *        nice build-fuzz/tests/fuzz/fuzz-parse -max_len=8192 \
 *          -dict=tests/fuzz/fuzz-parse.dict -max_total_time=900 \
 *          build-fuzz/corpus-work tests/fuzz/corpus
 * (new inputs go to the first directory; keep a crash input you fix as a
 * seed in tests/fuzz/corpus.)
 * Seeds from every fixture, and from any corpus of real bounces outside the
 * repository, are generated into the build directory by
 * tests/fuzz/make-seeds.py (parse, dsn-fields and classify seeds); the
 * other targets are fuzz-classify.c (the classifier alone) and
 * fuzz-dsn-fields.c (the delivery-status fields alone), run the same way
 * with their own corpus directories.
 */
#include "bounce-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Small limits: a fuzz input is a few kilobytes at most. */
#define FUZZ_MAX_MESSAGE_SIZE  (64u * 1024u)
#define FUZZ_MAX_MIME_DEPTH    8u
#define FUZZ_MAX_MIME_PARTS    32u
#define FUZZ_MAX_RECIPIENTS    16u
#define FUZZ_MAX_FIELD_LENGTH  256u

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_string (const char *s)
{
  /* Invariant 1 of bounce.h: absent is NULL, never "", and valid UTF-8. */
  if (s != NULL && (*s == '\0' || !g_utf8_validate (s, -1, NULL)))
    abort ();
}

/* Times are ISO 8601 in UTC, as PostgreSQL reads them whatever the offset
 * the message wrote: "YYYY-MM-DDTHH:MM:SS+00:00". */
static void
check_time (const char *s)
{
  check_string (s);
  if (s != NULL && (strlen (s) != 25 || strcmp (s + 19, "+00:00") != 0 || s[10] != 'T'))
    abort ();
}

static void
check_report (const BounceReport *report)
{
  if (report->recipients == NULL || report->extensions == NULL)
    abort ();
  if ((report->kind == BOUNCE_KIND_ERROR) != (report->error != NULL))
    abort ();
  check_string (report->reporting_mta);
  check_string (report->dsn_gateway);
  check_string (report->received_from_mta);
  check_string (report->original_envelope_id);
  check_time (report->arrival_date);
  check_string (report->arrival_date_text);
  check_time (report->message_date);
  check_string (report->message_date_text);
  check_string (report->original.message_id);
  check_string (report->original.from);
  check_string (report->original.to);
  check_string (report->original.subject);
  check_string (report->original.list_id);
  check_string (report->original.campaign);
  if (report->recipients->len > FUZZ_MAX_RECIPIENTS)
    abort ();
  for (guint i = 0; i < report->recipients->len; i++)
    {
      const BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      if (r->recipient == NULL || r->extensions == NULL)
        abort ();
      check_string (r->recipient);
      check_string (r->original_recipient);
      check_string (r->action);
      check_string (r->status);
      check_string (r->reply_code);
      check_string (r->diagnostic);
      check_string (r->notice);
      check_string (r->remote_mta);
      check_time (r->last_attempt);
      check_time (r->will_retry_until);
      check_string (r->last_attempt_text);
      check_string (r->will_retry_until_text);
      /* bounce.h: status is an RFC 3463 code, reply_code three digits. */
      if (r->status != NULL && !dsn_status_is_valid (r->status, -1))
        abort ();
      if (r->reply_code != NULL
          && (strlen (r->reply_code) != 3 || r->reply_code[0] < '2' || r->reply_code[0] > '5'
              || !g_ascii_isdigit (r->reply_code[1]) || !g_ascii_isdigit (r->reply_code[2])))
        abort ();
      if (report->kind != BOUNCE_KIND_ERROR && r->reason == NULL)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  BounceSettings settings;
  GError *error = NULL;
  BounceReport *report;

  bounce_settings_init (&settings);
  settings.max_message_size = FUZZ_MAX_MESSAGE_SIZE;
  settings.max_mime_depth = FUZZ_MAX_MIME_DEPTH;
  settings.max_mime_parts = FUZZ_MAX_MIME_PARTS;
  settings.max_recipients = FUZZ_MAX_RECIPIENTS;
  settings.max_field_length = FUZZ_MAX_FIELD_LENGTH;

  report = bounce_report_parse ((const char *) data, size, &settings, &error);
  /* Either a report or a TOO_LARGE error, never both, never neither. */
  if ((report == NULL) == (error == NULL))
    abort ();
  if (error != NULL && !g_error_matches (error, BOUNCE_PARSE_ERROR,
                                         BOUNCE_PARSE_ERROR_TOO_LARGE))
    abort ();
  if (report != NULL)
    check_report (report);
  g_clear_error (&error);
  bounce_report_free (report);
  return 0;
}
