/* legacy-mta.c - plain-text notices of MTA software (Postfix, Sendmail,
 * Exim, qmail, Courier, OpenSMTPD, Lotus Domino, ...): the table, and what
 * the recognisers of legacy-mta-unix.c and legacy-mta-gateway.c share
 *
 * Order: a notice forwarded inside another first (the inner one is the
 * report), then the formats with the most specific markers (a product name,
 * an X-Mailer), and the formats of the common MTAs last, because gateways
 * and filters reuse their phrases (MXLogic writes Exim's words, Active!hunter
 * Sendmail's).
 *
 * Every recogniser keys on the markers the software's source writes (line
 * starts where the layout puts them there), never on a phrase a person could
 * type in ordinary mail alone; each returns FALSE without touching the
 * report when its markers are absent.
 */
#include "legacy-mta-private.h"

#include <string.h>

/* How deep find_status_part() looks into the notice's MIME tree. */
#define LEGACY_MTA_MAX_DEPTH 8

const LegacyEntry legacy_mta_table[] = {
  { "forwarded", legacy_forwarded_recognise },
  { "activehunter", legacy_activehunter_recognise },
  { "mfilter", legacy_mfilter_recognise },
  { "imailserver", legacy_imail_recognise },
  { "trendmicro", legacy_trendmicro_recognise },
  { "mcafee", legacy_mcafee_recognise },
  { "surfcontrol", legacy_surfcontrol_recognise },
  { "mailmarshal", legacy_mailmarshal_recognise },
  { "mailfoundry", legacy_mailfoundry_recognise },
  { "amavis", legacy_amavis_recognise },
  { "barracuda", legacy_barracuda_recognise },
  { "bigfoot", legacy_bigfoot_recognise },
  { "verizon", legacy_verizon_recognise },
  { "ezweb", legacy_ezweb_recognise },
  { "kddi", legacy_kddi_recognise },
  { "googlegroups", legacy_googlegroups_recognise },
  { "fml", legacy_fml_recognise },
  { "notes", legacy_notes_recognise },
  { "domino", legacy_domino_recognise },
  { "messagingserver", legacy_messagingserver_recognise },
  { "x6", legacy_x6_recognise },
  { "x3", legacy_x3_recognise },
  { "x1", legacy_x1_recognise },
  { "dragonfly", legacy_dragonfly_recognise },
  { "opensmtpd", legacy_opensmtpd_recognise },
  { "courier", legacy_courier_recognise },
  { "mxlogic", legacy_mxlogic_recognise },
  { "exim", legacy_exim_recognise },
  { "qmail", legacy_qmail_recognise },
  { "postfix", legacy_postfix_recognise },
  { "sendmail", legacy_sendmail_recognise },
  { "v5sendmail", legacy_v5sendmail_recognise },
  { NULL, NULL },
};

gboolean
legacy_mta_from_daemon (const BounceView *view)
{
  const char *v;

  if (legacy_is_daemon_notice (view))
    return TRUE;
  /* RFC 5321 4.5.5: notifications go out with a null reverse-path, which
   * the final delivery records as "Return-Path: <>"; RFC 3834 5 marks
   * them "Auto-Submitted: auto-generated". */
  v = bounce_view_header (view, "Return-Path");
  if (v != NULL && strstr (v, "<>") != NULL)
    return TRUE;
  v = bounce_view_header (view, "Auto-Submitted");
  return v != NULL && bounce_text_find (v, -1, "auto-generated") != NULL;
}

const char *
legacy_mta_find_any (const BounceView *view, const char *const *markers, gsize n_markers)
{
  for (gsize i = 0; i < n_markers; i++)
    {
      const char *p = bounce_text_find (view->body, (gssize) view->body_len, markers[i]);
      if (p != NULL)
        return p;
    }
  return NULL;
}

const char *
legacy_mta_line_any (const BounceView *view, const char *const *markers, gsize n_markers)
{
  for (gsize i = 0; i < n_markers; i++)
    {
      const char *p = legacy_find_line (view->body, view->body_len, markers[i]);
      if (p != NULL)
        return p;
    }
  return NULL;
}

const char *
legacy_mta_region_end (const BounceView *view, const char *from,
                       const char *const *markers, gsize n_markers)
{
  const char *end = view->body + view->body_len;
  gsize rest = view->body_len - (gsize) (from - view->body);

  for (gsize i = 0; i < n_markers; i++)
    {
      const char *p = legacy_find_line (from, rest, markers[i]);
      if (p != NULL && p < end)
        {
          /* The region ends at the start of the marker's line. */
          while (p > from && p[-1] != '\n')
            p--;
          end = p;
        }
    }
  return end;
}

/* Whether a reply code "NNN" (RFC 5321 4.2: first digit 2-5, second 0-5)
 * stands at @p, followed by a blank or the '-' of a multi-line reply. */
static gboolean
reply_at (const char *p)
{
  return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' && g_ascii_isdigit (p[2])
         && (p[3] == ' ' || p[3] == '-' || p[3] == '\0');
}

/* Notices quote the server's answer after a colon: "host x said: 550 ...",
 * "after initial connection: 554 ...", "responded with failure: 552 ...",
 * or after "<<< " in a transcript.  The first such code agreeing with the
 * status class is the reply code. */
static void
reply_code_from_text (BounceReport *report, BounceRecipient *rcpt)
{
  const char *d = rcpt->diagnostic;

  if (rcpt->reply_code != NULL || d == NULL)
    return;
  for (const char *p = d; *p != '\0'; p++)
    {
      const char *c = NULL;

      if (p[0] == ':' && p[1] == ' ')
        c = p + 2;
      else if (p[0] == '<' && p[1] == '<' && p[2] == '<' && p[3] == ' ')
        c = p + 4;
      if (c == NULL || !reply_at (c) || c[0] == '2')
        continue;
      if (rcpt->status != NULL && rcpt->status[0] != c[0])
        continue;
      rcpt->reply_code = bounce_report_reply_code (report, c, 3);
      return;
    }
}

/* The first message/delivery-status part under @object, or NULL. */
static GMimeObject *
find_status_part (GMimeObject *object, guint depth)
{
  GMimeContentType *ct;

  if (object == NULL || depth > LEGACY_MTA_MAX_DEPTH)
    return NULL;
  if (GMIME_IS_MULTIPART (object))
    {
      int n = g_mime_multipart_get_count (GMIME_MULTIPART (object));
      for (int i = 0; i < n; i++)
        {
          GMimeObject *found = find_status_part (g_mime_multipart_get_part (GMIME_MULTIPART (object), i),
                                                 depth + 1);
          if (found != NULL)
            return found;
        }
      return NULL;
    }
  ct = g_mime_object_get_content_type (object);
  if (GMIME_IS_PART (object) && ct != NULL
      && g_ascii_strcasecmp (g_mime_content_type_get_media_type (ct) ?: "", "message") == 0
      && g_ascii_strcasecmp (g_mime_content_type_get_media_subtype (ct) ?: "", "delivery-status") == 0)
    return object;
  return NULL;
}

/* A delivery-status part whose recipient blocks name no mail address
 * (Exim's "Final-Recipient: rfc822;/var/mail/file" for file and pipe
 * deliveries) gives no DSN, but its Status fields, one per block in the
 * order of the notice's entries (RFC 3464 2.3), still hold the codes. */
static void
status_from_part (BounceReport *report, const BounceView *view)
{
  GMimeObject *part = find_status_part (g_mime_message_get_mime_part (view->message), 0);
  g_autoptr(GMimeStream) mem = NULL;
  g_autoptr(GPtrArray) statuses = NULL;
  GByteArray *bytes;
  g_autofree char *text = NULL;
  const char *line;
  gsize line_len, pos = 0;

  if (part == NULL || g_mime_part_get_content (GMIME_PART (part)) == NULL)
    return;
  mem = g_mime_stream_mem_new ();
  g_mime_data_wrapper_write_to_stream (g_mime_part_get_content (GMIME_PART (part)), mem);
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  if (bytes == NULL || bytes->len == 0)
    return;
  text = g_strndup ((const char *) bytes->data, bytes->len);
  statuses = g_ptr_array_new_with_free_func (g_free);
  while (bounce_text_next_line (text, strlen (text), &pos, &line, &line_len))
    if (line_len > 7 && g_ascii_strncasecmp (line, "Status:", 7) == 0)
      {
        char code[16];
        g_autofree char *value = g_strndup (line + 7, line_len - 7);
        g_ptr_array_add (statuses, dsn_status_find (value, code) ? g_strdup (code) : NULL);
      }
  if (statuses->len != report->recipients->len)
    return;
  for (guint i = 0; i < statuses->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      const char *code = g_ptr_array_index (statuses, i);
      if (r->status == NULL && code != NULL)
        r->status = bounce_report_str (report, code);
    }
}

gboolean
legacy_mta_finish (BounceReport *report, const BounceView *view)
{
  if (report->recipients->len == 0 && view->returned != NULL)
    legacy_embedded_parse (report, view, view->returned, view->returned_len);
  else if (view->returned != NULL)
    for (guint i = 0; i < report->recipients->len; i++)
      {
        BounceRecipient *r = g_ptr_array_index (report->recipients, i);
        char code[16];
        if (r->status == NULL && r->reply_code == NULL
            && !(r->diagnostic != NULL && dsn_status_find (r->diagnostic, code)))
          {
            legacy_embedded_enrich (report, view, view->returned, view->returned_len);
            break;
          }
      }
  status_from_part (report, view);
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);
      /* The status first: the reply code must agree with its class. */
      dsn_status_complete (report, r);
      reply_code_from_text (report, r);
    }
  /* Markers of a format without a recipient make a bounce only when the
   * message comes from a mailer daemon; otherwise it is ordinary mail that
   * happens to carry a product's header (an X-Mailer, a list server's). */
  return report->recipients->len > 0 || legacy_is_daemon_notice (view);
}

void
legacy_mta_remote_after (BounceReport *report, BounceRecipient *rcpt,
                         const char *text, const char *cue)
{
  const char *p = text;
  gsize cue_len = strlen (cue);

  if (rcpt == NULL || text == NULL || rcpt->remote_mta != NULL)
    return;
  while ((p = bounce_text_find (p, -1, cue)) != NULL)
    {
      /* The cue must start a word: "host " and not "localhost ". */
      if (p == text || !g_ascii_isalnum (p[-1]))
        {
          legacy_set_remote (report, rcpt, p + cue_len, -1);
          if (rcpt->remote_mta != NULL)
            return;
        }
      p += cue_len;
    }
}
