/* bounce-parse.c - the parse entry point: bytes in, a report out
 *
 * Implements the decision of what a message is (README "How a message is
 * read"), on the view of it that bounce-view.c builds:
 *   1. RFC 6522 multipart/report; report-type=delivery-status (or RFC 6533
 *      global-delivery-status): a DSN, read by dsn-fields.c and notice.c.
 *      A status part may be labelled text/plain, be base64 or
 *      quoted-printable, and need not be the second part; a delivery-status
 *      part outside a report is accepted too.
 *   2. report-type=feedback-report (RFC 5965): a feedback report.
 *   3. an RFC 3834 auto-reply that is not a mailer-daemon notice.
 *   4. a mailer-daemon notice in plain text: a legacy bounce (legacy.c).
 *   5. anything else: not a bounce.
 *
 * The pipeline is one way: bounce-parse.c -> kinds.c, legacy*.c ->
 * notice.c -> bounce-view.c, dsn-*.c, bounce-text.c.  Nothing calls back
 * into bounce_report_parse(): a message quoted inside a notice is read by
 * legacy-util.c from a view of its own (tests/check-layering.py checks this).
 *
 * Invariants:
 *  1. The limits of settings (size, MIME depth and parts) hold before GMime
 *     builds anything (bounce-view.c, invariant 1), and recipients past
 *     settings->max_recipients fail the parse.
 *  2. LF, CRLF and CR line ends give the same report (bounce-view.c,
 *     invariant 2).
 *  3. Malformed mail never fails the call: it yields a report (kind error
 *     when nothing at all can be read).
 */
#include "bounce-private.h"

#include <string.h>

/* ---- feedback reports (RFC 5965) ----------------------------------------- */

/* RFC 5965 section 3.1/3.2 fields of message/feedback-report.  The reported
 * recipient is Original-Rcpt-To (3.2, optional); without it, the To of the
 * returned message. */
static void
read_feedback (BounceReport *report, BounceView *view)
{
  BounceRecipient *rcpt;
  gsize len;
  g_autofree char *text = bounce_view_part_content (view->feedback_part, &len);
  g_autofree char *feedback_type = NULL;
  g_autofree char *rcpt_to = NULL;
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *source_ip = NULL;
  g_autofree char *reporting = NULL;
  const char *line;
  gsize line_len, pos = 0;

  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      const char *colon = memchr (line, ':', line_len);
      g_autofree char *value = NULL;
      gsize name_len;

      if (colon == NULL)
        continue;
      name_len = (gsize) (colon - line);
      value = bounce_text_collapse (colon + 1, (gssize) (line_len - name_len - 1));
      if (value == NULL)
        continue;
      if (name_len == 13 && g_ascii_strncasecmp (line, "Feedback-Type", 13) == 0 && !feedback_type)
        feedback_type = g_ascii_strdown (value, -1);
      /* RFC 5965 3.2: Original-Rcpt-To may appear more than once, one
       * reported recipient each. */
      else if (name_len == 16 && g_ascii_strncasecmp (line, "Original-Rcpt-To", 16) == 0)
        {
          char *addr = bounce_text_address (value, -1);
          if (addr != NULL)
            g_ptr_array_add (rcpts, addr);
        }
      /* Removal-Recipient: the recipient field of the ARF drafts (version
       * 0.1) that some feedback loops still send. */
      else if (name_len == 17 && g_ascii_strncasecmp (line, "Removal-Recipient", 17) == 0 && !rcpt_to)
        rcpt_to = bounce_text_address (value, -1);
      else if (name_len == 13 && g_ascii_strncasecmp (line, "Reporting-MTA", 13) == 0 && !reporting)
        reporting = g_strdup (value);
      else if (name_len == 9 && g_ascii_strncasecmp (line, "Source-IP", 9) == 0 && !source_ip)
        source_ip = g_strdup (value);
      else if (name_len > 2 && (line[0] == 'X' || line[0] == 'x') && line[1] == '-')
        {
          g_autofree char *name = g_strndup (line, name_len);
          bounce_report_add_field (report, report->extensions, name, value);
        }
    }

  report->kind = BOUNCE_KIND_FEEDBACK;
  report->format = "arf";
  if (reporting != NULL)
    {
      const char *semi = strchr (reporting, ';');
      report->reporting_mta = bounce_report_str (report, semi ? semi + 1 : reporting);
    }
  if (rcpt_to == NULL && report->original.to != NULL)
    rcpt_to = bounce_text_address (report->original.to, -1);
  if (rcpts->len == 0 && rcpt_to != NULL)
    g_ptr_array_add (rcpts, g_steal_pointer (&rcpt_to));
  if (rcpts->len > 0)
    {
      g_autofree char *body = NULL;
      const char *diagnostic;

      /* The report's own words, once: the same for every recipient. */
      bounce_view_ensure_body (view);
      body = bounce_text_collapse (view->body, (gssize) MIN (view->body_len, 64 * 1024));
      if (body && strlen (body) > 1000)
        {
          gsize cut = 1000;
          while (cut > 0 && ((unsigned char) body[cut] & 0xC0) == 0x80)
            cut--;
          body[cut] = '\0';
        }
      diagnostic = bounce_report_str (report, body);
      for (guint i = 0; i < rcpts->len; i++)
        {
          if (bounce_report_find_recipient (report, g_ptr_array_index (rcpts, i)) != NULL)
            continue;
          if ((rcpt = bounce_report_add_recipient (report)) == NULL)
            break;
          rcpt->recipient = bounce_report_str (report, g_ptr_array_index (rcpts, i));
          rcpt->feedback_type = bounce_report_str (report, feedback_type ? feedback_type : "other");
          rcpt->remote_mta = bounce_report_str (report, source_ip);
          rcpt->diagnostic = diagnostic;
        }
    }
}

/* ---- the entry point ---------------------------------------------------- */

void
bounce_parse_init (void)
{
  bounce_view_init_gmime ();
}

BounceReport *
bounce_report_parse (const char *data, gsize length,
                     const BounceSettings *settings_in, GError **error_out)
{
  BounceSettings defaults;
  const BounceSettings *settings = settings_in;
  g_autoptr(BounceReport) report = NULL;
  g_auto(BounceView) view = { 0 };

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error_out == NULL || *error_out == NULL, NULL);

  if (settings == NULL)
    {
      bounce_settings_init (&defaults);
      settings = &defaults;
    }
  if (!bounce_view_init (&view, data, length, settings, error_out))
    return NULL;

  report = bounce_report_new ();
  report->max_recipients = settings->max_recipients;
  if (view.message == NULL)
    {
      report->kind = BOUNCE_KIND_ERROR;
      report->error = bounce_report_str (report, "not a mail message: no header fields found");
      return g_steal_pointer (&report);
    }
  bounce_view_describe (&view, report);

  /* 1. A DSN: its status part names the recipients. */
  if (view.status_part != NULL)
    {
      if (notice_read_dsn (report, &view, error_out) < 0)
        return NULL;
    }
  /* 2. A feedback report. */
  else if (bounce_view_is_feedback (&view))
    read_feedback (report, &view);

  if (report->kind == BOUNCE_KIND_NOT_BOUNCE)
    {
      bounce_view_ensure_body (&view);
      bounce_view_ensure_returned (&view);

      /* 3. An opt-out or an auto-reply, from anyone but a mailer daemon. */
      if (!legacy_is_daemon_notice (&view) && kinds_is_unsubscribe (&view))
        {
          g_autofree char *addr = bounce_text_address (view.from, -1);

          report->kind = BOUNCE_KIND_FEEDBACK;
          report->format = "unsubscribe";
          BounceRecipient *rcpt = addr ? bounce_report_add_recipient (report) : NULL;

          if (rcpt != NULL)
            {
              rcpt->recipient = bounce_report_str (report, addr);
              rcpt->feedback_type = "opt-out";
              rcpt->diagnostic = bounce_report_str (report, view.subject);
            }
        }
      else if (!legacy_is_daemon_notice (&view) && kinds_is_auto_reply (&view))
        {
          BounceRecipient *rcpt;
          g_autofree char *addr = bounce_text_address (view.from, -1);

          report->kind = BOUNCE_KIND_AUTO_REPLY;
          report->format = "rfc3834";
          if (addr != NULL && (rcpt = bounce_report_add_recipient (report)) != NULL)
            {
              g_autofree char *diag = bounce_text_collapse (view.subject, -1);
              rcpt->recipient = bounce_report_str (report, addr);
              rcpt->diagnostic = bounce_report_str (report, diag);
            }
        }
      /* 4. A legacy bounce. */
      else if (legacy_read (report, &view) && report->too_many)
        {
          g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                       "notice has more than %u recipients", settings->max_recipients);
          return NULL;
        }
    }
  if (report->too_many)
    {
      g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "%s has more than %u recipients",
                   report->kind == BOUNCE_KIND_FEEDBACK ? "feedback report" : "report",
                   settings->max_recipients);
      return NULL;
    }

  notice_finish (report, &view);
  return g_steal_pointer (&report);
}
