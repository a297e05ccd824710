/* classify.c - reasons and hard-bounce verdicts (first cut: status codes) */
#include "bounce-private.h"

#include <string.h>

struct _BounceRules {
  guint count;
};

const char *
bounce_classifier_version (void)
{
  return "0.1";
}

BounceRules *
bounce_rules_new (void)
{
  return g_new0 (BounceRules, 1);
}

gboolean
bounce_rules_load (BounceRules *rules, const char *path, GError **error_out)
{
  g_set_error (error_out, BOUNCE_PARSE_ERROR, BOUNCE_PARSE_ERROR_MALFORMED,
               "%s: local rules are not supported yet", path);
  return FALSE;
}

guint
bounce_rules_count (const BounceRules *rules)
{
  return rules ? rules->count : 0;
}

void
bounce_rules_free (BounceRules *rules)
{
  g_free (rules);
}

static const struct { const char *status; const char *reason; } by_status[] = {
  { "5.1.1", "userunknown" }, { "5.1.2", "hostunknown" }, { "5.1.6", "hasmoved" },
  { "5.2.2", "mailboxfull" }, { "4.2.2", "mailboxfull" }, { "5.2.1", "suspend" },
  { "5.2.3", "exceedlimit" }, { "5.3.4", "mesgtoobig" }, { "4.4.7", "expired" },
  { "5.4.7", "expired" }, { "5.1.8", "rejected" }, { "5.7.1", "blocked" },
};

static gboolean
is_hard (const char *reason, const char *status)
{
  if (g_strcmp0 (reason, "notaccept") == 0)
    return status == NULL || status[0] == '5';
  return g_strcmp0 (reason, "userunknown") == 0 || g_strcmp0 (reason, "hostunknown") == 0
         || g_strcmp0 (reason, "hasmoved") == 0;
}

void
classify_report (BounceReport *report, const BounceRules *rules)
{
  for (guint i = 0; i < report->recipients->len; i++)
    {
      BounceRecipient *r = g_ptr_array_index (report->recipients, i);

      r->reason = "onhold";
      r->evidence = NULL;
      if (report->kind == BOUNCE_KIND_AUTO_REPLY)
        r->reason = "vacation";
      else if (report->kind == BOUNCE_KIND_FEEDBACK)
        r->reason = "feedback";
      else if (r->action && (strcmp (r->action, "delivered") == 0 || strcmp (r->action, "relayed") == 0
                             || strcmp (r->action, "expanded") == 0))
        r->reason = "delivered";
      else if (r->status)
        for (gsize k = 0; k < G_N_ELEMENTS (by_status); k++)
          if (strcmp (r->status, by_status[k].status) == 0)
            {
              r->reason = by_status[k].reason;
              r->evidence = bounce_report_str (report, r->status);
            }
      r->hard_bounce = is_hard (r->reason, r->status)
                       && g_strcmp0 (r->action, "delayed") != 0;
    }
}
