/* bounce-report.c - the BounceReport value: allocation, strings, recipients
 *
 * All strings of a report live in one GStringChunk: a report is built by many
 * small copies and freed at once, and one chunk makes both cheap (the parser
 * runs tens of thousands of times per second).
 *
 * Invariants: see bounce.h.  bounce_report_str() is the only way a string
 * enters a report, and it turns "" and blank strings into NULL.
 *
 * Recipients are found again by address through a hash (by_address) that
 * bounce_report_find_recipient() brings up to date lazily: recognisers set
 * an address after bounce_report_add_recipient(), and DSN blocks may name
 * theirs after other fields, so the index is caught up on each lookup from
 * the recipients it has not seen (and those it saw without an address).  A
 * hit is checked against the recipient's address, and a removal drops the
 * index, so a stale entry is never returned.  The first recipient of an
 * address wins, as a search in order would find it.
 */
#include "bounce-private.h"

#include <string.h>

G_DEFINE_QUARK (bounce-parse-error-quark, bounce_parse_error)

void
bounce_settings_init (BounceSettings *settings)
{
  g_return_if_fail (settings != NULL);

  *settings = (BounceSettings) {
    .max_message_size = BOUNCE_DEFAULT_MAX_MESSAGE_SIZE,
    .max_mime_depth = BOUNCE_DEFAULT_MAX_MIME_DEPTH,
    .max_mime_parts = BOUNCE_DEFAULT_MAX_MIME_PARTS,
    .max_recipients = BOUNCE_DEFAULT_MAX_RECIPIENTS,
    .max_field_length = BOUNCE_DEFAULT_MAX_FIELD_LENGTH,
    .campaign_header = BOUNCE_DEFAULT_CAMPAIGN_HEADER,
    .rules = NULL,
  };
}

static void
recipient_free (gpointer data)
{
  BounceRecipient *rcpt = data;

  g_ptr_array_unref (rcpt->extensions);
  g_free (rcpt);
}

BounceReport *
bounce_report_new (void)
{
  BounceReport *report = g_new0 (BounceReport, 1);

  report->kind = BOUNCE_KIND_NOT_BOUNCE;
  report->max_recipients = BOUNCE_DEFAULT_MAX_RECIPIENTS;
  report->strings = g_string_chunk_new (1024);
  report->recipients = g_ptr_array_new_with_free_func (recipient_free);
  report->extensions = g_ptr_array_new_with_free_func (g_free);
  return report;
}

BounceReport *
bounce_report_new_error (const char *message)
{
  BounceReport *report = bounce_report_new ();

  report->kind = BOUNCE_KIND_ERROR;
  report->error = bounce_report_str (report, message ? message : "unknown error");
  return report;
}

void
bounce_report_free (BounceReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->recipients);
  g_ptr_array_unref (report->extensions);
  g_string_chunk_free (report->strings);
  g_clear_pointer (&report->by_address, g_hash_table_unref);
  g_clear_pointer (&report->unindexed, g_array_unref);
  g_free (report);
}

const char *
bounce_report_strn (BounceReport *report, const char *s, gssize n)
{
  gsize len;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  /* Trim blanks at both ends: a value of spaces is an absent value. */
  while (len > 0 && g_ascii_isspace (*s))
    s++, len--;
  while (len > 0 && g_ascii_isspace (s[len - 1]))
    len--;
  if (len == 0)
    return NULL;
  /* Reports are UTF-8 throughout (JSON and PostgreSQL need it); bytes of an
   * undeclared charset become U+FFFD rather than corrupt output. */
  if (!g_utf8_validate_len (s, len, NULL) || memchr (s, '\0', len) != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (s, (gssize) len);
      g_strdelimit (valid, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f", ' ');
      return g_string_chunk_insert (report->strings, valid);
    }
  return g_string_chunk_insert_len (report->strings, s, (gssize) len);
}

const char *
bounce_report_str (BounceReport *report, const char *s)
{
  return bounce_report_strn (report, s, -1);
}

const char *
bounce_report_reply_code (BounceReport *report, const char *s, gssize n)
{
  gsize len;

  if (s == NULL)
    return NULL;
  len = n < 0 ? strlen (s) : (gsize) n;
  /* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39; the second digit
   * is let through up to 9, as some servers use it so. */
  if (len != 3 || s[0] < '2' || s[0] > '5' || !g_ascii_isdigit (s[1]) || !g_ascii_isdigit (s[2]))
    return NULL;
  return bounce_report_strn (report, s, 3);
}

BounceRecipient *
bounce_report_add_recipient (BounceReport *report)
{
  BounceRecipient *rcpt;

  if (report->recipients->len >= report->max_recipients)
    {
      report->too_many = TRUE;
      return NULL;
    }
  rcpt = g_new0 (BounceRecipient, 1);
  rcpt->extensions = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (report->recipients, rcpt);
  return rcpt;
}

void
bounce_recipient_add_notice (BounceReport *report, BounceRecipient *rcpt,
                             const char *text, gssize n)
{
  g_autofree char *collapsed = NULL;
  g_autofree char *joined = NULL;

  gsize len;

  /* Full: a block of a hundred thousand commented Status fields would
   * otherwise join (and keep) a hundred thousand ever longer copies. */
  if (rcpt->notice != NULL && strlen (rcpt->notice) >= BOUNCE_NOTICE_MAX_BYTES)
    return;
  if (text == NULL || (collapsed = bounce_text_collapse (text, n)) == NULL)
    return;
  joined = rcpt->notice == NULL ? g_steal_pointer (&collapsed)
                                : g_strconcat (rcpt->notice, "; ", collapsed, NULL);
  len = strlen (joined);
  if (len > BOUNCE_NOTICE_MAX_BYTES)
    {
      len = BOUNCE_NOTICE_MAX_BYTES;
      while (len > 0 && ((unsigned char) joined[len] & 0xC0) == 0x80)
        len--;
      joined[len] = '\0';
    }
  rcpt->notice = bounce_report_str (report, joined);
}

static void
index_drop (BounceReport *report)
{
  g_clear_pointer (&report->by_address, g_hash_table_unref);
  g_clear_pointer (&report->unindexed, g_array_unref);
  report->indexed = 0;
}

static void
index_add (BounceReport *report, BounceRecipient *rcpt)
{
  char *key = g_ascii_strdown (rcpt->recipient, -1);

  if (g_hash_table_contains (report->by_address, key))
    g_free (key);
  else
    g_hash_table_insert (report->by_address, key, rcpt);
}

/* Brings by_address up to date with the recipients of @report. */
static void
index_catch_up (BounceReport *report)
{
  if (report->by_address == NULL)
    {
      report->by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      report->unindexed = g_array_new (FALSE, FALSE, sizeof (guint));
      report->indexed = 0;
    }
  /* Those seen without an address, in order, then the new ones: a later
   * recipient never takes an address from an earlier one. */
  for (guint k = 0; k < report->unindexed->len;)
    {
      guint i = g_array_index (report->unindexed, guint, k);
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, i);

      if (rcpt->recipient != NULL)
        {
          index_add (report, rcpt);
          g_array_remove_index (report->unindexed, k);
        }
      else
        k++;
    }
  for (; report->indexed < report->recipients->len; report->indexed++)
    {
      BounceRecipient *rcpt = g_ptr_array_index (report->recipients, report->indexed);

      if (rcpt->recipient != NULL)
        index_add (report, rcpt);
      else
        g_array_append_val (report->unindexed, report->indexed);
    }
}

BounceRecipient *
bounce_report_find_recipient (BounceReport *report, const char *address)
{
  g_autofree char *key = NULL;
  BounceRecipient *rcpt;

  if (address == NULL)
    return NULL;
  key = g_ascii_strdown (address, -1);
  index_catch_up (report);
  rcpt = g_hash_table_lookup (report->by_address, key);
  if (rcpt != NULL && !bounce_text_address_equal (rcpt->recipient, address))
    {
      /* An address changed since it was indexed: index again. */
      index_drop (report);
      index_catch_up (report);
      rcpt = g_hash_table_lookup (report->by_address, key);
    }
  return rcpt;
}

void
bounce_report_remove_recipient (BounceReport *report, guint index)
{
  g_return_if_fail (index < report->recipients->len);

  index_drop (report);
  g_ptr_array_remove_index (report->recipients, index);
}

void
bounce_report_add_field (BounceReport *report, GPtrArray *fields,
                         const char *name, const char *value)
{
  BounceField *field = g_new0 (BounceField, 1);

  field->name = bounce_report_str (report, name);
  field->value = bounce_report_str (report, value);
  g_ptr_array_add (fields, field);
}

const char *
bounce_kind_to_string (BounceKind kind)
{
  switch (kind)
    {
    case BOUNCE_KIND_DSN: return "dsn";
    case BOUNCE_KIND_LEGACY: return "legacy-bounce";
    case BOUNCE_KIND_AUTO_REPLY: return "auto-reply";
    case BOUNCE_KIND_FEEDBACK: return "feedback";
    case BOUNCE_KIND_NOT_BOUNCE: return "not-bounce";
    case BOUNCE_KIND_ERROR: return "error";
    }
  return "error";
}
