/* legacy-private.h - what the legacy recognisers share
 *
 * Each legacy-<family>.c file exports its recognisers, named
 * legacy_<format>_recognise, and registers them in legacy.c's table.
 */
#pragma once

#include "bounce-private.h"

G_BEGIN_DECLS

/* Adds a failed recipient @address (any form: "<a@b>", "a@b:") with the
 * diagnostic text @text (collapsed; may be NULL) unless @address is the
 * notice's sender, a postmaster/mailer-daemon address or already present
 * (then the existing recipient is returned, its diagnostic filled if empty).
 * Returns the recipient, or NULL when @address was refused. */
BounceRecipient *legacy_add (BounceReport *report, const BounceView *view,
                             const char *address, gssize address_len,
                             const char *text, gssize text_len);

/* Finds the start of the returned-message copy inside the notice body (the
 * usual "original message follows" markers or a header block), or NULL. */
const char *legacy_returned_start (const BounceView *view);

/* Fills report->original from a copy of the returned message quoted in the
 * body of the notice, when there is one. */
void legacy_original_from_body (BounceReport *report, const BounceView *view);

/* A recogniser table entry; tables end with { NULL, NULL }. */
typedef struct {
  const char *name;            /* the report's format: "qmail", "exchange" */
  LegacyRecogniser recognise;
} LegacyEntry;

/* Recognisers of providers' notices (legacy-provider.c), tried first. */
extern const LegacyEntry legacy_provider_table[];

/* Recognisers of MTA software notices (legacy-mta.c), tried next. */
extern const LegacyEntry legacy_mta_table[];

/* The fallback for mailer-daemon notices of unknown formats. */
gboolean legacy_generic_recognise (BounceReport *report, const BounceView *view);

G_END_DECLS
