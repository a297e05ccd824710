/* kinds.c - auto-replies (RFC 3834) and vacation notices
 *
 * RFC 3834 section 5: "Auto-Submitted: auto-replied" marks a response sent by
 * an automatic responder.  Older responders use X-Autoreply, X-Autorespond,
 * "Precedence: auto_reply" or an "Out of office"-like subject; we accept those
 * as well.  A mailer-daemon notice is never an auto-reply here, even when it
 * carries Auto-Submitted (RFC 3464 DSNs often do): the caller checks that.
 */
#include "bounce-private.h"

#include <string.h>

static const char *const auto_reply_headers[] = {
  "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Vacation",
  "X-Vacation", "X-Mail-Autoreply", "X-POST-MessageClass",
};

/* Subject words of vacation replies, in the languages we meet most. */
static const char *const vacation_subjects[] = {
  "out of office", "out of the office", "auto reply", "autoreply", "auto-reply",
  "automatic reply", "auto response", "autoresponse", "away from my", "on vacation",
  "vacation reply", "abwesenheit", "automatische antwort", "absence",
  "réponse automatique", "reponse automatique", "risposta automatica",
  "respuesta automática", "respuesta automatica", "自動応答", "不在",
};

gboolean
kinds_is_auto_reply (const BounceView *view)
{
  const char *v;

  v = bounce_view_header (view, "Auto-Submitted");
  if (v != NULL && bounce_text_find (v, -1, "auto-replied") != NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (auto_reply_headers); i++)
    if (bounce_view_header (view, auto_reply_headers[i]) != NULL)
      return TRUE;
  v = bounce_view_header (view, "Precedence");
  if (v != NULL && bounce_text_find (v, -1, "auto_reply") != NULL)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (vacation_subjects); i++)
    if (bounce_text_find (view->subject, -1, vacation_subjects[i]) != NULL)
      return TRUE;
  return FALSE;
}
