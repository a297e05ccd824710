/* legacy-util.c - helpers of the legacy recognisers: adding recipients
 * safely, finding the quoted copy of the returned message
 */
#include "legacy-private.h"

#include <string.h>

/* Markers that introduce the copy of the returned message in a notice. */
static const char *const returned_markers[] = {
  "------ This is a copy of the message",
  "--- Below this line is a copy of the message",
  "----- Original message -----",
  "------ Original message ------",
  "-----Original Message-----",
  "--- The header of the original message is following",
  "------ The message header follows",
  "----- Transcript of session follows -----\n\n\n",
  "Original message follows",
  "original message follows",
  "The original message was",
  "Original message headers:",
  "----- Unsent message follows -----",
  "------ Failed message follows",
  "--- Original message follows",
  "Content-Type: message/rfc822",
  "   ----- Original message -----",
};

static gboolean
is_refused_address (const BounceView *view, const char *addr)
{
  g_autofree char *sender = bounce_text_address (view->from, -1);
  const char *at = strchr (addr, '@');
  gsize local = at ? (gsize) (at - addr) : strlen (addr);

  if (sender != NULL && bounce_text_address_equal (sender, addr))
    return TRUE;
  if ((local == 10 && g_ascii_strncasecmp (addr, "postmaster", 10) == 0)
      || (local == 13 && g_ascii_strncasecmp (addr, "mailer-daemon", 13) == 0)
      || (local == 12 && g_ascii_strncasecmp (addr, "mailerdaemon", 12) == 0))
    return TRUE;
  return FALSE;
}

BounceRecipient *
legacy_add (BounceReport *report, const BounceView *view,
            const char *address, gssize address_len,
            const char *text, gssize text_len)
{
  g_autofree char *addr = bounce_text_address (address, address_len);
  BounceRecipient *rcpt;

  if (addr == NULL || is_refused_address (view, addr))
    return NULL;
  rcpt = bounce_report_find_recipient (report, addr);
  if (rcpt == NULL)
    {
      rcpt = bounce_report_add_recipient (report);
      rcpt->recipient = bounce_report_str (report, addr);
      rcpt->action = "failed";
    }
  if (rcpt->diagnostic == NULL && text != NULL)
    {
      g_autofree char *collapsed = bounce_text_collapse (text, text_len);
      rcpt->diagnostic = bounce_report_str (report, collapsed);
    }
  return rcpt;
}

const char *
legacy_returned_start (const BounceView *view)
{
  const char *best = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (returned_markers); i++)
    {
      const char *p = bounce_text_find (view->body, (gssize) view->body_len, returned_markers[i]);
      if (p != NULL && (best == NULL || p < best))
        best = p;
    }
  return best;
}

void
legacy_original_from_body (BounceReport *report, const BounceView *view)
{
  const char *start = legacy_returned_start (view);
  const char *nl;

  if (start == NULL)
    return;
  nl = strchr (start, '\n');
  if (nl == NULL)
    return;
  original_from_text (report, nl + 1, view->body_len - (gsize) (nl + 1 - view->body),
                      view->settings);
}
