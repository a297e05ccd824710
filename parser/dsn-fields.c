/* dsn-fields.c - the fields of a message/delivery-status body
 *
 * RFC 3464 section 2.1 (and RFC 6533 section 3 for global DSNs):
 *   delivery-status-content = per-message-fields 1*( CRLF per-recipient-fields )
 * Each group is a block of header-style fields (RFC 5322 2.2), folded lines
 * allowed, separated by a blank line.
 *
 * Real MTAs bend this, so the reader is lenient and total:
 *  - field names are case-insensitive; values may carry "(comments)", lack
 *    the "type;" prefix, or have odd spacing;
 *  - blocks may be separated by several blank lines, or by none: a second
 *    Final-Recipient (or an Original-Recipient after a Final-Recipient) opens
 *    a new recipient even without a blank line;
 *  - per-recipient fields that appear before any recipient field open a
 *    recipient too; a recipient that never names an address is dropped.
 * Invariants: never more than settings->max_recipients recipients; no value
 * longer than settings->max_field_length.
 */
#include "bounce-private.h"

#include <string.h>

typedef enum {
  FIELD_UNKNOWN,
  FIELD_EXTENSION,
  /* per-message */
  FIELD_ORIGINAL_ENVELOPE_ID,
  FIELD_REPORTING_MTA,
  FIELD_DSN_GATEWAY,
  FIELD_RECEIVED_FROM_MTA,
  FIELD_ARRIVAL_DATE,
  /* per-recipient */
  FIELD_ORIGINAL_RECIPIENT,
  FIELD_FINAL_RECIPIENT,
  FIELD_ACTION,
  FIELD_STATUS,
  FIELD_REMOTE_MTA,
  FIELD_DIAGNOSTIC_CODE,
  FIELD_LAST_ATTEMPT_DATE,
  FIELD_FINAL_LOG_ID,
  FIELD_WILL_RETRY_UNTIL,
} FieldId;

static const struct {
  const char *name;
  FieldId id;
} field_names[] = {
  { "Original-Envelope-Id", FIELD_ORIGINAL_ENVELOPE_ID },
  { "Reporting-MTA", FIELD_REPORTING_MTA },
  { "DSN-Gateway", FIELD_DSN_GATEWAY },
  { "Received-From-MTA", FIELD_RECEIVED_FROM_MTA },
  { "Arrival-Date", FIELD_ARRIVAL_DATE },
  { "Original-Recipient", FIELD_ORIGINAL_RECIPIENT },
  { "Final-Recipient", FIELD_FINAL_RECIPIENT },
  { "Action", FIELD_ACTION },
  { "Status", FIELD_STATUS },
  { "Remote-MTA", FIELD_REMOTE_MTA },
  { "Diagnostic-Code", FIELD_DIAGNOSTIC_CODE },
  { "Last-Attempt-Date", FIELD_LAST_ATTEMPT_DATE },
  { "Final-Log-ID", FIELD_FINAL_LOG_ID },
  { "Will-Retry-Until", FIELD_WILL_RETRY_UNTIL },
  /* Spellings seen from real MTAs. */
  { "Last-Attempt", FIELD_LAST_ATTEMPT_DATE },
  { "Diagnostic-Codes", FIELD_DIAGNOSTIC_CODE },
  { "Final-Recipent", FIELD_FINAL_RECIPIENT },
};

static FieldId
field_lookup (const char *name, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (strlen (field_names[i].name) == len
        && g_ascii_strncasecmp (field_names[i].name, name, len) == 0)
      return field_names[i].id;
  if (len > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-')
    return FIELD_EXTENSION;
  return FIELD_UNKNOWN;
}

/* Removes RFC 5322 comments "(...)" (nested) from @s in place, except inside
 * quoted strings.  When @said is not NULL, the text of each top-level
 * comment is appended to it, "; " between two. */
static void
strip_comments (char *s, GString *said)
{
  char *w = s;
  const char *open = NULL;
  int depth = 0;
  gboolean quoted = FALSE;

  for (char *r = s; *r; r++)
    {
      if (*r == '"' && depth == 0)
        quoted = !quoted;
      if (!quoted && *r == '(' && depth++ == 0)
        open = r + 1;
      if (depth == 0)
        *w++ = *r;
      if (!quoted && *r == ')' && depth > 0 && --depth == 0 && said != NULL)
        {
          if (said->len > 0)
            g_string_append (said, "; ");
          g_string_append_len (said, open, r - open);
        }
    }
  *w = '\0';
}

/* Splits "type; value" (RFC 3464 2.1.2 address-type, mta-name-type,
 * diagnostic-type).  Returns the value; *@type_out gets the lower-cased type
 * (newly allocated) or NULL when the prefix is absent. */
static const char *
split_type (const char *v, char **type_out)
{
  const char *semi = strchr (v, ';');

  *type_out = NULL;
  if (semi == NULL || semi - v > 32)
    return v;
  for (const char *p = v; p < semi; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != ' ' && *p != '.')
      return v;
  *type_out = g_ascii_strdown (v, semi - v);
  g_strstrip (*type_out);
  if (**type_out == '\0')
    g_clear_pointer (type_out, g_free);
  semi++;
  while (*semi == ' ' || *semi == '\t')
    semi++;
  return semi;
}

/* An MTA name: "dns; mx.example.org [192.0.2.1]" -> "mx.example.org". */
static const char *
mta_name (BounceReport *report, const char *v)
{
  g_autofree char *type = NULL;
  g_autofree char *copy = NULL;
  const char *name = split_type (v, &type);
  char *end;

  copy = g_strdup (name);
  strip_comments (copy, NULL);
  g_strstrip (copy);
  end = copy + strcspn (copy, " \t,");
  *end = '\0';
  if (copy[0] == '[' && end > copy + 1 && end[-1] == ']')
    {
      end[-1] = '\0';
      return bounce_report_str (report, copy + 1);
    }
  return bounce_report_str (report, copy);
}

/* An RFC 5322 date (RFC 3464 2.2.5 arrival-date) -> ISO 8601 in UTC, or
 * NULL if it cannot be read. */
static const char *
iso_date (BounceReport *report, const char *v)
{
  g_autofree char *iso = bounce_text_date_utc (v);

  return bounce_report_str (report, iso);
}

/* RFC 6533 section 3: a "utf-8" address may be written in 7-bit form,
 * each non-ASCII character as EmbeddedUnicodeChar "\x{" 2*6HEXDIG "}".
 * Returns the address with those decoded (newly allocated); a sequence that
 * is not a valid Unicode scalar value is kept as written. */
static char *
utf8_addr_xtext_decode (const char *s)
{
  GString *out = g_string_sized_new (strlen (s));

  while (*s)
    {
      if (s[0] == '\\' && s[1] == 'x' && s[2] == '{')
        {
          const char *p = s + 3;
          gunichar c = 0;
          int digits = 0;

          while (g_ascii_isxdigit (*p) && digits < 7)
            c = c * 16 + (gunichar) g_ascii_xdigit_value (*p++), digits++;
          if (*p == '}' && digits >= 2 && digits <= 6 && g_unichar_validate (c) && c != 0)
            {
              g_string_append_unichar (out, c);
              s = p + 1;
              continue;
            }
        }
      g_string_append_c (out, *s++);
    }
  return g_string_free (out, FALSE);
}

static const char *
address_value (BounceReport *report, const char *v)
{
  g_autofree char *type = NULL;
  const char *value = split_type (v, &type);
  g_autofree char *decoded = NULL;
  g_autofree char *addr = NULL;

  if (type != NULL && strcmp (type, "utf-8") == 0 && strstr (value, "\\x{") != NULL)
    value = decoded = utf8_addr_xtext_decode (value);
  addr = bounce_text_address (value, -1);
  return bounce_report_str (report, addr);
}

typedef struct {
  BounceReport *report;
  const BounceSettings *settings;
  BounceRecipient *current;
  gboolean blank_since_current;   /* a blank line passed since it opened */
  gboolean seen_recipient_field;  /* per-message block is over */
  guint count;
  GError **error;
  gboolean failed;
} Reader;

static BounceRecipient *
open_recipient (Reader *reader)
{
  if (reader->failed)
    return NULL;
  if (reader->count >= reader->settings->max_recipients
      || reader->report->recipients->len >= reader->report->max_recipients)
    {
      g_set_error (reader->error, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_TOO_LARGE,
                   "delivery status has more than %u recipients",
                   reader->settings->max_recipients);
      reader->failed = TRUE;
      return NULL;
    }
  reader->count++;
  reader->current = bounce_report_add_recipient (reader->report);
  reader->blank_since_current = FALSE;
  reader->seen_recipient_field = TRUE;
  return reader->current;
}

/* The recipient a per-recipient field belongs to: the current one, or a new
 * one when the current one already has this field after a block boundary. */
static BounceRecipient *
recipient_for (Reader *reader, gboolean already_set)
{
  if (reader->current == NULL || (already_set && reader->blank_since_current))
    return open_recipient (reader);
  return reader->current;
}

static void
apply_field (Reader *reader, FieldId id, const char *name, char *value)
{
  BounceReport *report = reader->report;
  BounceRecipient *rcpt;
  g_autofree char *type = NULL;
  const char *v;

  switch (id)
    {
    case FIELD_UNKNOWN:
      return;
    case FIELD_EXTENSION:
      bounce_report_add_field (report,
                               reader->current ? reader->current->extensions
                                               : report->extensions,
                               name, value);
      return;
    case FIELD_ORIGINAL_ENVELOPE_ID:
      if (report->original_envelope_id == NULL)
        report->original_envelope_id = bounce_report_str (report, value);
      return;
    case FIELD_REPORTING_MTA:
      if (report->reporting_mta == NULL)
        report->reporting_mta = mta_name (report, value);
      return;
    case FIELD_DSN_GATEWAY:
      if (report->dsn_gateway == NULL)
        report->dsn_gateway = mta_name (report, value);
      return;
    case FIELD_RECEIVED_FROM_MTA:
      if (report->received_from_mta == NULL)
        report->received_from_mta = mta_name (report, value);
      return;
    case FIELD_ARRIVAL_DATE:
      if (report->arrival_date_text == NULL)
        {
          report->arrival_date = iso_date (report, value);
          report->arrival_date_text = bounce_report_str (report, value);
        }
      return;
    case FIELD_ORIGINAL_RECIPIENT:
      /* Original-Recipient comes first in a block (RFC 3464 2.3), but MTAs
       * also put it after Final-Recipient; it opens the next recipient only
       * when the current block is over: a blank line, or it already has one,
       * or (blocks run together) a complete block for another address. */
      {
        const char *addr = address_value (report, value);

        rcpt = reader->current;
        if (rcpt == NULL || rcpt->original_recipient != NULL || reader->blank_since_current
            || (rcpt->recipient != NULL && rcpt->action != NULL && rcpt->status != NULL
                && !bounce_text_address_equal (addr, rcpt->recipient)))
          rcpt = open_recipient (reader);
        if (rcpt != NULL)
          rcpt->original_recipient = addr;
      }
      return;
    case FIELD_FINAL_RECIPIENT:
      rcpt = reader->current;
      if (rcpt == NULL || rcpt->recipient != NULL
          || (reader->blank_since_current && rcpt->original_recipient == NULL))
        rcpt = open_recipient (reader);
      if (rcpt != NULL)
        rcpt->recipient = address_value (report, value);
      return;
    case FIELD_ACTION:
      rcpt = recipient_for (reader, reader->current && reader->current->action);
      if (rcpt != NULL)
        {
          strip_comments (value, NULL);
          g_strstrip (value);
          value[strcspn (value, " \t;,")] = '\0';
          for (char *c = value; *c; c++)
            *c = g_ascii_tolower (*c);
          rcpt->action = bounce_report_str (report, value);
        }
      return;
    case FIELD_STATUS:
      rcpt = recipient_for (reader, reader->current && reader->current->status);
      if (rcpt != NULL)
        {
          char code[16];
          /* "5.2.1 (mailbox disabled, not accepting messages)": the
           * reporting MTA's words for the code, kept for the classifier. */
          g_autoptr(GString) said = strchr (value, '(') ? g_string_new (NULL) : NULL;

          strip_comments (value, said);
          if (said != NULL)
            bounce_recipient_add_notice (report, rcpt, said->str, (gssize) said->len);
          g_strstrip (value);
          if (dsn_status_is_valid (value, -1))
            rcpt->status = bounce_report_str (report, value);
          else if (dsn_status_find (value, code))
            rcpt->status = bounce_report_str (report, code);
        }
      return;
    case FIELD_REMOTE_MTA:
      rcpt = recipient_for (reader, reader->current && reader->current->remote_mta);
      if (rcpt != NULL)
        rcpt->remote_mta = mta_name (report, value);
      return;
    case FIELD_DIAGNOSTIC_CODE:
      rcpt = recipient_for (reader, reader->current && reader->current->diagnostic);
      if (rcpt != NULL)
        {
          g_autofree char *text = NULL;
          v = split_type (value, &type);
          text = bounce_text_collapse (v, -1);
          rcpt->diagnostic_type = bounce_report_str (report, type);
          rcpt->diagnostic = bounce_report_str (report, text);
        }
      return;
    case FIELD_LAST_ATTEMPT_DATE:
      rcpt = recipient_for (reader, reader->current && reader->current->last_attempt);
      if (rcpt != NULL)
        {
          rcpt->last_attempt = iso_date (report, value);
          rcpt->last_attempt_text = bounce_report_str (report, value);
        }
      return;
    case FIELD_FINAL_LOG_ID:
      rcpt = recipient_for (reader, reader->current && reader->current->final_log_id);
      if (rcpt != NULL)
        rcpt->final_log_id = bounce_report_str (report, value);
      return;
    case FIELD_WILL_RETRY_UNTIL:
      rcpt = recipient_for (reader, reader->current && reader->current->will_retry_until);
      if (rcpt != NULL)
        {
          rcpt->will_retry_until = iso_date (report, value);
          rcpt->will_retry_until_text = bounce_report_str (report, value);
        }
      return;
    }
}

/* Feeds one complete (unfolded) field "Name: value" to the reader. */
static void
take_field (Reader *reader, GString *field)
{
  char *colon = memchr (field->str, ':', field->len);
  gsize name_len;
  FieldId id;
  char *value;

  if (colon == NULL)
    return;
  name_len = (gsize) (colon - field->str);
  while (name_len > 0 && (field->str[name_len - 1] == ' ' || field->str[name_len - 1] == '\t'))
    name_len--;
  id = field_lookup (field->str, name_len);
  if (id == FIELD_UNKNOWN)
    return;
  field->str[name_len] = '\0';
  value = colon + 1;
  /* The limit is on the value, not on the blanks before it. */
  while (*value == ' ' || *value == '\t')
    value++;
  if (strlen (value) > reader->settings->max_field_length)
    {
      gsize cut = reader->settings->max_field_length;
      /* Cut at a UTF-8 character boundary. */
      while (cut > 0 && ((unsigned char) value[cut] & 0xC0) == 0x80)
        cut--;
      value[cut] = '\0';
    }
  g_strstrip (value);
  if (*value == '\0')
    return;
  apply_field (reader, id, field->str, value);
}

static gboolean
is_field_start (const char *line, gsize len)
{
  gsize i = 0;

  while (i < len && (g_ascii_isalnum (line[i]) || line[i] == '-' || line[i] == '_'))
    i++;
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  return i > 0 && i < len && line[i] == ':';
}

/* Whether the domain of @address has a dot or is an address literal. */
static gboolean
fully_qualified (const char *address)
{
  const char *at = strrchr (address, '@');

  return at != NULL && (strchr (at, '.') != NULL || at[1] == '[');
}

int
dsn_fields_parse (BounceReport *report, const char *text, gsize len,
                  const BounceSettings *settings, GError **error_out)
{
  Reader reader = { .report = report, .settings = settings, .error = error_out };
  g_autoptr(GString) field = g_string_new (NULL);
  const char *line;
  gsize line_len, pos = 0;
  guint first = report->recipients->len;

  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      gboolean blank = TRUE;

      for (gsize i = 0; i < line_len; i++)
        if (!g_ascii_isspace (line[i]))
          blank = FALSE;

      if (!blank && (line[0] == ' ' || line[0] == '\t') && field->len > 0)
        {
          /* Folded continuation (RFC 5322 2.2.3): unfold. */
          if (field->len < settings->max_field_length + 256)
            g_string_append_len (field, line, (gssize) line_len);
          continue;
        }
      if (field->len > 0)
        {
          take_field (&reader, field);
          g_string_truncate (field, 0);
        }
      if (reader.failed)
        break;
      if (blank)
        {
          if (reader.current != NULL)
            reader.blank_since_current = TRUE;
          continue;
        }
      if (is_field_start (line, line_len))
        g_string_append_len (field, line, (gssize) line_len);
    }
  if (field->len > 0 && !reader.failed)
    take_field (&reader, field);

  /* Drop recipients that never named an address (also when the reading
   * failed: a caller that goes on without these fields, as the SES notice
   * reader does, must not keep a recipient without one); fall back to the
   * Original-Recipient when the Final-Recipient is missing, or when it is
   * only a host-internal name (no dot in its domain, as after a source route
   * "@relay:user@host" or a local rewrite) and the Original-Recipient is a
   * real address: that is the address the sender used (RFC 3464 2.3.1). */
  for (guint i = first; i < report->recipients->len;)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);

      if (rcpt->recipient == NULL
          || (rcpt->original_recipient != NULL && !fully_qualified (rcpt->recipient)
              && fully_qualified (rcpt->original_recipient)))
        rcpt->recipient = rcpt->original_recipient;
      if (rcpt->recipient == NULL)
        {
          bounce_report_remove_recipient (report, i);
          continue;
        }
      i++;
    }
  if (reader.failed)
    return -1;
  return (int) (report->recipients->len - first);
}

gboolean
dsn_fields_sniff (const char *text, gsize len)
{
  gboolean rcpt = FALSE, what = FALSE;
  const char *line;
  gsize line_len, pos = 0;

  while (bounce_text_next_line (text, len, &pos, &line, &line_len))
    {
      if (line_len > 16 && g_ascii_strncasecmp (line, "Final-Recipient", 15) == 0)
        rcpt = TRUE;
      else if (line_len > 19 && g_ascii_strncasecmp (line, "Original-Recipient", 18) == 0)
        rcpt = TRUE;
      else if (line_len > 7 && (g_ascii_strncasecmp (line, "Action", 6) == 0
                                || g_ascii_strncasecmp (line, "Status", 6) == 0))
        {
          const char *p = line + 6;
          while (p < line + line_len && *p == ' ')
            p++;
          if (*p == ':')
            what = TRUE;
        }
      if (rcpt && what)
        return TRUE;
    }
  return FALSE;
}
