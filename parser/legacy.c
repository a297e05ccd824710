/* legacy.c - plain-text bounce notices: the recogniser table
 *
 * Many MTAs still send notices that are not RFC 3464 DSNs: qmail, older
 * Exim, Sendmail and Exchange, and several providers.  Each format has a
 * recogniser (legacy-*.c) that knows its markers and where it puts the failed
 * recipients, codes and text.  They run in the order of the table below, most
 * specific first; the generic recogniser comes last.
 *
 * Rule (REASONS.md "How to decide", 4): never report the sender, the
 * postmaster, or an address quoted from the returned message as a failed
 * recipient when the notice names the real one.
 */
#include "bounce-private.h"
#include "legacy-private.h"

#include <string.h>

/* Tables tried in order: providers (most specific), MTAs, then the generic
 * fallback. */
static const LegacyEntry generic_table[] = {
  { "generic", legacy_generic_recognise },
  { NULL, NULL },
};

static const LegacyEntry *const tables[] = {
  legacy_provider_table, legacy_mta_table, generic_table,
};

/* Local parts and names of senders that are mailer daemons. */
static const char *const daemon_senders[] = {
  "mailer-daemon", "postmaster", "mail delivery", "mail administrator",
  "mail delivery subsystem", "mail delivery system", "maildelivery",
  "mailerdaemon", "mail-daemon", "mmdf", "bounce", "mdaemon", "notify",
  "microsoftexchange", "mail system", "nobody", "daemon", "root@",
};

static const char *const daemon_subjects[] = {
  "undeliver", "delivery status notification", "delivery failure",
  "delivery failed", "returned mail", "mail delivery failed", "failure notice",
  "delivery notification", "could not be delivered", "not delivered",
  "mail system error", "nondeliverable", "non-deliverable", "non remis",
  "unzustellbar", "delivery problem", "warning: could not send",
  "delayed mail", "delivery has failed", "returned to sender", "mail failure",
  "unable to deliver", "message delayed", "delivery delayed", "bounce",
  "failed delivery", "rejected", "permanent error", "error sending",
};

gboolean
legacy_is_daemon_notice (const BounceView *view)
{
  for (gsize i = 0; i < G_N_ELEMENTS (daemon_senders); i++)
    if (bounce_text_find (view->from, -1, daemon_senders[i]) != NULL)
      return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (daemon_subjects); i++)
    if (bounce_text_find (view->subject, -1, daemon_subjects[i]) != NULL)
      return TRUE;
  if (bounce_view_header (view, "X-Failed-Recipients") != NULL)
    return TRUE;
  return FALSE;
}

gboolean
legacy_recognise (BounceReport *report, const BounceView *view)
{
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const LegacyEntry *e = tables[t]; e->name != NULL; e++)
    {
      if (e->recognise (report, view))
        {
          report->format = e->name;
          /* A layout recognised by its markers whose recipient lines are
           * not where its recogniser looks (a relay's notice quoting
           * another system's words): the generic reading still finds them. */
          if (report->recipients->len == 0 && e->recognise != legacy_generic_recognise)
            legacy_generic_recognise (report, view);
          if (report->original.message_id == NULL && view->returned == NULL)
            legacy_original_from_body (report, view);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
legacy_read (BounceReport *report, BounceView *view)
{
  if (!legacy_recognise (report, view))
    return FALSE;
  /* Past the limit the parse fails: no more work on it. */
  if (report->too_many)
    return TRUE;
  /* A recogniser may know the kind better (a feedback loop's complaint in
   * a provider's own format). */
  if (report->kind == BOUNCE_KIND_NOT_BOUNCE)
    report->kind = BOUNCE_KIND_LEGACY;
  notice_fill_commands (report, view);
  notice_permanence (report, view);
  return TRUE;
}
