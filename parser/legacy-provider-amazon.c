/* legacy-provider-amazon.c - notices of Amazon SES (JSON and text), Amazon
 * WorkMail and SES receiving mail for a domain
 *
 * See legacy-provider.c for the layouts and the rules all provider
 * recognisers follow.
 */
#include "legacy-provider-private.h"

#include <json-glib/json-glib.h>

/* The largest JSON notification we read (SES puts the returned message's
 * headers in it, not its body). */
#define PROVIDER_MAX_JSON (1024u * 1024u)

/* ---- Amazon SES notifications in JSON (SNS or e-mail feedback) ---------- */

/* Sendmail folds lines longer than 990 octets with "!\n "; shorter lines
 * ending in "!" are not folds. */
#define JSON_FOLD_MIN_LINE 900

/* Copies the JSON object that starts at @start, undoing the line folding a
 * relay may have applied to the long line (Sendmail breaks lines past 990
 * octets with "!\n "; others with "\n "). */
static char *
json_extract (const char *start, gsize len)
{
  GString *out = g_string_sized_new (len);
  int depth = 0;
  gsize line_len = 0;
  gboolean in_string = FALSE, escaped = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = start[i];

      if (c == '\n')
        {
          /* A line end inside a string cannot be JSON's: it is a fold. */
          gboolean folded = out->len > 0 && out->str[out->len - 1] == '!'
                            && line_len >= JSON_FOLD_MIN_LINE;

          if (folded)
            g_string_truncate (out, out->len - 1);
          if ((folded || in_string) && i + 1 < len && start[i + 1] == ' ')
            i++;
          if (!folded && !in_string)
            g_string_append_c (out, c);
          line_len = 0;
          continue;
        }
      line_len++;
      g_string_append_c (out, c);
      if (escaped)
        {
          escaped = FALSE;
          continue;
        }
      if (in_string)
        {
          if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{')
        depth++;
      else if (c == '}' && --depth == 0)
        return g_string_free (out, FALSE);
    }
  g_string_free (out, TRUE);
  return NULL;
}

static const char *
json_str (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonObject *
json_obj (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* The first string of an array member ("to": ["a@b"]), or the string. */
static const char *
json_first (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);
      if (json_array_get_length (a) > 0)
        {
          JsonNode *e = json_array_get_element (a, 0);
          if (json_node_get_value_type (e) == G_TYPE_STRING)
            return json_node_get_string (e);
        }
      return NULL;
    }
  return json_str (o, name);
}

static void
ses_original (BounceReport *report, JsonObject *mail)
{
  JsonObject *common = json_obj (mail, "commonHeaders");

  if (report->original.message_id == NULL)
    report->original.message_id = bounce_report_str (report, json_str (common, "messageId"));
  if (report->original.from == NULL)
    report->original.from = bounce_report_str (report, json_first (common, "from"));
  if (report->original.to == NULL)
    report->original.to = bounce_report_str (report, json_first (common, "to"));
  if (report->original.subject == NULL)
    report->original.subject = bounce_report_str (report, json_str (common, "subject"));
  if (report->original.date == NULL)
    report->original.date = bounce_report_str (report, json_str (common, "date"));
}

/* Fills what a recipient entry of a bounce or delay says: diagnostic
 * ("smtp; 550 5.1.1 ...", its RFC 3464 type first), status, remote MTA. */
static void
ses_recipient_fields (BounceReport *report, BounceRecipient *rcpt, JsonObject *r)
{
  const char *diag = json_str (r, "diagnosticCode");
  const char *status = json_str (r, "status");

  if (diag != NULL)
    {
      const char *semi = strchr (diag, ';');
      if (semi != NULL && semi - diag < 16 && memchr (diag, ' ', (gsize) (semi - diag)) == NULL)
        {
          g_autofree char *t = g_ascii_strdown (diag, semi - diag);
          rcpt->diagnostic_type = bounce_report_str (report, t);
          diag = semi + 1;
        }
      set_diagnostic (report, rcpt, diag, -1);
    }
  if (status != NULL && dsn_status_is_valid (status, -1))
    rcpt->status = bounce_report_str (report, status);
  if (json_str (r, "remoteMtaIp") != NULL)
    rcpt->remote_mta = bounce_report_str (report, json_str (r, "remoteMtaIp"));
}

static void
ses_reporting_mta (BounceReport *report, JsonObject *o)
{
  const char *mta = json_str (o, "reportingMTA");

  if (mta != NULL && report->reporting_mta == NULL)
    {
      const char *semi = strchr (mta, ';');
      g_autofree char *host = g_strstrip (g_strdup (semi ? semi + 1 : mta));
      report->reporting_mta = bounce_report_str (report, host);
    }
}

/* The array @name of @o, or NULL. */
static JsonArray *
json_arr (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* The @i-th element of the recipients' @array, an object with its
 * emailAddress (in @r), added to @report; NULL when it names none. */
static BounceRecipient *
ses_nth_recipient (BounceReport *report, const BounceView *view, JsonArray *array, guint i,
                   JsonObject **r)
{
  JsonNode *e = json_array_get_element (array, i);
  const char *addr;

  *r = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
  addr = json_str (*r, "emailAddress");
  return addr != NULL ? legacy_add (report, view, addr, -1, NULL, 0) : NULL;
}

/* SES's own verdict on @rcpt ("bounceType=... bounceSubType=...",
 * "delayType=..."): what the notice says of it, and its diagnostic when
 * SES gave none. */
static void
ses_verdict (BounceReport *report, BounceRecipient *rcpt, const char *verdict)
{
  bounce_recipient_add_notice (report, rcpt, verdict, -1);
  if (rcpt->diagnostic == NULL)
    rcpt->diagnostic = bounce_report_str (report, verdict);
}

/* Bounce: bouncedRecipients, with bounceType and bounceSubType (SES's own
 * verdict: Permanent/NoEmail, Transient/MailboxFull, ...) as what the
 * notice says of each recipient, and as the diagnostic when SES gives none. */
static void
ses_bounce (BounceReport *report, const BounceView *view, JsonObject *bounce)
{
  JsonArray *array = json_arr (bounce, "bouncedRecipients");
  const char *type = json_str (bounce, "bounceType");
  const char *subtype = json_str (bounce, "bounceSubType");
  g_autofree char *verdict = NULL;

  if (type != NULL || subtype != NULL)
    verdict = g_strdup_printf ("bounceType=%s bounceSubType=%s", type ? type : "",
                               subtype ? subtype : "");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *r;
      BounceRecipient *rcpt = ses_nth_recipient (report, view, array, i, &r);
      const char *action;

      if (rcpt == NULL)
        continue;
      action = json_str (r, "action");
      ses_recipient_fields (report, rcpt, r);
      if (verdict != NULL)
        ses_verdict (report, rcpt, verdict);
      if (action != NULL && g_ascii_strcasecmp (action, "delayed") == 0)
        rcpt->action = "delayed";
      else if (g_strcmp0 (type, "Transient") == 0 && rcpt->status != NULL && rcpt->status[0] == '4')
        rcpt->action = "delayed";
    }
  ses_reporting_mta (report, bounce);
}

/* DeliveryDelay (event publishing): delayedRecipients, delayType. */
static void
ses_delay (BounceReport *report, const BounceView *view, JsonObject *delay)
{
  JsonArray *array = json_arr (delay, "delayedRecipients");
  const char *type = json_str (delay, "delayType");
  g_autofree char *verdict = type != NULL ? g_strdup_printf ("delayType=%s", type) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *r;
      BounceRecipient *rcpt = ses_nth_recipient (report, view, array, i, &r);

      if (rcpt == NULL)
        continue;
      rcpt->action = "delayed";
      ses_recipient_fields (report, rcpt, r);
      if (verdict != NULL)
        ses_verdict (report, rcpt, verdict);
    }
  ses_reporting_mta (report, delay);
}

/* Complaint: complainedRecipients; complaintFeedbackType is the ARF
 * Feedback-Type (RFC 5965 7.3) when the complaint came as one. */
static void
ses_complaint (BounceReport *report, const BounceView *view, JsonObject *complaint)
{
  JsonArray *array = json_arr (complaint, "complainedRecipients");
  const char *type = json_str (complaint, "complaintFeedbackType");

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *r;
      BounceRecipient *rcpt = ses_nth_recipient (report, view, array, i, &r);

      if (rcpt == NULL)
        continue;
      rcpt->action = NULL;
      rcpt->feedback_type = bounce_report_str (report, type ? type : "abuse");
      rcpt->diagnostic = bounce_report_str (report, json_str (complaint, "userAgent"));
    }
  report->kind = BOUNCE_KIND_FEEDBACK;
}

/* Delivery: recipients (strings), smtpResponse. */
static void
ses_delivery (BounceReport *report, const BounceView *view, JsonObject *delivery)
{
  JsonArray *array = json_arr (delivery, "recipients");
  const char *response = json_str (delivery, "smtpResponse");

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      BounceRecipient *rcpt;

      if (json_node_get_value_type (e) != G_TYPE_STRING
          || (rcpt = legacy_add (report, view, json_node_get_string (e), -1, NULL, 0)) == NULL)
        continue;
      rcpt->action = "delivered";
      if (response != NULL)
        set_diagnostic (report, rcpt, response, -1);
      rcpt->remote_mta = bounce_report_str (report, json_str (delivery, "remoteMtaIp"));
    }
  ses_reporting_mta (report, delivery);
}

/* An SES notification (notificationType, SNS) or event (eventType, event
 * publishing): Bounce, Complaint, Delivery, DeliveryDelay. */
static gboolean
ses_notification (BounceReport *report, const BounceView *view, JsonObject *root)
{
  const char *type = json_str (root, "notificationType");

  if (type == NULL)
    type = json_str (root, "eventType");
  if (type == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (type, "Bounce") == 0)
    ses_bounce (report, view, json_obj (root, "bounce"));
  else if (g_ascii_strcasecmp (type, "DeliveryDelay") == 0)
    ses_delay (report, view, json_obj (root, "deliveryDelay"));
  else if (g_ascii_strcasecmp (type, "Complaint") == 0)
    ses_complaint (report, view, json_obj (root, "complaint"));
  else if (g_ascii_strcasecmp (type, "Delivery") == 0)
    ses_delivery (report, view, json_obj (root, "delivery"));
  else
    return FALSE;
  if (report->recipients->len == 0)
    return FALSE;
  ses_original (report, json_obj (root, "mail"));
  return TRUE;
}

gboolean
legacy_amazonses_json_recognise (BounceReport *report, const BounceView *view)
{
  const char *brace;
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;
  const char *inner;

  if (!header_has (view, "x-amz-sns-message-id", NULL) && !from_has (view, "amazonaws.com")
      && !from_has (view, "amazonses.com"))
    return FALSE;
  if (body_find (view, "notificationType") == NULL && body_find (view, "eventType") == NULL)
    return FALSE;
  brace = memchr (view->body, '{', view->body_len);
  if (brace == NULL)
    return FALSE;
  json = json_extract (brace, MIN (view->body_len - body_offset (view, brace), PROVIDER_MAX_JSON));
  if (json == NULL)
    return FALSE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));

  /* An SNS envelope carries the SES notification as a string in Message. */
  inner = json_str (root, "Message");
  if (inner != NULL && json_str (root, "Type") != NULL)
    {
      g_autoptr(JsonParser) p2 = json_parser_new ();
      if (!json_parser_load_from_data (p2, inner, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p2)))
        return FALSE;
      return ses_notification (report, view, json_node_get_object (json_parser_get_root (p2)));
    }
  return ses_notification (report, view, root);
}

/* ---- Amazon SES and WorkMail text notices -------------------------------- */

/* "An error occurred while trying to deliver the mail to the following
 * recipients:", the addresses, then "Technical report:" holding the fields
 * of a delivery-status body (RFC 3464 2.1) as plain text. */
/* SES gives up on a message with "554 4.4.7 Message expired: unable to
 * deliver in 840 minutes.<421 4.4.2 Connection timed out>": the part in
 * angle brackets is the last answer of the remote server.  Its reply code is
 * the remote server's; the 554 is SES's own and contradicts the 4.4.7 the
 * Status keeps. */
static void
amazon_expired_cause (BounceReport *report, BounceRecipient *rcpt)
{
  const char *lt, *text = rcpt->diagnostic;
  char reply[4];

  if (text == NULL || bounce_text_find (text, -1, "Message expired") == NULL)
    return;
  lt = strstr (text, ".<");
  if (lt == NULL || !leading_reply_code (lt + 2, strlen (lt + 2), reply))
    return;
  if (rcpt->status == NULL || rcpt->status[0] == reply[0])
    rcpt->reply_code = bounce_report_reply_code (report, reply, -1);
}

static gboolean
amazon_text_parse (BounceReport *report, const BounceView *view)
{
  const char *intro = body_find (view, "An error occurred while trying to deliver the mail to the following recipient");
  const char *tech;
  const char *line;
  gsize line_len, pos, limit;

  if (intro == NULL)
    return FALSE;
  tech = body_find (view, "Technical report:");
  if (tech != NULL)
    {
      gsize start = after_line (view, tech);
      if (dsn_fields_parse (report, view->body + start, view->body_len - start,
                            view->settings, NULL) > 0)
        {
          for (guint i = 0; i < report->recipients->len; i++)
            amazon_expired_cause (report, g_ptr_array_index (report->recipients, i));
          return TRUE;
        }
    }
  limit = tech ? body_offset (view, tech) : view->body_len;
  pos = after_line (view, intro);
  while (bounce_text_next_line (view->body, limit, &pos, &line, &line_len))
    {
      g_autofree char *addr = line_address (line, line_len);
      if (addr != NULL)
        legacy_add (report, view, addr, -1, NULL, 0);
      else if (report->recipients->len > 0 && !line_blank (line, line_len))
        {
          BounceRecipient *r = g_ptr_array_index (report->recipients, report->recipients->len - 1);
          if (r->diagnostic == NULL)
            set_diagnostic (report, r, line, (gssize) line_len);
        }
    }
  return report->recipients->len > 0;
}

gboolean
legacy_amazonworkmail_recognise (BounceReport *report, const BounceView *view)
{
  if (!header_has (view, "X-Mailer", "Amazon WorkMail")
      && !header_has (view, "X-Original-Mailer", "Amazon WorkMail"))
    return FALSE;
  return amazon_text_parse (report, view);
}

/* SES's first layout (2011-2015):
 *   The following message to <addr> was undeliverable.
 *   The reason for the problem:
 *   5.1.0 - Unknown address error 550-'5.1.1 <addr>... User unknown'  */
static gboolean
amazon_old_text_parse (BounceReport *report, const BounceView *view)
{
  const char *intro = head_find (view, "The following message to <");
  const char *reason, *nl;
  BounceRecipient *rcpt;

  if (intro == NULL)
    return FALSE;
  nl = strchr (intro, '\n');
  if (bounce_text_find (intro, nl ? nl - intro : -1, "was undeliverable") == NULL)
    return FALSE;
  rcpt = legacy_add (report, view, intro + 24, nl ? nl - intro - 24 : -1, NULL, 0);
  if (rcpt == NULL)
    return FALSE;
  reason = body_find (view, "The reason for the problem:");
  if (reason != NULL)
    {
      gsize pos = after_line (view, reason);
      const char *line;
      gsize line_len;
      g_autoptr(GString) diag = g_string_new (NULL);

      while (bounce_text_next_line (view->body, view->body_len, &pos, &line, &line_len)
             && !line_blank (line, line_len))
        legacy_text_append (diag, line, line_len);
      set_diagnostic (report, rcpt, diag->str, -1);
      /* SES's own code comes first ("5.1.0 - Unknown address error"), the
       * remote server's answer after it in quotes: "550-'5.1.1 ...'".  The
       * server's code is the more precise one. */
      if (rcpt->diagnostic != NULL)
        {
          const char *q = strstr (rcpt->diagnostic, "-'");
          char code[16];

          if (q != NULL && q - rcpt->diagnostic >= 3)
            {
              char reply[4];
              if (leading_reply_code (q - 3, 4, reply))
                rcpt->reply_code = bounce_report_reply_code (report, reply, -1);
              if (dsn_status_find (q + 2, code) && strncmp (q + 2, code, strlen (code)) == 0)
                rcpt->status = bounce_report_str (report, code);
            }
        }
    }
  return TRUE;
}

gboolean
legacy_amazonses_recognise (BounceReport *report, const BounceView *view)
{
  if (!from_has (view, "amazonses.com") && !header_has (view, "X-SES-Outgoing", NULL))
    return FALSE;
  if (!legacy_is_daemon_notice (view))
    return FALSE;
  return amazon_text_parse (report, view) || amazon_old_text_parse (report, view);
}

/* ---- Amazon SES receiving mail for a domain ----------------------------- */

/* SES refusing mail for a domain it receives for writes from
 * postmaster@<that domain> a report whose text says only "This message
 * could not be delivered.": the failed addresses are those of the returned
 * message's To in the postmaster's domain (or its only address). */
gboolean
legacy_receivingses_recognise (BounceReport *report, const BounceView *view)
{
  g_autofree char *sender = NULL;
  const char *domain;
  g_auto(GStrv) list = NULL;
  guint addresses = 0;

  if (!header_has (view, "X-SES-Outgoing", NULL) || !legacy_is_daemon_notice (view)
      || head_find (view, "This message could not be delivered") == NULL
      || report->original.to == NULL)
    return FALSE;
  sender = bounce_text_address (view->from, -1);
  domain = sender ? strchr (sender, '@') : NULL;
  list = g_strsplit (report->original.to, ",", -1);
  for (char **a = list; *a; a++)
    {
      g_autofree char *addr = bounce_text_address (*a, -1);
      const char *at = addr ? strchr (addr, '@') : NULL;

      if (addr == NULL)
        continue;
      addresses++;
      if (domain != NULL && at != NULL && g_ascii_strcasecmp (at, domain) == 0)
        legacy_add (report, view, addr, -1, NULL, 0);
    }
  if (report->recipients->len == 0 && addresses == 1)
    for (char **a = list; *a; a++)
      legacy_add (report, view, *a, -1, NULL, 0);
  return report->recipients->len > 0;
}
