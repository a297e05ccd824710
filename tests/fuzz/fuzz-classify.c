/* fuzz-classify.c - libFuzzer target for the classifier alone
 *
 * classify_report() over one recipient whose fields are the input: the
 * input is split at NUL bytes into status, reply code, diagnostic, action,
 * command, the notice's words and the diagnostic type, each made a report
 * string (UTF-8, blanks trimmed, as the parser makes them).  The parse
 * target reaches the classifier only with what the recognisers extracted;
 * this one gives it any text in any field.  Every verdict must hold the
 * invariants of bounce.h: a reason of the vocabulary (classify_reason_known),
 * evidence NULL or non-empty UTF-8.
 *
 * Build and run like fuzz-parse (see there), with
 *   build-fuzz/tests/fuzz/fuzz-classify -dict=tests/fuzz/fuzz-parse.dict ...
 */
#include "bounce-private.h"
#include "classify-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The next NUL-separated field of [*p, end), or NULL past the end. */
static const char *
next_field (BounceReport *report, const char **p, const char *end)
{
  const char *start = *p;
  const char *nul;

  if (start >= end)
    return NULL;
  nul = memchr (start, '\0', (gsize) (end - start));
  if (nul == NULL)
    nul = end;
  *p = nul + 1;
  return bounce_report_strn (report, start, nul - start);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  BounceReport *report = bounce_report_new ();
  BounceRecipient *rcpt = bounce_report_add_recipient (report);
  const char *p = (const char *) data;
  const char *end = p + size;
  const char *status;

  rcpt->recipient = "user@example.org";
  status = next_field (report, &p, end);
  /* As the parser gives them: a status is a valid code or absent, a reply
   * code three digits or absent. */
  rcpt->status = status && dsn_status_is_valid (status, -1) ? status : NULL;
  rcpt->reply_code = bounce_report_reply_code (report, next_field (report, &p, end), -1);
  rcpt->diagnostic = next_field (report, &p, end);
  rcpt->action = next_field (report, &p, end);
  rcpt->command = next_field (report, &p, end);
  rcpt->notice = next_field (report, &p, end);
  rcpt->diagnostic_type = next_field (report, &p, end);
  report->kind = BOUNCE_KIND_DSN;

  dsn_status_complete (report, rcpt);
  classify_report (report, NULL);

  if (rcpt->reason == NULL || !classify_reason_known (rcpt->reason))
    abort ();
  if (rcpt->evidence != NULL
      && (*rcpt->evidence == '\0' || !g_utf8_validate (rcpt->evidence, -1, NULL)))
    abort ();
  if (rcpt->status != NULL && !dsn_status_is_valid (rcpt->status, -1))
    abort ();
  bounce_report_free (report);
  return 0;
}
